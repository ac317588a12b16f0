package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/render"
)

// killSignals are the signals who --kill takes by name, with their
// numbers (the same on every Unix portwatch runs on).
var killSignals = []struct {
	name string
	num  int
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"KILL", 9}, {"USR1", 10}, {"USR2", 12}, {"TERM", 15},
}

// parseKillSignal reads --kill's value: a name with or without SIG
// (TERM, SIGKILL, any case) or a number from 1 to 64.
func parseKillSignal(s string) (name string, num int, err error) {
	up := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	for _, k := range killSignals {
		if up == k.name {
			return "SIG" + k.name, k.num, nil
		}
	}
	if n, err := strconv.Atoi(up); err == nil && n >= 1 && n <= 64 {
		for _, k := range killSignals {
			if k.num == n {
				return "SIG" + k.name, n, nil
			}
		}
		return "signal " + up, n, nil
	}
	return "", 0, usagef("invalid --kill %q: accepted: TERM, KILL, INT, HUP, QUIT, USR1, USR2 (with or without SIG) or a number 1-64", s)
}

// killTarget is a process who --kill signals.
type killTarget struct {
	pid  int
	name string
}

// killRefusal says why pid may not be signalled ("" when it may): PID 1
// (the system would go down with it) and portwatch itself.
func killRefusal(pid int) string {
	switch pid {
	case 1:
		return "refused: PID 1 is the system's init"
	case os.Getpid():
		return "refused: it is portwatch itself"
	}
	return ""
}

// killOwners signals targets with the signal sig (its name for messages),
// after asking on in unless yes (the caller has checked that there is a
// terminal to ask on); it reports each PID's result on out and returns
// the error the command ends with: nil when every target got the signal.
func killOwners(targets []killTarget, sigName string, sig int, yes bool, in io.Reader, out io.Writer) error {
	if len(targets) == 0 {
		return failf("no owning process to signal: the owners are hidden (run as root to see them) or the sockets have none")
	}
	slices.SortFunc(targets, func(a, b killTarget) int { return a.pid - b.pid })
	if !yes {
		list := make([]string, len(targets))
		for i, t := range targets {
			list[i] = strconv.Itoa(t.pid) + " " + render.Sanitize(t.name)
		}
		fmt.Fprintf(out, "Send %s to %s (%s)? [y/N] ", sigName, countOf(len(targets), "process"), strings.Join(list, ", "))
		answer, _ := bufio.NewReader(in).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(out, "portwatch: no signal sent")
			return nil
		}
	}
	failed := 0
	var firstErr error
	for _, t := range targets {
		what := "sent " + sigName
		if why := killRefusal(t.pid); why != "" {
			what, failed = why, failed+1
		} else if err := sendSignal(t.pid, sig); err != nil {
			what = "failed: " + err.Error()
			if failed++; firstErr == nil {
				firstErr = err
			}
		}
		fmt.Fprintf(out, "portwatch: PID %d (%s): %s\n", t.pid, render.Sanitize(t.name), what)
	}
	switch {
	case failed == 0:
		return nil
	case firstErr != nil && os.IsPermission(firstErr):
		return failf("%s not signalled: another user's process; run as root (sudo portwatch who PORT --kill)", countOf(failed, "process"))
	}
	return failf("%s not signalled", countOf(failed, "process"))
}
