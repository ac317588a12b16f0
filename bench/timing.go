//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// RunResult is one run of one command.
type RunResult struct {
	Wall       time.Duration `json:"wall_ns"`
	CPU        time.Duration `json:"cpu_ns"`        // user + system time of the process (and any children it waited for), from its rusage
	MaxRSSKB   int64         `json:"max_rss_kib"`   // peak resident set of the process, KiB
	MinFaults  int64         `json:"minor_faults"`  // page faults served without I/O (ru_minflt): pages the process touched first
	RSSFloorKB int64         `json:"rss_floor_kib"` // the launcher's own peak: MaxRSSKB is never below it
	Exit       int           `json:"exit"`          // exit status; -1 when killed by a signal or not started
	Error      string        `json:"error,omitempty"`
	Lines      int           `json:"lines"` // stdout lines when counted, else -1
}

// OK reports whether the run exited 0.
func (r RunResult) OK() bool { return r.Exit == 0 && r.Error == "" }

// runner runs commands as whole processes, each through a fresh launcher
// process (see roleLauncher), so that the floor under the reported peak
// RSS stays the same from run to run.
type runner struct {
	exe     string
	timeout time.Duration
}

// newRunner prepares a runner; timeout limits each command.
func newRunner(timeout time.Duration) (*runner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return &runner{exe: exe, timeout: timeout}, nil
}

// run runs path with args once, stdout to /dev/null, or counted when
// countLines is set. A cancelled ctx kills the launcher, and with it the
// command (Pdeathsig).
func (r *runner) run(ctx context.Context, path string, args []string, countLines bool) RunResult {
	req, err := json.Marshal(launchRequest{Path: path, Args: args, CountLines: countLines, Timeout: r.timeout})
	if err != nil {
		return RunResult{Exit: -1, Lines: -1, Error: "launcher: " + err.Error()}
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, r.exe)
	cmd.Env = append(os.Environ(), roleEnv+"="+roleLauncher)
	cmd.Stdin = bytes.NewReader(append(req, '\n'))
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	// Its own process group: a Ctrl-C reaches the bench, which kills the
	// launcher and, through Pdeathsig, the command it runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	err = cmd.Run()
	var res RunResult
	switch {
	case ctx.Err() != nil:
		return RunResult{Exit: -1, Lines: -1, Error: "interrupted: " + ctx.Err().Error()}
	case err != nil:
		return RunResult{Exit: -1, Lines: -1, Error: fmt.Sprintf("launcher: %v: %s", err, out.String())}
	case json.Unmarshal(out.Bytes(), &res) != nil:
		return RunResult{Exit: -1, Lines: -1, Error: "bad launcher output: " + out.String()}
	}
	return res
}
