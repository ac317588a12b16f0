package render

import (
	"slices"
	"strconv"

	"github.com/portwatch/portwatch/watch"
)

// This file lays out the table of the live view: which columns fit the
// terminal's width, how wide each is, and each row's line.

// markWidth is the width of the mark column and the space after it.
const markWidth = 2

// frameTable lays out the columns of the rows of a frame.
type frameTable struct {
	t tableStreamer // cols, widths (per position in cols) and cell values
}

// withRates inserts the rate columns after the State column.
func withRates(cols []tableCol) []tableCol {
	at := slices.Index(cols, colState) + 1
	return slices.Insert(cols, at, colSendRate, colRecvRate)
}

// Widths the columns shrink to when the frame is too narrow (see
// WatchFrame).
const (
	ownersSoftMin  = 20
	addrSoftMin    = 21
	serviceSoftMin = 10
	userSoftMin    = 8
	netnsSoftMin   = 10
	ownersHardMin  = 12
	addrHardMin    = 10
	lastMin        = 5
)

// newFrameTable measures the matching rows idx and fits the columns into
// width cells.
func newFrameTable(rows []watch.Row, idx []int, opts Options, rates bool, width int) *frameTable {
	cols := tableColumns(opts)
	if rates {
		cols = withRates(cols)
	}
	ft := &frameTable{
		t: tableStreamer{
			cols:    cols,
			numeric: opts.Numeric,
			svc:     opts.Services,
			users:   newUserNames(opts.UserName),
			netns:   newNetnsNames(nil, opts),
			scratch: make([]byte, 0, 256),
		},
	}
	t := &ft.t
	for j, c := range t.cols {
		t.widths[j] = len(c.title())
	}
	send, recv := slices.Index(cols, colSendRate), slices.Index(cols, colRecvRate)
	for _, i := range idx {
		r := &rows[i]
		t.measure(&r.Socket)
		if rates {
			t.widths[send] = max(t.widths[send], len(appendRate(t.scratch[:0], r.Rates, r.SendRate)))
			t.widths[recv] = max(t.widths[recv], len(appendRate(t.scratch[:0], r.Rates, r.RecvRate)))
		}
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
	shrink(colNetns, netnsSoftMin)
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
	for _, c := range [...]tableCol{colOwners, colService, colUser, colNetns} {
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

// appendRow appends the line of row r, with '>' after its mark when it is
// the selected one.
func (ft *frameTable) appendRow(b []byte, r *watch.Row, selected bool) []byte {
	b = append(b, r.Mark.Symbol()...)
	if selected {
		b = append(b, '>')
	} else {
		b = append(b, ' ')
	}
	t := &ft.t
	s := &r.Socket
	last := len(t.cols) - 1
	for j, c := range t.cols {
		switch c {
		case colSendRate:
			t.scratch = appendRate(t.scratch[:0], r.Rates, r.SendRate)
		case colRecvRate:
			t.scratch = appendRate(t.scratch[:0], r.Rates, r.RecvRate)
		default:
			t.scratch = t.appendCell(t.scratch[:0], s, c)
		}
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
		cell, cw = cutLeft(cell, w)
	} else {
		cell, cw = cutRight(cell, w)
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

// appendRate appends a rate in bytes per second, short: "0", "512",
// "1.5K", "12K", "3.4M", with K, M and G powers of 1024; "-" when it is
// not known.
func appendRate(b []byte, known bool, perSecond float64) []byte {
	if !known {
		return append(b, '-')
	}
	v := max(perSecond, 0)
	unit := ""
	for _, u := range [...]string{"K", "M", "G", "T"} {
		if v < 1024 {
			break
		}
		v /= 1024
		unit = u
	}
	if unit != "" && v < 9.95 {
		b = strconv.AppendFloat(b, v, 'f', 1, 64)
	} else {
		b = strconv.AppendInt(b, int64(v+0.5), 10)
	}
	return append(b, unit...)
}
