//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// roleLauncher is the helper that starts the timed commands. A child's
// peak RSS as the kernel reports it is never below the peak RSS of the
// process that started it (Go starts children with vfork, and exec keeps
// the larger of the two high-water marks), so each command is started by
// a fresh launcher process rather than by the bench itself, whose peak
// grows with the load it reads. The launcher reports its own peak as the
// floor under the command's.
const roleLauncher = "launcher"

// launchRequest asks the launcher to run one command.
type launchRequest struct {
	Path       string        `json:"path"`
	Args       []string      `json:"args"`
	CountLines bool          `json:"count_lines"` // count stdout's lines instead of sending it to /dev/null
	Timeout    time.Duration `json:"timeout"`
}

// launcherMain serves launchRequests from stdin, one RunResult per line on
// stdout, until stdin closes (the bench sends one request per launcher).
func launcherMain() int {
	// Collect garbage early: the launcher's peak RSS is the floor of every
	// command's, so its heap must not grow to the runtime's default 4 MB
	// before the first collection.
	debug.SetGCPercent(5)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 1
	}
	scratch, err := os.CreateTemp("", "portwatch-bench-stderr-")
	if err != nil {
		return 1
	}
	os.Remove(scratch.Name())
	dec := json.NewDecoder(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for {
		var req launchRequest
		if err := dec.Decode(&req); err != nil {
			return 0
		}
		if err := enc.Encode(launch(req, devnull, scratch)); err != nil {
			return 1
		}
	}
}

// launch runs one command and measures the wall time from just before
// the fork to just after the wait, and the child's CPU time and peak RSS.
// The child's stderr goes to a scratch file, so no copying goroutine runs
// during a timed run.
func launch(req launchRequest, devnull, scratch *os.File) RunResult {
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout)
	defer cancel()
	scratch.Truncate(0)
	cmd := exec.CommandContext(ctx, req.Path, req.Args...)
	var lc lineCounter
	cmd.Stdout = devnull
	if req.CountLines {
		cmd.Stdout = &lc
	}
	cmd.Stderr = scratch
	cmd.Env = commandEnv()
	// If the launcher dies (the bench was stopped), so does the command.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

	floor := selfHWM()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)

	res := RunResult{Wall: wall, Exit: -1, RSSFloorKB: floor, Lines: -1}
	if req.CountLines {
		res.Lines = lc.n
	}
	if cmd.ProcessState != nil {
		res.Exit = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSSKB = ru.Maxrss
			res.MinFaults = ru.Minflt
			res.CPU = cpuTime(ru)
		}
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.Error = "timed out after " + req.Timeout.String()
	case err != nil && !errors.As(err, &ee):
		res.Error = err.Error()
	case res.Exit != 0:
		res.Error = err.Error()
		b := make([]byte, 512)
		n, _ := scratch.ReadAt(b, 0)
		if line, _, _ := strings.Cut(string(b[:n]), "\n"); strings.TrimSpace(line) != "" {
			res.Error += ": " + strings.TrimSpace(line)
		}
	}
	return res
}

// commandEnv is the environment of a measured command: the bench's own
// without its PORTWATCH_BENCH_ variables, in the plain C locale, without
// colour.
func commandEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTWATCH_BENCH_") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C", "NO_COLOR=1")
}

// cpuTime is the user plus system time in a rusage.
func cpuTime(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfHWM is this process's own peak RSS in KiB (VmHWM): what the kernel
// carries into a child's peak when the child execs. getrusage would also
// include the peak inherited from the bench.
func selfHWM() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			c.n++
		}
	}
	return len(p), nil
}

var _ io.Writer = (*lineCounter)(nil)
