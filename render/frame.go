package render

import (
	"strings"
	"time"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// This file draws the live view of portwatch watch: one full screen of
// text that a terminal UI prints as it is. The rows are chosen by
// watchfilter.go, ordered by Sort's keys (sortkey.go), laid out in columns
// by frametable.go and cut to the width by textwidth.go; framelines.go
// writes the lines around them.

// FrameOptions select what WatchFrame draws. The zero value draws nothing
// (a 0x0 screen).
type FrameOptions struct {
	// Options choose the columns and names as for Table: Owners,
	// Extended, Numeric, Services and UserName are honoured; NoHeader is
	// ignored.
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
	// Rates adds the Send/s and Recv/s columns after State: each row's
	// watch.Row rates, "-" where they are not known.
	Rates bool
	// Processes shows one line per owning process instead of the sockets
	// (watch.ProcessRates of the matching rows): PID/Program, Sockets,
	// Send/s and Recv/s, the busiest first.
	Processes bool
	// Cursor is the index, among the lines shown in their order, of the
	// selected one, marked ">" after the mark (and in reverse video with
	// Color). WatchFrame clamps it and scrolls to keep it on screen; see
	// Frame.Cursor.
	Cursor int
	// Select, when set, puts the cursor on the line it names if that line
	// is shown, whatever Cursor says: it keeps the selection on the same
	// socket or process across refreshes that reorder the lines.
	Select Selection
	// Message, when not empty, takes the second line: a question waiting
	// for its answer or the result of one.
	Message string
	// Asking shows the keys of a question (y, or any other key for no) on
	// the key line.
	Asking bool
}

// Selection names one line of the live view across refreshes.
type Selection struct {
	// Set reports that the selection names a line.
	Set bool
	// Key is the selected socket's identity, in the sockets view.
	Key watch.Key
	// PID and Process are the selected owner, in the process view.
	PID     int
	Process string
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
	// Cursor is the selected line's index among the Shown ones (0 when
	// there is none), and Selected names it (Set false when nothing is
	// shown). Row is the index in rows of the selected socket, -1 in the
	// process view or when none is; Process is the selected process's
	// line in the process view.
	Cursor   int
	Selected Selection
	Row      int
	Process  watch.ProcessRate
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
// "~" or " ") and a space, or ">" on the selected row (also drawn in
// reverse video with Color), then Table's columns for opts.Options, with
// Table's titles and cell values, and with Rates the Send/s and Recv/s
// columns after State. The process view (Processes) shows instead one
// line per owner of the matching rows, as watch.ProcessRates orders them. A changed row shows its new state and
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

	f := frameWriter{opts: opts, width: width}
	idx := matchRows(rows, newRowFilter(opts.Filter), opts.ListeningOnly, opts.Services)
	sortKey, sortOK := parseSortKey(opts.Sort)
	if !sortOK {
		sortKey = sortDefault
	}
	var procs []watch.ProcessRate
	shown := len(idx)
	if opts.Processes {
		procs = watch.ProcessRates(rows, idx)
		shown = len(procs)
	} else if sortKey != sortDefault && len(idx) > 0 && !opts.Help {
		sortRows(rows, idx, sortKey, opts.Services)
	}
	fr := Frame{Shown: shown, Page: page, Row: -1}
	fr.Cursor = min(max(opts.Cursor, 0), max(0, shown-1))
	moved := false
	if opts.Select.Set {
		if i := selectionIndex(rows, idx, procs, opts.Processes, opts.Select); i >= 0 {
			fr.Cursor, moved = i, true
		}
	}
	fr.Scroll = min(max(opts.Scroll, 0), max(0, shown-page))
	if page > 0 {
		// The screen follows a selection that moved; otherwise the cursor
		// stays on the screen Scroll shows.
		if fr.Cursor < fr.Scroll || fr.Cursor >= fr.Scroll+page {
			switch {
			case moved && fr.Cursor < fr.Scroll:
				fr.Scroll = fr.Cursor
			case moved:
				fr.Scroll = fr.Cursor - page + 1
			default:
				fr.Cursor = min(max(fr.Cursor, fr.Scroll), fr.Scroll+page-1, max(0, shown-1))
			}
		}
	}
	switch {
	case shown == 0:
	case opts.Processes:
		p := procs[fr.Cursor]
		fr.Process = p
		fr.Selected = Selection{Set: true, PID: p.PID, Process: p.Process}
	default:
		fr.Row = idx[fr.Cursor]
		fr.Selected = Selection{Set: true, Key: watch.KeyOf(&rows[fr.Row].Socket)}
	}
	if height == 0 {
		return fr
	}
	if width == 0 {
		fr.Text = strings.Repeat("\n", height-1)
		return fr
	}

	status := f.statusLine(rows, idx, now)
	keys := f.keyLine()
	var table *frameTable
	var ptable *processTable
	if !opts.Help && height >= 3 {
		if opts.Processes {
			ptable = newProcessTable(procs, width)
		} else {
			table = newFrameTable(rows, idx, opts.Options, opts.Rates, width)
		}
	}
	header := func() []byte {
		if ptable != nil {
			return ptable.appendHeader(nil)
		}
		return table.appendHeader(nil)
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
			f.addStyled(header(), sgrBold)
		}
		f.addLine(keys, false)
	default:
		f.addLine(status, true)
		if opts.Help {
			f.addHelp(height - 2)
		} else {
			f.addPrompt(fr, sortKey, sortOK)
			f.addStyled(header(), sgrBold)
			var b []byte
			for i := range page {
				j := fr.Scroll + i
				if j >= shown {
					f.lines = append(f.lines, "")
					continue
				}
				selected := j == fr.Cursor
				sgr := ""
				if ptable != nil {
					b = ptable.appendRow(b[:0], &procs[j], selected)
				} else {
					r := &rows[idx[j]]
					b = table.appendRow(b[:0], r, selected)
					sgr = markColor(r.Mark)
				}
				if selected {
					sgr += sgrReverse
				}
				f.addStyled(b, sgr)
			}
		}
		f.addLine(keys, false)
	}
	fr.Text = strings.Join(f.lines, "\n")
	return fr
}

// selectionIndex is the index among the shown lines of the one sel names,
// -1 when it is not shown.
func selectionIndex(rows []watch.Row, idx []int, procs []watch.ProcessRate, processes bool, sel Selection) int {
	if processes {
		for i, p := range procs {
			if p.PID == sel.PID && p.Process == sel.Process {
				return i
			}
		}
		return -1
	}
	for j, i := range idx {
		if watch.KeyOf(&rows[i].Socket) == sel.Key {
			return j
		}
	}
	return -1
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
	opts  FrameOptions
	width int
	lines []string
}

// addLine adds the plain line b, cut to the width; a status line is drawn
// in reverse video, padded to the width, when colour is on.
func (f *frameWriter) addLine(b []byte, status bool) {
	if !status {
		f.addStyled(b, "")
		return
	}
	b, w := cutRight(trimSpaces(b), f.width)
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
	b, _ = cutRight(trimSpaces(b), f.width)
	if !f.opts.Color || sgr == "" || len(b) == 0 {
		f.lines = append(f.lines, string(b))
		return
	}
	f.lines = append(f.lines, sgr+string(b)+sgrReset)
}

// sortRows sorts idx, indices into rows, by key k as Sort orders the
// rows' sockets.
func sortRows(rows []watch.Row, idx []int, k sortKey, svc ServiceNamer) {
	socks := make([]collector.Socket, len(idx))
	for n, i := range idx {
		socks[n] = rows[i].Socket
	}
	sortIndex(socks, idx, k, svc)
}
