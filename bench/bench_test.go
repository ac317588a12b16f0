//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// The test binary doubles as the helper processes, as the bench binary does.
func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(helperMain(role))
	}
	os.Exit(m.Run())
}

func TestPlanLoad(t *testing.T) {
	o := loadOptions{Listeners: 20, UDP: 100, PerPort: 9000, MaxFDs: 19000}
	for _, size := range []int{122, 300, 2000, 20000, 120000, 1000000} {
		p, err := planLoad(size, o)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got := p.Total(); got != size && got != size-1 {
			t.Errorf("size %d: plan has %d sockets", size, got)
		}
		conns, accepted, dialed := 0, 0, 0
		for _, c := range p.PortConns {
			if c > o.PerPort {
				t.Errorf("size %d: %d connections on one port", size, c)
			}
			conns += c
		}
		seen := map[int]bool{}
		for i, s := range p.Servers {
			fds := s.UDP
			for _, j := range s.Listeners {
				if seen[j] {
					t.Errorf("size %d: listener %d in two servers", size, j)
				}
				seen[j] = true
				fds += 1 + p.PortConns[j]
				accepted += p.PortConns[j]
			}
			if fds > o.MaxFDs {
				t.Errorf("size %d: server %d holds %d sockets", size, i, fds)
			}
		}
		for i, c := range p.Clients {
			fds := 0
			for _, tg := range c.Targets {
				fds += tg.Count
			}
			if fds > o.MaxFDs {
				t.Errorf("size %d: client %d holds %d sockets", size, i, fds)
			}
			dialed += fds
		}
		if len(seen) != p.Listeners || conns != p.Pairs || accepted != p.Pairs || dialed != p.Pairs {
			t.Errorf("size %d: %d listeners placed of %d; %d pairs, %d per port, %d accepted, %d dialed",
				size, len(seen), p.Listeners, p.Pairs, conns, accepted, dialed)
		}
		if p.PortConns[0] == 0 || p.Servers[0].UDP != o.UDP {
			t.Errorf("size %d: listener 0 idle or UDP not in server 0: %+v", size, p)
		}
	}
	if _, err := planLoad(100, o); err == nil {
		t.Error("size 100 with 120 listeners and UDP sockets: no error")
	}
}

func TestParseProcNet(t *testing.T) {
	in := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1
`
	var got [][3]int
	err := parseProcNet(strings.NewReader(in), func(l, r, st int) { got = append(got, [3]int{l, r, st}) })
	want := [][3]int{{8080, 0, stListen}, {54321, 8080, stEstablished}}
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if err := parseProcNet(strings.NewReader("header\n 0: zz\n"), func(int, int, int) {}); err != nil {
		t.Errorf("short line: %v", err)
	}
	if err := parseProcNet(strings.NewReader("header\n 0: 1:XYZ 2:0 01\n"), func(int, int, int) {}); err == nil {
		t.Error("bad port: no error")
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int64{5, 1, 3}); got != 3 {
		t.Errorf("median of 5 1 3 = %d", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4 1 3 2 = %d", got)
	}
}

// syncWriter lets helpers' stderr and progress lines share a buffer.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
	// onWrite, if set, sees every write.
	onWrite func(string)
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.onWrite != nil {
		w.onWrite(string(p))
	}
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func tinyConfig(t *testing.T, progress *syncWriter) config {
	testenv.NeedProgram(t, "ss", "iproute2") // the benchmark compares portwatch with it
	dir := t.TempDir()
	return config{
		Sizes: []int{300}, Rounds: 1, Warmup: 0,
		StartupSizes: []int{idleTable, 300}, StartupRounds: 2, Instructions: countAuto, Netns: 3,
		Load:        loadOptions{Listeners: 20, UDP: 100, PerPort: 9000, MaxFDs: 19000},
		Concurrency: 16, Timeout: 2 * time.Minute, SetupTimeout: time.Minute,
		Out: filepath.Join(dir, "latest.md"), JSONOut: filepath.Join(dir, "latest.json"),
		Stdout: &bytes.Buffer{}, Progress: progress,
	}
}

// checkGone fails unless every helper of s has exited and none of its
// sockets is left.
func checkGone(t *testing.T, s LoadResult) {
	t.Helper()
	if len(s.HelperPIDs) == 0 || len(s.TCPPorts) == 0 {
		t.Fatalf("no helpers or ports recorded: %+v", s)
	}
	for _, pid := range s.HelperPIDs {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("helper %d still exists (kill 0: %v)", pid, err)
		}
	}
	left, err := countLoad(s.TCPPorts, s.UDPPorts)
	if err != nil || left.Sockets() != 0 {
		t.Errorf("after the run /proc/net still has %s (%v)", left, err)
	}
}

// TestTinyBench runs the whole benchmark once at 300 sockets: it checks
// that the load was there, every scenario timed portwatch, the results
// were written, and nothing was left behind. It asserts no timings.
func TestTinyBench(t *testing.T) {
	progress := &syncWriter{}
	cfg := tinyConfig(t, progress)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := run(ctx, cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes in the report, want 1", len(rep.Sizes))
	}
	s := rep.Sizes[0]
	checkGone(t, s.LoadResult)
	want := LoadCount{ServerEstablished: 90, ClientEstablished: 90, Listening: 20, UDPConnected: 50, UDPUnconnected: 50}
	if s.Before != want || s.After != want {
		t.Errorf("load before timing: %s; after: %s; want %s", s.Before, s.After, want)
	}
	names := []string{"table without owners", "table with owners", "owner of one port", "who owns one port", "JSON", "TCP internals", "every namespace"}
	if len(s.Scenarios) != len(names) {
		t.Fatalf("%d scenarios, want %d", len(s.Scenarios), len(names))
	}
	for i, sc := range s.Scenarios {
		if sc.Name != names[i] {
			t.Errorf("scenario %d is %q, want %q", i, sc.Name, names[i])
		}
		pw := sc.Tools[0]
		if pw.Tool != "portwatch" || len(pw.Runs) != 1 || !pw.Runs[0].OK() || pw.Median <= 0 || pw.Failed != 0 {
			t.Errorf("%s: portwatch result %+v", sc.Name, pw)
		}
		for _, tr := range sc.Tools[1:] {
			if !tr.Missing && (len(tr.Runs) != 1 || tr.Failed != 0) {
				t.Errorf("%s: %s result %+v", sc.Name, tr.Tool, tr)
			}
		}
	}

	ns := s.Scenarios[len(s.Scenarios)-1]
	if len(ns.Tools) != 2 || ns.Tools[0].Command != "portwatch -tuanp --netns all" || ns.Tools[1].Missing || !strings.Contains(ns.Tools[1].Command, "ip netns exec") ||
		ns.Tools[0].Lines < ns.Tools[1].Lines-3*3 || !strings.Contains(ns.Note, "3 namespaces") || !strings.Contains(ns.Note, "target at most 0.2x the ss loop: ") {
		t.Errorf("namespaces scenario: %+v", ns)
	}
	if out, err := exec.Command("ip", "netns", "list").Output(); err != nil || strings.Contains(string(out), netnsPrefix) {
		t.Errorf("namespaces left after the bench: %q %v", out, err)
	}

	checkWatchRefresh(t, s.WatchRefresh, "portwatch watch --json --changes-only -tan -o --interval 100ms --count N")
	checkWatchRefresh(t, s.WatchRatesRefresh, "portwatch watch --json --changes-only -tan -o --info --interval 100ms --count N")
	checkStartup(t, rep.Startup)

	md, err := os.ReadFile(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append([]string{"# portwatch benchmark", "## 300 sockets", "| scenario | tool |", "| portwatch | `portwatch -tan`",
		"### watch refresh", "### watch refresh with rates (--info)", "| CPU per steady-state refresh |", "Target: at most 0.300 s of CPU per steady-state refresh at 120000 sockets",
		"## start-up", "### start-up, idle table", "### start-up, 300 sockets", "| Go floor | `hello` |", "| dump floor | `dump` |", "| portwatch | `portwatch service 443` |",
		"Target: `portwatch -tan` within 2.00 ms of the Go floor", "- Dump floor: the Go floor plus", "- Instructions: ", "not compared on this table"}, names...) {
		if !bytes.Contains(md, []byte(w)) {
			t.Errorf("results file lacks %q:\n%s", w, md)
		}
	}
	var back Report
	if js, err := os.ReadFile(cfg.JSONOut); err != nil || json.Unmarshal(js, &back) != nil || len(back.Sizes) != 1 {
		t.Errorf("JSON results file unreadable: %v", err)
	} else if wr := back.Sizes[0].WatchRefresh; wr == nil || len(wr.CPUPerRefresh) != 1 || wr.FirstCPU != s.WatchRefresh.FirstCPU {
		t.Errorf("JSON results file lacks the watch refresh: %+v", wr)
	} else if len(back.Startup) != 2 || back.Startup[1].Load == nil || back.Startup[0].Commands[0].VsSS == nil ||
		back.Startup[0].Commands[0].VsSS.Median != rep.Startup[0].Commands[0].VsSS.Median {
		t.Errorf("JSON results file lacks the start-up scenario: %+v", back.Startup)
	}
	out := cfg.Stdout.(*bytes.Buffer).String()
	if !strings.Contains(out, "SCENARIO") || !strings.Contains(out, "portwatch -tanp") {
		t.Errorf("stdout lacks the table:\n%s", out)
	}
	if !strings.Contains(out, "watch refresh: portwatch watch") || !strings.Contains(out, "CPU per steady-state refresh ") {
		t.Errorf("stdout lacks the watch refresh:\n%s", out)
	}
	if !strings.Contains(out, "== start-up, idle table") || !strings.Contains(out, "-DUMP") || !strings.Contains(out, "dump floor: ") {
		t.Errorf("stdout lacks the start-up scenario:\n%s", out)
	}
}

// checkStartup checks the start-up scenario of the tiny bench (two
// rounds on the idle table and at 300 sockets): every command ran in
// every round, portwatch's were compared with ss and the floors round by
// round and the dump floor with the Go floor, the idle table's targets
// were measured, and each command's instructions were counted or said
// why not. It asserts no timings.
func checkStartup(t *testing.T, sts []StartupResult) {
	t.Helper()
	if len(sts) != 2 || sts[0].Size != idleTable || sts[1].Size != 300 || sts[0].Load != nil || sts[1].Load == nil {
		t.Fatalf("start-up tables: %+v", sts)
	}
	checkGone(t, *sts[1].Load)
	if sts[1].Load.Before.Sockets() != 300 || sts[0].HostSockets < 0 {
		t.Errorf("start-up at 300 sockets: load %s", sts[1].Load.Before)
	}
	wantCmds := []string{"portwatch -tan", "portwatch -tan --json", "portwatch service 443", "ss -tan", "hello", "dump"}
	for _, st := range sts {
		if len(st.Commands) != len(wantCmds) {
			t.Fatalf("%s: %d commands, want %d", st.Table, len(st.Commands), len(wantCmds))
		}
		for i, c := range st.Commands {
			tr := c.Timing
			if tr.Command != wantCmds[i] || len(tr.Runs) != 2 || tr.Failed != 0 || tr.Median <= 0 {
				t.Errorf("%s: command %d: %+v", st.Table, i, tr)
			}
			portwatch, dump := c.Role == rolePortwatch, c.Role == roleDumpFloor
			if portwatch != (i < 3) || dump != (i == 5) || (c.VsSS != nil) != portwatch || (c.MinusDumpFloor != nil) != portwatch ||
				(c.MinusFloor != nil) != (portwatch || dump) || (c.VsFloor != nil) != (portwatch || dump) {
				t.Errorf("%s: %s: role %q, comparisons %v %v %v %v", st.Table, tr.Command, c.Role, c.VsSS, c.MinusFloor, c.VsFloor, c.MinusDumpFloor)
			}
			if portwatch && (len(c.VsSS.Rounds) != 2 || c.VsSS.Median <= 0 || len(c.MinusFloor.Rounds) != 2 || c.VsFloor.OfMedians <= 0 || len(c.MinusDumpFloor.Rounds) != 2) {
				t.Errorf("%s: %s: per-round comparisons %+v %+v %+v %+v", st.Table, tr.Command, c.VsSS, c.MinusFloor, c.VsFloor, c.MinusDumpFloor)
			}
			if dump && len(c.MinusFloor.Rounds) != 2 {
				t.Errorf("%s: the dump floor against the Go floor: %+v", st.Table, c.MinusFloor)
			}
			// Counting may be unavailable here; then it says why.
			if ic := c.Instructions; ic == nil || (ic.Count > 0) == (ic.Unavailable != "") {
				t.Errorf("%s: %s: instructions %+v", st.Table, tr.Command, ic)
			} else if ic.Unavailable != "" {
				t.Logf("%s: %s: instructions not counted: %s", st.Table, tr.Command, ic.Unavailable)
			}
		}
		if st.InstructionNote == "" || !strings.Contains(st.Floor, "CGO_ENABLED=0") || st.DumpFloor != dumpFloorText {
			t.Errorf("%s: instruction note %q, floor %q, dump floor %q", st.Table, st.InstructionNote, st.Floor, st.DumpFloor)
		}
	}
	if tg := sts[0].Targets; len(tg) != 2 || tg[0].Met == nil || tg[1].Met == nil {
		t.Errorf("idle table targets: %+v", tg)
	}
	if tg := sts[1].Targets; len(tg) != 0 {
		t.Errorf("targets at 300 sockets: %+v", tg)
	}
}

// checkWatchRefresh checks the watch refresh of the tiny bench (one
// round): both watch runs exited 0 and used CPU, and their difference was
// taken. It asserts no timings: with one round and ten cheap refreshes,
// the per-refresh CPU can even come out below zero.
func checkWatchRefresh(t *testing.T, wr *WatchRefresh, want string) {
	t.Helper()
	if wr == nil {
		t.Fatal("no watch refresh in the result")
	}
	if wr.Rates != strings.Contains(want, "--info") {
		t.Errorf("watch refresh %q: rates %v", want, wr.Rates)
	}
	if wr.Command != want || wr.Extra != 10 || wr.Interval != 100*time.Millisecond {
		t.Errorf("watch refresh command %q, %d extra refreshes, interval %v; want %q, 10, 100ms", wr.Command, wr.Extra, wr.Interval, want)
	}
	for _, tr := range []ToolResult{wr.Short, wr.Long} {
		if len(tr.Runs) != 1 || tr.Failed != 0 || !tr.Runs[0].OK() || tr.Runs[0].CPU <= 0 || tr.CPU <= 0 || tr.Median <= 0 {
			t.Errorf("%s: result %+v", tr.Command, tr)
		}
	}
	if !strings.HasSuffix(wr.Short.Command, "--count 1") || !strings.HasSuffix(wr.Long.Command, "--count 11") {
		t.Errorf("watch commands %q and %q", wr.Short.Command, wr.Long.Command)
	}
	// Not a timing threshold: --count 11 sleeps out ten intervals.
	if len(wr.Long.Runs) == 1 && wr.Long.Runs[0].Wall < 10*wr.Interval {
		t.Errorf("--count 11 took %v: fewer than ten intervals of %v", wr.Long.Runs[0].Wall, wr.Interval)
	}
	if len(wr.CPUPerRefresh) != 1 || len(wr.WallPerRefresh) != 1 || wr.Failed() != 0 || len(wr.Short.Runs) != 1 {
		t.Fatalf("per-refresh values %v (CPU), %v (wall), %d failed rounds; want one each", wr.CPUPerRefresh, wr.WallPerRefresh, wr.Failed())
	}
	if wr.FirstCPU != wr.Short.Runs[0].CPU || wr.CPUMedian != wr.CPUPerRefresh[0] || wr.CPUMin != wr.CPUMax {
		t.Errorf("summary of one round: first CPU %v, per refresh median %v min %v max %v, runs %+v",
			wr.FirstCPU, wr.CPUMedian, wr.CPUMin, wr.CPUMax, wr.Short.Runs)
	}
	if wr.TargetSockets != 120000 || wr.TargetCPU != 300*time.Millisecond || wr.WithinTarget != nil {
		t.Errorf("target %d sockets, %v; within %v: want 120000, 300ms, nil at 300 sockets", wr.TargetSockets, wr.TargetCPU, wr.WithinTarget)
	}
}

// TestInterruptCleansUp cancels the run (as SIGINT does) during the first
// scenario and checks that the load is gone.
func TestInterruptCleansUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &syncWriter{onWrite: func(s string) {
		if strings.Contains(s, "round 1/") {
			cancel()
		}
	}}
	cfg := tinyConfig(t, progress)
	cfg.Out, cfg.JSONOut, cfg.StartupSizes = "", "", nil
	rep, err := run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled\n%s", err, progress)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes in the report, want 1", len(rep.Sizes))
	}
	checkGone(t, rep.Sizes[0].LoadResult)
}

// TestInterruptStartupCleansUp cancels the run during the start-up
// scenario's rounds on a load and checks that the load is gone.
func TestInterruptStartupCleansUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &syncWriter{onWrite: func(s string) {
		if strings.Contains(s, "start-up, 300 sockets: round 1/") {
			cancel()
		}
	}}
	cfg := tinyConfig(t, progress)
	cfg.Out, cfg.JSONOut, cfg.Sizes, cfg.StartupSizes = "", "", nil, []int{300}
	rep, err := run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled\n%s", err, progress)
	}
	if len(rep.Startup) != 1 || rep.Startup[0].Load == nil {
		t.Fatalf("start-up tables in the report: %+v", rep.Startup)
	}
	checkGone(t, *rep.Startup[0].Load)
}

func TestWatchRefreshSummary(t *testing.T) {
	run := func(cpu, wall time.Duration) RunResult { return RunResult{CPU: cpu, Wall: wall, Lines: -1} }
	failed := RunResult{Exit: 1, Error: "exit status 1", Lines: -1}
	ms := time.Millisecond
	w := WatchRefresh{
		Interval: 100 * ms, Extra: 10,
		Short: ToolResult{Runs: []RunResult{run(500*ms, 600*ms), run(520*ms, 610*ms), failed, run(480*ms, 590*ms)}},
		Long:  ToolResult{Runs: []RunResult{run(1500*ms, 1700*ms), run(510*ms, 1600*ms), run(900*ms, 1500*ms), run(3480*ms, 3590*ms)}},
	}
	w.Short.summarize()
	w.Long.summarize()
	w.summarize(120000)
	wantCPU := []time.Duration{100 * ms, -1 * ms, 300 * ms}
	if !slices.Equal(w.CPUPerRefresh, wantCPU) || w.CPUMedian != 100*ms || w.CPUMin != -ms || w.CPUMax != 300*ms {
		t.Errorf("CPU per refresh %v, median %v, min %v, max %v; want %v, 100ms, -1ms, 300ms", w.CPUPerRefresh, w.CPUMedian, w.CPUMin, w.CPUMax, wantCPU)
	}
	if w.WallMedian != 110*ms || w.Failed() != 1 || w.FirstCPU != 500*ms || w.FirstWall != 600*ms {
		t.Errorf("wall median %v, %d failed, first CPU %v, first wall %v; want 110ms, 1, 500ms, 600ms", w.WallMedian, w.Failed(), w.FirstCPU, w.FirstWall)
	}
	if w.WithinTarget == nil || !*w.WithinTarget || !strings.Contains(w.verdictText(), "0.100 s, is within it") {
		t.Errorf("at 120000 sockets a median of 100ms: within %v, %q", w.WithinTarget, w.verdictText())
	}
	if !strings.HasPrefix(w.statusText(), "FAILED 1/4") {
		t.Errorf("status %q", w.statusText())
	}
	w.summarize(2000)
	if w.WithinTarget != nil || !strings.Contains(w.verdictText(), "not compared") {
		t.Errorf("at 2000 sockets: within %v, %q", w.WithinTarget, w.verdictText())
	}
}

func TestRunnerReportsExitStatusAndLines(t *testing.T) {
	r, err := newRunner(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res := r.run(ctx, "/bin/sh", []string{"-c", "echo oops >&2; exit 3"}, false)
	if res.OK() || res.Exit != 3 || !strings.Contains(res.Error, "oops") {
		t.Errorf("failing command: %+v", res)
	}
	res = r.run(ctx, "/bin/sh", []string{"-c", "printf 'a\\nb\\n'"}, true)
	if !res.OK() || res.Lines != 2 || res.Wall <= 0 || res.MaxRSSKB <= 0 || res.CPU < 0 {
		t.Errorf("printing command: %+v", res)
	}
	res = r.run(ctx, "/nonexistent/tool", nil, false)
	if res.OK() || res.Error == "" {
		t.Errorf("missing command: %+v", res)
	}
}
