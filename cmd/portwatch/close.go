package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/render"
)

const closeExamples = `  portwatch close --dport 5432 --dry-run     list the connections to port 5432
  sudo portwatch close --dport 5432          ask, then end them
  sudo portwatch close 10.0.0.7:51234 --yes  end one connection, without asking
  sudo portwatch close --process curl --yes --json`

// closeFlags are the close command's flags.
type closeFlags struct {
	port, sport, dport     portValue
	pids                   pidsValue
	processes              namesValue
	states                 statesValue
	ipv4, ipv6             bool
	listeners, yes, dryRun bool
	asJSON                 bool
	netns                  string
	stdin                  io.Reader                       // where the confirmation is read
	terminal               func(io.Reader, io.Writer) bool // whether to ask
	destroy                func([]collector.Socket, []collector.Netns) []error
}

func newCloseCommand(stdout io.Writer) *cobra.Command {
	f := &closeFlags{stdin: os.Stdin, terminal: bothTerminals, destroy: collector.Destroy}
	cmd := &cobra.Command{
		Use:   "close [ADDR:PORT...] [filters]",
		Short: "End TCP connections: the matching ones, after asking",
		Long: `End the TCP connections that match: an ADDR:PORT argument (either end of
the connection) and the filters, which are the list's. The peer gets a
reset and the owning program an error on its next read or write, as if
the network had dropped it. Listeners are left alone unless --listeners.

On a terminal it lists the connections and asks; otherwise it needs --yes.
--dry-run lists them only. Linux: sock_diag's SOCK_DESTROY, which needs
CAP_NET_ADMIN (root) and a kernel built with CONFIG_INET_DIAG_DESTROY.
Windows: SetTcpEntry, which needs an administrator and ends IPv4
connections only; a connection still open afterwards is reported.

Exit status: 0 when every matching connection was ended (or listed with
--dry-run), 3 when nothing matches, 1 when one could not be ended, 2 for
a bad flag or value.`,
		Example: closeExamples,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClose(cmd.Context(), f, args, stdout, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.Var(&f.port, "port", "connections with this local or remote port")
	fl.Var(&f.sport, "sport", "connections with this local (source) port")
	fl.Var(&f.dport, "dport", "connections with this remote (destination) port")
	fl.Var(&f.pids, "pid", "connections held by these process ids")
	fl.Var(&f.processes, "process", "connections held by processes of this name")
	fl.Var(&f.states, "state", "only these states, comma-separated (default: every connected state)")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 connections")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 connections")
	fl.BoolVar(&f.listeners, "listeners", false, "end matching listeners too")
	fl.BoolVarP(&f.yes, "yes", "y", false, "do not ask")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list what would be ended, end nothing")
	fl.BoolVar(&f.asJSON, "json", false, "JSON output: each connection with whether it was ended")
	bindNetnsFlag(fl, &f.netns)
	return cmd
}

// connectedStates are the states close ends by default: every TCP state
// with a peer (not LISTEN, nor TIME_WAIT and CLOSE, which have no
// connection left to end).
func connectedStates() collector.StateSet {
	set, _ := collector.ParseStates("connected")
	tw, _ := collector.ParseStates("time-wait")
	return set &^ tw
}

func runClose(ctx context.Context, f *closeFlags, args []string, stdout, stderr io.Writer) error {
	var ends []netip.AddrPort
	for _, a := range args {
		ap, err := netip.ParseAddrPort(a)
		if err != nil || ap.Port() == 0 {
			return usagef("invalid connection end %q: accepted: ADDR:PORT or [IPv6]:PORT", a)
		}
		ends = append(ends, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	if len(ends) == 0 && f.port.port == 0 && f.sport.port == 0 && f.dport.port == 0 && len(f.pids.pids) == 0 && len(f.processes.names) == 0 {
		return usagef("close needs something to match: ADDR:PORT, --port, --sport, --dport, --pid or --process (it never ends every connection)")
	}
	if f.dryRun && f.yes {
		return usagef("--dry-run conflicts with --yes: --dry-run ends nothing")
	}
	states := connectedStates()
	if f.states.set != 0 {
		states = f.states.set
	}
	listen, _ := collector.ParseStates("listen")
	if f.listeners {
		states |= listen
	} else {
		states &^= listen
	}
	source := collector.SourceAuto
	if runtime.GOOS == "linux" {
		source = collector.SourceNetlink // the cookies SOCK_DESTROY needs
	}
	opts := collector.Options{
		Source:  source,
		Owners:  true,
		Cookies: true,
		Protos:  []collector.Proto{collector.ProtoTCP},
		Filter: collector.Filter{States: states, Port: f.port.port, LocalPort: f.sport.port, RemotePort: f.dport.port,
			PIDs: f.pids.pids, Processes: f.processes.names},
	}
	if f.ipv4 {
		opts.Families = append(opts.Families, collector.FamilyIPv4)
	}
	if f.ipv6 {
		opts.Families = append(opts.Families, collector.FamilyIPv6)
	}
	if err := setNamespaces(&opts, f.netns, ""); err != nil {
		return err
	}
	snap, err := collect(ctx, "", opts)
	if err != nil {
		return err
	}
	for _, w := range snap.Warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
	if len(ends) > 0 {
		kept := snap.Sockets[:0]
		for _, s := range snap.Sockets {
			if matchesEnd(&s, ends) {
				kept = append(kept, s)
			}
		}
		snap.Sockets = kept
	}
	if len(snap.Sockets) == 0 {
		return &findingsError{msg: "no TCP connection matches; nothing to close"}
	}
	ropts := render.Options{Owners: true, Numeric: true, UserName: newUserCache().name, Netns: len(snap.Namespaces) > 1}
	if f.dryRun || !f.yes {
		if !f.asJSON || !f.dryRun {
			out := stdout
			if !f.dryRun {
				out = stderr // the list before the question, kept off the results
			}
			if err := render.Table(out, snap, ropts); err != nil {
				return err
			}
		}
		if f.dryRun {
			if f.asJSON {
				return render.ClosedJSON(stdout, snap, nil, ropts)
			}
			fmt.Fprintf(stderr, "portwatch: dry run: %s would be closed\n", countOf(len(snap.Sockets), "connection"))
			return nil
		}
		if !f.terminal(f.stdin, stderr) {
			return usagef("close: no terminal to ask on: give --yes to end these %s without asking, or --dry-run to list them", countOf(len(snap.Sockets), "connection"))
		}
		fmt.Fprintf(stderr, "Close %s? [y/N] ", countOf(len(snap.Sockets), "connection"))
		answer, _ := bufio.NewReader(f.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stderr, "portwatch: nothing closed")
			return nil
		}
	}
	errs := f.destroy(snap.Sockets, snap.Namespaces)
	if f.asJSON {
		if err := render.ClosedJSON(stdout, snap, errs, ropts); err != nil {
			return err
		}
	} else if err := render.ClosedText(stdout, snap, errs, ropts); err != nil {
		return err
	}
	return closeFailure(errs)
}

// matchesEnd reports whether either end of s is one of ends.
func matchesEnd(s *collector.Socket, ends []netip.AddrPort) bool {
	local := netip.AddrPortFrom(s.Local.Addr().Unmap(), s.Local.Port())
	remote := netip.AddrPortFrom(s.Remote.Addr().Unmap(), s.Remote.Port())
	for _, e := range ends {
		if e == local || e == remote {
			return true
		}
	}
	return false
}

// closeFailure is the error of a close whose sockets were not all ended:
// what to do about the first failure, exit 1; nil when all were.
func closeFailure(errs []error) error {
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, collector.ErrDestroyGone) {
			if failed++; first == nil {
				first = err
			}
		}
	}
	switch {
	case failed == 0:
		return nil
	case errors.Is(first, collector.ErrDestroyPermission):
		return failf("%s not closed: %s", countOf(failed, "connection"), closePrivilege())
	case errors.Is(first, collector.ErrDestroyUnsupported):
		return failf("%s not closed: %v; end them from their program instead, or restart it", countOf(failed, "connection"), first)
	}
	return failf("%s not closed: %v", countOf(failed, "connection"), first)
}

// closePrivilege says what ending a connection takes on this system and
// how to get it.
func closePrivilege() string {
	if runtime.GOOS == "windows" {
		return "ending a connection takes an administrator; run portwatch from an elevated prompt"
	}
	return "ending a connection takes CAP_NET_ADMIN; run as root (sudo portwatch close ...)"
}

// bothTerminals reports whether in and out are terminals, so that a
// question can be asked and answered.
func bothTerminals(in io.Reader, out io.Writer) bool {
	f, ok := in.(*os.File)
	return ok && isTerminal(f) && isTerminal(out)
}
