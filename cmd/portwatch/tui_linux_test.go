package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// tmuxSession is a detached tmux session on a private server, running a
// plain shell, that a test types into and reads the screen of.
type tmuxSession struct {
	t      *testing.T
	server string
}

// requireTmuxEnv makes a missing tmux a failure instead of a skip; CI sets
// it, since .ci/run installs tmux.
const requireTmuxEnv = "PORTWATCH_REQUIRE_TMUX"

func newTmux(t *testing.T, width, height int) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(requireTmuxEnv) != "" {
			t.Fatalf("tmux is needed for the live view test (apt-get install tmux): %v", err)
		}
		t.Skip("tmux not installed; the live view test needs it")
	}
	// A server of its own per session: a previous one may still be
	// shutting down.
	s := &tmuxSession{t: t, server: fmt.Sprintf("portwatch-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	s.run("-f", "/dev/null", "new-session", "-d", "-s", "main",
		"-x", strconv.Itoa(width), "-y", strconv.Itoa(height),
		"env", "PS1=PWTEST$ ", "TERM=xterm-256color", "bash", "--norc", "--noprofile")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.server, "kill-server").Run() })
	s.waitFor("the shell prompt", func(screen string) bool { return strings.Contains(screen, "PWTEST$") })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.server}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Escape, q, ...).
func (s *tmuxSession) keys(keys ...string) {
	s.run(append([]string{"send-keys", "-t", "main"}, keys...)...)
}

// text types literal text.
func (s *tmuxSession) text(text string) { s.run("send-keys", "-t", "main", "-l", text) }

// screen returns the visible pane; with escapes, its colours too.
func (s *tmuxSession) screen(escapes bool) string {
	args := []string{"capture-pane", "-p", "-t", "main"}
	if escapes {
		args = append(args, "-e")
	}
	return s.run(args...)
}

// waitFor polls the screen until ok accepts it.
func (s *tmuxSession) waitFor(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		screen := s.screen(false)
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rowLines returns the socket rows of a live view screen.
func rowLines(screen string) []string {
	var rows []string
	for _, line := range strings.Split(screen, "\n") {
		if len(line) > 2 && strings.HasPrefix(line[2:], "tcp") {
			rows = append(rows, line)
		}
	}
	return rows
}

// TestLiveViewInTmux drives the real binary in a terminal: it starts, marks
// a listener opened after the start, filters with /, quits on q, and the
// shell is usable afterwards.
func TestLiveViewInTmux(t *testing.T) {
	s := newTmux(t, 120, 30)
	s.text(binPath + " watch -tl -o --interval 200ms")
	s.keys("Enter")
	s.waitFor("the live view", func(sc string) bool {
		return strings.Contains(sc, "q quit") && strings.Contains(sc, "Local Address")
	})

	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, otherAddr := ln.Addr().String(), other.Addr().String()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if strings.Contains(otherAddr, port) {
		t.Skipf("ports %s and %s overlap as text; the filter check needs distinct ones", addr, otherAddr)
	}

	screen := s.waitFor("the new listener with a + mark", func(sc string) bool {
		for _, row := range rowLines(sc) {
			if strings.HasPrefix(row, "+ ") && strings.Contains(row, addr) && strings.Contains(row, "LISTEN") {
				return true
			}
		}
		return false
	})
	if !strings.Contains(screen, strconv.Itoa(os.Getpid())) {
		t.Errorf("the listener's row does not show this test's PID %d:\n%s", os.Getpid(), screen)
	}
	// In colour, the new row is green.
	for _, line := range strings.Split(s.screen(true), "\n") {
		if strings.Contains(line, addr) && !strings.Contains(line, "\x1b[32m") {
			t.Errorf("new listener's row is not green: %q", line)
		}
	}

	// Filter on the port: the other listener leaves the view.
	s.text("/" + port)
	s.keys("Enter")
	screen = s.waitFor("the filtered view", func(sc string) bool {
		// The whole filter typed and the prompt closed (no cursor).
		if !strings.Contains(sc, "/"+port) || strings.Contains(sc, "/"+port+"_") {
			return false
		}
		rows := rowLines(sc)
		if len(rows) == 0 {
			return false
		}
		for _, row := range rows {
			if !strings.Contains(row, port) {
				return false
			}
		}
		return true
	})
	if strings.Contains(screen, otherAddr) {
		t.Errorf("filter %q still shows %s:\n%s", port, otherAddr, screen)
	}

	// A smaller terminal: the view redraws to fit.
	s.run("resize-window", "-t", "main", "-x", "60", "-y", "12")
	s.waitFor("the view redrawn at 60x12", func(sc string) bool {
		lines := strings.Split(strings.TrimRight(sc, "\n"), "\n")
		for _, l := range lines {
			if len([]rune(l)) > 60 {
				return false
			}
		}
		return len(lines) <= 12 && strings.Contains(sc, "q quit") && strings.Contains(sc, port)
	})

	// q quits, the alternate screen is gone and the terminal is sane.
	s.keys("q")
	s.expectShell("q")

	// Ctrl-C and SIGTERM end it the same way.
	s.text(binPath + " watch -tl --interval 300ms")
	s.keys("Enter")
	s.waitFor("the live view again", func(sc string) bool { return strings.Contains(sc, "q quit") })
	s.keys("C-c")
	s.expectShell("Ctrl-C")

	s.text(binPath + " watch -tl --interval 300ms")
	s.keys("Enter")
	s.waitFor("the live view again", func(sc string) bool { return strings.Contains(sc, "q quit") })
	shell := strings.TrimSpace(s.run("list-panes", "-t", "main", "-F", "#{pane_pid}"))
	out, err := exec.Command("pgrep", "-P", shell).Output()
	if err != nil {
		t.Fatalf("finding portwatch under the shell %s: %v", shell, err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(out))[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.expectShell("SIGTERM")
}

// expectShell waits for the shell prompt after the live view ended by how,
// then checks the exit status was 0 and the terminal has echo and line
// editing back.
func (s *tmuxSession) expectShell(how string) {
	s.t.Helper()
	s.waitFor("the shell prompt after "+how, func(sc string) bool {
		return !strings.Contains(sc, "q quit") && strings.HasSuffix(strings.TrimRight(sc, "\n "), "PWTEST$")
	})
	tag := strings.ReplaceAll(how, " ", "-")
	s.text(`echo "exit=$? ` + tag + `"; stty -a | grep -q -- ' -icanon' || stty -a | grep -q -- ' -echo ' || echo "tty-$((40+2)) ` + tag + `"`)
	s.keys("Enter")
	s.waitFor("exit status 0 and a terminal with echo and line editing after "+how, func(sc string) bool {
		return strings.Contains(sc, "\nexit=0 "+tag) && strings.Contains(sc, "\ntty-42 "+tag)
	})
}

// selectRow presses Down until the selected row (the one with '>' after
// its mark) has the local address local, and returns that row.
func (s *tmuxSession) selectRow(local string) string {
	s.t.Helper()
	for range 40 {
		for _, row := range rowLines(s.screen(false)) {
			if f := strings.Fields(row[2:]); row[1] == '>' && len(f) > 1 && f[1] == local {
				return row
			}
		}
		s.keys("Down")
		time.Sleep(150 * time.Millisecond)
	}
	s.t.Fatalf("no row of %s could be selected; the screen:\n%s", local, s.screen(false))
	return ""
}

// TestLiveViewRatesCloseKill drives the live view's actions in a
// terminal: with -i a connection moving data shows its rates, k on the
// selected connection asks and, with y, ends it (the client's read fails
// with a reset), and K on a listener's row sends its owner SIGTERM.
func TestLiveViewRatesCloseKill(t *testing.T) {
	testenv.NeedRoot(t, "end sockets (CAP_NET_ADMIN)")
	p := newClosePair(t)
	port := strconv.Itoa(p.port)
	client := "127.0.0.1:" + strconv.Itoa(p.local)
	// The client sends 64 KiB every 100 ms; the server reads it all.
	stop := make(chan struct{})
	defer close(stop)
	writeErr := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := p.client.Write(buf); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	go io.Copy(io.Discard, p.server)

	holder, holderPort := heldListener(t, "pwtest-viewkill")

	s := newTmux(t, 160, 30)
	s.text(binPath + " watch -ta -o -i --interval 300ms")
	s.keys("Enter")
	s.waitFor("the live view with rates", func(sc string) bool {
		return strings.Contains(sc, "Send/s") && strings.Contains(sc, "Recv/s")
	})
	s.text("/" + port)
	s.keys("Enter")
	// The client's row: about 640 KiB/s sent, nothing received.
	s.waitFor("the client's send rate", func(sc string) bool {
		for _, row := range rowLines(sc) {
			if f := strings.Fields(row[2:]); len(f) > 5 && f[1] == client &&
				(strings.HasSuffix(f[4], "K") || strings.HasSuffix(f[4], "M")) {
				return true
			}
		}
		return false
	})

	s.selectRow(client)
	s.keys("k")
	s.waitFor("the question of k", func(sc string) bool {
		return strings.Contains(sc, "close tcp "+client+" -> 127.0.0.1:"+port) && strings.Contains(sc, "[y/N]")
	})
	s.keys("y")
	s.waitFor("the result of k", func(sc string) bool { return strings.Contains(sc, "closed tcp "+client) })
	// The socket's error (ECONNABORTED) goes to whichever call comes
	// first, the sender's write or this read; the other sees the end.
	aborted := func(err error) bool {
		return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
	}
	p.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := p.client.Read(make([]byte, 1)); !aborted(err) {
		select {
		case werr := <-writeErr:
			if !aborted(werr) || err != io.EOF {
				t.Errorf("after k: the client's read %v and write %v, want one aborted", err, werr)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("after k: the client's read %v and its writes go on, want a reset", err)
		}
	}

	// K: the listener's owner gets SIGTERM, after the question.
	s.keys("/")
	for range len(port) {
		s.keys("BSpace")
	}
	s.text(holderPort)
	s.keys("Enter")
	s.selectRow("127.0.0.1:" + holderPort)
	s.keys("K")
	s.waitFor("the question of K", func(sc string) bool {
		return strings.Contains(sc, "send SIGTERM to "+strconv.Itoa(holder)+"/pwtest-viewkill? [y/N]")
	})
	if exited(holder, 1) {
		t.Fatal("the holder ended before the answer")
	}
	s.keys("y")
	s.waitFor("the result of K", func(sc string) bool {
		return strings.Contains(sc, "sent SIGTERM to "+strconv.Itoa(holder)+"/pwtest-viewkill")
	})
	if !exited(holder, 100) {
		t.Errorf("the holder %d is still running after K", holder)
	}
	s.keys("q")
	s.expectShell("q after k and K")
}
