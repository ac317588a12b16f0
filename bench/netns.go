//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// The namespaces scenario: the whole host's sockets, every network
// namespace of it, against what a user does today, ss run once in the
// host's namespace and once inside each other with ip netns exec. It runs
// at the first size, so the host's namespace holds that load; each of the
// bench's namespaces holds a few sockets of a helper inside it.

// roleNetns is the helper that holds the sockets of one namespace.
const roleNetns = "netns"

// netnsPrefix starts the name of every namespace the bench makes.
const netnsPrefix = "pwbench-"

// targetNetnsVsLoop is the target: portwatch --netns all at most this
// fraction of the ss loop.
const targetNetnsVsLoop = 0.2

// netnsLoad is the bench's namespaces and their helpers.
type netnsLoad struct {
	names   []string
	helpers []*exec.Cmd
	stdins  []io.Closer
}

// startNetnsLoad makes n named namespaces, each with its loopback up and
// a helper inside holding a listener, two connections to it (four
// sockets) and two UDP sockets, one connected. On error what was made is
// removed.
func startNetnsLoad(ctx context.Context, n int, progress io.Writer) (*netnsLoad, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	l := &netnsLoad{}
	for i := range n {
		name := fmt.Sprintf("%s%d-%d", netnsPrefix, os.Getpid(), i)
		if out, err := exec.CommandContext(ctx, "ip", "netns", "add", name).CombinedOutput(); err != nil {
			l.close()
			return nil, fmt.Errorf("ip netns add %s: %v: %s", name, err, strings.TrimSpace(string(out)))
		}
		l.names = append(l.names, name)
		if out, err := exec.CommandContext(ctx, "ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
			l.close()
			return nil, fmt.Errorf("ip -n %s link set lo up: %v: %s", name, err, strings.TrimSpace(string(out)))
		}
		cmd := exec.Command("ip", "netns", "exec", name, exe)
		cmd.Env = append(os.Environ(), roleEnv+"="+roleNetns, specEnv+"={}")
		cmd.Stderr = progress
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			l.close()
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			l.close()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			l.close()
			return nil, fmt.Errorf("starting the helper in %s: %w", name, err)
		}
		l.helpers, l.stdins = append(l.helpers, cmd), append(l.stdins, stdin)
		var ev helperEvent
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err == nil {
			err = json.Unmarshal(line, &ev)
		}
		if err != nil || ev.Event != "ready" {
			l.close()
			return nil, fmt.Errorf("the helper in %s did not start: %q %v %s", name, line, err, ev.Error)
		}
	}
	fmt.Fprintf(progress, "namespaces: %d made, each with a helper holding %d sockets\n", n, netnsHelperSockets)
	return l, nil
}

// netnsHelperSockets is how many sockets a namespace helper holds.
const netnsHelperSockets = 7

// close ends the helpers and deletes the namespaces.
func (l *netnsLoad) close() {
	for _, c := range l.stdins {
		c.Close()
	}
	for _, h := range l.helpers {
		done := make(chan struct{})
		go func() { h.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			h.Process.Kill()
			<-done
		}
	}
	for _, name := range l.names {
		exec.Command("ip", "netns", "del", name).Run()
	}
	l.helpers, l.stdins, l.names = nil, nil, nil
}

// holdNetnsSockets is the namespace helper's job: it opens its sockets in
// the namespace it was started in.
func holdNetnsSockets() error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	held.lns = append(held.lns, ln)
	for range 2 {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			return err
		}
		s, err := ln.Accept()
		if err != nil {
			return err
		}
		held.tcp = append(held.tcp, c, s)
	}
	for range 2 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		held.udp = append(held.udp, u)
	}
	return connectUDP(held.udp[0], held.udp[1].LocalAddr().(*net.UDPAddr).Port)
}

// netnsScenario compares portwatch --netns all with the ss loop over the
// bench's namespaces and the host's own.
func netnsScenario(portwatch string, tools map[string]string, n int) scenario {
	sh, _ := exec.LookPath("sh")
	ip, _ := exec.LookPath("ip")
	if tools["ss"] == "" || ip == "" {
		sh = "" // reported as missing
	}
	loop := "ss -tuanp; for ns in $(ip netns list | cut -d' ' -f1 | grep '^" + netnsPrefix + "'); do ip netns exec \"$ns\" ss -tuanp; done"
	return scenario{
		Name: "every namespace",
		Note: fmt.Sprintf("%d namespaces made by the bench, each with %d sockets held by a helper inside, and the host's namespace with this size's load; "+
			"ss runs once in the host's namespace and once inside each of the bench's with ip netns exec, portwatch once", n, netnsHelperSockets),
		Commands: []command{
			{Tool: "portwatch", Path: portwatch, Args: []string{"-tuanp", "--netns", "all"}},
			{Tool: "sh", Path: sh, Args: []string{"-c", loop}},
		},
	}
}

// netnsVerdict appends the target and where the median stands to the
// scenario's note.
func netnsVerdict(res *ScenarioResult) {
	if len(res.Tools) < 2 || res.Tools[1].Ratio <= 0 {
		res.Note += fmt.Sprintf("; target at most %.1fx the ss loop: not measured", targetNetnsVsLoop)
		return
	}
	r := res.Tools[1].Ratio
	verdict := "met"
	if r > targetNetnsVsLoop {
		verdict = "not met"
	}
	res.Note += fmt.Sprintf("; target at most %.1fx the ss loop: %.3fx, %s", targetNetnsVsLoop, r, verdict)
}

// runNetnsScenario makes the namespaces, times the scenario on them and
// removes them again, whatever happened.
func runNetnsScenario(ctx context.Context, cfg config, r *runner, pw string, tools map[string]string) (ScenarioResult, error) {
	l, err := startNetnsLoad(ctx, cfg.Netns, cfg.Progress)
	if err != nil {
		return ScenarioResult{Name: "every namespace"}, err
	}
	defer l.close()
	res, err := runScenario(ctx, r, netnsScenario(pw, tools, cfg.Netns), cfg.Rounds, cfg.Warmup, cfg.Progress)
	if err != nil {
		return res, err
	}
	netnsVerdict(&res)
	return res, nil
}
