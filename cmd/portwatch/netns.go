package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/portwatch/portwatch/collector"
	"github.com/spf13/pflag"
)

// bindNetnsFlag adds --netns to a command that collects sockets.
func bindNetnsFlag(fl *pflag.FlagSet, netns *string) {
	fl.Var((*netnsValue)(netns), "netns", "network namespaces to read: all (every process's and every /run/netns one), a name, a path or a PID (Linux; default: this one)")
}

// netnsValue is the --netns flag: any non-empty word, checked against the
// system's namespaces when the command runs (setNamespaces).
type netnsValue string

func (v *netnsValue) String() string { return string(*v) }
func (v *netnsValue) Type() string   { return "NETNS" }

func (v *netnsValue) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty (accepted: %s)", collector.NetnsAccepted)
	}
	*v = netnsValue(s)
	return nil
}

// setNamespaces turns a --netns value into the collector's namespace
// options: nothing for "", every namespace for all, else the one it
// names. A value that names none is a usage error (exit 2); a namespace
// this user may not look up is a runtime error.
func setNamespaces(opts *collector.Options, spec, replay string) error {
	if spec == "" {
		return nil
	}
	if runtime.GOOS != "linux" {
		return usagef("invalid --netns %q: network namespaces are a Linux feature; %s has one socket table", spec, runtime.GOOS)
	}
	if replay != "" {
		return usagef("--netns conflicts with --replay: a snapshot file holds the namespaces it was taken with")
	}
	if spec == "all" {
		opts.AllNetns = true
		return nil
	}
	ns, err := collector.ResolveNetns(spec, "", "")
	var bad *collector.BadNetnsError
	switch {
	case errors.As(err, &bad):
		return usagef("invalid --netns %q: %s (accepted: %s)", spec, bad.Why, collector.NetnsAccepted)
	case err != nil:
		return failf("%v", err)
	}
	opts.Namespaces = []collector.Netns{ns}
	return nil
}
