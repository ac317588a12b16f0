//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// helper is one running helper process, seen from the parent.
type helper struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when its stdout reached EOF (it exited)
}

// indexedEvent is an event of helper idx; Event "exit" when it ended.
type indexedEvent struct {
	idx int
	helperEvent
}

// load is a running socket load: the helpers that hold it and the ports
// it lives on.
type load struct {
	plan     loadPlan
	helpers  []*helper
	events   chan indexedEvent
	tcpPorts []int // by listener index
	udpPorts []int
	setup    time.Duration
}

// startLoad starts the helpers of plan and returns once every one of their
// sockets is established. The helpers are this binary, re-executed with a
// role; their stderr goes to errw. On error, whatever was started is
// torn down again.
func startLoad(ctx context.Context, plan loadPlan, concurrency int, timeout time.Duration, errw io.Writer) (_ *load, err error) {
	start := time.Now()
	l := &load{plan: plan, events: make(chan indexedEvent, 64), tcpPorts: make([]int, plan.Listeners)}
	defer func() {
		if err != nil {
			l.close()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Servers first: they choose their ports.
	for _, sp := range plan.Servers {
		spec := helperSpec{UDP: sp.UDP, UDPConnected: sp.UDPConnected}
		for _, j := range sp.Listeners {
			spec.Accept = append(spec.Accept, plan.PortConns[j])
		}
		if err := l.spawn(roleServer, spec, errw); err != nil {
			return nil, err
		}
	}
	for range plan.Servers {
		e, err := l.next(ctx, "listening")
		if err != nil {
			return nil, err
		}
		sp := plan.Servers[e.idx]
		if len(e.TCP) != len(sp.Listeners) || len(e.UDP) != sp.UDP {
			return nil, fmt.Errorf("server helper %d reported %d TCP and %d UDP ports, want %d and %d", e.idx, len(e.TCP), len(e.UDP), len(sp.Listeners), sp.UDP)
		}
		for i, j := range sp.Listeners {
			l.tcpPorts[j] = e.TCP[i]
		}
		l.udpPorts = append(l.udpPorts, e.UDP...)
	}

	for _, cp := range plan.Clients {
		spec := helperSpec{Concurrency: concurrency}
		for _, t := range cp.Targets {
			spec.Dial = append(spec.Dial, dialTarget{Addr: "127.0.0.1:" + strconv.Itoa(l.tcpPorts[t.Listener]), Count: t.Count})
		}
		if err := l.spawn(roleClient, spec, errw); err != nil {
			return nil, err
		}
	}
	for range l.helpers {
		if _, err := l.next(ctx, "ready"); err != nil {
			return nil, err
		}
	}
	l.setup = time.Since(start)
	return l, nil
}

// spawn starts one helper and forwards its events to l.events.
func (l *load) spawn(role string, spec helperSpec, errw io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), roleEnv+"="+role, specEnv+"="+string(js))
	cmd.Stderr = errw
	// Own process group: a Ctrl-C on the terminal reaches the parent, which
	// tears the load down in order. Pdeathsig: the kernel kills the helper
	// if the parent dies without doing so.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting a %s helper: %w", role, err)
	}
	h := &helper{role: role, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	idx := len(l.helpers)
	l.helpers = append(l.helpers, h)
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e helperEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = helperEvent{Event: "error", Error: "bad helper output: " + sc.Text()}
			}
			l.events <- indexedEvent{idx, e}
		}
		l.events <- indexedEvent{idx, helperEvent{Event: "exit"}}
	}()
	return nil
}

// next waits for the next event, which must be want; an error or exit of a
// helper, a timeout or a cancelled ctx is an error. Events of one kind
// arrive in any order; idx says whose it is.
func (l *load) next(ctx context.Context, want string) (indexedEvent, error) {
	select {
	case e := <-l.events:
		h := l.helpers[e.idx]
		switch e.Event {
		case want:
			return e, nil
		case "error":
			return e, fmt.Errorf("%s helper %d (pid %d): %s", h.role, e.idx, h.cmd.Process.Pid, e.Error)
		case "exit":
			return e, fmt.Errorf("%s helper %d (pid %d) exited during setup", h.role, e.idx, h.cmd.Process.Pid)
		default:
			return e, fmt.Errorf("%s helper %d: got %q, want %q", h.role, e.idx, e.Event, want)
		}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return indexedEvent{}, fmt.Errorf("load setup timed out waiting for %q (raise -setup-timeout?)", want)
		}
		return indexedEvent{}, ctx.Err()
	}
}

// pids returns the helpers' process ids.
func (l *load) pids() []int {
	var p []int
	for _, h := range l.helpers {
		p = append(p, h.cmd.Process.Pid)
	}
	return p
}

// close ends every helper: it closes their stdin (they exit), kills those
// still there after a grace period and reaps them all. The helpers set
// SO_LINGER 0 on their connections, so no TIME_WAIT is left behind.
func (l *load) close() {
	// Drain events so no forwarding goroutine blocks.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-l.events:
			case <-stop:
				return
			}
		}
	}()
	for _, h := range l.helpers {
		h.stdin.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, h := range l.helpers {
		select {
		case <-h.done:
		case <-time.After(time.Until(deadline)):
			h.cmd.Process.Kill()
			<-h.done
		}
		h.cmd.Wait()
	}
	l.helpers = nil
}

// waitGone polls /proc/net until none of the load's sockets is left or
// timeout passes, and returns what is left.
func (l *load) waitGone(timeout time.Duration) (LoadCount, error) {
	deadline := time.Now().Add(timeout)
	for {
		c, err := countLoad(l.tcpPorts, l.udpPorts)
		if err != nil || c.Sockets() == 0 || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
