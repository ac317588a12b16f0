package render

import (
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/watch"
)

func TestAppendRate(t *testing.T) {
	for _, c := range []struct {
		known bool
		v     float64
		want  string
	}{
		{false, 5, "-"}, {true, 0, "0"}, {true, -3, "0"}, {true, 512.4, "512"}, {true, 1023.4, "1023"},
		{true, 1536, "1.5K"}, {true, 10.5 * 1024, "11K"}, {true, 9.96 * 1024, "10K"},
		{true, 3.4 * 1024 * 1024, "3.4M"}, {true, 2 << 30, "2.0G"}, {true, 5e15, "4547T"},
	} {
		if got := string(appendRate(nil, c.known, c.v)); got != c.want {
			t.Errorf("appendRate(%v, %v) = %q, want %q", c.known, c.v, got, c.want)
		}
	}
}

// rowLine returns the frame line that shows text, failing without one.
func rowLine(t *testing.T, fr Frame, text string) string {
	t.Helper()
	for _, l := range strings.Split(fr.Text, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	t.Fatalf("no line with %q:\n%s", text, fr.Text)
	return ""
}

// With Rates, Send/s and Recv/s come after State, "-" where a row has no
// counters; line 2 says rates are on.
func TestWatchFrameRates(t *testing.T) {
	rows := manyRows(4)
	rows[1].Rates, rows[1].SendRate, rows[1].RecvRate = true, 1536, 3*1024*1024
	rows[2].Rates = true
	o := FrameOptions{Options: Options{Owners: true}, Width: 160, Height: 10, Rates: true}
	fr := WatchFrame(rows, o, time.Time{})
	checkFrame(t, fr, o)
	lines := strings.Split(fr.Text, "\n")
	if !strings.Contains(lines[1], "rates") {
		t.Errorf("line 2 %q does not say rates are on", lines[1])
	}
	header := lines[2]
	if st, send, recv, svc := strings.Index(header, "State"), strings.Index(header, "Send/s"),
		strings.Index(header, "Recv/s"), strings.Index(header, "Service"); !(st < send && send < recv && recv < svc) || st < 0 {
		t.Errorf("header %q: want State, Send/s, Recv/s, Service in that order", header)
	}
	l := rowLine(t, fr, FormatAddr(rows[1].Socket.Local))
	if f := strings.Fields(l[2:]); len(f) < 6 || f[4] != "1.5K" || f[5] != "3.0M" {
		t.Errorf("row with rates %q: want 1.5K and 3.0M after the state", l)
	}
	if f := strings.Fields(rowLine(t, fr, FormatAddr(rows[2].Socket.Local))[2:]); f[4] != "0" || f[5] != "0" {
		t.Errorf("an idle connection's rates: %v", f)
	}
	if f := strings.Fields(rowLine(t, fr, FormatAddr(rows[3].Socket.Local))[2:]); f[4] != "-" || f[5] != "-" {
		t.Errorf("a row without counters: %v", f)
	}
}

// The process view sums the matching rows per owner, busiest first, and
// names the selected process.
func TestWatchFrameProcesses(t *testing.T) {
	rows := manyRows(40)
	for i := range rows {
		rows[i].Mark = watch.Steady
		rows[i].Rates, rows[i].SendRate = true, float64(rows[i].Socket.Inode%7)*1024
	}
	o := FrameOptions{Width: 80, Height: 30, Processes: true, Filter: "tcp"}
	fr := WatchFrame(rows, o, time.Time{})
	checkFrame(t, fr, o)
	var idx []int
	for i := range rows {
		if strings.HasPrefix(protoColumn(&rows[i].Socket), "tcp") {
			idx = append(idx, i)
		}
	}
	want := watch.ProcessRates(rows, idx)
	if fr.Shown != len(want) || fr.Row != -1 || fr.Process != want[0] || !fr.Selected.Set || fr.Selected.PID != want[0].PID {
		t.Fatalf("shown %d (want %d), row %d, process %+v (want %+v)", fr.Shown, len(want), fr.Row, fr.Process, want[0])
	}
	lines := strings.Split(fr.Text, "\n")
	if h := strings.Fields(lines[2]); strings.Join(h, " ") != "PID/Program Sockets Send/s Recv/s" {
		t.Errorf("header %q", lines[2])
	}
	for i, p := range want[:min(len(want), fr.Page)] {
		line := lines[3+i]
		f := strings.Fields(line)
		name := "-"
		if p.PID != 0 {
			name = strings.Join([]string{itoa(p.PID), p.Process}, "/")
		}
		if !strings.HasPrefix(strings.TrimLeft(line[2:], " "), name) || f[len(f)-3] != itoa(p.Sockets) ||
			f[len(f)-2] != string(appendRate(nil, p.Rates, p.SendRate)) {
			t.Errorf("line %d %q, want %+v", i, line, p)
		}
		if (i == 0) != (line[1] == '>') {
			t.Errorf("line %d %q: the cursor is on the first line only", i, line)
		}
	}
	if !strings.Contains(lines[1], "processes 1-") {
		t.Errorf("line 2 %q", lines[1])
	}
	// A selected process keeps the cursor when the order changes.
	o.Select = Selection{Set: true, PID: want[2].PID, Process: want[2].Process}
	if fr := WatchFrame(rows, o, time.Time{}); fr.Cursor != 2 || fr.Process != want[2] {
		t.Errorf("selecting %+v: cursor %d, process %+v", want[2], fr.Cursor, fr.Process)
	}
}

func itoa(n int) string { return string(appendDecimal(nil, uint64(n))) }

// The cursor stays on the selected socket across a new order and scrolls
// to it; without a selection that is shown, Cursor is used, kept on the
// screen that Scroll shows.
func TestWatchFrameSelect(t *testing.T) {
	rows := manyRows(100)
	o := FrameOptions{Width: 120, Height: 14}
	fr := WatchFrame(rows, o, time.Time{})
	if fr.Cursor != 0 || fr.Row != 0 || fr.Selected.Key != watch.KeyOf(&rows[0].Socket) {
		t.Fatalf("start: cursor %d row %d", fr.Cursor, fr.Row)
	}
	o.Select = Selection{Set: true, Key: watch.KeyOf(&rows[57].Socket)}
	fr = WatchFrame(rows, o, time.Time{})
	if fr.Cursor != 57 || fr.Row != 57 || fr.Scroll != 48 {
		t.Errorf("select row 57: cursor %d row %d scroll %d, want 57 57 48", fr.Cursor, fr.Row, fr.Scroll)
	}
	if l := rowLine(t, fr, FormatAddr(rows[57].Socket.Local)+" "); l[1] != '>' {
		t.Errorf("the selected row %q has no cursor", l)
	}
	// Sorted another way, the same socket keeps the cursor.
	o.Sort = "remote"
	fr = WatchFrame(rows, o, time.Time{})
	if fr.Row != 57 || fr.Cursor < fr.Scroll || fr.Cursor >= fr.Scroll+fr.Page {
		t.Errorf("sorted by remote: row %d cursor %d scroll %d", fr.Row, fr.Cursor, fr.Scroll)
	}
	// Scrolled back up to 10 with the selection gone: the cursor goes
	// onto the screen.
	o.Sort, o.Select, o.Cursor, o.Scroll = "", Selection{}, 57, 10
	fr = WatchFrame(rows, o, time.Time{})
	if fr.Scroll != 10 || fr.Cursor != 19 || fr.Row != 19 {
		t.Errorf("scroll 10, cursor 57: scroll %d cursor %d row %d, want 10 19 19", fr.Scroll, fr.Cursor, fr.Row)
	}
	// A selection filtered out: Cursor, clamped.
	o.Select, o.Filter, o.Cursor, o.Scroll = Selection{Set: true, Key: watch.KeyOf(&rows[57].Socket)}, "udp", 500, 0
	fr = WatchFrame(rows, o, time.Time{})
	if fr.Cursor != min(fr.Shown-1, fr.Page-1) || fr.Row < 0 || rows[fr.Row].Socket.Proto.String() != "udp" {
		t.Errorf("filtered out: cursor %d row %d shown %d", fr.Cursor, fr.Row, fr.Shown)
	}
	// Nothing shown: no selection.
	o.Filter = "no such row"
	if fr := WatchFrame(rows, o, time.Time{}); fr.Selected.Set || fr.Row != -1 || fr.Cursor != 0 {
		t.Errorf("no rows: %+v", fr)
	}
}

// A message takes the second line; asking shows y on the key line.
func TestWatchFrameMessage(t *testing.T) {
	o := FrameOptions{Width: 100, Height: 8, Message: "close tcp 10.0.0.1:1 -> 10.0.0.2:2 (4242/curl)? [y/N]", Asking: true}
	fr := WatchFrame(manyRows(3), o, time.Time{})
	checkFrame(t, fr, o)
	lines := strings.Split(fr.Text, "\n")
	if lines[1] != o.Message || !strings.HasPrefix(lines[len(lines)-1], "y yes") {
		t.Errorf("message frame:\n%s", fr.Text)
	}
	o.Message, o.Asking = "evil\x1b[2J", false
	if l := strings.Split(WatchFrame(manyRows(3), o, time.Time{}).Text, "\n")[1]; strings.Contains(l, "\x1b") {
		t.Errorf("a message is not sanitized: %q", l)
	}
}
