//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStartupSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"idle,2000", []int{idleTable, 2000}, true},
		{" idle ", []int{idleTable}, true},
		{"300", []int{300}, true},
		{"none", nil, true},
		{"", nil, true},
		{"idle,none", nil, false},
		{"idle,0", nil, false},
		{"idel", nil, false},
	} {
		got, err := parseStartupSizes(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("parseStartupSizes(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got, err := parseSizes("none"); err != nil || got != nil {
		t.Errorf("parseSizes(none) = %v, %v", got, err)
	}
}

func TestParsePerfCount(t *testing.T) {
	out := "# started on Mon Dec  7 03:00:00 2026\n\n1234567,,instructions:u,812345,100.00,,\n"
	if n, err := parsePerfCount(out, "instructions:u"); err != nil || n != 1234567 {
		t.Errorf("counted: %d, %v", n, err)
	}
	// A machine without hardware counters (most virtual machines).
	_, err := parsePerfCount("<not supported>,,instructions:u,0,100.00,,\n", "instructions:u")
	if err == nil || !strings.Contains(err.Error(), "<not supported>") {
		t.Errorf("not supported: %v", err)
	}
	if _, err := parsePerfCount("1,,cycles:u,1,100.00,,\n", "instructions:u"); err == nil {
		t.Error("no instructions line: no error")
	}
}

func TestParseCallgrindTotal(t *testing.T) {
	out := "# callgrind format\nversion: 1\ncmd: /x/hello\nevents: Ir\nfl=(1) ???\nfn=(1) 0x401000\n1 3\n\nsummary: 331146\n\n\ntotals: 331146\n"
	if n, err := parseCallgrindTotal(out); err != nil || n != 331146 {
		t.Errorf("summary: %d, %v", n, err)
	}
	if n, err := parseCallgrindTotal("events: Ir\ntotals: 42\n"); err != nil || n != 42 {
		t.Errorf("totals only: %d, %v", n, err)
	}
	if _, err := parseCallgrindTotal("events: Ir\n"); err == nil {
		t.Error("no total: no error")
	}
	log := "==12== Callgrind, a call-graph generating cache profiler\n==12== Command: /x/portwatch -tan\n\n" +
		"Callgrind: threads.c:247 (vgCallgrind_post_signal): Assertion 'sigNum == vgCallgrind_current_state.sig' failed.\n\nhost stacktrace:\n"
	if got := valgrindProblem(log); !strings.HasPrefix(got, "Callgrind: threads.c:247") {
		t.Errorf("valgrindProblem = %q", got)
	}
}

func TestInstructionCounterNone(t *testing.T) {
	c := newInstructionCounter(context.Background(), countNone, "/bin/true", time.Minute)
	ic := c.count(context.Background(), "/bin/true", nil, time.Minute)
	if c.method != "" || ic.Count != 0 || !strings.Contains(ic.Unavailable, "-instructions none") {
		t.Errorf("counter %+v counted %+v", c, ic)
	}
}

// TestStartupCompare checks the round-by-round comparisons and the
// targets on made-up runs.
func TestStartupCompare(t *testing.T) {
	ms := time.Millisecond
	tool := func(walls ...time.Duration) ToolResult {
		var tr ToolResult
		for _, w := range walls {
			r := RunResult{Wall: w, Lines: -1}
			if w == 0 {
				r = RunResult{Exit: 1, Error: "exit status 1", Lines: -1}
			}
			tr.Runs = append(tr.Runs, r)
		}
		tr.summarize()
		return tr
	}
	st := StartupResult{Size: idleTable, Commands: []StartupCommand{
		{Role: rolePortwatch, Timing: tool(6*ms, 4*ms, 0, 9*ms)},
		{Role: roleSS, Timing: tool(8*ms, 5*ms, 7*ms, 9*ms)},
		{Role: roleFloor, Timing: tool(3*ms, 2*ms, 2*ms, 4*ms)},
		{Role: roleDumpFloor, Timing: tool(5*ms, 3*ms, 4*ms, 6*ms)},
	}}
	st.Commands[0].Timing.Command = "portwatch -tan"
	st.compare()
	pw := st.Commands[0]
	if want := []float64{0.75, 0.8, 1}; !slices.Equal(pw.VsSS.Rounds, want) || pw.VsSS.Median != 0.8 || pw.VsSS.Min != 0.75 || pw.VsSS.Max != 1 {
		t.Errorf("vs ss: %+v, want rounds %v, median 0.8", pw.VsSS, want)
	}
	if want := []time.Duration{3 * ms, 2 * ms, 5 * ms}; !slices.Equal(pw.MinusFloor.Rounds, want) || pw.MinusFloor.Median != 3*ms {
		t.Errorf("minus floor: %+v, want rounds %v, median 3ms", pw.MinusFloor, want)
	}
	// The ratio of the medians differs from the median of the ratios.
	if pw.VsSS.OfMedians != float64(6*ms)/float64(7500*time.Microsecond) || pw.VsFloor.Median != 2 {
		t.Errorf("vs ss of medians %v, vs floor median %v", pw.VsSS.OfMedians, pw.VsFloor.Median)
	}
	if st.Commands[1].VsSS != nil || st.Commands[2].MinusFloor != nil || st.Commands[1].MinusFloor != nil {
		t.Error("ss or the floor compared with itself")
	}
	// The dump floor is set against the Go floor (the kernel's share),
	// portwatch against the dump floor (what it adds), round by round.
	dump := st.Commands[3]
	if want := []time.Duration{2 * ms, 1 * ms, 2 * ms, 2 * ms}; !slices.Equal(dump.MinusFloor.Rounds, want) || dump.MinusFloor.Median != 2*ms ||
		dump.VsSS != nil || dump.MinusDumpFloor != nil {
		t.Errorf("dump floor: %+v, want rounds %v, median 2ms, nothing else", dump.MinusFloor, want)
	}
	if want := []time.Duration{1 * ms, 1 * ms, 3 * ms}; !slices.Equal(pw.MinusDumpFloor.Rounds, want) || pw.MinusDumpFloor.Median != 1*ms {
		t.Errorf("minus dump floor: %+v, want rounds %v, median 1ms", pw.MinusDumpFloor, want)
	}
	tg := st.Targets
	if len(tg) != 2 || tg[0].Met == nil || *tg[0].Met || tg[1].Met == nil || !*tg[1].Met ||
		tg[0].Measured != "median 3.00 ms over it (the dump floor, the kernel's walk of its socket tables, is 2.00 ms over it; portwatch 1.00 ms over the dump floor)" ||
		tg[1].Measured != "median 0.800x" {
		t.Fatalf("idle targets: %+v", tg)
	}
	if tg[0].verdict() != "not met" || tg[1].verdict() != "met" || !strings.Contains(tg[0].Target, "within 2.00 ms of the Go floor") {
		t.Errorf("idle targets: %q %q %q", tg[0].Target, tg[0].verdict(), tg[1].verdict())
	}

	st.Size = targetSockets
	st.compare()
	if tg := st.Targets; len(tg) != 1 || tg[0].Met == nil || !*tg[0].Met || tg[0].Target != "`portwatch -tan` at most 0.8x `ss -tan`" {
		t.Errorf("targets at %d sockets, median 0.8x: %+v", targetSockets, tg)
	}
	st.Size = 300
	st.compare()
	if len(st.Targets) != 0 {
		t.Errorf("targets at 300 sockets: %+v", st.Targets)
	}
	st.Commands[1].Timing = ToolResult{Missing: true}
	st.Commands[3].Timing = ToolResult{Missing: true}
	st.Size = idleTable
	st.compare()
	if st.Commands[0].VsSS != nil || st.Targets[1].Met != nil || st.Targets[1].verdict() != "not measured" {
		t.Errorf("without ss: %+v, %+v", st.Commands[0].VsSS, st.Targets)
	}
	if st.Commands[0].MinusDumpFloor != nil || st.Targets[0].Measured != "median 3.00 ms over it" {
		t.Errorf("without the dump floor: %+v, %q", st.Commands[0].MinusDumpFloor, st.Targets[0].Measured)
	}
}

func TestFmtCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", 36550148: "36,550,148"} {
		if got := fmtCount(n); got != want {
			t.Errorf("fmtCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestFloorsRun builds both floors and runs them on real loopback sockets:
// the Go floor prints its line, and the dump floor's kernel dump holds
// at least the sockets this test holds open, on 127.0.0.1 and ::1.
func TestFloorsRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bins, version, err := buildFloors(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "go") || !strings.Contains(floorBuildText(version), version) {
		t.Errorf("toolchain %q, build text %q", version, floorBuildText(version))
	}
	if out, err := exec.CommandContext(ctx, bins.hello).Output(); err != nil || string(out) != "hello, world\n" {
		t.Errorf("Go floor: %q, %v", out, err)
	}

	const pairs = 20
	held := 0
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		held++
		for range pairs {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			held += 2
		}
	}
	out, err := exec.CommandContext(ctx, bins.dump).Output()
	if err != nil {
		t.Fatalf("dump floor: %v: %s", err, out)
	}
	var n int
	if _, err := fmt.Sscanf(string(out), "%d TCP sockets\n", &n); err != nil || n < held {
		t.Errorf("dump floor printed %q (%v): want at least the %d sockets this test holds", out, err, held)
	}
}
