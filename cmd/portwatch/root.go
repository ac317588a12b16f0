package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/services"
)

// listFlags are the flags of the main job: list sockets.
type listFlags struct {
	all, listening         bool
	tcp, udp               bool
	ipv4, ipv6             bool
	numeric                bool
	owner, program         bool
	extended               bool
	summary                bool
	json                   bool
	noHeader               bool
	format                 choiceValue
	source                 choiceValue
	sort                   string
	port, sport, dport     portValue
	states                 statesValue
	pids                   pidsValue
	processes              namesValue
	servicesFile, replay   string
	cpuProfile, memProfile string

	// Watch mode (portwatch watch, -c).
	watching    bool
	continuous  intervalValue
	interval    intervalValue
	changesOnly bool
	count       int
}

const rootExamples = `  portwatch -a -o            every socket with its owning PID (Windows netstat habit)
  portwatch -ano             the same, numeric
  portwatch -tulpn           TCP and UDP listeners with programs (Linux netstat habit)
  portwatch -tan             every TCP socket
  portwatch -lt --port 443   who listens on 443
  portwatch -a --state established,time-wait --sort remote
  portwatch -a -o --process nginx --json | jq '.sockets[].local_port'
  portwatch -s               counts per protocol and state
  portwatch watch -o         live view: new, closed and changed sockets stand out
  portwatch who 8080         everything about the processes on port 8080
  portwatch audit            what this host exposes, and what is risky
  portwatch service 5432     what runs on port 5432`

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &listFlags{
		format: choiceValue{value: "table", choices: []string{"table", "json", "csv"}},
		source: choiceValue{value: "auto", choices: []string{"auto", "netlink", "procfs"}},
	}
	cmd := &cobra.Command{
		Use:   "portwatch [flags]",
		Short: "List TCP and UDP sockets with their states, owners and services",
		Long: `portwatch lists the host's TCP and UDP sockets with their states, the
processes that own them and the service their port belongs to.

Without -a or -l it shows non-listening sockets, like netstat. Owners are
looked up only with -o/-p or an owner filter; a normal user sees the owners
of their own processes and root sees all.`,
		Example:       rootExamples,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stop, err := startProfiles(f.cpuProfile, f.memProfile)
			if err != nil {
				return err
			}
			defer stop()
			if cmd.Flags().Changed("continuous") {
				return runWatch(cmd.Context(), f, stdout, stderr)
			}
			for _, name := range []string{"interval", "changes-only", "count"} {
				if cmd.Flags().Changed(name) {
					return usagef("--%s needs -c or portwatch watch", name)
				}
			}
			return runList(cmd.Context(), f, stdout, stderr)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })

	fl := cmd.Flags()
	fl.SortFlags = false
	bindListFlags(fl, f)
	fl.VarP(&f.continuous, "continuous", "c", "refresh continuously, every INTERVAL (default 1s), like portwatch watch")
	fl.Lookup("continuous").NoOptDefVal = "1s"
	bindWatchFlags(fl, f)
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of this run to FILE (for go tool pprof)")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile at the end of this run to FILE")
	fl.MarkHidden("cpuprofile")
	fl.MarkHidden("memprofile")

	cmd.AddCommand(newWatchCommand(f, stdout, stderr), newWhoCommand(stdout), newAuditCommand(stdout),
		newServiceCommand(stdout), newVersionCommand(stdout))
	return cmd
}

// bindListFlags defines the flags that select and show sockets, shared by
// the list and watch commands.
func bindListFlags(fl *pflag.FlagSet, f *listFlags) {
	fl.BoolVarP(&f.all, "all", "a", false, "listening and non-listening sockets")
	fl.BoolVarP(&f.listening, "listening", "l", false, "only listening sockets (TCP LISTEN, UDP UNCONN)")
	fl.BoolVarP(&f.tcp, "tcp", "t", false, "TCP sockets")
	fl.BoolVarP(&f.udp, "udp", "u", false, "UDP sockets")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 sockets")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 sockets")
	fl.BoolVarP(&f.numeric, "numeric", "n", false, "no name lookups: no Service column, numeric user ids")
	fl.BoolVarP(&f.owner, "owner", "o", false, "show the owning PID/program (Windows netstat -o)")
	fl.BoolVarP(&f.program, "program", "p", false, "show the owning PID/program (Linux netstat -p)")
	fl.BoolVarP(&f.extended, "extended", "e", false, "show user, inode and queues")
	fl.BoolVarP(&f.summary, "summary", "s", false, "counts per protocol and state")
	fl.BoolVar(&f.json, "json", false, "JSON output (same as --format json)")
	fl.Var(&f.format, "format", "output format: table, json or csv")
	fl.BoolVar(&f.noHeader, "no-header", false, "omit the header row")
	fl.StringVar(&f.sort, "sort", "", "sort by column: "+render.SortKeysAccepted)
	fl.Var(&f.port, "port", "only sockets with this local or remote port")
	fl.Var(&f.sport, "sport", "only sockets with this local (source) port")
	fl.Var(&f.dport, "dport", "only sockets with this remote (destination) port")
	fl.Var(&f.states, "state", "only these states, comma-separated (e.g. established,time-wait)")
	fl.Var(&f.pids, "pid", "only sockets held by these process ids (implies owners)")
	fl.Var(&f.processes, "process", "only sockets held by processes of this name (implies owners)")
	fl.Var(&f.source, "source", "Linux socket table source: auto, netlink or procfs")
	fl.StringVar(&f.servicesFile, "services", "", "extra service names in /etc/services syntax (default "+displayUserServicesPath()+")")
	fl.StringVar(&f.replay, "replay", "", "read sockets from a portwatch JSON file instead of the kernel")

}

// runList is the main job: collect, filter, sort and render.
func runList(ctx context.Context, f *listFlags, stdout, stderr io.Writer) error {
	if err := f.checkOutput(); err != nil {
		return err
	}
	wantOwners := f.wantOwners()
	opts := f.collectorOptions()

	reg, err := loadRegistry(f.servicesFile, stderr)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	snap, err := collect(ctx, f.replay, opts)
	if err != nil {
		return err
	}
	for _, w := range snap.Warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
	if wantOwners {
		keepOwnedBy(snap, f.pids.pids, f.processes.names)
		if n := collector.CountOwnerUnknown(snap, collector.OwnerPermission); n > 0 {
			fmt.Fprintln(stderr, hiddenOwnersNote(n, os.Geteuid() == 0))
		}
	}
	if err := render.Sort(snap.Sockets, f.sort, reg); err != nil {
		return usagef("invalid --sort %q: %v", f.sort, err)
	}

	ropts := render.Options{
		// tablewriter for people at a terminal; computed widths, the same
		// bytes, for pipes, files and tables too big to lay out cell by cell.
		Stream:   !isTerminal(stdout) || len(snap.Sockets) > streamRows,
		Owners:   f.owner || f.program,
		Extended: f.extended,
		Numeric:  f.numeric,
		NoHeader: f.noHeader,
		Services: reg,
		UserName: newUserCache().name,
	}
	return writeBuffered(stdout, func(out io.Writer) error {
		switch {
		case f.summary && f.format.value == "table":
			return render.Summary(out, snap, ropts)
		case f.format.value == "json":
			return render.JSON(out, snap, ropts)
		case f.format.value == "csv":
			return render.CSV(out, snap, ropts)
		}
		return render.Table(out, snap, ropts)
	})
}

// checkOutput folds --json into --format and checks --sort, for the list
// and watch modes alike.
func (f *listFlags) checkOutput() error {
	if f.json {
		if f.format.value != "table" && f.format.value != "json" {
			return usagef("--json conflicts with --format %s", f.format.value)
		}
		f.format.value = "json"
	}
	if f.sort != "" {
		if err := render.Sort(nil, f.sort, nil); err != nil {
			return usagef("invalid --sort %q: %v", f.sort, err)
		}
	}
	return nil
}

// wantOwners reports whether owners must be looked up: to show them or to
// filter on them.
func (f *listFlags) wantOwners() bool {
	return f.owner || f.program || len(f.pids.pids) > 0 || len(f.processes.names) > 0
}

// collectorOptions turns the flags into what the collector reads.
func (f *listFlags) collectorOptions() collector.Options {
	opts := collector.Options{
		Source: collector.Source(f.source.value),
		Owners: f.wantOwners(),
		Filter: collector.Filter{
			States:     stateFilter(f),
			Port:       f.port.port,
			LocalPort:  f.sport.port,
			RemotePort: f.dport.port,
		},
	}
	if opts.Source == "auto" {
		opts.Source = collector.SourceAuto
	}
	if f.tcp {
		opts.Protos = append(opts.Protos, collector.ProtoTCP)
	}
	if f.udp {
		opts.Protos = append(opts.Protos, collector.ProtoUDP)
	}
	if f.ipv4 {
		opts.Families = append(opts.Families, collector.FamilyIPv4)
	}
	if f.ipv6 {
		opts.Families = append(opts.Families, collector.FamilyIPv6)
	}
	return opts
}

// hiddenOwnersNote explains, once, the owners that could not be seen.
func hiddenOwnersNote(n int, root bool) string {
	what := fmt.Sprintf("%d sockets have hidden owners", n)
	if n == 1 {
		what = "1 socket has a hidden owner"
	}
	if root {
		return "portwatch: " + what + ": the kernel refused to show some processes' file descriptors even to root (a non-dumpable process or a security policy)"
	}
	return "portwatch: " + what + ": they belong to other users' processes; run as root (sudo portwatch ...) to see them"
}

// streamRows is the table size above which even a terminal gets the
// streaming table writer.
const streamRows = 2000

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// stateFilter turns -a, -l, -s and --state into the states to keep. Like
// netstat, the default is every socket that is not listening.
func stateFilter(f *listFlags) collector.StateSet {
	listening, _ := collector.ParseStates("listening")
	if f.states.set != 0 {
		set := f.states.set
		if f.listening {
			set &= listening
			if set == 0 {
				// --state named only states that -l excludes: show none.
				set = 1 << collector.StateUnknown
			}
		}
		return set
	}
	switch {
	case f.all, f.summary && !f.listening, f.watching && !f.listening:
		// -s counts every socket, like ss -s; watch mode shows every
		// socket, like TCPView, so that new listeners show too.
		return collector.AllStates
	case f.listening:
		return listening
	default:
		return collector.AllStates &^ listening
	}
}

// collect reads the socket table from the kernel, or from the snapshot
// file replayPath when it is not "" (--replay).
func collect(ctx context.Context, replayPath string, opts collector.Options) (*collector.Snapshot, error) {
	if replayPath != "" {
		return replay(replayPath, opts)
	}
	c, err := collector.New(opts)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return nil, failf("%v; use --replay FILE to read a snapshot taken elsewhere", err)
		}
		return nil, usagef("%v", err)
	}
	snap, err := c.Collect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, failf("interrupted")
		}
		return nil, failf("%v (try --source procfs, or check that /proc is mounted)", err)
	}
	return snap, nil
}

// replay reads a JSON snapshot and applies the same selection a collector
// would.
func replay(path string, opts collector.Options) (*collector.Snapshot, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, failf("cannot read --replay file: %v", err)
	}
	defer file.Close()
	snap, err := render.ReadJSON(bufio.NewReader(file))
	if err != nil {
		return nil, failf("%s is not a portwatch JSON snapshot: %v", path, err)
	}
	kept := snap.Sockets[:0]
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if opts.WantProto(s.Proto) && opts.WantFamily(s.Family) && opts.Filter.Match(s) {
			kept = append(kept, *s)
		}
	}
	snap.Sockets = kept
	return snap, nil
}

// keepOwnedBy drops the sockets that no process in pids or names holds.
// A process name matches its comm exactly, or a longer name that the
// kernel's 15-byte comm truncates.
func keepOwnedBy(snap *collector.Snapshot, pids []int, names []string) {
	if len(pids) == 0 && len(names) == 0 {
		return
	}
	match := func(o collector.Owner) bool {
		for _, p := range pids {
			if o.PID == p {
				return true
			}
		}
		for _, n := range names {
			if o.Process == n || (len(o.Process) == 15 && strings.HasPrefix(n, o.Process)) {
				return true
			}
		}
		return false
	}
	kept := snap.Sockets[:0]
	for _, s := range snap.Sockets {
		for _, o := range s.Owners {
			if match(o) {
				kept = append(kept, s)
				break
			}
		}
	}
	snap.Sockets = kept
}

// loadRegistry builds the service registry: embedded data, then the host's
// /etc/services, then the user's file. Lines that do not parse are warnings;
// a missing --services file is an error, a missing default file is not.
func loadRegistry(explicit string, stderr io.Writer) (*services.Registry, error) {
	reg := services.Default()
	load := func(path string, mustExist bool) error {
		err := reg.LoadFile(path, path)
		var fe *services.FileError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			for _, w := range fe.Warnings {
				fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
			}
		case errors.Is(err, fs.ErrNotExist) && !mustExist:
		case mustExist:
			return failf("cannot load --services file: %v", err)
		default:
			fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(err.Error()))
		}
		return nil
	}
	load("/etc/services", false)
	if explicit != "" {
		return reg, load(explicit, true)
	}
	if path := userServicesPath(); path != "" {
		load(path, false)
	}
	return reg, nil
}

// userServicesPath is the user's own services file, in the user's config
// directory ($XDG_CONFIG_HOME/portwatch/services on Linux).
func userServicesPath() string { return userConfigPath("services") }

// userConfigPath is the path of a file in portwatch's directory of the
// user's config directory, "" when there is none.
func userConfigPath(name string) string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "portwatch", name)
}

// writeBuffered runs write on a buffer over stdout and flushes it. A closed
// pipe is returned as is (it exits 0); other failures are runtime errors.
func writeBuffered(stdout io.Writer, write func(io.Writer) error) error {
	out := bufio.NewWriterSize(stdout, 64<<10)
	err := write(out)
	if err == nil {
		err = out.Flush()
	}
	if err != nil && !isBrokenPipe(err) {
		return failf("writing output: %v", err)
	}
	return err
}

func displayUserServicesPath() string {
	return displayPath(userServicesPath())
}

// displayPath shows a path under the home directory as ~/..., and "none"
// for "".
func displayPath(p string) string {
	if p != "" {
		if home, err := os.UserHomeDir(); err == nil && strings.HasPrefix(p, home+string(filepath.Separator)) {
			return "~" + p[len(home):]
		}
		return p
	}
	return "none"
}
