package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
	"github.com/portwatch/portwatch/process"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/services"
)

const whoExamples = `  portwatch who 8080              everything on port 8080, TCP and UDP
  portwatch who 53/udp            only UDP
  portwatch who 127.0.0.1:5432    sockets on that address and port
  portwatch who '[::1]:8080' --json
  portwatch who 8080 || start-server   exit status 3 when nothing is on the port
  sudo portwatch who 80 --netns all --container web   port 80 of one container, and what publishes it
  portwatch who 3000 --kill --yes  stop whatever holds port 3000 (SIGTERM)`

// whoQuery is what `portwatch who` was asked about.
type whoQuery struct {
	addr  netip.Addr // invalid when only a port was given
	port  uint16
	proto string // "tcp", "udp" or "" for both
}

func newWhoCommand(stdout io.Writer) *cobra.Command {
	var servicesFile, netns, container string
	var asJSON bool
	var kill whoKill
	cmd := &cobra.Command{
		Use:   "who PORT[/PROTO] | :PORT | ADDR:PORT",
		Short: "Show every socket on a port and everything about the processes that own it",
		Long: `Show every socket bound to or connected on a port, the service registry's
entry for the port, and for each owning process its command line, executable
(and whether it was deleted or replaced since it started), user, start time,
parent processes and systemd unit or container. A socket without a visible
owner says why.

With ADDR:PORT, the sockets on that address and port, and the listeners on
every address (0.0.0.0, ::) that accept connections to it.

With --container, only that container's sockets (held by its processes, or
in its network namespace where the runtime's records give it) and the
host's listeners published to it.

--kill[=SIGNAL] then signals the owning processes (TERM unless named),
after asking on a terminal (--yes for scripts), and reports each PID's
result; it refuses PID 1 and portwatch itself.

Exit status: 0 when something is on the port (and, with --kill, every
owner got the signal), 3 when nothing is, 1 when an owner could not be
signalled.`,
		Example: whoExamples,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("who takes one port (accepted: PORT[/PROTO], :PORT or ADDR:PORT), e.g. portwatch who 8080")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := parseWhoQuery(args[0])
			if err != nil {
				return err
			}
			if err := kill.check(cmd.Flags().Changed("kill"), cmd.ErrOrStderr()); err != nil {
				return err
			}
			return runWho(cmd.Context(), q, args[0], whoScope{netns, container, kill}, servicesFile, asJSON, stdout, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	cmd.Flags().StringVar(&servicesFile, "services", "", "extra service names in /etc/services syntax")
	bindNetnsFlag(cmd.Flags(), &netns)
	cmd.Flags().StringVar(&container, "container", "", "only the sockets of this container (name, pod name or id prefix) and the ports published to it (Linux)")
	cmd.Flags().StringVar(&kill.value, "kill", "", "signal the owning processes (default TERM; KILL, INT, HUP, ...) after asking; refuses PID 1 and portwatch")
	cmd.Flags().Lookup("kill").NoOptDefVal = "TERM"
	cmd.Flags().BoolVarP(&kill.yes, "yes", "y", false, "with --kill: do not ask")
	return cmd
}

// whoKill is who's --kill: the signal and whether to ask.
type whoKill struct {
	value   string // the flag as given; "" for no --kill
	yes     bool
	on      bool
	sigName string
	sig     int
	stdin   io.Reader
}

// check reads --kill (given tells whether it was) and whether a question
// can be asked: without --yes off a terminal, nothing is signalled.
func (k *whoKill) check(given bool, stderr io.Writer) error {
	if !given {
		if k.yes {
			return usagef("--yes goes with --kill")
		}
		return nil
	}
	var err error
	if k.sigName, k.sig, err = parseKillSignal(k.value); err != nil {
		return err
	}
	k.on, k.stdin = true, os.Stdin
	if !k.yes && !bothTerminals(os.Stdin, stderr) {
		return usagef("who --kill: no terminal to ask on: give --yes to send %s without asking", k.sigName)
	}
	return nil
}

// whoScope is where who looks: the namespaces (--netns) and the one
// container (--container), "" for the defaults; and what it does to the
// owners (--kill).
type whoScope struct {
	netns, container string
	kill             whoKill
}

// parseWhoQuery parses PORT, :PORT, ADDR:PORT or [IPv6]:PORT, each
// optionally followed by /tcp or /udp.
func parseWhoQuery(arg string) (whoQuery, error) {
	var q whoQuery
	target := arg
	if i := strings.LastIndexByte(arg, '/'); i >= 0 {
		target, q.proto = arg[:i], strings.ToLower(arg[i+1:])
		if q.proto != "tcp" && q.proto != "udp" {
			return q, usagef("invalid protocol %q in %q: accepted: tcp, udp", arg[i+1:], arg)
		}
	}
	const accepted = "accepted: PORT, :PORT, ADDR:PORT or [IPv6]:PORT, optionally followed by /tcp or /udp"
	if !strings.Contains(target, ":") || strings.HasPrefix(target, ":") && strings.Count(target, ":") == 1 {
		port, err := parsePort(target)
		if err != nil {
			return q, usagef("invalid port %q in %q: %s", target, arg, accepted)
		}
		q.port = port
		return q, nil
	}
	ap, err := netip.ParseAddrPort(target)
	if err != nil || ap.Port() == 0 {
		return q, usagef("invalid address and port %q: %s", arg, accepted)
	}
	q.addr, q.port = ap.Addr().Unmap(), ap.Port()
	return q, nil
}

// String is the query as shown in messages: "8080/tcp", "127.0.0.1:80".
func (q whoQuery) String() string {
	s := fmt.Sprint(q.port)
	if q.addr.IsValid() {
		s = netip.AddrPortFrom(q.addr, q.port).String()
	}
	if q.proto != "" {
		s += "/" + q.proto
	}
	return s
}

func runWho(ctx context.Context, q whoQuery, arg string, scope whoScope, servicesFile string, asJSON bool, stdout, stderr io.Writer) error {
	reg, err := loadRegistry(servicesFile, stderr)
	if err != nil {
		return err
	}
	opts := collector.Options{
		Source: collector.SourceAuto,
		Owners: true,
		// The port goes to the kernel as a filter. With an address, one end
		// must be ADDR:PORT, or the socket be bound to every address at
		// PORT, since it answers on ADDR too. The collector applies all of
		// it before it looks for owners.
		Filter: collector.Filter{States: collector.AllStates, Port: q.port, Addr: q.addr, AddrWildcard: true},
	}
	if q.proto != "" {
		p, _ := collector.ParseProto(q.proto)
		opts.Protos = []collector.Proto{p}
	}
	if err := setNamespaces(&opts, scope.netns, ""); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	snap, err := collect(ctx, "", opts)
	if err != nil {
		return err
	}
	namer := containers.NewNamer("")
	forward, published := publishedPorts(snap.Sockets, homeNetns(snap), namer)
	if published {
		addForwardTargets(ctx, snap, forward)
	}
	for _, w := range snap.Warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
	inContainer, anyContainer := ownerContainers(snap.Sockets, namer)
	if scope.container != "" {
		snap.Sockets = keepContainerOrForward(snap.Sockets, scope.container, inContainer, forward, namer.Sandboxes())
	}

	users := newUserCache()
	who := &render.Who{Query: arg, Port: q.port, Snapshot: snap, Root: os.Geteuid() == 0}
	if q.proto != "" {
		who.Services = []services.Info{reg.Lookup(q.proto, q.port)}
	} else {
		who.Services = reg.LookupAll(q.port)
	}
	who.Processes = ownerDetails(snap.Sockets, process.NewReader(""), users.name)

	ropts := render.Options{Services: reg, UserName: users.name, Netns: len(snap.Namespaces) > 1 || published,
		Container: inContainer, Forward: forward, ContainerColumn: anyContainer || published}
	err = writeBuffered(stdout, func(out io.Writer) error {
		if asJSON {
			return render.WhoJSON(out, who, ropts)
		}
		if len(snap.Sockets) == 0 {
			return nil
		}
		return render.WhoText(out, who, ropts, time.Now())
	})
	if err != nil {
		return err
	}
	if len(snap.Sockets) == 0 {
		msg := "nothing is on port " + q.String()
		if scope.container != "" {
			msg = "nothing of container " + render.Sanitize(scope.container) + " is on port " + q.String()
		}
		if asJSON {
			msg = ""
		}
		return &findingsError{msg: msg}
	}
	if k := scope.kill; k.on {
		var targets []killTarget
		for _, p := range who.Processes {
			targets = append(targets, killTarget{pid: p.PID, name: p.Name})
		}
		return killOwners(targets, k.sigName, k.sig, k.yes, k.stdin, stderr)
	}
	return nil
}

// ownerDetails looks up every process that owns one of socks, by PID.
func ownerDetails(socks []collector.Socket, r *process.Reader, userName func(int) string) []render.WhoProcess {
	names := map[int]string{}
	for i := range socks {
		for _, o := range socks[i].Owners {
			names[o.PID] = o.Process
		}
	}
	pids := make([]int, 0, len(names))
	for pid := range names {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	var out []render.WhoProcess
	for _, pid := range pids {
		info, err := r.Lookup(pid)
		p := render.WhoProcess{Info: info}
		if err != nil {
			p.Info = process.Info{PID: pid, Name: names[pid], UID: -1, RealUID: -1}
			p.Err = err.Error()
			if errors.Is(err, process.ErrNotFound) {
				p.Err = "the process exited after its sockets were read"
			}
			out = append(out, p)
			continue
		}
		p.User = userName(info.UID)
		p.Parents, _ = r.Parents(pid)
		out = append(out, p)
	}
	return out
}
