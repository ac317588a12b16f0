package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
