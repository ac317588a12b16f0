package render

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// This file writes the lines of the live view around its table: the
// status line, the filter prompt, the key hints and the help screen.

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
	if o.Message != "" && !o.Editing {
		b = appendSanitized(b, o.Message)
		f.addStyled(b, sgrBold)
		return
	}
	if o.Editing || o.Filter != "" {
		b = append(b, '/')
		b = appendSanitized(b, o.Filter)
		if o.Editing {
			b = append(b, '_')
			if w := displayWidth(b); w > f.width {
				cut, _ := cutLeft(b, f.width)
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
	if keyOK && key != sortDefault && !o.Processes {
		sep()
		b = append(b, "sort: "...)
		b = append(b, strings.ToLower(strings.TrimSpace(o.Sort))...)
	}
	if o.ListeningOnly {
		sep()
		b = append(b, "listening only"...)
	}
	if o.Rates && !o.Processes {
		sep()
		b = append(b, "rates"...)
	}
	sep()
	what := "rows"
	if o.Processes {
		what = "processes"
	}
	if fr.Shown == 0 {
		b = append(b, "no "...)
		b = append(b, what...)
	} else {
		last := min(fr.Scroll+fr.Page, fr.Shown)
		b = append(b, what...)
		b = append(b, ' ')
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
	case f.opts.Asking:
		return []byte("y yes  any other key: no")
	}
	b := []byte("q quit  space pause  s sort  / filter  l listening  o owners  b rates  P processes  k close  K kill  ? help")
	if f.opts.Paused {
		b = []byte("q quit  space resume  s sort  / filter  l listening  o owners  b rates  P processes  k close  K kill  ? help")
	}
	if f.opts.Processes {
		b = []byte("q quit  space pause  / filter  l listening  P sockets  K kill  ? help")
		if f.opts.Paused {
			b = []byte("q quit  space resume  / filter  l listening  P sockets  K kill  ? help")
		}
	}
	return b
}

// helpLines is the help screen; a line starting with a mark symbol is drawn
// in that mark's colour.
var helpLines = []string{
	"Keys",
	"  q, Ctrl-C        quit",
	"  space            pause / resume refreshing",
	"  s                sort by the next column",
	"  /                filter: type words, Enter keeps the filter, Esc clears it",
	"  Up, Down         select the row above / below",
	"  PgUp, PgDn       one page up / down",
	"  Home, End        first / last row",
	"  l                listening sockets only, on / off",
	"  o                PID/Program column on / off",
	"  b                Send/s and Recv/s columns on / off (tcp_info counters)",
	"  P                processes: sockets and rates per owner, busiest first",
	"  k                close the selected TCP connection (asks first)",
	"  K                send SIGTERM to the selected row's owner (asks first)",
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
