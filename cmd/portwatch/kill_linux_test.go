package main

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exited reports whether pid ended (gone, or a zombie waiting for this
// test to reap it), looking for up to tries*20 ms.
func exited(pid, tries int) bool {
	for try := 0; try < tries; try++ {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestWhoKill: who PORT --kill --yes sends SIGTERM to the child process
// that holds the port and reports it; without --yes off a terminal, a bad
// signal, or --yes alone, it exits 2 and signals nothing.
// heldListener opens a listener on 127.0.0.1 and hands it to a helper
// process named comm, the only holder; it returns the helper's PID and
// the port.
func heldListener(t *testing.T, comm string) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	pid := holdSocket(t, f, comm)
	f.Close()
	ln.Close()
	return pid, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestWhoKill(t *testing.T) {
	pid, port := heldListener(t, "pwtest-kill")

	for _, args := range [][]string{{"who", port, "--kill"}, {"who", port, "--kill=BOGUS", "--yes"}, {"who", port, "--yes"}} {
		if r := runCmd(t, exec.Command(binPath, args...)); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line: %s", args, r.code, r.stderr)
		}
	}
	if exited(pid, 1) {
		t.Fatal("the holder ended before --kill --yes")
	}
	r := runCmd(t, exec.Command(binPath, "who", port, "--kill", "--yes"))
	if r.code != 0 || !strings.Contains(r.stderr, "PID "+strconv.Itoa(pid)+" (pwtest-kill): sent SIGTERM") || !strings.Contains(r.stdout, "pwtest-kill") {
		t.Errorf("--kill --yes: exit %d, want the holder shown and signalled:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !exited(pid, 100) {
		t.Errorf("the holder %d is still running after SIGTERM", pid)
	}
}
