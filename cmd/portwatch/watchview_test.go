package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/render"
)

func viewSnapshot(sec int, ports ...uint16) snapshotMsg {
	snap := &collector.Snapshot{Time: time.Date(2026, 11, 21, 12, 0, sec, 0, time.UTC)}
	for _, p := range ports {
		snap.Sockets = append(snap.Sockets, collector.Socket{
			Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, State: collector.StateListen,
			Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p), Inode: uint64(p),
			Remote: netip.AddrPortFrom(netip.IPv4Unspecified(), 0),
		})
	}
	return snapshotMsg{snap: snap}
}

func press(m *viewModel, keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		m.Update(k)
	}
}

func char(c rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: c, Text: string(c)} }

// TestViewModelKeys drives the live view's model with messages, as
// bubbletea would, and checks each key's effect on what is drawn.
func TestViewModelKeys(t *testing.T) {
	m := &viewModel{
		src:      &watchSource{flags: &listFlags{}},
		interval: time.Second,
		frame:    render.FrameOptions{Width: 100, Height: 12, Sort: "local", Interval: time.Second},
	}
	screen := func() string { return m.View().Content }
	m.Update(viewSnapshot(0, 8080, 9090))
	if s := screen(); !strings.Contains(s, "127.0.0.1:8080") || strings.Contains(s, "+ tcp") {
		t.Fatalf("first refresh: both listeners, no marks:\n%s", s)
	}
	m.Update(viewSnapshot(1, 8080, 9090, 7070))
	if s := screen(); !strings.Contains(s, "+ tcp    127.0.0.1:7070") {
		t.Fatalf("a new listener is not marked:\n%s", s)
	}

	// space pauses: refreshes are not applied, ticks do not collect.
	press(m, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	if s := screen(); !m.frame.Paused || !strings.Contains(s, "PAUSED") {
		t.Fatalf("space did not pause:\n%s", s)
	}
	m.Update(viewSnapshot(2, 8080))
	if _, cmd := m.Update(tickMsg{}); cmd == nil || !strings.Contains(screen(), "127.0.0.1:9090") {
		t.Errorf("a paused view changed or stopped ticking:\n%s", screen())
	}
	press(m, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	if m.frame.Paused {
		t.Error("space did not resume")
	}

	press(m, char('s'))
	if m.frame.Sort != "state" {
		t.Errorf("s: sort %q, want state", m.frame.Sort)
	}
	press(m, char('l'))
	if !m.frame.ListeningOnly {
		t.Error("l did not turn on listening only")
	}
	press(m, char('o'))
	if !m.frame.Owners || !strings.Contains(screen(), "PID/Program") {
		t.Errorf("o did not show owners:\n%s", screen())
	}
	press(m, char('?'))
	if s := screen(); !m.frame.Help || !strings.Contains(s, "quit") {
		t.Errorf("? did not show the help:\n%s", s)
	}
	press(m, char('x'))
	if m.frame.Help {
		t.Error("a key did not close the help")
	}

	// / opens the filter prompt; typed text filters, Enter keeps it.
	press(m, char('/'), char('9'), char('0'), char('9'), char('9'),
		tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyEnter})
	if s := screen(); m.frame.Filter != "909" || m.frame.Editing || !strings.Contains(s, "9090") || strings.Contains(s, "8080") {
		t.Errorf("filter %q (editing %v), screen:\n%s", m.frame.Filter, m.frame.Editing, s)
	}
	press(m, tea.KeyPressMsg{Code: tea.KeyEscape})
	if m.frame.Filter != "" {
		t.Error("Esc did not clear the filter")
	}

	// Scrolling is clamped to the rows there are.
	press(m, tea.KeyPressMsg{Code: tea.KeyPgDown}, tea.KeyPressMsg{Code: tea.KeyPgDown})
	screen()
	if m.frame.Scroll != 0 {
		t.Errorf("PgDn over 3 rows that fit: scroll %d, want 0", m.frame.Scroll)
	}
	if _, cmd := m.Update(char('q')); cmd == nil {
		t.Error("q did not quit")
	}
}

// TestViewModelDrawsOnlyWhenChanged checks that a tick of a paused view
// does not redraw a frame that cannot have changed.
func TestViewModelDrawsOnlyWhenChanged(t *testing.T) {
	m := &viewModel{
		src:   &watchSource{flags: &listFlags{}},
		frame: render.FrameOptions{Width: 80, Height: 10, Sort: "local"},
	}
	m.Update(viewSnapshot(0, 8080))
	first := m.View().Content
	press(m, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
	m.View()
	m.Update(tickMsg{})
	if m.stale {
		t.Error("a tick of a paused view marked the frame stale")
	}
	m.Update(viewSnapshot(1, 8080, 9090))
	if m.stale || strings.Contains(m.View().Content, "9090") || first == "" {
		t.Error("a refresh while paused was drawn")
	}
}

// warningProcRoot returns a procfs root whose /net/tcp holds one loopback
// listener and whose /net/udp cannot be read (a directory), so that every
// collect from it warns.
func warningProcRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	tcp := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0\n"
	if err := os.MkdirAll(filepath.Join(root, "net", "udp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "net", "tcp"), []byte(tcp), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestViewModelQuitWhileCollecting quits the view while a collect that
// warns is still running, as bubbletea runs it: on a goroutine of its own.
// Under -race the quitting path must not race with the collect, and the
// warning must still reach stderr once its refresh was taken in.
func TestViewModelQuitWhileCollecting(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the warning comes from a procfs table, read on Linux only")
	}
	c, err := collector.New(collector.Options{
		Source:      collector.SourceProcfs,
		ProcRoot:    warningProcRoot(t),
		Protos:      []collector.Proto{collector.ProtoTCP, collector.ProtoUDP},
		Families:    []collector.Family{collector.FamilyIPv4},
		Incremental: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	src := &watchSource{flags: &listFlags{}, view: true}
	src.collectors = map[collectWhat]collector.Collector{{}: c}
	m := &viewModel{
		ctx:   context.Background(),
		src:   src,
		frame: render.FrameOptions{Width: 80, Height: 10, Sort: "local"},
	}
	for round := 0; round < 2; round++ {
		cmd := m.collect()
		done := make(chan tea.Msg, 1)
		go func() { done <- cmd() }()
		var early bytes.Buffer
		m.writeWarnings(&early) // q pressed while the collect runs
		msg := <-done
		if round == 0 && early.Len() != 0 {
			t.Errorf("warnings before any refresh came in: %q", early.String())
		}
		m.Update(msg)
	}
	var stderr bytes.Buffer
	m.writeWarnings(&stderr)
	if got := stderr.String(); strings.Count(got, "portwatch: warning: cannot read ") != 1 || !strings.Contains(got, "net/udp") {
		t.Errorf("stderr after the view: %q, want the udp table's warning once", got)
	}
	if s := m.View().Content; !strings.Contains(s, "127.0.0.1:8080") {
		t.Errorf("the listener of the refresh is not shown:\n%s", s)
	}
}

// connSnapshot is a refresh with a listener on 8080 and one established
// connection from port 40000 to it, owned by pid, with a cookie and byte
// counters.
func connSnapshot(sec int, pid int, sent uint64) snapshotMsg {
	msg := viewSnapshot(sec, 8080)
	c := collector.Socket{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, State: collector.StateEstablished,
		Local:  netip.MustParseAddrPort("127.0.0.1:40000"),
		Remote: netip.MustParseAddrPort("127.0.0.1:8080"), Inode: 77, Cookie: 0x1234,
		Owners:    []collector.Owner{{PID: pid, Process: "client", FD: 3}},
		Internals: &collector.Internals{HasTCP: true, TCP: collector.TCPInfo{BytesSent: sent, BytesAcked: sent, Size: 232}},
	}
	msg.snap.Sockets = append(msg.snap.Sockets, c)
	msg.what = collectWhat{owners: true, info: true}
	return msg
}

// The selection moves with the arrows and k and K ask before they act;
// any key but y answers no. b shows the rates, P the processes.
func TestViewModelSelectAndAsk(t *testing.T) {
	m := &viewModel{
		src:      &watchSource{flags: &listFlags{}},
		interval: time.Second,
		frame: render.FrameOptions{Width: 140, Height: 12, Sort: "local", Interval: time.Second,
			Options: render.Options{Owners: true}},
	}
	screen := func() string { return m.View().Content }
	m.Update(connSnapshot(0, 4242, 1000))
	m.Update(connSnapshot(1, 4242, 1000+2048))
	s := screen()
	if m.selected == nil || m.selected.Local.Port() != 8080 || !strings.Contains(s, " >tcp    127.0.0.1:8080") {
		t.Fatalf("the first row (sorted by local) is not selected:\n%s", s)
	}
	press(m, char('k'))
	if s := screen(); m.ask != nil || !strings.Contains(s, "k leaves listeners alone") {
		t.Errorf("k on a listener:\n%s", s)
	}
	press(m, tea.KeyPressMsg{Code: tea.KeyDown})
	if screen(); m.selected == nil || m.selected.Local.Port() != 40000 {
		t.Fatalf("Down did not select the connection: %+v", m.selected)
	}
	press(m, char('k'))
	if s := screen(); m.ask == nil || m.ask.close == nil || m.ask.close.Cookie != 0x1234 ||
		!strings.Contains(s, "close tcp 127.0.0.1:40000 -> 127.0.0.1:8080  4242/client? [y/N]") || !strings.Contains(s, "y yes") {
		t.Fatalf("k on the connection does not ask:\n%s", s)
	}
	if _, cmd := m.Update(char('n')); cmd != nil || m.ask != nil || !strings.Contains(screen(), "nothing closed") {
		t.Errorf("n did not answer no:\n%s", screen())
	}
	press(m, char('K'))
	if s := screen(); m.ask == nil || len(m.ask.pids) != 1 || m.ask.pids[0].pid != 4242 || !strings.Contains(s, "send SIGTERM to 4242/client? [y/N]") {
		t.Fatalf("K does not ask:\n%s", s)
	}
	press(m, tea.KeyPressMsg{Code: tea.KeyEscape})
	if m.ask != nil || !strings.Contains(screen(), "no signal sent") {
		t.Errorf("Esc did not answer no:\n%s", screen())
	}
	m.Update(connSnapshot(2, 1, 5000))
	press(m, char('K'))
	if s := screen(); m.ask != nil || !strings.Contains(s, "PID 1 is the system's init") {
		t.Errorf("K on PID 1:\n%s", s)
	}

	if runtime.GOOS == "linux" {
		press(m, char('b'))
		if s := screen(); !m.frame.Rates || !strings.Contains(s, "Send/s") {
			t.Errorf("b did not show rates:\n%s", s)
		}
		m.Update(connSnapshot(3, 4242, 5000+3*1024))
		if s := screen(); !strings.Contains(s, "3.0K") {
			t.Errorf("3 KiB in a second is not shown as 3.0K:\n%s", s)
		}
		press(m, char('P'))
		s := screen()
		if !m.frame.Processes || !strings.Contains(s, "PID/Program") || !strings.Contains(s, "4242/client") ||
			m.selectedPID.PID != 4242 {
			t.Errorf("P did not show the busiest process first:\n%s", s)
		}
	}
}
