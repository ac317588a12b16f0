package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/routes"
	"github.com/portwatch/portwatch/services"
)

// listFlags are the flags of the main job: list sockets.
type listFlags struct {
	statistics             bool // --statistics: portwatch stats, as netstat -s
	route                  bool // -r: portwatch routes, as netstat -r
	all, listening         bool
	tcp, udp               bool
	ipv4, ipv6             bool
	numeric                bool
	owner, program         bool
	extended               bool
	info                   bool // -i: sockets' internals
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
	netns                  string
	container              string
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
		source: choiceValue{value: "auto", choices: sourceChoices(runtime.GOOS)},
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
			if f.route {
				return runRoutes(routes.Options{Family: routeFamily(f.ipv4, f.ipv6)}, f.format.value == "json" || f.json, stdout)
			}
			if f.statistics {
				return runStats(cmd.Context(), f.format.value == "json" || f.json, stdout, stderr)
			}
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
	fl.VarP(&f.continuous, "continuous", "c", "refresh continuously, every INTERVAL (-c 2, -c=500ms; default 1s), like portwatch watch")
	fl.Lookup("continuous").NoOptDefVal = "1s"
	bindWatchFlags(fl, f)
	fl.BoolVarP(&f.route, "route", "r", false, "the routing table, as netstat -r (-rn): the same as portwatch routes (with -4, -6, --json)")
	fl.BoolVar(&f.statistics, "statistics", false, "protocol counters, as netstat --statistics: the same as portwatch stats (with --json)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of this run to FILE (for go tool pprof)")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile at the end of this run to FILE")
	fl.MarkHidden("cpuprofile")
	fl.MarkHidden("memprofile")

	cmd.AddCommand(newWatchCommand(f, stdout, stderr), newWhoCommand(stdout), newAuditCommand(stdout),
		newCloseCommand(stdout), newServiceCommand(stdout), newVersionCommand(stdout), newServeCommand(stdout),
		newStatsCommand(stdout, stderr), newInterfacesCommand(stdout), newRoutesCommand(stdout))
	return cmd
}

// noInternalsReason says why -i gives nothing on this system.
func noInternalsReason() string {
	if runtime.GOOS == "windows" {
		return "socket internals come from Windows' extended TCP statistics (GetPerTcpConnectionEStats), which this system does not have"
	}
	return "socket internals come from Linux's sock_diag, the socket lists of macOS and FreeBSD and Windows' extended TCP statistics; they are not available on " + runtime.GOOS
}

// joinContinuousValue lets -c take its interval as the next word, as
// people write it (portwatch -c 2): pflag gives a flag whose value is
// optional only in the -c=2 form, and would take the 2 for a stray
// argument. It rewrites "-c WORD", "--continuous WORD" and a cluster
// ending in c ("-ac WORD") into the = form when WORD is not a flag or a
// subcommand, so that a WORD that is not an interval is reported as -c's
// bad value. It reads only the root command's own flags: it stops at the
// first other word (a subcommand or a stray argument) and at "--", and a
// flag's value is never taken for a flag.
func joinContinuousValue(root *cobra.Command, args []string) []string {
	root.InitDefaultHelpFlag()
	fl := root.Flags()
	cont := fl.Lookup("continuous")
	joinable := func(i int) bool {
		if i >= len(args) || strings.HasPrefix(args[i], "-") {
			return false
		}
		for _, c := range root.Commands() {
			if c.Name() == args[i] || c.HasAlias(args[i]) {
				return false
			}
		}
		return true
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		switch {
		case a == "--" || a == "-" || !strings.HasPrefix(a, "-"):
			return append(out, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			if strings.Contains(a, "=") {
				continue
			}
			flag := fl.Lookup(a[2:])
			switch {
			case flag == nil:
			case flag == cont && joinable(i+1):
				out[len(out)-1] = a + "=" + args[i+1]
				i++
			case flag.NoOptDefVal == "" && i+1 < len(args):
				out = append(out, args[i+1]) // the flag's value
				i++
			}
		default:
			// A cluster of shorthands: bool flags, then at most one that
			// takes a value, inline or as the next word.
			for j := 1; j < len(a); j++ {
				flag := fl.ShorthandLookup(a[j : j+1])
				if flag == nil || j+1 < len(a) && a[j+1] == '=' {
					break
				}
				last := j == len(a)-1
				if flag == cont && last && joinable(i+1) {
					out[len(out)-1] = a + "=" + args[i+1]
					i++
					break
				}
				if flag.NoOptDefVal == "" {
					if last && i+1 < len(args) {
						out = append(out, args[i+1])
						i++
					}
					break
				}
			}
		}
	}
	return out
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
	fl.BoolVarP(&f.info, "info", "i", false, "TCP internals (rtt, cwnd, bytes, retransmits, congestion control) and socket memory (Linux; what macOS, FreeBSD and Windows' extended statistics report)")
	fl.BoolVarP(&f.summary, "summary", "s", false, "socket counts per protocol, family and state, as ss -s (a table, --json or --format csv; netstat -s's protocol counters are portwatch stats)")
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
	fl.Var(&f.source, "source", "where the socket table comes from: "+strings.Join(f.source.choices, ", "))
	fl.StringVar(&f.servicesFile, "services", "", "extra service names in /etc/services syntax (default "+displayUserServicesPath()+")")
	fl.StringVar(&f.replay, "replay", "", "read sockets from a portwatch JSON file instead of the kernel (watch: read at every refresh)")
	bindNetnsFlag(fl, &f.netns)
	fl.StringVar(&f.container, "container", "", "only sockets held by processes in this container: its name, pod name or id prefix (Linux; implies owners)")

}

// needsServices reports whether the list shows or sorts by service names:
// every format but the numeric table and the summary does, and a
// --services file given is read to check it whatever the format.
func (f *listFlags) needsServices() bool {
	switch {
	case f.servicesFile != "":
		return true
	case f.summary:
		return false
	case f.format.value == "json" || f.format.value == "csv":
		return true
	}
	return !f.numeric || strings.EqualFold(strings.TrimSpace(f.sort), "service")
}

// runList is the main job: collect, filter, sort and render.
func runList(ctx context.Context, f *listFlags, stdout, stderr io.Writer) error {
	if err := f.checkOutput(); err != nil {
		return err
	}
	opts := f.collectorOptions()
	if err := setNamespaces(&opts, f.netns, f.replay); err != nil {
		return err
	}
	if err := f.checkContainer(); err != nil {
		return err
	}
	if f.container != "" {
		opts.Owners = true
	}

	var reg render.ServiceNamer // nil: no names wanted
	if f.needsServices() {
		r, err := loadRegistry(f.servicesFile, stderr)
		if err != nil {
			return err
		}
		reg = r
	}

	if opts.Info && !collector.InternalsAvailable() {
		fmt.Fprintln(stderr, "portwatch: -i: "+noInternalsReason()+" (the sockets are listed without them)")
	}
	snap, err := collect(ctx, f.replay, opts)
	if err != nil {
		return err
	}
	for _, w := range snap.Warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
	if opts.Owners || opts.Filter.OwnerFiltered() {
		if n := collector.CountOwnerUnknown(snap, collector.OwnerPermission); n > 0 {
			fmt.Fprintln(stderr, hiddenOwnersNote(n, os.Geteuid() == 0))
		}
	}
	var inContainer func(int) (containers.Info, bool)
	var forward func(*collector.Socket) (containers.Forward, bool)
	anyContainer, anyForward := false, false
	if opts.Owners && f.replay == "" {
		namer := containers.NewNamer("")
		inContainer, anyContainer = ownerContainers(snap.Sockets, namer)
		forward, anyForward = publishedPorts(snap.Sockets, homeNetns(snap), namer)
	}
	if f.container != "" {
		snap.Sockets = keepContainer(snap.Sockets, f.container, inContainer)
	}
	if err := render.Sort(snap.Sockets, f.sort, reg); err != nil {
		return usagef("invalid --sort %q: %v", f.sort, err)
	}

	ropts := render.Options{
		Container:       inContainer,
		Forward:         forward,
		ContainerColumn: anyContainer || anyForward,
		Owners:          f.owner || f.program,
		Extended:        f.extended,
		Numeric:         f.numeric,
		NoHeader:        f.noHeader,
		Services:        reg,
		UserName:        newUserCache().name,
		Netns:           len(snap.Namespaces) > 1,
	}
	write := render.Table
	switch {
	case f.summary && f.format.value == "json":
		write = render.SummaryJSON
	case f.summary && f.format.value == "csv":
		write = render.SummaryCSV
	case f.summary:
		write = render.Summary
	case f.format.value == "json":
		write = render.JSON
	case f.format.value == "csv":
		write = render.CSV
	}
	return writeBuffered(stdout, func(out io.Writer) error { return write(out, snap, ropts) })
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
	return f.owner || f.program || len(f.pids.pids) > 0 || len(f.processes.names) > 0 || f.container != ""
}

// checkContainer checks --container: containers are found from Linux
// cgroups, and a snapshot file does not say which container a process was
// in. It checks -i too, which a snapshot file does not carry either.
func (f *listFlags) checkContainer() error {
	if f.info && f.replay != "" {
		return usagef("--info conflicts with --replay: internals are read from the kernel, a snapshot file is not read back with them")
	}
	switch {
	case f.container == "":
	case runtime.GOOS != "linux":
		return usagef("invalid --container %q: containers are found from Linux cgroups; %s has none", f.container, runtime.GOOS)
	case f.replay != "":
		return usagef("--container conflicts with --replay: a snapshot file does not say which container a process was in")
	}
	return nil
}

// collectorOptions turns the flags into what the collector reads. Owners
// are looked up to be shown (-o, -p, never with -s, which shows only
// counts) or for --pid and --process, which the collector applies.
func (f *listFlags) collectorOptions() collector.Options {
	opts := collector.Options{
		Source: collector.Source(f.source.value),
		Owners: (f.owner || f.program) && !f.summary,
		Info:   f.info && !f.summary,
		Filter: collector.Filter{
			States:     stateFilter(f),
			Port:       f.port.port,
			LocalPort:  f.sport.port,
			RemotePort: f.dport.port,
			PIDs:       f.pids.pids,
			Processes:  f.processes.names,
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
	c, err := newCollector(replayPath, opts)
	if err != nil {
		return nil, err
	}
	snap, err := c.Collect(ctx)
	if err != nil {
		return nil, collectError(ctx, err, opts.Source)
	}
	return snap, nil
}

// newCollector returns the collector of opts: a replayCollector over
// replayPath when it is not "" (--replay), else the kernel's. Its errors
// are the command's: a platform without a collector is a runtime error
// that suggests --replay, options the platform refuses a usage error.
func newCollector(replayPath string, opts collector.Options) (collector.Collector, error) {
	if replayPath != "" {
		return &replayCollector{path: replayPath, opts: opts}, nil
	}
	c, err := collector.New(opts)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return nil, failf("%v; use --replay FILE to read a snapshot taken elsewhere", err)
		}
		return nil, usagef("%v", err)
	}
	return c, nil
}

// collectError is the command's error for a Collect that failed: the
// interruption, a bad --replay file as it is, or a runtime error with the
// hint of this platform and source.
func collectError(ctx context.Context, err error, source collector.Source) error {
	var ue *usageError
	switch {
	case ctx.Err() != nil:
		return failf("interrupted")
	case errors.As(err, &ue):
		return err
	}
	return failf("%v (%s)", err, collectHint(runtime.GOOS, source))
}

// sourceChoices are the --source values of goos: auto, then the sources
// its collector has.
func sourceChoices(goos string) []string {
	switch goos {
	case "linux":
		return []string{"auto", string(collector.SourceNetlink), string(collector.SourceProcfs)}
	case "windows":
		return []string{"auto", string(collector.SourceIPHelper)}
	case "darwin", "freebsd":
		return []string{"auto", string(collector.SourceSysctl)}
	}
	return []string{"auto"}
}

// collectHint says what to do when the socket table of goos cannot be
// read from source, naming the sources that platform really has.
func collectHint(goos string, source collector.Source) string {
	switch goos {
	case "linux":
		if source == collector.SourceNetlink {
			return "try --source procfs, which reads /proc/net instead of netlink"
		}
		return "check that /proc is mounted and readable"
	case "windows":
		return "portwatch reads the tables through the IP Helper API (GetExtendedTcpTable, GetExtendedUdpTable), " +
			"the only source on Windows; try again, and if it persists report it with the output of portwatch version"
	case "darwin":
		return "portwatch reads the sysctls net.inet.tcp.pcblist_n and net.inet.udp.pcblist_n; " +
			"check that sysctl -x net.inet.tcp.pcblist_n works here"
	case "freebsd":
		return "portwatch reads the sysctls net.inet.tcp.pcblist, net.inet.udp.pcblist and kern.file; " +
			"check that sysctl -x net.inet.tcp.pcblist works here (a jail may hide it)"
	}
	return "portwatch has no socket collector for " + goos + "; use --replay FILE to read a snapshot taken elsewhere"
}

// loadRegistry builds the service registry (services.Load): the built-in
// names, then the host's /etc/services, then the user's file, explicit
// (--services) or the default one. Its warnings go to stderr; an explicit
// file that cannot be read is a runtime error.
func loadRegistry(explicit string, stderr io.Writer) (*services.Registry, error) {
	files := services.Files{System: services.SystemFile, User: explicit, UserRequired: explicit != ""}
	if explicit == "" {
		files.User = userServicesPath()
	}
	reg, warnings, err := services.Load(files)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
	if err != nil {
		return nil, failf("cannot load --services file: %s", render.Sanitize(err.Error()))
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
