package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/audit"
	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
	"github.com/portwatch/portwatch/process"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/services"
)

const auditExamples = `  portwatch audit                         what this host exposes, with findings
  sudo portwatch audit --save /etc/portwatch/baseline.json
  portwatch audit --baseline /etc/portwatch/baseline.json   new, missing and changed listeners
  portwatch audit --baseline B --fail-on none --json | jq '.findings[]'
  portwatch audit --print-rules > my-rules.json            the rules, to amend with --rules
  portwatch audit --textfile /var/lib/prometheus/node-exporter/portwatch.prom   for node_exporter, from cron`

type auditFlags struct {
	json         bool
	save         string
	allowPartial bool
	baseline     string
	failOn       string
	rulesFile    string
	printRules   bool
	servicesFile string
	netns        string
	textfile     string
}

func newAuditCommand(stdout io.Writer) *cobra.Command {
	f := &auditFlags{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Judge what this host exposes: every listener, its reach, and what is risky or new",
		Long: `List every listening socket (TCP LISTEN, unconnected UDP) with its exposure:
loopback only, a specific address, or every address (0.0.0.0, and :: which
is dual-stack unless the socket is IPv6-only). Each listener is checked
against rules (cleartext logins, remote desktops, file sharing, databases on
every address, executables deleted or in world-writable places, privileged
ports held by non-root users, ports the registry does not know); each finding
has a stable id, a severity and a one-line remedy.

Baselines record the expected listeners by protocol, port, exposure,
executable and user (never PIDs): --save FILE writes one, --baseline FILE
reports listeners that are new, missing or changed since. --save refuses
when the collection lost something (a table or a process unreadable), which
would leave listeners out of the baseline; --allow-partial saves anyway.

The rules are data: --print-rules prints them; a rules file (--rules FILE, or
` + displayUserRulesPath() + ` when it exists) adds rules, changes their
fields by id, or turns them off with "disabled": true.

Exit status: 3 when a finding matches --fail-on, 0 otherwise; 2 for a bad
flag, rules file or baseline; 1 when the sockets could not be read, or
--save could not write the baseline or would write an incomplete one.`,
		Example: auditExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(cmd.Context(), f, stdout, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.BoolVar(&f.json, "json", false, "JSON output")
	fl.StringVar(&f.baseline, "baseline", "", "compare the listeners with this baseline file (never written)")
	fl.StringVar(&f.save, "save", "", "write the listeners as a baseline to FILE (refused when the collection had warnings)")
	fl.BoolVar(&f.allowPartial, "allow-partial", false, "with --save, write the baseline even when the collection had warnings")
	fl.StringVar(&f.failOn, "fail-on", audit.DefaultFailOn, "exit 3 for findings of these severities or changes: info, low, medium, high (and above), new, changed, missing, none")
	fl.StringVar(&f.rulesFile, "rules", "", "amend the built-in rules with this rules file")
	fl.BoolVar(&f.printRules, "print-rules", false, "print the rules in effect as a rules file and exit")
	fl.StringVar(&f.servicesFile, "services", "", "extra service names in /etc/services syntax")
	fl.StringVar(&f.textfile, "textfile", "", "write the findings as Prometheus metrics to FILE for node_exporter's textfile collector (atomically), instead of the report")
	bindNetnsFlag(fl, &f.netns)
	return cmd
}

func runAudit(ctx context.Context, f *auditFlags, stdout, stderr io.Writer) error {
	policy, err := audit.ParseFailPolicy(f.failOn)
	if err != nil {
		return usagef("invalid --fail-on %q: %v", f.failOn, err)
	}
	if f.allowPartial && f.save == "" {
		return usagef("--allow-partial applies only with --save FILE")
	}
	if f.textfile != "" {
		switch {
		case f.json:
			return usagef("--textfile writes metrics, not --json")
		case f.printRules:
			return usagef("--textfile conflicts with --print-rules")
		case !exporterBuild:
			// The metrics are written by the Prometheus client, which
			// portwatch-exporter alone links.
			return runInExporter(ctx, stdout, stderr)
		}
	}
	rules, err := loadRules(f.rulesFile, stderr)
	if err != nil {
		return err
	}
	if f.printRules {
		data, err := rules.MarshalJSON()
		if err != nil {
			return failf("encoding the rules: %v", err)
		}
		_, err = stdout.Write(append(indentJSON(data), '\n'))
		return err
	}
	var base *audit.Baseline
	if f.baseline != "" {
		if base, err = loadBaseline(f.baseline); err != nil {
			return err
		}
	}
	reg, err := loadRegistry(f.servicesFile, stderr)
	if err != nil {
		return err
	}

	listening, _ := collector.ParseStates("listening")
	opts := collector.Options{Source: collector.SourceAuto, Owners: true, Filter: collector.Filter{States: listening}}
	if err := setNamespaces(&opts, f.netns, ""); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	snap, err := collect(ctx, "", opts)
	if err != nil {
		return err
	}
	if f.save != "" && snap.Incomplete && !f.allowPartial {
		return incompleteSave(f.save, snap.Warnings)
	}
	for _, w := range snap.Warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
	root := os.Geteuid() == 0
	if n := collector.CountOwnerUnknown(snap, collector.OwnerPermission); n > 0 {
		fmt.Fprintln(stderr, hiddenOwnersNote(n, root))
	}

	users := newUserCache()
	listeners := auditListeners(snap.Sockets, reg, process.NewReader(""), users.name, placesOf(snap))
	var saved *audit.Baseline
	if f.save != "" {
		// The baseline is taken before Evaluate adds the missing listeners.
		saved = audit.NewBaseline(listeners, snap.Host, snap.Time)
		if err := saved.Save(f.save); err != nil {
			return failf("cannot write the baseline to %s: %v", render.Sanitize(f.save), render.Sanitize(err.Error()))
		}
	}
	rep := audit.Evaluate(listeners, rules, base)
	if f.textfile != "" {
		if err := writeAuditTextfile(f.textfile, rep, rules); err != nil {
			return failf("cannot write the metrics to %s: %v", render.Sanitize(f.textfile), render.Sanitize(err.Error()))
		}
		return nil
	}

	meta := &render.AuditMeta{Time: snap.Time, Host: snap.Host, Baseline: f.baseline, Policy: policy,
		FailOn: f.failOn, Warnings: snap.Warnings, Report: rep,
		Color: isTerminal(stdout) && colorWanted()}
	err = writeBuffered(stdout, func(out io.Writer) error {
		if f.json {
			return render.AuditJSON(out, meta)
		}
		return render.AuditText(out, meta)
	})
	if err != nil {
		return err
	}
	if saved != nil {
		partial := ""
		if snap.Incomplete {
			partial = fmt.Sprintf(" (incomplete: the collection had %s, above)", countOf(len(snap.Warnings), "warning"))
		}
		fmt.Fprintf(stderr, "portwatch: baseline of %s written to %s%s\n", countOf(len(saved.Listeners), "listener"), render.Sanitize(f.save), partial)
	}
	if len(rep.Failing(policy)) > 0 {
		return &findingsError{}
	}
	return nil
}

// incompleteSave is the error of --save after a collection with warnings:
// the baseline would lack what could not be read, and the next audit
// would call those listeners new.
func incompleteSave(path string, warnings []string) error {
	ws := make([]string, len(warnings))
	for i, w := range warnings {
		ws[i] = render.Sanitize(w)
	}
	return failf("not saving the baseline to %s: the collection was incomplete (%s: %s), so the baseline would lack listeners; fix the cause and run again, or add --allow-partial to save it anyway",
		render.Sanitize(path), countOf(len(warnings), "warning"), strings.Join(ws, "; "))
}

// countOf is n and the noun, plural unless n is 1: "1 listener", "2 listeners".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// listenerPlace is where a listening socket is: in the host's namespace or
// another (named or not), in a container, published for one.
type listenerPlace struct {
	otherNetns            bool
	netns, netnsName      string
	container, forwardsTo string
	// publishedAs is the host address and port a runtime publishes the
	// listener on without a host listener (a NAT rule), and exposure that
	// address's; "" and "" otherwise.
	publishedAs string
	exposure    audit.Exposure
}

// auditExposure is the exposure the audit gives the listener s at p: the
// published address's for a port published by NAT alone, else its own
// address's in its namespace.
func (p listenerPlace) auditExposure(s *collector.Socket) audit.Exposure {
	return cmp.Or(p.exposure, audit.ClassifyIn(s.Local.Addr(), p.otherNetns))
}

// placesOf returns, for the sockets of snap, where each is: its namespace
// against the caller's (the host's, as far as the audit is concerned), its
// owners' container, and the container a published port forwards to.
func placesOf(snap *collector.Snapshot) func(*collector.Socket) listenerPlace {
	namer := containers.NewNamer("")
	home := homeNetns(snap)
	inContainer, _ := ownerContainers(snap.Sockets, namer)
	forward, _ := publishedPorts(snap.Sockets, home, namer)
	natted := unheldForwards(snap.Sockets, namer.Forwards(), forward)
	return func(s *collector.Socket) listenerPlace {
		var p listenerPlace
		if s.Netns != 0 && s.Netns != home {
			p.otherNetns = true
			p.netnsName = snap.NetnsName(s.Netns)
			p.netns = p.netnsName
			if p.netns == "" {
				p.netns = collector.NetnsLabel(s.Netns)
			}
		}
		for _, o := range s.Owners {
			if info, ok := inContainer(o.PID); ok {
				p.container = info.Label()
				break
			}
		}
		if forward != nil {
			if f, ok := forward(s); ok {
				p.forwardsTo = f.Target()
			}
		}
		if f, ok := natted[forwardKey{s.Netns, s.Proto.String(), s.Local.Port()}]; ok && p.otherNetns &&
			audit.Classify(s.Local.Addr()) != audit.ExposureLoopback {
			host := f.HostIP
			if !host.IsValid() {
				host = netip.IPv4Unspecified()
			}
			p.publishedAs = netip.AddrPortFrom(host, f.HostPort).String()
			p.exposure = audit.Classify(host)
		}
		return p
	}
}

// forwardKey is a published port's end inside the container: its
// namespace, protocol and port.
type forwardKey struct {
	netns uint64
	proto string
	port  uint16
}

// unheldForwards returns, by their end inside the container, the
// published ports that no host listener of socks holds (forward finds
// none for it): a runtime that publishes by a NAT rule alone leaves the
// container's own listener as the only socket, which is then what the
// host exposes.
func unheldForwards(socks []collector.Socket, fws []containers.Forward, forward func(*collector.Socket) (containers.Forward, bool)) map[forwardKey]containers.Forward {
	held := map[forwardKey]bool{}
	if forward != nil {
		for i := range socks {
			if f, ok := forward(&socks[i]); ok {
				held[forwardKey{f.NetnsInode, f.Proto, f.ContainerPort}] = true
			}
		}
	}
	out := map[forwardKey]containers.Forward{}
	for _, f := range fws {
		k := forwardKey{f.NetnsInode, f.Proto, f.ContainerPort}
		if f.NetnsInode != 0 && !held[k] {
			if _, dup := out[k]; !dup {
				out[k] = f
			}
		}
	}
	return out
}

// auditListeners turns listening sockets into the audit's listeners, with
// each owner's executable and user, and where each is (place).
func auditListeners(socks []collector.Socket, reg *services.Registry, r *process.Reader, userName func(int) string,
	place func(*collector.Socket) listenerPlace) []audit.Listener {
	owners := map[int]audit.Owner{}
	ownerOf := func(o collector.Owner) audit.Owner {
		if a, ok := owners[o.PID]; ok {
			return a
		}
		a := audit.Owner{PID: o.PID, Process: o.Process, UID: -1}
		if info, err := r.Lookup(o.PID); err == nil {
			a.UID, a.Exe, a.ExeStatus = info.UID, info.Exe, string(info.ExeStatus)
			if info.UID >= 0 {
				a.User = userName(info.UID)
			}
		}
		owners[o.PID] = a
		return a
	}
	out := make([]audit.Listener, 0, len(socks))
	for i := range socks {
		s := &socks[i]
		pl := place(s)
		l := audit.Listener{
			Proto:        s.Proto.String(),
			Local:        s.Local,
			Port:         s.Local.Port(),
			Exposure:     pl.auditExposure(s),
			Netns:        pl.netns,
			NetnsName:    pl.netnsName,
			Container:    pl.container,
			ForwardsTo:   pl.forwardsTo,
			PublishedAs:  pl.publishedAs,
			Service:      reg.Name(s.Proto.String(), s.Local.Port()),
			UID:          s.UID,
			User:         userName(s.UID),
			OwnerUnknown: s.OwnerUnknown.String(),
		}
		for _, o := range s.Owners {
			l.Owners = append(l.Owners, ownerOf(o))
		}
		out = append(out, l)
	}
	return out
}

// loadRules returns the built-in rules amended by the user's rules file:
// --rules FILE (which must exist and be readable), else the default path
// when it exists. A default file that cannot be read (HOME still pointing
// at another user's directory after sudo or setpriv) is a warning; a rules
// file that does not parse is always an error.
func loadRules(explicit string, stderr io.Writer) (*audit.Rules, error) {
	rules := audit.Builtin()
	path := explicit
	if path == "" {
		path = userRulesPath()
		if path == "" {
			return rules, nil
		}
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
	case explicit == "" && errors.Is(err, fs.ErrNotExist):
		return rules, nil
	case explicit == "":
		fmt.Fprintf(stderr, "portwatch: warning: %s; using the built-in rules\n", render.Sanitize(err.Error()))
		return rules, nil
	default:
		return nil, usagef("cannot read rules file: %v", err)
	}
	amended, err := audit.ParseRules(data, rules)
	if err != nil {
		return nil, usagef("invalid rules file %s: %v", render.Sanitize(path), err)
	}
	return amended, nil
}

// loadBaseline reads a --baseline file.
func loadBaseline(path string) (*audit.Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("cannot read --baseline file: %v", err)
	}
	base, err := audit.ParseBaseline(data)
	if err != nil {
		return nil, usagef("invalid baseline %s: %v", render.Sanitize(path), err)
	}
	return base, nil
}

// userRulesPath is the user's own rules file, in the user's config
// directory ($XDG_CONFIG_HOME/portwatch/audit-rules.json on Linux).
func userRulesPath() string { return userConfigPath("audit-rules.json") }

func displayUserRulesPath() string {
	return displayPath(userRulesPath())
}

// indentJSON indents compact JSON by two spaces.
func indentJSON(data []byte) []byte {
	var b bytes.Buffer
	if json.Indent(&b, data, "", "  ") != nil {
		return data
	}
	return b.Bytes()
}
