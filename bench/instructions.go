//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Instruction counts drift far less from run to run than times do. They
// come from perf's hardware counter where the machine has one, otherwise
// from callgrind, which simulates the CPU and counts every instruction
// (Ir) in user space, as instructions:u does.
const (
	perfRuns      = 5 // perf's counts vary a little: the median of this many runs
	callgrindRuns = 3 // callgrind's are exact, but a Go program's runtime threads do a little more or less work from run to run
)

// Instruction counting methods, as -instructions names them.
const (
	countAuto      = "auto" // perf if its counter works here, else callgrind
	countPerf      = "perf"
	countCallgrind = "callgrind"
	countNone      = "none"
)

// InstructionCount is the user-space instructions of one command.
type InstructionCount struct {
	Count       int64   `json:"count,omitempty"`       // the median of Runs; 0 when not counted
	Runs        []int64 `json:"runs,omitempty"`        // one count per run
	Unavailable string  `json:"unavailable,omitempty"` // why it was not counted
}

// instructionCounter counts the instructions of whole command runs with
// one method. Its zero value counts nothing.
type instructionCounter struct {
	method string // countPerf or countCallgrind; "" for none
	tool   string // perf's or valgrind's path
	event  string // perf's event
	note   string // the method in words, or why nothing can count here
}

// newInstructionCounter picks the counting method for mode (countAuto,
// countPerf, countCallgrind or countNone), trying each candidate on probe
// (a Go program, the pickiest case for callgrind) and falling back from
// perf to callgrind when auto. A counter that cannot count says why in
// its note.
func newInstructionCounter(ctx context.Context, mode, probe string, timeout time.Duration) instructionCounter {
	if mode == countNone {
		return instructionCounter{note: "not counted (-instructions none)"}
	}
	var why []string
	if mode == countAuto || mode == countPerf {
		c, err := perfCounter(ctx, probe, timeout)
		if err == nil {
			return c
		}
		why = append(why, "perf: "+err.Error())
	}
	if mode == countAuto || mode == countCallgrind {
		c, err := callgrindCounter(ctx, probe, timeout)
		if err == nil {
			if len(why) > 0 {
				c.note += "; " + strings.Join(why, "; ")
			}
			return c
		}
		why = append(why, "callgrind: "+err.Error())
	}
	return instructionCounter{note: "not available here: " + strings.Join(why, "; ")}
}

// perfCounter is perf's user-space instruction counter if it works here
// (a machine without hardware counters, such as most virtual machines,
// prints "<not supported>"), else the reason it does not.
func perfCounter(ctx context.Context, probe string, timeout time.Duration) (instructionCounter, error) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return instructionCounter{}, fmt.Errorf("not installed")
	}
	var why []string
	for _, event := range []string{"instructions:u", "instructions"} {
		c := instructionCounter{method: countPerf, tool: perf, event: event}
		if _, err := c.countOnce(ctx, probe, nil, timeout); err != nil {
			why = append(why, err.Error())
			continue
		}
		c.note = fmt.Sprintf("perf stat -e %s, the median of %d runs per command", event, perfRuns)
		return c, nil
	}
	return instructionCounter{}, fmt.Errorf("%s", strings.Join(why, "; "))
}

// callgrindCounter is callgrind if valgrind is installed and can count
// probe's instructions, else the reason it cannot.
func callgrindCounter(ctx context.Context, probe string, timeout time.Duration) (instructionCounter, error) {
	vg, err := exec.LookPath("valgrind")
	if err != nil {
		return instructionCounter{}, fmt.Errorf("valgrind is not installed")
	}
	c := instructionCounter{method: countCallgrind, tool: vg,
		note: fmt.Sprintf("valgrind --tool=callgrind (total Ir), the median of %d runs per command, Go programs with GODEBUG=asyncpreemptoff=1", callgrindRuns)}
	if _, err := c.countOnce(ctx, probe, nil, timeout); err != nil {
		return instructionCounter{}, err
	}
	return c, nil
}

// count counts path's instructions over the method's runs; a command
// that cannot be counted says why, and never fails the bench.
func (c instructionCounter) count(ctx context.Context, path string, args []string, timeout time.Duration) *InstructionCount {
	switch {
	case c.method == "":
		return &InstructionCount{Unavailable: c.note}
	case path == "":
		return &InstructionCount{Unavailable: "no binary to run"}
	}
	runs := perfRuns
	if c.method == countCallgrind {
		runs = callgrindRuns
	}
	ic := &InstructionCount{}
	for range runs {
		n, err := c.countOnce(ctx, path, args, timeout)
		if err != nil && ctx.Err() == nil {
			// A second chance: callgrind's failures with Go programs
			// come and go with the timing of signals.
			n, err = c.countOnce(ctx, path, args, timeout)
		}
		if err != nil {
			return &InstructionCount{Unavailable: err.Error()}
		}
		ic.Runs = append(ic.Runs, n)
	}
	ic.Count = median(ic.Runs)
	return ic
}

// countOnce runs path once under the counter, stdout to /dev/null, in the
// environment of a timed run, and returns its instruction count.
func (c instructionCounter) countOnce(ctx context.Context, path string, args []string, timeout time.Duration) (int64, error) {
	dir, err := os.MkdirTemp("", "portwatch-bench-count-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "count.out")
	var argv []string
	env := commandEnv()
	switch c.method {
	case countPerf:
		argv = []string{"stat", "-x", ",", "-e", c.event, "-o", out, "--", path}
	case countCallgrind:
		// Go's asynchronous preemption signals trip an assertion in
		// callgrind (threads.c, vgCallgrind_post_signal); without them
		// the scheduler preempts at function calls only, which changes
		// nothing for a run this short. ss ignores the variable.
		argv = []string{"--tool=callgrind", "--callgrind-out-file=" + out, "--log-file=" + filepath.Join(dir, "valgrind.log"), path}
		env = append(env, "GODEBUG="+joinGODEBUG(os.Getenv("GODEBUG"), "asyncpreemptoff=1"))
	default:
		return 0, fmt.Errorf("no instruction counter")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.tool, append(argv, args...)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	cmd.Stdout = devnull
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return 0, fmt.Errorf("%s: timed out after %v", c.method, timeout)
	}
	if runErr != nil {
		msg := firstTextLine(stderr.String())
		if c.method == countCallgrind {
			log, _ := os.ReadFile(filepath.Join(dir, "valgrind.log"))
			msg = valgrindProblem(string(log))
		}
		return 0, fmt.Errorf("%s %s: %v: %s", c.method, filepath.Base(path), runErr, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return 0, fmt.Errorf("%s %s wrote no counts: %v", c.method, filepath.Base(path), err)
	}
	if c.method == countPerf {
		return parsePerfCount(string(b), c.event)
	}
	return parseCallgrindTotal(string(b))
}

// parsePerfCount reads event's count from `perf stat -x ,` output
// ("1234567,,instructions:u,812345,100.00,,"). A counter the machine or
// the kernel does not offer reads "<not supported>" or "<not counted>".
func parsePerfCount(out, event string) (int64, error) {
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimSpace(line), ",")
		if strings.HasPrefix(line, "#") || len(f) < 3 || f[2] != event {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %s", event, f[0])
		}
		return n, nil
	}
	return 0, fmt.Errorf("perf stat printed no %s line: %q", event, firstTextLine(out))
}

// parseCallgrindTotal reads the total instruction count ("summary: N",
// or "totals: N" in older files) from a callgrind output file.
func parseCallgrindTotal(out string) (int64, error) {
	for _, key := range []string{"summary:", "totals:"} {
		for line := range strings.Lines(out) {
			if v, ok := strings.CutPrefix(line, key); ok {
				f := strings.Fields(v)
				if len(f) == 0 {
					break
				}
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("callgrind output: bad %s line %q", key, strings.TrimSpace(line))
				}
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("callgrind output has no summary or totals line")
}

// valgrindPID is the "==1234== " prefix of valgrind's log lines.
var valgrindPID = regexp.MustCompile(`^==\d+==\s?`)

// valgrindProblem picks the line of a valgrind log that says what went
// wrong (an assertion, a fatal error), else its last line.
func valgrindProblem(log string) string {
	last := ""
	for line := range strings.Lines(log) {
		line = strings.TrimSpace(valgrindPID.ReplaceAllString(line, ""))
		if line == "" {
			continue
		}
		for _, w := range []string{"Assertion", "Fatal", "valgrind:", "error", "Error"} {
			if strings.Contains(line, w) {
				return line
			}
		}
		last = line
	}
	if last == "" {
		return "no log"
	}
	return last
}

// joinGODEBUG adds setting to a GODEBUG value.
func joinGODEBUG(godebug, setting string) string {
	if godebug == "" {
		return setting
	}
	return godebug + "," + setting
}

// firstTextLine is the first non-empty line of s, trimmed.
func firstTextLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// fmtCount prints 1234567 as 1,234,567.
func fmtCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
