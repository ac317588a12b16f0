package render

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// This file draws the live view of portwatch watch: one full screen of
// text that a terminal UI prints as it is.

// FrameOptions select what WatchFrame draws. The zero value draws nothing
// (a 0x0 screen).
type FrameOptions struct {
	// Options choose the columns and names as for Table: Owners,
	// Extended, Numeric, Services and UserName are honoured; Stream and
	// NoHeader are ignored.
	Options
	// Width and Height are the terminal's size in cells. The frame has
	// exactly Height lines, each at most Width cells wide.
	Width, Height int
	// Color draws with ANSI SGR codes: new rows green, closed rows red,
	// changed rows yellow, the status line in reverse video and the column
	// header bold. Without it the frame holds no escape byte at all.
	Color bool
	// Sort is a key of Sort (see SortKeysAccepted), compared as Sort
	// compares; "" keeps the order of the rows given. An unknown key is
	// the order given too.
	Sort string
	// Filter keeps the rows that match every space-separated word of it,
	// case-insensitively: a word matches when it is a substring of the
	// Proto column, the local or foreign address text (with its port), the
	// state, the service name, an owner's PID or an owner's process name
	// (as shown, sanitized).
	Filter string
	// ListeningOnly keeps only listening sockets (TCP LISTEN, UDP UNCONN).
	ListeningOnly bool
	// Scroll is the index, among the matching rows in their sorted
	// order, of the first row shown. WatchFrame clamps it; see
	// Frame.Scroll.
	Scroll int
	// Paused adds PAUSED to the status line.
	Paused bool
	// Interval is the refresh interval the status line shows; 0 shows
	// none.
	Interval time.Duration
	// Help shows the list of keys instead of the rows.
	Help bool
	// Editing shows the filter prompt with a cursor ("/" Filter "_").
	Editing bool
}

// Frame is one drawn screen.
type Frame struct {
	// Text is exactly Height lines joined by "\n", without a trailing
	// newline ("" when Height <= 0). Each line is at most Width display
	// cells wide, not counting SGR codes; lines carry no trailing spaces
	// unless Color pads the status line.
	Text string
	// Shown is the number of rows that match Filter and ListeningOnly.
	Shown int
	// Scroll is FrameOptions.Scroll clamped to [0, max(0, Shown-Page)]:
	// the index of the first row shown.
	Scroll int
	// Page is the number of rows the screen has room for: Height-4, and
	// 0 when Height < 4.
	Page int
}

// SGR codes of the live view.
const (
	sgrReset   = "\x1b[0m"
	sgrBold    = "\x1b[1m"
	sgrReverse = "\x1b[7m"
	sgrRed     = "\x1b[31m"
	sgrGreen   = "\x1b[32m"
	sgrYellow  = "\x1b[33m"
)

// frameChrome is the number of lines around the rows: the status line, the
// filter line, the column header and the key line.
const frameChrome = 4

// ellipsis marks text cut to fit.
const ellipsis = "…"

// markWidth is the width of the mark column and the space after it.
const markWidth = 2

// WatchFrame draws one screen of the live view of rows (watch.Tracker.Rows)
// at time now. It is a pure function of its arguments.
//
// Layout, top to bottom:
//
//	portwatch  12:00:03  every 1s  PAUSED  14 sockets: 6 ESTABLISHED  3 UNCONN  5 LISTEN  +1 ~2 -1
//	/ssh_  sort: state  listening only  rows 1-20 of 42
//	  Proto  Local Address  Foreign Address  State   Service  PID/Program
//	+ tcp    0.0.0.0:8000   0.0.0.0:*        LISTEN  -        4242/python3
//	...
//	q quit  space resume  s sort  / filter  l listening  o owners  ? help
//
// The status line shows the time of now (in now's location), the interval,
// PAUSED, the number of live (not closed) matching rows with their count
// per state, in the kernel's state order as Summary orders them, and the
// number of matching rows marked new (+), changed (~) and closed (-). The
// second line shows the filter prompt when Editing or when Filter is set,
// the sort key, "listening only" and which rows are shown. Then come the
// column header and Page rows, then the key hints (in help mode and while
// editing, the keys that apply there). With fewer than 4 lines, the status
// line, the key line and the column header (or the prompt while editing)
// are kept in that order.
//
// Each row starts with its mark's symbol (watch.Mark.Symbol: "+", "-",
// "~" or " ") and a space, then Table's columns for opts.Options, with
// Table's titles and cell values. A changed row shows its new state and
// owners. Column widths are measured over every matching row, not only the
// shown ones, so they do not change while scrolling. When the columns are
// wider than Width, they give way in this order: the PID/Program column
// shrinks to 20 cells, the address columns to 21 (an IPv4 address and
// port), the Service column to 10 and the User column to 8, then the
// Extended columns are dropped from the right, then PID/Program shrinks to
// 12 and the addresses to 10, then the last column shrinks to 5 cells or,
// when even that is too wide, is dropped, until the table fits or one
// column is left; a line still too wide is cut at Width. A cut cell or
// line ends in "…"; a cut address starts with "…" instead, so its port
// stays visible. Nothing wraps.
//
// Rows are sorted by opts.Sort (closed rows among the others); only the
// shown rows are formatted, but every row is filtered and measured, so a
// frame of 100k rows takes some tens of milliseconds. Every string that
// came from the system, and the filter text, is sanitized.
func WatchFrame(rows []watch.Row, opts FrameOptions, now time.Time) Frame {
	height := max(opts.Height, 0)
	width := max(opts.Width, 0)
	page := max(height-frameChrome, 0)

	f := frameWriter{opts: opts, width: width, ellW: displayWidth([]byte(ellipsis))}
	f.filter = newRowFilter(opts.Filter)
	idx := f.matchRows(rows)
	fr := Frame{Shown: len(idx), Page: page}
	fr.Scroll = min(max(opts.Scroll, 0), max(0, len(idx)-page))
	if height == 0 {
		return fr
	}
	if width == 0 {
		fr.Text = strings.Repeat("\n", height-1)
		return fr
	}

	sortKey, sortOK := sortKeys[strings.ToLower(strings.TrimSpace(opts.Sort))]
	if !sortOK {
		sortKey = sortDefault
	}
	showRows := !opts.Help && page > 0 && len(idx) > 0
	if showRows && sortKey != sortDefault {
		sortRowIndex(rows, idx, sortKey, opts.Services)
	}

	status := f.statusLine(rows, idx, now)
	keys := f.keyLine()
	var table *frameTable
	if !opts.Help && height >= 3 {
		table = newFrameTable(rows, idx, opts.Options, width)
	}

	f.lines = make([]string, 0, height)
	switch {
	case height == 1:
		if opts.Editing {
			f.addPrompt(fr, sortKey, sortOK)
		} else {
			f.addLine(status, true)
		}
	case height == 2:
		f.addLine(status, true)
		if opts.Editing {
			f.addPrompt(fr, sortKey, sortOK)
		} else {
			f.addLine(keys, false)
		}
	case height == 3:
		f.addLine(status, true)
		switch {
		case opts.Editing:
			f.addPrompt(fr, sortKey, sortOK)
		case opts.Help:
			f.addHelp(1)
		default:
			f.addStyled(table.appendHeader(nil), sgrBold)
		}
		f.addLine(keys, false)
	default:
		f.addLine(status, true)
		if opts.Help {
			f.addHelp(height - 2)
		} else {
			f.addPrompt(fr, sortKey, sortOK)
			f.addStyled(table.appendHeader(nil), sgrBold)
			var b []byte
			for i := range page {
				j := fr.Scroll + i
				if j >= len(idx) {
					f.lines = append(f.lines, "")
					continue
				}
				r := &rows[idx[j]]
				b = table.appendRow(b[:0], r.Mark.Symbol(), &r.Socket)
				f.addStyled(b, markColor(r.Mark))
			}
		}
		f.addLine(keys, false)
	}
	fr.Text = strings.Join(f.lines, "\n")
	return fr
}

// markColor is the SGR colour of a row with mark m, "" for none.
func markColor(m watch.Mark) string {
	switch m {
	case watch.New:
		return sgrGreen
	case watch.Gone:
		return sgrRed
	case watch.Updated:
		return sgrYellow
	}
	return ""
}

// frameWriter builds the lines of one frame.
type frameWriter struct {
	opts   FrameOptions
	width  int
	ellW   int // display width of ellipsis
	filter rowFilter
	lines  []string
}

// addLine adds the plain line b, cut to the width; a status line is drawn
// in reverse video, padded to the width, when colour is on.
func (f *frameWriter) addLine(b []byte, status bool) {
	if !status {
		f.addStyled(b, "")
		return
	}
	b, w := cutRight(trimSpaces(b), f.width, f.ellW)
	if !f.opts.Color {
		f.lines = append(f.lines, string(b))
		return
	}
	var sb strings.Builder
	sb.Grow(len(b) + f.width - w + len(sgrReverse) + len(sgrReset))
	sb.WriteString(sgrReverse)
	sb.Write(b)
	for range f.width - w {
		sb.WriteByte(' ')
	}
	sb.WriteString(sgrReset)
	f.lines = append(f.lines, sb.String())
}

// addStyled adds the plain line b, cut to the width and without trailing
// spaces, in colour sgr when colour is on ("" for none).
func (f *frameWriter) addStyled(b []byte, sgr string) {
	b, _ = cutRight(trimSpaces(b), f.width, f.ellW)
	if !f.opts.Color || sgr == "" || len(b) == 0 {
		f.lines = append(f.lines, string(b))
		return
	}
	f.lines = append(f.lines, sgr+string(b)+sgrReset)
}

// statusLine is the first line, plain.
func (f *frameWriter) statusLine(rows []watch.Row, idx []int, now time.Time) []byte {
	var counts [2][256]int // [udp][state]
	var marks [4]int
	live := 0
	for _, i := range idx {
		r := &rows[i]
		if int(r.Mark) < len(marks) {
			marks[r.Mark]++
		}
		if r.Mark == watch.Gone {
			continue
		}
		live++
		p := 0
		if r.Socket.Proto == collector.ProtoUDP {
			p = 1
		}
		counts[p][r.Socket.State]++
	}
	type stateCount struct {
		name  string
		rank  int
		count int
	}
	var states []stateCount
	for p, proto := range []collector.Proto{collector.ProtoTCP, collector.ProtoUDP} {
		for st, n := range counts[p] {
			if n == 0 {
				continue
			}
			name := collector.StateName(proto, collector.State(st))
			if k := slices.IndexFunc(states, func(s stateCount) bool { return s.name == name }); k >= 0 {
				states[k].count += n
				continue
			}
			states = append(states, stateCount{name, summaryStateRank(proto, collector.State(st), name), n})
		}
	}
	slices.SortFunc(states, func(a, b stateCount) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})

	b := make([]byte, 0, 160)
	b = append(b, "portwatch  "...)
	b = now.AppendFormat(b, "15:04:05")
	if f.opts.Interval > 0 {
		b = append(b, "  every "...)
		b = append(b, f.opts.Interval.String()...)
	}
	if f.opts.Paused {
		b = append(b, "  PAUSED"...)
	}
	b = append(b, "  "...)
	b = strconv.AppendInt(b, int64(live), 10)
	if live == 1 {
		b = append(b, " socket"...)
	} else {
		b = append(b, " sockets"...)
	}
	for i, s := range states {
		if i == 0 {
			b = append(b, ": "...)
		} else {
			b = append(b, "  "...)
		}
		b = strconv.AppendInt(b, int64(s.count), 10)
		b = append(b, ' ')
		b = append(b, s.name...)
	}
	b = append(b, "  +"...)
	b = strconv.AppendInt(b, int64(marks[watch.New]), 10)
	b = append(b, " ~"...)
	b = strconv.AppendInt(b, int64(marks[watch.Updated]), 10)
	b = append(b, " -"...)
	b = strconv.AppendInt(b, int64(marks[watch.Gone]), 10)
	return b
}

// addPrompt adds the second line: the filter prompt, the sort key, the
// listening flag and the rows shown. While editing, a prompt too long for
// the line keeps its end, where the cursor is.
func (f *frameWriter) addPrompt(fr Frame, key sortKey, keyOK bool) {
	o := &f.opts
	var b []byte
	if o.Editing || o.Filter != "" {
		b = append(b, '/')
		b = appendSanitized(b, o.Filter)
		if o.Editing {
			b = append(b, '_')
			if w := displayWidth(b); w > f.width {
				cut, _ := cutLeft(b, f.width, f.ellW)
				f.lines = append(f.lines, string(cut))
				return
			}
		}
	}
	sep := func() {
		if len(b) > 0 {
			b = append(b, "  "...)
		}
	}
	if keyOK && key != sortDefault {
		sep()
		b = append(b, "sort: "...)
		b = append(b, strings.ToLower(strings.TrimSpace(o.Sort))...)
	}
	if o.ListeningOnly {
		sep()
		b = append(b, "listening only"...)
	}
	sep()
	if fr.Shown == 0 {
		b = append(b, "no rows"...)
	} else {
		last := min(fr.Scroll+fr.Page, fr.Shown)
		b = append(b, "rows "...)
		if last > fr.Scroll {
			b = strconv.AppendInt(b, int64(fr.Scroll+1), 10)
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(last), 10)
			b = append(b, " of "...)
		}
		b = strconv.AppendInt(b, int64(fr.Shown), 10)
	}
	f.addStyled(b, "")
}

// keyLine is the last line: the keys that apply now.
func (f *frameWriter) keyLine() []byte {
	switch {
	case f.opts.Help:
		return []byte("? close help  q quit")
	case f.opts.Editing:
		return []byte("type to filter  Enter keep  Esc clear")
	case f.opts.Paused:
		return []byte("q quit  space resume  s sort  / filter  l listening  o owners  ? help")
	}
	return []byte("q quit  space pause  s sort  / filter  l listening  o owners  ? help")
}

// helpLines is the help screen; a line starting with a mark symbol is drawn
// in that mark's colour.
var helpLines = []string{
	"Keys",
	"  q, Ctrl-C        quit",
	"  space            pause / resume refreshing",
	"  s                sort by the next column",
	"  /                filter: type words, Enter keeps the filter, Esc clears it",
	"  Up, Down         scroll one row",
	"  PgUp, PgDn       scroll one page",
	"  Home, End        first / last row",
	"  l                listening sockets only, on / off",
	"  o                PID/Program column on / off",
	"  ?                this help on / off",
	"",
	"Marks",
	"  +  new socket",
	"  -  closed socket",
	"  ~  changed state or owner",
	"",
	"The filter keeps rows where every word appears, in any case, in the",
	"protocol, an address or port, the state, the service, a PID or a",
	"process name.",
}

// addHelp adds n lines of help.
func (f *frameWriter) addHelp(n int) {
	for i := range n {
		if i >= len(helpLines) {
			f.lines = append(f.lines, "")
			continue
		}
		line := helpLines[i]
		sgr := ""
		switch {
		case strings.HasPrefix(line, "  + "):
			sgr = sgrGreen
		case strings.HasPrefix(line, "  - "):
			sgr = sgrRed
		case strings.HasPrefix(line, "  ~ "):
			sgr = sgrYellow
		case i == 0 || line == "Marks":
			sgr = sgrBold
		}
		f.addStyled([]byte(line), sgr)
	}
}

// matchRows returns the indices of the rows that pass ListeningOnly and the
// filter, in their order.
func (f *frameWriter) matchRows(rows []watch.Row) []int {
	idx := make([]int, 0, len(rows))
	for i := range rows {
		s := &rows[i].Socket
		if f.opts.ListeningOnly && !s.Listening() {
			continue
		}
		if !f.filter.match(s, f.opts.Services) {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}

// rowFilter is FrameOptions.Filter, split into lower-case words.
type rowFilter struct {
	words   [][]byte
	scratch []byte // the text of one row's fields
}

func newRowFilter(filter string) rowFilter {
	var rf rowFilter
	for _, w := range strings.Fields(strings.ToLower(Sanitize(filter))) {
		rf.words = append(rf.words, []byte(w))
	}
	return rf
}

// match reports whether every word of the filter is in one of s's fields.
// It writes the fields' text, in lower case, into one buffer, each field
// ended by a NUL byte, which no word holds (Sanitize escapes it), so a word
// found in the buffer is inside one field.
func (rf *rowFilter) match(s *collector.Socket, svc ServiceNamer) bool {
	if len(rf.words) == 0 {
		return true
	}
	b := rf.scratch[:0]
	b = append(b, protoColumn(s)...)
	b = append(b, 0)
	b = append(b, lowerStateName(s)...)
	b = append(b, 0)
	// Addresses are lower case but for a zone.
	zone := s.Local.Addr().Zone() != "" || s.Remote.Addr().Zone() != ""
	addrs := len(b)
	b = appendAddr(b, s.Local)
	b = append(b, 0)
	b = appendAddr(b, s.Remote)
	b = append(b, 0)
	names := len(b)
	if zone {
		names = addrs
	}
	b = appendSanitized(b, serviceName(s, svc))
	b = append(b, 0)
	for k := range s.Owners {
		o := &s.Owners[k]
		b = strconv.AppendInt(b, int64(o.PID), 10)
		b = append(b, 0)
		b = appendSanitized(b, o.Process)
		b = append(b, 0)
	}
	rf.scratch = b
	if !lowerASCII(b[names:]) {
		b = bytes.ToLower(b)
	}
	for _, w := range rf.words {
		if !bytes.Contains(b, w) {
			return false
		}
	}
	return true
}

// lowerASCII lowers the case of the ASCII letters of b in place and
// reports whether b is all ASCII.
func lowerASCII(b []byte) bool {
	var all byte
	for i, c := range b {
		all |= c
		if c-'A' < 26 {
			b[i] = c + 'a' - 'A'
		}
	}
	return all < utf8.RuneSelf
}

// lowerStateNames holds the state names in lower case: [udp][state].
var lowerStateNames = func() (names [2][256]string) {
	for st := range 256 {
		names[0][st] = strings.ToLower(collector.StateName(collector.ProtoTCP, collector.State(st)))
		names[1][st] = strings.ToLower(collector.StateName(collector.ProtoUDP, collector.State(st)))
	}
	return names
}()

// lowerStateName is s.StateName() in lower case.
func lowerStateName(s *collector.Socket) string {
	if s.Proto == collector.ProtoUDP {
		return lowerStateNames[1][s.State]
	}
	if s.Proto != collector.ProtoTCP {
		return strings.ToLower(s.StateName())
	}
	return lowerStateNames[0][s.State]
}

// sortRowIndex sorts idx, ascending indices into rows, by key k as Sort
// orders sockets: the key, then the default order, then the index, so the
// sort is stable. It packs one key per socket as Sort does (see
// sortkey.go), on a copy of the sockets, and sorts the keys.
func sortRowIndex(rows []watch.Row, idx []int, k sortKey, svc ServiceNamer) {
	if len(idx) < 2 {
		return
	}
	if k == sortProto {
		k = sortDefault // proto, then family, is how the default order starts
	}
	socks := make([]collector.Socket, len(idx))
	for n, i := range idx {
		socks[n] = rows[i].Socket
	}
	p := keyPlan{k: k, svc: svc, fields: keyFields(k)}
	p.measure(socks)
	switch {
	case p.words <= 1:
		sortIndexByKeys[[1]uint64](socks, idx, &p)
	case p.words <= 2:
		sortIndexByKeys[[2]uint64](socks, idx, &p)
	case p.words <= 3:
		sortIndexByKeys[[3]uint64](socks, idx, &p)
	case p.words <= 4:
		sortIndexByKeys[[4]uint64](socks, idx, &p)
	case p.words <= 6:
		sortIndexByKeys[[6]uint64](socks, idx, &p)
	default:
		sortIndexByKeys[[maxKeyWords]uint64](socks, idx, &p)
	}
}

// sortIndexByKeys packs a key of type K per socket, socks[n] being the
// socket of row idx[n], sorts the keys and puts idx in their order.
func sortIndexByKeys[K keyWords](socks []collector.Socket, idx []int, p *keyPlan) {
	keys := make([]K, len(socks))
	for n := range socks {
		packKey(p, &keys[n], &socks[n], n)
	}
	radixSortKeys(keys, 0)
	sorted := make([]int, len(idx))
	for n := range keys {
		sorted[n] = idx[keyIndex(p, keys[n])]
	}
	copy(idx, sorted)
}

// frameTable lays out the columns of the rows of a frame.
type frameTable struct {
	t    tableStreamer // cols, widths (per position in cols) and cell values
	ellW int
}

// Widths the columns shrink to when the frame is too narrow (see
// WatchFrame).
const (
	ownersSoftMin  = 20
	addrSoftMin    = 21
	serviceSoftMin = 10
	userSoftMin    = 8
	ownersHardMin  = 12
	addrHardMin    = 10
	lastMin        = 5
)

// newFrameTable measures the matching rows idx and fits the columns into
// width cells.
func newFrameTable(rows []watch.Row, idx []int, opts Options, width int) *frameTable {
	ft := &frameTable{
		t: tableStreamer{
			cols:    tableColumns(opts),
			numeric: opts.Numeric,
			svc:     opts.Services,
			users:   newUserNames(opts.UserName),
			scratch: make([]byte, 0, 256),
		},
		ellW: displayWidth([]byte(ellipsis)),
	}
	t := &ft.t
	for j, c := range t.cols {
		t.widths[j] = len(c.title())
	}
	for _, i := range idx {
		t.measure(&rows[i].Socket)
	}
	ft.fit(width)
	return ft
}

// fit narrows and drops columns until the table fits width cells or
// nothing more gives way.
func (ft *frameTable) fit(width int) {
	t := &ft.t
	natural := t.widths
	excess := markWidth - width
	for j := range t.cols {
		excess += t.widths[j]
		if j > 0 {
			excess += len(columnGap)
		}
	}
	shrink := func(c tableCol, floor int) {
		if j := slices.Index(t.cols, c); j >= 0 && excess > 0 && t.widths[j] > floor {
			d := min(excess, t.widths[j]-floor)
			t.widths[j] -= d
			excess -= d
		}
	}
	shrinkAddrs := func(floor int) {
		l, r := slices.Index(t.cols, colLocal), slices.Index(t.cols, colRemote)
		for excess > 0 {
			j := l
			if t.widths[r] > t.widths[l] {
				j = r
			}
			if t.widths[j] <= floor {
				return
			}
			t.widths[j]--
			excess--
		}
	}
	shrink(colOwners, ownersSoftMin)
	shrinkAddrs(addrSoftMin)
	shrink(colService, serviceSoftMin)
	shrink(colUser, userSoftMin)
	for excess > 0 && len(t.cols) > 0 && t.cols[len(t.cols)-1] >= colUser {
		j := len(t.cols) - 1
		excess -= t.widths[j] + len(columnGap)
		t.cols = t.cols[:j]
	}
	shrink(colOwners, ownersHardMin)
	shrinkAddrs(addrHardMin)
	// Then the last column gives way, down to lastMin cells, or goes.
	for excess > 0 && len(t.cols) > 1 {
		j := len(t.cols) - 1
		if t.widths[j]-excess >= min(t.widths[j], lastMin) {
			t.widths[j] -= excess
			return
		}
		excess -= t.widths[j] + len(columnGap)
		t.cols = t.cols[:j]
	}
	// A dropped column may leave room: give it back to the columns that
	// shrank, addresses first, the narrower one first.
	if l, r := slices.Index(t.cols, colLocal), slices.Index(t.cols, colRemote); l >= 0 && r >= 0 {
		for excess < 0 {
			j := l
			if t.widths[l] >= natural[l] || t.widths[r] < natural[r] && t.widths[r] < t.widths[l] {
				j = r
			}
			if t.widths[j] >= natural[j] {
				break
			}
			t.widths[j]++
			excess++
		}
	}
	for _, c := range [...]tableCol{colOwners, colService, colUser} {
		if j := slices.Index(t.cols, c); j >= 0 && excess < 0 {
			d := min(-excess, natural[j]-t.widths[j])
			t.widths[j] += d
			excess += d
		}
	}
}

// appendHeader appends the column header line.
func (ft *frameTable) appendHeader(b []byte) []byte {
	b = append(b, "  "...)
	last := len(ft.t.cols) - 1
	for j, c := range ft.t.cols {
		b = ft.appendCell(b, []byte(c.title()), j, j == last, false)
	}
	return b
}

// appendRow appends the line of socket s with mark symbol mark.
func (ft *frameTable) appendRow(b []byte, mark string, s *collector.Socket) []byte {
	b = append(b, mark...)
	b = append(b, ' ')
	t := &ft.t
	last := len(t.cols) - 1
	for j, c := range t.cols {
		t.scratch = t.appendCell(t.scratch[:0], s, c)
		b = ft.appendCell(b, t.scratch, j, j == last, c == colLocal || c == colRemote)
	}
	return b
}

// appendCell appends cell, aligned in column j and cut to its width
// (keeping its end when keepEnd), then the gap unless it is the last.
func (ft *frameTable) appendCell(b, cell []byte, j int, last, keepEnd bool) []byte {
	w := ft.t.widths[j]
	var cw int
	if keepEnd {
		cell, cw = cutLeft(cell, w, ft.ellW)
	} else {
		cell, cw = cutRight(cell, w, ft.ellW)
	}
	if ft.t.cols[j].right() {
		b = appendSpaces(b, w-cw)
		b = append(b, cell...)
	} else {
		b = append(b, cell...)
		if !last {
			b = appendSpaces(b, w-cw)
		}
	}
	if !last {
		b = append(b, columnGap...)
	}
	return b
}

// cellWidth is the display width of a rune of sanitized text.
func cellWidth(r rune) int {
	if r < utf8.RuneSelf {
		return 1
	}
	return twwidth.Width(string(r))
}

// cutRight returns b cut to at most w display cells, ending in the
// ellipsis (ellW cells wide) when it was cut, and its width. It may write
// into b's array past the cut.
func cutRight(b []byte, w, ellW int) ([]byte, int) {
	if bw := displayWidth(b); bw <= w {
		return b, bw
	}
	if w <= 0 {
		return b[:0], 0
	}
	room := w - ellW
	if room < 0 {
		room = w // no room for the ellipsis: just cut
	}
	n, used := 0, 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		rw := cellWidth(r)
		if used+rw > room {
			break
		}
		n += size
		used += rw
	}
	if room == w {
		return b[:n], used
	}
	return append(b[:n], ellipsis...), used + ellW
}

// cutLeft is cutRight keeping the end of b, starting with the ellipsis. It
// returns a new slice when it cuts.
func cutLeft(b []byte, w, ellW int) ([]byte, int) {
	if bw := displayWidth(b); bw <= w {
		return b, bw
	}
	if w <= 0 {
		return b[:0], 0
	}
	room := w - ellW
	withEll := room >= 0
	if !withEll {
		room = w
	}
	n, used := len(b), 0
	for n > 0 {
		r, size := utf8.DecodeLastRune(b[:n])
		rw := cellWidth(r)
		if used+rw > room {
			break
		}
		n -= size
		used += rw
	}
	out := make([]byte, 0, len(ellipsis)+len(b)-n)
	if withEll {
		out = append(out, ellipsis...)
		used += ellW
	}
	return append(out, b[n:]...), used
}

// trimSpaces removes the spaces at the end of b.
func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}
