package render

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// trackerRows runs the first n snapshots of the recorded watch sequence
// (see events_test.go) through a Tracker and returns its rows and the time
// of the last snapshot.
func trackerRows(t testing.TB, n int) ([]watch.Row, time.Time) {
	t.Helper()
	snaps := watchSnapshots(t)
	var tr watch.Tracker
	for _, s := range snaps[:n] {
		tr.Update(s)
	}
	return tr.Rows(), snaps[n-1].Time
}

type frameCase struct {
	name string
	step int // snapshots of the sequence seen
	opts FrameOptions
}

func frameCases() []frameCase {
	base := FrameOptions{
		Options:  withTestNames(Options{Owners: true}),
		Width:    110,
		Height:   18,
		Interval: time.Second,
	}
	with := func(f func(*FrameOptions)) FrameOptions {
		o := base
		f(&o)
		return o
	}
	return []frameCase{
		{"start", 1, base},
		// python3's listener appears (+), the java connection closes (-).
		{"added-removed", 2, base},
		// curl's connection is established (~ state), nginx gets a worker
		// (~ owner); the marks of step 2 linger.
		{"changed", 3, base},
		// curl's connection goes to TIME_WAIT and loses its owner, a
		// hostile process name appears, python3's listener goes.
		{"closing", 4, base},
		{"color", 3, with(func(o *FrameOptions) { o.Color = true })},
		{"color-closing", 4, with(func(o *FrameOptions) { o.Color = true; o.Paused = true })},
		{"narrow", 3, with(func(o *FrameOptions) { o.Width, o.Height = 50, 8 })},
		{"narrow-color", 4, with(func(o *FrameOptions) { o.Width, o.Height, o.Color = 50, 8, true })},
		{"filter-editing", 3, with(func(o *FrameOptions) { o.Filter, o.Editing = "SSH", true })},
		{"filter-words", 4, with(func(o *FrameOptions) { o.Filter = "listen 22" })},
		{"listening", 3, with(func(o *FrameOptions) { o.ListeningOnly, o.Sort = true, "port" })},
		{"help", 3, with(func(o *FrameOptions) { o.Help = true; o.Height = 24 })},
		{"help-color", 3, with(func(o *FrameOptions) { o.Help, o.Color, o.Height = true, true, 24 })},
		{"scrolled", 3, with(func(o *FrameOptions) { o.Height, o.Scroll = 8, 4 })},
		{"scrolled-past-end", 3, with(func(o *FrameOptions) { o.Height, o.Scroll = 8, 1000 })},
		{"sorted-extended", 4, with(func(o *FrameOptions) {
			o.Extended, o.Sort, o.Width = true, "state", 160
		})},
		{"extended-80", 4, with(func(o *FrameOptions) { o.Extended, o.Width = true, 80 })},
		{"numeric", 3, with(func(o *FrameOptions) { o.Owners, o.Numeric, o.Interval = false, true, 0 })},
		{"tiny", 3, with(func(o *FrameOptions) { o.Width, o.Height = 24, 3 })},
	}
}

func TestWatchFrameGolden(t *testing.T) {
	for _, c := range frameCases() {
		t.Run(c.name, func(t *testing.T) {
			rows, now := trackerRows(t, c.step)
			fr := WatchFrame(rows, c.opts, now)
			checkFrame(t, fr, c.opts)
			checkGolden(t, "frame-"+c.name+".txt", []byte(fr.Text+"\n"))
		})
	}
}

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripSGR removes the SGR codes of s.
func stripSGR(s string) string { return sgrRE.ReplaceAllString(s, "") }

// checkFrame checks the invariants of every frame: Height lines of at most
// Width cells, no escape but SGR codes and none without Color, nothing
// else a terminal would act on, and the scroll clamped.
func checkFrame(t testing.TB, fr Frame, o FrameOptions) {
	t.Helper()
	h, w := max(o.Height, 0), max(o.Width, 0)
	if h == 0 {
		if fr.Text != "" {
			t.Fatalf("%dx%d: text %q, want none", o.Width, o.Height, fr.Text)
		}
	} else if lines := strings.Split(fr.Text, "\n"); len(lines) != h {
		t.Fatalf("%dx%d: %d lines:\n%s", o.Width, o.Height, len(lines), fr.Text)
	}
	for i, line := range strings.Split(fr.Text, "\n") {
		if !o.Color && strings.Contains(line, "\x1b") {
			t.Fatalf("%dx%d: escape without colour in line %d: %q", o.Width, o.Height, i, line)
		}
		plain := stripSGR(line)
		if !utf8.ValidString(plain) {
			t.Fatalf("%dx%d: line %d is not UTF-8: %q", o.Width, o.Height, i, line)
		}
		if strings.HasSuffix(line, sgrReset) != (plain != line) {
			t.Fatalf("%dx%d: line %d does not end its colour: %q", o.Width, o.Height, i, line)
		}
		if got := twwidth.Width(plain); got > w {
			t.Fatalf("%dx%d: line %d is %d cells wide: %q", o.Width, o.Height, i, got, line)
		}
		for _, r := range plain {
			if terminalUnsafe(r) {
				t.Fatalf("%dx%d: raw control %U in line %d: %q", o.Width, o.Height, r, i, line)
			}
		}
	}
	if want := max(h-4, 0); fr.Page != want {
		t.Fatalf("%dx%d: page %d, want %d", o.Width, o.Height, fr.Page, want)
	}
	if fr.Scroll < 0 || fr.Scroll > max(0, fr.Shown-fr.Page) {
		t.Fatalf("scroll %d out of [0, %d]", fr.Scroll, max(0, fr.Shown-fr.Page))
	}
}

// TestWatchFrameSizes checks the invariants for every size up to 120x40
// and several option sets, on the rows with the hostile process name.
func TestWatchFrameSizes(t *testing.T) {
	rows, now := trackerRows(t, 4)
	names := withTestNames(Options{})
	sets := []FrameOptions{
		{Options: names},
		{Options: withTestNames(Options{Owners: true, Extended: true}), Color: true, Sort: "process", Interval: time.Second},
		{Options: withTestNames(Options{Owners: true, Numeric: true}), Filter: "tcp \x1b[31m", Editing: true, Paused: true},
		{Options: names, Help: true, Color: true},
		{Options: withTestNames(Options{Owners: true}), ListeningOnly: true, Scroll: 3, Color: true, Editing: true},
		{Options: withTestNames(Options{Owners: true, Extended: true}), Filter: strings.Repeat("long filter ", 20), Editing: true},
	}
	for i, o := range sets {
		for w := -1; w <= 120; w++ {
			for h := -1; h <= 40; h++ {
				o.Width, o.Height = w, h
				fr := WatchFrame(rows, o, now)
				checkFrame(t, fr, o)
				if t.Failed() {
					t.Fatalf("option set %d", i)
				}
			}
		}
	}
}

func TestWatchFrameDegenerate(t *testing.T) {
	rows, now := trackerRows(t, 3)
	o := FrameOptions{Width: -5, Height: -1}
	if fr := WatchFrame(rows, o, now); fr.Text != "" || fr.Shown != len(rows) || fr.Page != 0 || fr.Scroll != 0 {
		t.Errorf("negative size: %+v", fr)
	}
	o = FrameOptions{Width: 0, Height: 3, Color: true}
	if fr := WatchFrame(rows, o, now); fr.Text != "\n\n" {
		t.Errorf("width 0: %q", fr.Text)
	}
	o = FrameOptions{Width: 80, Height: 6, Filter: "nothing matches this"}
	fr := WatchFrame(nil, o, now)
	checkFrame(t, fr, o)
	if fr.Shown != 0 || !strings.Contains(fr.Text, "no rows") || !strings.Contains(fr.Text, "0 sockets") {
		t.Errorf("no rows:\n%s", fr.Text)
	}
}

// TestWatchFrameNoEscapes checks that a hostile process name shows
// escaped, in one row, and that a frame without colour has no escape.
func TestWatchFrameNoEscapes(t *testing.T) {
	rows, now := trackerRows(t, 4)
	o := FrameOptions{Options: withTestNames(Options{Owners: true, Extended: true}), Width: 200, Height: 30}
	fr := WatchFrame(rows, o, now)
	checkFrame(t, fr, o)
	if strings.ContainsAny(fr.Text, "\x1b\r\x07") {
		t.Errorf("raw control in frame:\n%q", fr.Text)
	}
	var hits []string
	for _, line := range strings.Split(fr.Text, "\n") {
		if strings.Contains(line, "6666") {
			hits = append(hits, line)
		}
	}
	want := `6666/evil\n\x1b[31mtcp  0.0.0.0:22\x07\r  mallory\x1b]0;pwned\x07`
	if len(hits) != 1 || !strings.Contains(hits[0], want) || !strings.HasPrefix(hits[0], "+ tcp ") {
		t.Errorf("hostile row: %q, want one row with %q", hits, want)
	}
}

func TestWatchFrameFilter(t *testing.T) {
	rows3, now3 := trackerRows(t, 3)
	rows4, now4 := trackerRows(t, 4)
	cases := []struct {
		step      int
		filter    string
		listening bool
		want      int
	}{
		{3, "", false, 11},
		{3, "   ", false, 11},
		{3, "ssh", false, 3}, // 2 listeners (sshd, service ssh) + the session
		{3, "SSHD", false, 3},
		{3, "nginx", false, 2},
		{3, "1203", false, 1},
		{3, "2001:DB8", false, 1},
		{3, "listen 22", false, 2},
		{3, "LISTEN  22 tcp6", false, 1},
		{3, "udp6", false, 1},
		{3, "unconn", false, 2},
		{3, "6379", false, 2}, // redis listener and the closed java connection
		{3, "https", false, 2},
		{3, "tcp", false, 9},
		{3, "zzz", false, 0},
		{3, "", true, 7},
		{3, "udp", true, 2},
		{3, "established", true, 0},
		{4, "evil", false, 1},
		{4, `\x1b[31m`, false, 1}, // as shown
		{4, "\x1b[31m", false, 1}, // sanitized like the name
		{4, "kernel", false, 0},
		{4, "time_wait", false, 1},
	}
	for _, c := range cases {
		rows, now := rows3, now3
		if c.step == 4 {
			rows, now = rows4, now4
		}
		o := FrameOptions{Options: withTestNames(Options{Owners: true}), Width: 100, Height: 20,
			Filter: c.filter, ListeningOnly: c.listening}
		fr := WatchFrame(rows, o, now)
		if fr.Shown != c.want {
			t.Errorf("step %d, filter %q, listening %t: %d rows, want %d:\n%s",
				c.step, c.filter, c.listening, fr.Shown, c.want, fr.Text)
		}
	}
}

// manyRows makes n distinct rows: listeners, connections in several states
// over IPv4 and IPv6, a few owners, every kind of mark.
func manyRows(n int) []watch.Row {
	names := []string{"nginx", "sshd", "postgres", "redis-server", "java", "curl", "python3", "Web Content"}
	states := []collector.State{collector.StateEstablished, collector.StateEstablished, collector.StateEstablished,
		collector.StateTimeWait, collector.StateListen, collector.StateSynSent, collector.StateCloseWait}
	rows := make([]watch.Row, n)
	for i := range rows {
		s := &rows[i].Socket
		s.Proto, s.Family = collector.ProtoTCP, collector.FamilyIPv4
		s.State = states[i%len(states)]
		s.UID = i % 3 * 1000
		s.Inode = uint64(100000 + i)
		s.RecvQ, s.SendQ = uint32(i%7), uint32(i%1000)
		local := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		remote := netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i * 7)})
		if i%5 == 0 {
			s.Family = collector.FamilyIPv6
			local = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)})
			remote = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
		}
		if i%13 == 0 {
			s.Proto, s.State = collector.ProtoUDP, collector.StateClose
		}
		ports := []uint16{22, 80, 443, 5432, 6379, 8080}
		if s.State == collector.StateListen || s.Proto == collector.ProtoUDP {
			s.Local = netip.AddrPortFrom(local, ports[i%len(ports)])
			s.Remote = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
		} else {
			s.Local = netip.AddrPortFrom(local, uint16(32768+i%28000))
			s.Remote = netip.AddrPortFrom(remote, ports[i%len(ports)])
		}
		if s.State == collector.StateTimeWait {
			s.Inode, s.OwnerUnknown = 0, collector.OwnerKernel
		} else {
			s.Owners = []collector.Owner{{PID: 1000 + i%4000, Process: names[i%len(names)], FD: 3 + i%50}}
		}
		rows[i].Mark = watch.Mark(i % 17 % 4)
	}
	return rows
}

// TestWatchFrameSort checks that the frame shows rows in the orders
// written out by hand for Sort (wantOrders), closed rows among the others,
// and keeps the rows' order for no key or an unknown one.
func TestWatchFrameSort(t *testing.T) {
	socks := orderSockets()
	rows := make([]watch.Row, len(socks))
	for i := range socks {
		rows[i] = watch.Row{Socket: socks[i], Mark: watch.Mark(i % 4)}
	}
	// The rows as the frame draws them, in the rows' order (key "").
	o := FrameOptions{Options: Options{Owners: true, Extended: true, Services: orderServices},
		Width: 200, Height: 4 + len(rows)}
	// The cursor's '>' is on whichever row comes first.
	unselected := func(line string) string {
		if len(line) > 1 && line[1] == '>' {
			return line[:1] + " " + line[2:]
		}
		return line
	}
	lines := strings.Split(WatchFrame(rows, o, time.Time{}).Text, "\n")[3 : 3+len(rows)]
	for i := range lines {
		lines[i] = unselected(lines[i])
	}
	letters := func(text string) string {
		var b strings.Builder
		for _, line := range strings.Split(text, "\n")[3 : 3+len(rows)] {
			j := slices.Index(lines, unselected(line))
			if j < 0 {
				t.Fatalf("line %q is no row's", line)
			}
			b.WriteByte(byte('a' + j))
		}
		return b.String()
	}
	for key, want := range wantOrders {
		if key == "" {
			continue
		}
		o.Sort = key
		if got := letters(WatchFrame(rows, o, time.Time{}).Text); got != want {
			t.Errorf("sort %q: rows %s, want %s", key, got, want)
		}
	}

	// The default keeps the rows' order; an unknown key too.
	for _, key := range []string{"", "nonsense"} {
		o.Sort = key
		fr := WatchFrame(rows, o, time.Time{})
		if got := letters(fr.Text); got != "abcdefgh" {
			t.Errorf("sort %q: rows %s, want abcdefgh", key, got)
		}
		if strings.Contains(fr.Text, "sort:") {
			t.Errorf("sort %q shows a sort key:\n%s", key, fr.Text)
		}
	}
}

func TestWatchFrameScroll(t *testing.T) {
	rows := manyRows(100)
	o := FrameOptions{Width: 120, Height: 14}
	for _, c := range []struct{ scroll, want int }{{-3, 0}, {0, 0}, {7, 7}, {90, 90}, {95, 90}, {1 << 62, 90}} {
		o.Scroll = c.scroll
		fr := WatchFrame(rows, o, time.Time{})
		checkFrame(t, fr, o)
		if fr.Scroll != c.want || fr.Page != 10 || fr.Shown != 100 {
			t.Errorf("scroll %d: got scroll %d page %d shown %d, want scroll %d page 10 shown 100",
				c.scroll, fr.Scroll, fr.Page, fr.Shown, c.want)
		}
		lines := strings.Split(fr.Text, "\n")
		if want := fmt.Sprintf("rows %d-%d of 100", c.want+1, c.want+10); lines[1] != want {
			t.Errorf("scroll %d: line 2 %q, want %q", c.scroll, lines[1], want)
		}
		if want := FormatAddr(rows[c.want].Socket.Local); !strings.Contains(lines[3], " "+want+" ") {
			t.Errorf("scroll %d: first row %q, want the row of %s", c.scroll, lines[3], want)
		}
	}
	// Fewer rows than the page: nothing to scroll.
	o.Scroll = 5
	if fr := WatchFrame(rows[:4], o, time.Time{}); fr.Scroll != 0 {
		t.Errorf("scroll %d with 4 rows", fr.Scroll)
	}
}

// TestWatchFrameWidthsStable checks that column widths do not change while
// scrolling: they are measured over every matching row.
func TestWatchFrameWidthsStable(t *testing.T) {
	rows := manyRows(200)
	o := FrameOptions{Options: Options{Owners: true}, Width: 200, Height: 10}
	var header string
	for scroll := 0; scroll < 200; scroll += 6 {
		o.Scroll = scroll
		h := strings.Split(WatchFrame(rows, o, time.Time{}).Text, "\n")[2]
		if header == "" {
			header = h
		} else if h != header {
			t.Fatalf("header changed at scroll %d:\n%q\n%q", scroll, header, h)
		}
	}
}

func TestWatchFrameWide(t *testing.T) {
	// A long owner list and a wide name must not push the table off the
	// screen or wrap it; addresses keep their port when cut.
	var owners []collector.Owner
	for pid := 100; pid < 140; pid++ {
		owners = append(owners, collector.Owner{PID: pid, Process: "日本語のプロセス", FD: 3})
	}
	rows := []watch.Row{{Socket: collector.Socket{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv6, State: collector.StateEstablished,
		Local:  netip.MustParseAddrPort("[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535"),
		Remote: netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone("東京"), 443),
		UID:    1, Owners: owners,
	}, Mark: watch.New}}
	for w := 1; w <= 200; w++ {
		o := FrameOptions{Options: Options{Owners: true, Extended: true, UserName: func(int) string { return "ユーザー" }},
			Width: w, Height: 6, Color: w%2 == 0}
		fr := WatchFrame(rows, o, time.Time{})
		checkFrame(t, fr, o)
		row := stripSGR(strings.Split(fr.Text, "\n")[3])
		if w >= 60 && !strings.Contains(row, ":65535") {
			t.Errorf("width %d: local port cut: %q", w, row)
		}
	}
}

// fuzzStringMax bounds the strings FuzzWatchFrame gives the frame. A
// frame's cost grows with its text, and for an interesting input Go's
// minimizer tries on the order of n*n candidates per string of n bytes: a
// 935-byte filter (testdata/fuzz/FuzzWatchFrame/long-filter) kept a worker
// minimizing for the whole default budget of a minute, the run showed
// 0 execs/s, and a -fuzztime ending meanwhile could fail with "context
// deadline exceeded". Bytes past the bound add no coverage, so the
// minimizer cuts them in a few tries, and 128 bytes are wider than any
// name the system gives and than the filter the view lets one type.
const fuzzStringMax = 128

// fuzzFrameCase is FuzzWatchFrame's input made into rows and options: the
// recorded rows plus one made of the fuzzed name, as process, zone,
// service and user name.
func fuzzFrameCase(rows []watch.Row, width, height int, filter, process string, scroll int, flags uint16) ([]watch.Row, FrameOptions) {
	filter = filter[:min(len(filter), fuzzStringMax)]
	process = process[:min(len(process), fuzzStringMax)]
	width, height = width%400, height%200
	sorts := []string{"", "proto", "local", "remote", "state", "service", "pid", "process",
		"user", "inode", "port", "rport", "recv-q", "send-q", " PID ", "nonsense"}
	rs := append(slices.Clone(rows), watch.Row{Socket: collector.Socket{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv6, State: collector.State(flags >> 8),
		Local:  netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone(process), 80),
		Remote: netip.MustParseAddrPort("[::1]:5000"), UID: 7,
		Owners: []collector.Owner{{PID: scroll, Process: process, FD: 1}},
	}, Mark: watch.Mark((flags >> 12) % 4)})
	o := FrameOptions{
		Options: Options{
			Owners:   flags&1 != 0,
			Extended: flags&2 != 0,
			Numeric:  flags&4 != 0,
			Services: fakeServices{"tcp": {80: process, 22: "ssh"}},
			UserName: func(int) string { return process },
		},
		Width: width, Height: height,
		Color:         flags&8 != 0,
		Sort:          sorts[int(flags>>4)%len(sorts)],
		Filter:        filter,
		ListeningOnly: flags&0x100 != 0,
		Scroll:        scroll,
		Paused:        flags&0x200 != 0,
		Interval:      time.Duration(scroll),
		Help:          flags&0x400 != 0,
		Editing:       flags&0x800 != 0,
	}
	return rs, o
}

// TestFuzzWatchFrameBoundsInput checks that the input that stalled the
// fuzzer reaches the frame bounded: the frame's work, and the minimizer's,
// no longer grows with the length the fuzzer gives.
func TestFuzzWatchFrameBoundsInput(t *testing.T) {
	rows, _ := trackerRows(t, 4)
	long := strings.Repeat("\xbd\u07bds[m\x1e", 100)
	rs, o := fuzzFrameCase(rows, -75, 1, long, long, -51, 326)
	if len(o.Filter) != fuzzStringMax {
		t.Errorf("filter of %d bytes reaches the frame, want %d", len(o.Filter), fuzzStringMax)
	}
	last := rs[len(rs)-1].Socket
	for what, n := range map[string]int{
		"process": len(last.Owners[0].Process),
		"zone":    len(last.Local.Addr().Zone()),
		"service": len(o.Services.Name("tcp", 80)),
		"user":    len(o.UserName(7)),
	} {
		if n != fuzzStringMax {
			t.Errorf("%s of %d bytes reaches the frame, want %d", what, n, fuzzStringMax)
		}
	}
}

// FuzzWatchFrame checks the frame's invariants (see checkFrame) for any
// size, filter and process name, and that it shows every row when nothing
// filters them.
func FuzzWatchFrame(f *testing.F) {
	f.Add(80, 24, "ssh", "nginx", 0, uint16(0))
	f.Add(50, 8, "", "evil\n\x1b[31mtcp\x07\r", 3, uint16(0xffff))
	f.Add(1, 1, "\x1b", "日本語\u202e\x85\xff", -7, uint16(0x155))
	f.Add(-3, 100, "  a  B ", "", 1<<40, uint16(0x2aa))
	f.Add(120, 30, "\u200e", "x\u200fy\u200b\U000e0041", 2, uint16(0x73))
	rows, now := trackerRows(f, 4)
	f.Fuzz(func(t *testing.T, width, height int, filter, process string, scroll int, flags uint16) {
		rs, o := fuzzFrameCase(rows, width, height, filter, process, scroll, flags)
		fr := WatchFrame(rs, o, now)
		checkFrame(t, fr, o)
		if fr.Shown > len(rs) {
			t.Fatalf("%d rows shown of %d", fr.Shown, len(rs))
		}
		if o.Filter == "" && !o.ListeningOnly && fr.Shown != len(rs) {
			t.Fatalf("no filter: %d rows shown of %d", fr.Shown, len(rs))
		}
	})
}

// BenchmarkWatchFrame draws a 200x50 frame of 100k rows.
func BenchmarkWatchFrame(b *testing.B) {
	rows := manyRows(100_000)
	base := FrameOptions{Options: Options{Owners: true, Services: testServices}, Width: 200, Height: 50,
		Interval: time.Second, Scroll: 50_000}
	for _, c := range []struct {
		name string
		f    func(*FrameOptions)
	}{
		{"default", func(*FrameOptions) {}},
		{"extended", func(o *FrameOptions) { o.Extended = true; o.UserName = testUserName }},
		{"sort=state", func(o *FrameOptions) { o.Sort = "state" }},
		{"sort=process", func(o *FrameOptions) { o.Sort = "process" }},
		{"sort=local", func(o *FrameOptions) { o.Sort = "local" }},
		{"filter=nginx", func(o *FrameOptions) { o.Filter = "nginx" }},
		{"filter=miss", func(o *FrameOptions) { o.Filter = "no such thing" }},
		{"filter+sort", func(o *FrameOptions) { o.Filter, o.Sort = "established 443", "pid" }},
	} {
		o := base
		c.f(&o)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				WatchFrame(rows, o, time.Time{})
			}
		})
	}
}

// TestWatchFrameNetns: with more than one namespace the live view has the
// Netns column first, names escaped; it gives way on a narrow terminal.
func TestWatchFrameNetns(t *testing.T) {
	snap := readTestSnapshot(t, "testdata/netns.json")
	var tr watch.Tracker
	tr.Update(snap)
	opts := FrameOptions{
		Options:  withTestNames(Options{Owners: true, Netns: true, Namespaces: snap.Namespaces}),
		Width:    110,
		Height:   12,
		Interval: time.Second,
	}
	fr := WatchFrame(tr.Rows(), opts, snap.Time)
	checkFrame(t, fr, opts)
	checkGolden(t, "frame-netns.txt", []byte(fr.Text+"\n"))
	lines := strings.Split(fr.Text, "\n")
	header := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "Proto") })
	if header < 0 || !strings.HasPrefix(strings.TrimSpace(lines[header]), "Netns") {
		t.Fatalf("no Netns column first:\n%s", fr.Text)
	}
	if !strings.Contains(fr.Text, "web ") || !strings.Contains(fr.Text, `evil\x1b[31m\u202ename`) {
		t.Errorf("namespace names missing or not escaped:\n%s", fr.Text)
	}
	for w := 20; w <= 110; w += 7 {
		opts.Width = w
		checkFrame(t, WatchFrame(tr.Rows(), opts, snap.Time), opts)
	}
}
