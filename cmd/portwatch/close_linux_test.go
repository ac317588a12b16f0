package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// closePair is a connected pair on loopback and its listener, closed at
// the end of the test.
type closePair struct {
	ln             net.Listener
	client, server net.Conn
	port, local    int // the listener's port, the client's
}

func newClosePair(t *testing.T) closePair {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	return closePair{ln, client, server, ln.Addr().(*net.TCPAddr).Port, client.LocalAddr().(*net.TCPAddr).Port}
}

// alive reports whether a byte still goes from the client to the server.
func (p closePair) alive() bool {
	if _, err := p.client.Write([]byte{1}); err != nil {
		return false
	}
	p.server.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := p.server.Read(make([]byte, 1))
	return err == nil
}

// TestClose: close lists with --dry-run and ends nothing; without --yes
// and no terminal it refuses; with --yes it ends the client's connection
// (its read aborts, the server gets the reset, the dump no longer has it)
// and leaves the listener; then nothing matches (exit 3); --listeners ends
// the listener; --json says what was closed; a normal user is told it
// takes CAP_NET_ADMIN; bad values exit 2.
func TestClose(t *testing.T) {
	testenv.NeedRoot(t, "end sockets (CAP_NET_ADMIN)")
	p := newClosePair(t)
	dport := strconv.Itoa(p.port)
	client := "127.0.0.1:" + strconv.Itoa(p.local)

	r := runCmd(t, exec.Command(binPath, "close", "--dport", dport, "--dry-run"))
	if r.code != 0 || !strings.Contains(r.stdout, client) || !strings.Contains(r.stderr, "dry run: 1 connection would be closed") || !p.alive() {
		t.Errorf("--dry-run: exit %d, want the client's connection listed and left open:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, exec.Command(binPath, "close", "--dport", dport))
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") || !p.alive() {
		t.Errorf("without --yes off a terminal: exit %d, want 2 asking for --yes and nothing closed:\n%s", r.code, r.stderr)
	}

	r = runCmd(t, exec.Command(binPath, "close", "--dport", dport, "--yes"))
	if r.code != 0 || !strings.Contains(r.stdout, "closed  tcp "+client+" -> 127.0.0.1:"+dport) {
		t.Fatalf("--yes: exit %d, want the client's connection closed:\n%s%s", r.code, r.stdout, r.stderr)
	}
	p.client.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := p.client.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNABORTED) {
		t.Errorf("the client's read after close: %v, want ECONNABORTED", err)
	}
	p.server.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := p.server.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the server's read: %v, want the reset", err)
	}
	// The pair's own sockets only: another test's socket may have had the
	// same port number (a TIME_WAIT on ::1, say).
	var ours []jsonSocket
	for _, s := range pwNetnsJSON(t, "-tan", "--port", dport).Sockets {
		if s.LocalAddr == "127.0.0.1" && (s.LocalPort == p.port || s.LocalPort == p.local) {
			ours = append(ours, s)
		}
	}
	if len(ours) != 1 || ours[0].State != "LISTEN" {
		t.Errorf("after close: %+v, want the listener alone", ours)
	}
	if r := runCmd(t, exec.Command(binPath, "close", "--dport", dport, "--yes")); r.code != 3 {
		t.Errorf("nothing left to close: exit %d, want 3: %s", r.code, r.stderr)
	}

	// --listeners ends a listener too: one a helper process opened.
	addrFile := filepath.Join(t.TempDir(), "addr")
	startChild(t, []string{os.Args[0]}, []string{childRoleEnv + "=listen", childAddrEnv + "=" + addrFile})
	addr, err := os.ReadFile(addrFile)
	if err != nil {
		t.Fatal(err)
	}
	_, lport, _ := strings.Cut(string(addr), ":")
	if r := runCmd(t, exec.Command(binPath, "close", "--port", lport, "--yes")); r.code != 3 {
		t.Errorf("a listener without --listeners: exit %d, want 3 (left alone): %s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCmd(t, exec.Command(binPath, "close", "--port", lport, "--listeners", "--yes")); r.code != 0 || !strings.Contains(r.stdout, "closed  tcp 127.0.0.1:"+lport) {
		t.Errorf("--listeners: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if pw := pwNetnsJSON(t, "-tan", "--port", lport); len(pw.Sockets) != 0 {
		t.Errorf("after --listeners: %+v, want nothing on %s", pw.Sockets, lport)
	}

	// --json, by the connection's end given as ADDR:PORT.
	q := newClosePair(t)
	qClient := "127.0.0.1:" + strconv.Itoa(q.local)
	r = runCmd(t, exec.Command(binPath, "close", qClient, "--yes", "--json"))
	var doc struct {
		DryRun  bool `json:"dry_run"`
		Sockets []struct {
			LocalPort int    `json:"local_port"`
			Closed    bool   `json:"closed"`
			Error     string `json:"error"`
		} `json:"sockets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || doc.DryRun {
		t.Fatalf("close %s --json: exit %d, %v: %s%s", qClient, r.code, err, r.stdout, r.stderr)
	}
	// Both ends of that connection have the address as one of theirs.
	if len(doc.Sockets) != 2 || !doc.Sockets[0].Closed || !doc.Sockets[1].Closed {
		t.Errorf("close %s --json: %+v, want both ends closed", qClient, doc.Sockets)
	}

	// The kernel cannot end an MPTCP listener (what Go's net.Listen opens
	// where the kernel has MPTCP): exit 1 saying so.
	if v, err := os.ReadFile("/proc/sys/net/mptcp/enabled"); err == nil && strings.TrimSpace(string(v)) == "1" {
		m, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		mport := strconv.Itoa(m.Addr().(*net.TCPAddr).Port)
		r := runCmd(t, exec.Command(binPath, "close", "--port", mport, "--listeners", "--yes"))
		if r.code != 1 || !strings.Contains(r.stderr, "MPTCP") {
			t.Errorf("an MPTCP listener: exit %d, want 1 naming MPTCP:\n%s%s", r.code, r.stdout, r.stderr)
		}
	} else {
		t.Log("no MPTCP in this kernel: the MPTCP listener case is not run")
	}

	// A normal user cannot end connections.
	testenv.NeedProgram(t, "setpriv", "util-linux")
	n := newClosePair(t)
	r = runCmd(t, exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binPath, "close", "--dport", strconv.Itoa(n.port), "--yes"))
	if r.code != 1 || !strings.Contains(r.stderr, "CAP_NET_ADMIN") || !n.alive() {
		t.Errorf("as nobody: exit %d, want 1 naming CAP_NET_ADMIN, the connection left open:\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, args := range [][]string{{"close"}, {"close", "nonsense"}, {"close", "--dport", "1", "--dry-run", "--yes"}, {"close", "--dport", "0"}} {
		if r := runCmd(t, exec.Command(binPath, args...)); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line: %s", args, r.code, r.stderr)
		}
	}
}
