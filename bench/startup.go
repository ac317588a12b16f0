//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// On a small host the whole run of portwatch is start-up. The start-up
// scenario times short commands on the idle table (no bench load: only the
// host's own sockets) and on a small load, many rounds each, against
// `ss -tan` and against two floors: the Go floor, a Go hello world, what
// any Go binary costs to start and exit, and the dump floor, the Go floor
// plus the one sock_diag dump `portwatch -tan` asks the kernel for, so
// that what the kernel takes is told apart from what portwatch adds.

// idleTable is the start-up size of the idle table: no bench load.
const idleTable = 0

// The start-up targets: on the idle table `portwatch -tan` within
// targetOverFloor of the Go floor and at most targetIdleVsSS times
// `ss -tan`; at targetSockets sockets at most targetLoadVsSS times it.
const (
	targetOverFloor = 2 * time.Millisecond
	targetIdleVsSS  = 1.0
	targetSockets   = 2000
	targetLoadVsSS  = 0.8
)

// Start-up command roles.
const (
	rolePortwatch = "portwatch"
	roleSS        = "ss"
	roleFloor     = "floor"
	roleDumpFloor = "dump floor"
)

// StartupResult is the start-up scenario on one table.
type StartupResult struct {
	Table       string      `json:"table"`          // "idle table" or "2000 sockets"
	Size        int         `json:"size"`           // the bench's sockets; 0 for the idle table
	Load        *LoadResult `json:"load,omitempty"` // the bench's load; nil for the idle table
	HostSockets int         `json:"host_sockets"`   // TCP and UDP sockets in /proc/net before timing, the load's included
	LoadAvg     [2]string   `json:"loadavg"`        // /proc/loadavg before and after the rounds
	Rounds      int         `json:"rounds"`
	Warmup      int         `json:"warmup"`
	Floor       string      `json:"floor"`      // how the Go floor was built, or why it was not
	DumpFloor   string      `json:"dump_floor"` // what the dump floor is, or why it was not built

	Commands []StartupCommand `json:"commands"` // portwatch's, then ss -tan, then the Go floor and the dump floor

	// InstructionMethod is how instructions were counted ("perf",
	// "callgrind"), "" when they were not; InstructionNote says more, or
	// why not.
	InstructionMethod string `json:"instruction_method,omitempty"`
	InstructionNote   string `json:"instruction_note"`

	Targets []StartupTarget `json:"targets"` // none unless this is the idle table or targetSockets
}

// StartupCommand is one command of the start-up scenario over every round.
type StartupCommand struct {
	Role   string     `json:"role"` // rolePortwatch, roleSS, roleFloor or roleDumpFloor
	Timing ToolResult `json:"timing"`

	// Wall time against `ss -tan` and the floors, taken round by round
	// (see pair): portwatch's commands against all three, the dump floor
	// against the Go floor.
	VsSS           *Paired[float64]       `json:"vs_ss,omitempty"`               // this / ss -tan
	MinusFloor     *Paired[time.Duration] `json:"minus_floor_ns,omitempty"`      // this − the Go floor
	VsFloor        *Paired[float64]       `json:"vs_floor,omitempty"`            // this / the Go floor
	MinusDumpFloor *Paired[time.Duration] `json:"minus_dump_floor_ns,omitempty"` // this − the dump floor

	Instructions *InstructionCount `json:"instructions,omitempty"`
}

// Paired is one figure taken from two commands' runs of the same round,
// over every round in which both exited 0.
type Paired[T float64 | time.Duration] struct {
	Rounds    []T `json:"rounds"` // in round order
	Median    T   `json:"median"`
	Min       T   `json:"min"`
	Max       T   `json:"max"`
	OfMedians T   `json:"of_medians"` // the same figure from the two commands' median wall times, for comparison
}

// StartupTarget is one start-up target and where the median stands.
type StartupTarget struct {
	Target   string `json:"target"`        // in words
	Measured string `json:"measured"`      // the median compared with it, in words
	Met      *bool  `json:"met,omitempty"` // nil when nothing was measured
}

// tableName is "idle table" or "N sockets".
func tableName(size int) string {
	if size == idleTable {
		return "idle table"
	}
	return strconv.Itoa(size) + " sockets"
}

// startupCommands are the commands of the start-up scenario and their
// roles; a floor's path is "" when it could not be built.
func startupCommands(portwatch string, floors floorBins, tools map[string]string) ([]command, []string) {
	pw := func(args ...string) command { return command{Tool: "portwatch", Path: portwatch, Args: args} }
	return []command{
			pw("-tan"), pw("-tan", "--json"), pw("service", "443"),
			{Tool: "ss", Path: tools["ss"], Args: []string{"-tan"}},
			{Tool: "hello", Path: floors.hello},
			{Tool: "dump", Path: floors.dump},
		},
		[]string{rolePortwatch, rolePortwatch, rolePortwatch, roleSS, roleFloor, roleDumpFloor}
}

// runStartups builds the floor, picks the instruction counter and times
// the start-up scenario on each of cfg.StartupSizes in turn, appending to
// rep.Startup and writing the results files after each. On error, the
// report ends with the table that failed.
func runStartups(ctx context.Context, cfg config, r *runner, pw string, tools map[string]string, rep *Report) error {
	dir, err := os.MkdirTemp("", "portwatch-bench-floor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(cfg.Progress, "building the Go floor and the dump floor")
	floors, version, err := buildFloors(ctx, dir)
	floorText, dumpText := floorBuildText(version), dumpFloorText
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		why := "not built: " + strings.Join(strings.Fields(err.Error()), " ")
		if floors.hello == "" {
			floorText = why
		}
		dumpText = why
		fmt.Fprintf(cfg.Progress, "WARNING: %s\n", why)
	}
	probe := floors.hello
	if probe == "" {
		probe = pw
	}
	counter := newInstructionCounter(ctx, cfg.Instructions, probe, cfg.Timeout)
	fmt.Fprintf(cfg.Progress, "instructions: %s\n", counter.note)
	cmds, roles := startupCommands(pw, floors, tools)

	for _, size := range cfg.StartupSizes {
		st, err := runStartup(ctx, cfg, r, cmds, roles, counter, size)
		st.Floor, st.DumpFloor = floorText, dumpText
		rep.Startup = append(rep.Startup, st)
		if err != nil {
			return fmt.Errorf("start-up, %s: %w", st.Table, err)
		}
		writeStartupText(cfg.Stdout, st)
		if err := writeFiles(*rep, cfg.Out, cfg.JSONOut); err != nil {
			return err
		}
	}
	return nil
}

// runStartup times the start-up scenario on one table: the idle table
// as it is, or the bench's load of size sockets, set up and torn down
// around it.
func runStartup(ctx context.Context, cfg config, r *runner, cmds []command, roles []string, counter instructionCounter, size int) (StartupResult, error) {
	st := StartupResult{Table: tableName(size), Size: size, Rounds: cfg.StartupRounds, Warmup: cfg.Warmup,
		InstructionMethod: counter.method, InstructionNote: counter.note}
	timed := func() error {
		var err error
		if st.HostSockets, err = countHost(); err != nil {
			return err
		}
		st.LoadAvg[0] = loadAvg()
		sc := scenario{Name: "start-up, " + st.Table, Commands: cmds}
		res, err := runRounds(ctx, r, sc, cfg.StartupRounds, cfg.Warmup, cfg.Progress)
		st.LoadAvg[1] = loadAvg()
		for i, t := range res.Tools {
			st.Commands = append(st.Commands, StartupCommand{Role: roles[i], Timing: t})
		}
		if err != nil {
			return err
		}
		st.compare()
		for i, c := range cmds {
			fmt.Fprintf(cfg.Progress, "  start-up, %s: counting the instructions of %s\n", st.Table, c)
			st.Commands[i].Instructions = counter.count(ctx, c.Path, c.Args, cfg.Timeout)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if size == idleTable {
		return st, timed()
	}
	lr, err := onLoad(ctx, cfg, size, func(*LoadResult) error { return timed() })
	st.Load = &lr
	return st, err
}

// compare fills in portwatch's commands' figures against ss -tan and the
// floors, and the dump floor's against the Go floor, and sets the targets
// that apply to this table.
func (st *StartupResult) compare() {
	ss, floor, dump := st.command(roleSS), st.command(roleFloor), st.command(roleDumpFloor)
	ratio := func(a, b RunResult) float64 { return float64(a.Wall) / float64(b.Wall) }
	minus := func(a, b RunResult) time.Duration { return a.Wall - b.Wall }
	for i := range st.Commands {
		c := &st.Commands[i]
		switch c.Role {
		case rolePortwatch:
			c.VsSS = pair(c.Timing, ss, ratio)
			c.MinusDumpFloor = pair(c.Timing, dump, minus)
		case roleDumpFloor:
		default:
			continue
		}
		c.MinusFloor = pair(c.Timing, floor, minus)
		c.VsFloor = pair(c.Timing, floor, ratio)
	}
	st.Targets = startupTargets(st.Size, st.Commands)
}

// command is the timing of the command with role; a zero ToolResult
// when there is none.
func (st *StartupResult) command(role string) ToolResult {
	return commandOf(st.Commands, role).Timing
}

// commandOf is the first of cmds with role; a zero StartupCommand when
// there is none.
func commandOf(cmds []StartupCommand, role string) StartupCommand {
	for _, c := range cmds {
		if c.Role == role {
			return c
		}
	}
	return StartupCommand{}
}

// pair computes f over the runs of a and b of each round in which both
// exited 0 (the runs of a command that is installed are one per round,
// in round order), and its median, min and max; nil when there is no such
// round.
func pair[T float64 | time.Duration](a, b ToolResult, f func(a, b RunResult) T) *Paired[T] {
	p := &Paired[T]{}
	for i := range min(len(a.Runs), len(b.Runs)) {
		if a.Runs[i].OK() && b.Runs[i].OK() && b.Runs[i].Wall > 0 {
			p.Rounds = append(p.Rounds, f(a.Runs[i], b.Runs[i]))
		}
	}
	if len(p.Rounds) == 0 {
		return nil
	}
	p.Median, p.Min, p.Max = median(p.Rounds), slices.Min(p.Rounds), slices.Max(p.Rounds)
	p.OfMedians = f(RunResult{Wall: a.Median}, RunResult{Wall: b.Median})
	return p
}

// startupTargets are the targets that apply at size, each compared with
// the median per-round figure of `portwatch -tan` (the first command).
func startupTargets(size int, cmds []StartupCommand) []StartupTarget {
	if len(cmds) == 0 || (size != idleTable && size != targetSockets) {
		return nil
	}
	tan := cmds[0]
	vsSS := func(limit float64) StartupTarget {
		t := StartupTarget{Target: fmt.Sprintf("`%s` at most %.1fx `ss -tan`", tan.Timing.Command, limit)}
		if tan.VsSS == nil {
			t.Measured = "no round in which both exited 0"
			return t
		}
		met := tan.VsSS.Median <= limit
		t.Met, t.Measured = &met, fmt.Sprintf("median %.3fx", tan.VsSS.Median)
		return t
	}
	if size != idleTable {
		return []StartupTarget{vsSS(targetLoadVsSS)}
	}
	floor := StartupTarget{Target: fmt.Sprintf("`%s` within %s of the Go floor", tan.Timing.Command, fmtMs(targetOverFloor))}
	if tan.MinusFloor == nil {
		floor.Measured = "no round in which both exited 0"
	} else {
		met := tan.MinusFloor.Median <= targetOverFloor
		floor.Met, floor.Measured = &met, "median "+fmtMs(tan.MinusFloor.Median)+" over it"
		if kernel := commandOf(cmds, roleDumpFloor).MinusFloor; kernel != nil && tan.MinusDumpFloor != nil {
			floor.Measured += fmt.Sprintf(" (the dump floor, the kernel's walk of its socket tables, is %s over it; portwatch %s over the dump floor)",
				fmtMs(kernel.Median), fmtMs(tan.MinusDumpFloor.Median))
		}
	}
	return []StartupTarget{floor, vsSS(targetIdleVsSS)}
}

// targetsText names the targets and the tables they are set for.
func targetsText() string {
	return fmt.Sprintf("on the idle table `portwatch -tan` within %s of the Go floor and at most %.1fx `ss -tan`; at %d sockets at most %.1fx `ss -tan`",
		fmtMs(targetOverFloor), targetIdleVsSS, targetSockets, targetLoadVsSS)
}

// verdict is "met", "not met" or "not measured".
func (t StartupTarget) verdict() string {
	switch {
	case t.Met == nil:
		return "not measured"
	case *t.Met:
		return "met"
	default:
		return "not met"
	}
}

// fmtMs prints a duration in milliseconds: 2.00 ms, -0.21 ms.
func fmtMs(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}
