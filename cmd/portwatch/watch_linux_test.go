package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jsonEvent is one line of `portwatch watch --json`.
type jsonEvent struct {
	Event   string     `json:"event"`
	Time    time.Time  `json:"time"`
	Socket  jsonSocket `json:"socket"`
	Changes struct {
		State  []string      `json:"state"`
		Owners [][]jsonOwner `json:"owners"`
	} `json:"changes"`
}

// watchStream runs portwatch with args in the background and delivers its
// stdout lines.
type watchStream struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	seen  []string
}

func startWatch(t *testing.T, args ...string) *watchStream {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &watchStream{t: t, cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return w
}

// next returns the next line, or fails after timeout.
func (w *watchStream) next(timeout time.Duration, what string) string {
	w.t.Helper()
	select {
	case line, ok := <-w.lines:
		if !ok {
			w.t.Fatalf("watch ended while waiting for %s; it printed:\n%s", what, strings.Join(w.seen, "\n"))
		}
		w.seen = append(w.seen, line)
		return line
	case <-time.After(timeout):
		w.t.Fatalf("no %s within %v; watch printed:\n%s", what, timeout, strings.Join(w.seen, "\n"))
	}
	return ""
}

// waitEvent reads events until match accepts one, and returns every event
// read on the way (the match included) for the test to inspect.
func (w *watchStream) waitEvent(what string, match func(jsonEvent) bool) []jsonEvent {
	w.t.Helper()
	var read []jsonEvent
	deadline := time.Now().Add(10 * time.Second)
	for {
		line := w.next(time.Until(deadline), what)
		var ev jsonEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			w.t.Fatalf("not a JSON event: %q: %v", line, err)
		}
		read = append(read, ev)
		if match(ev) {
			return read
		}
	}
}

// stop sends SIGINT and checks that watch exits 0.
func (w *watchStream) stop() {
	w.t.Helper()
	w.cmd.Process.Signal(syscall.SIGINT)
	for range w.lines {
	}
	err := w.cmd.Wait()
	if err != nil {
		w.t.Errorf("watch after SIGINT: %v, want exit 0", err)
	}
}

func ownerList(owners []jsonOwner) []int {
	var pids []int
	for _, o := range owners {
		pids = append(pids, o.PID)
	}
	return pids
}

// TestWatchEventStreamLive opens, hands over and closes real sockets while
// `watch --json` runs, and checks that exactly the expected events arrive
// for them: added, changed (owner and state) and removed, never a
// remove-and-add for a socket that stayed.
func TestWatchEventStreamLive(t *testing.T) {
	lnFile, port := listenerFile(t, "127.0.0.1:0")
	ln, err := net.FileListener(lnFile)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lnAddr := "127.0.0.1:" + strconv.Itoa(port)
	me := os.Getpid()

	w := startWatch(t, "watch", "--json", "-t", "-o", "--interval", "100ms", "--port", strconv.Itoa(port))
	var all []jsonEvent
	all = append(all, w.waitEvent("the listener's added event", func(ev jsonEvent) bool {
		return ev.Event == "added" && ev.Socket.State == "LISTEN"
	})...)
	if first := all[len(all)-1]; !slices.Contains(ownerList(first.Socket.Owners), me) {
		t.Errorf("listener added with owners %v, want this test (pid %d)", first.Socket.Owners, me)
	}

	// A connection: both ends are added.
	client, err := net.Dial("tcp", lnAddr)
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	clientKey := "tcp " + client.LocalAddr().String() + " " + lnAddr
	serverKey := "tcp " + lnAddr + " " + client.LocalAddr().String()
	var addedClient, addedServer bool
	all = append(all, w.waitEvent("added events for both ends of a connection", func(ev jsonEvent) bool {
		if ev.Event == "added" && ev.Socket.State == "ESTABLISHED" {
			addedClient = addedClient || ev.Socket.key() == clientKey
			addedServer = addedServer || ev.Socket.key() == serverKey
		}
		return addedClient && addedServer
	})...)

	// The listener handed to another process: owner changes, same socket.
	child := holdSocket(t, lnFile, "pw-heir")
	ln.Close()
	lnFile.Close()
	all = append(all, w.waitEvent("the listener's owner change to the child", func(ev jsonEvent) bool {
		return ev.Event == "changed" && ev.Socket.State == "LISTEN" &&
			slices.Equal(ownerList(ev.Socket.Owners), []int{child})
	})...)

	// The client closes: its end moves on to FIN_WAIT2/TIME_WAIT and the
	// server's to CLOSE_WAIT, as state changes.
	client.Close()
	var clientMoved, serverWaits bool
	all = append(all, w.waitEvent("state changes after the client closed", func(ev jsonEvent) bool {
		if ev.Event == "changed" && ev.Socket.key() == clientKey && len(ev.Changes.State) == 2 {
			clientMoved = true
		}
		if ev.Event == "changed" && ev.Socket.key() == serverKey && ev.Socket.State == "CLOSE_WAIT" {
			serverWaits = true
		}
		return clientMoved && serverWaits
	})...)

	// The server closes too: its end goes away.
	server.Close()
	all = append(all, w.waitEvent("the server end's removed event", func(ev jsonEvent) bool {
		return ev.Event == "removed" && ev.Socket.key() == serverKey
	})...)
	w.stop()

	// Nothing else about these sockets: one added each, no removed for the
	// listener or the client (TIME_WAIT stays), changes only as above.
	count := map[string]int{}
	for _, ev := range all {
		k := ev.Socket.key()
		count[ev.Event+" "+k]++
		switch {
		case ev.Event == "changed" && len(ev.Changes.State) == 0 && len(ev.Changes.Owners) == 0:
			t.Errorf("changed event without changes: %+v", ev)
		case ev.Event == "changed" && len(ev.Changes.State) == 2 && ev.Changes.State[1] != ev.Socket.State:
			t.Errorf("changed event %v ends in %s but the socket is %s", ev.Changes.State, ev.Changes.State[1], ev.Socket.State)
		}
	}
	lnKey := "tcp " + lnAddr + " 0.0.0.0:0"
	for k, n := range map[string]int{
		"added " + lnKey: 1, "removed " + lnKey: 0,
		"added " + clientKey: 1, "removed " + clientKey: 0,
		"added " + serverKey: 1, "removed " + serverKey: 1,
	} {
		if count[k] != n {
			t.Errorf("%d events %q, want %d", count[k], k, n)
		}
	}
	for k, n := range count {
		if !strings.Contains(k, lnAddr) {
			t.Errorf("%d events %q about a socket outside --port %d", n, k, port)
		}
	}
}

func TestWatchChangesOnlyAndText(t *testing.T) {
	before, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	w := startWatch(t, "watch", "--changes-only", "-tl", "-o", "--interval", "100ms")
	time.Sleep(400 * time.Millisecond) // a few refreshes
	after, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	for {
		line := w.next(10*time.Second, "a text line for the new listener")
		if strings.Contains(line, before.Addr().String()) {
			t.Errorf("--changes-only printed the listener that was open at start: %q", line)
		}
		if strings.Contains(line, after.Addr().String()) {
			f := strings.Fields(line)
			if len(f) < 5 || f[1] != "added" || !strings.Contains(line, "LISTEN") ||
				!strings.Contains(line, strconv.Itoa(os.Getpid())) {
				t.Errorf("text event %q: want time, added, the address, LISTEN and this pid", line)
			}
			if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil {
				t.Errorf("text event %q does not start with an RFC 3339 time: %v", line, err)
			}
			break
		}
	}
	w.stop()
}

func TestWatchCountAndBadFlags(t *testing.T) {
	r := portwatch(t, "watch", "--json", "--count", "2", "--interval", "50ms", "-tl")
	if r.code != 0 {
		t.Fatalf("watch --count 2: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev jsonEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Event != "added" {
			t.Errorf("line %q: %v; want added events only (nothing changes in 50ms)", line, err)
		}
	}
	// -c is the same mode, netstat style.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r = portwatch(t, "-c=50ms", "--json", "--count", "1", "-tl")
	if r.code != 0 || !strings.Contains(r.stdout, `"event":"added"`) ||
		!strings.Contains(r.stdout, `"local_port":`+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)+`,`) {
		t.Errorf("-c --json --count 1: exit %d, want an added event for %s:\n%s%s", r.code, ln.Addr(), r.stdout, r.stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--interval", "soon"}, `"soon"`},
		{[]string{"watch", "--interval", "1ms"}, "at least"},
		{[]string{"watch", "--format", "csv"}, "csv"},
		{[]string{"watch", "-s"}, "--summary"},
		{[]string{"watch", "--count", "-1"}, "--count"},
		{[]string{"--interval", "2s"}, "-c"},
		{[]string{"-c", "--interval", "2s", "--continuous=3s"}, "disagree"},
	} {
		r := portwatch(t, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestWatchSIGTERMEndsStream checks that a stream ends cleanly on SIGTERM.
func TestWatchSIGTERMEndsStream(t *testing.T) {
	w := startWatch(t, "watch", "--json", "-tl", "--interval", "100ms")
	w.next(10*time.Second, "the first event")
	w.cmd.Process.Signal(syscall.SIGTERM)
	for range w.lines {
	}
	if err := w.cmd.Wait(); err != nil {
		t.Errorf("watch after SIGTERM: %v, want exit 0", err)
	}
}

// watch --replay reads the snapshot file at every refresh: a file replaced
// between refreshes shows as added, removed and changed sockets.
func TestWatchReplay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snap.json")
	replace := func(sockets ...string) {
		t.Helper()
		if err := os.Rename(writeReplayFile(t, dir, sockets...), path); err != nil {
			t.Fatal(err)
		}
	}
	sshd4, sshd6, pg, dns := replaySockets[0], replaySockets[1], replaySockets[2], replaySockets[4]
	replace(sshd4, sshd6, pg)

	w := startWatch(t, "watch", "--json", "--replay", path, "--interval", "100ms", "-t")
	added := map[string]bool{}
	w.waitEvent("the file's sockets", func(ev jsonEvent) bool {
		if ev.Event != "added" {
			t.Errorf("first refresh: %s event for %s", ev.Event, ev.Socket.key())
		}
		added[ev.Socket.key()] = true
		return len(added) == 3
	})
	for _, want := range []string{"tcp 0.0.0.0:22 0.0.0.0:0", "tcp [::]:22 [::]:0", "tcp 127.0.0.1:5432 127.0.0.1:40000"} {
		if !added[want] {
			t.Errorf("no added event for %s: %v", want, added)
		}
	}

	// sshd's IPv6 listener goes, postgres's connection changes state, and
	// a UDP socket comes that -t leaves out.
	replace(sshd4, strings.Replace(pg, `"ESTABLISHED"`, `"CLOSE_WAIT"`, 1), dns)
	var removed, changed bool
	w.waitEvent("the replaced file's changes", func(ev jsonEvent) bool {
		switch {
		case ev.Event == "removed" && ev.Socket.key() == "tcp [::]:22 [::]:0":
			removed = true
		case ev.Event == "changed" && ev.Socket.LocalPort == 5432:
			changed = slices.Equal(ev.Changes.State, []string{"ESTABLISHED", "CLOSE_WAIT"})
			if !changed {
				t.Errorf("changed event %v, want state ESTABLISHED to CLOSE_WAIT", ev.Changes.State)
			}
		default:
			t.Errorf("unexpected %s event for %s", ev.Event, ev.Socket.key())
		}
		return removed && changed
	})
	w.stop()

	// -c reads a replay too.
	r := portwatch(t, "-c", "100ms", "--count", "1", "--json", "-u", "--replay", path)
	if r.code != 0 || strings.Count(r.stdout, `"event":"added"`) != 1 || !strings.Contains(r.stdout, `"local_port":53,`) {
		t.Errorf("-c --replay -u: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
}
