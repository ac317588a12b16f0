package render

import (
	"strconv"

	"github.com/portwatch/portwatch/watch"
)

// This file lays out the process view of the live view (P): one line per
// owning process with its sockets and rates.

// processTable lays out the lines of the process view.
type processTable struct {
	widths [4]int // PID/Program, Sockets, Send/s, Recv/s
	cell   []byte
}

// processTitles are the process view's column titles.
var processTitles = [4]string{"PID/Program", "Sockets", "Send/s", "Recv/s"}

// newProcessTable measures procs. The PID/Program column gives way to fit
// width, down to ownersHardMin cells; a line still too wide is cut.
func newProcessTable(procs []watch.ProcessRate, width int) *processTable {
	pt := &processTable{}
	for j, t := range processTitles {
		pt.widths[j] = len(t)
	}
	for i := range procs {
		for j := range pt.widths {
			pt.cell = pt.appendCell(pt.cell[:0], &procs[i], j)
			pt.widths[j] = max(pt.widths[j], displayWidth(pt.cell))
		}
	}
	total := markWidth
	for j, w := range pt.widths {
		total += w
		if j > 0 {
			total += len(columnGap)
		}
	}
	if excess := total - width; excess > 0 {
		pt.widths[0] = max(pt.widths[0]-excess, min(pt.widths[0], ownersHardMin))
	}
	return pt
}

// appendCell appends column j of p.
func (pt *processTable) appendCell(b []byte, p *watch.ProcessRate, j int) []byte {
	switch j {
	case 0:
		if p.PID == 0 {
			return append(b, '-')
		}
		b = strconv.AppendInt(b, int64(p.PID), 10)
		b = append(b, '/')
		return appendSanitized(b, p.Process)
	case 1:
		return strconv.AppendInt(b, int64(p.Sockets), 10)
	case 2:
		return appendRate(b, p.Rates, p.SendRate)
	}
	return appendRate(b, p.Rates, p.RecvRate)
}

// appendHeader appends the column header line.
func (pt *processTable) appendHeader(b []byte) []byte {
	b = append(b, "  "...)
	for j, t := range processTitles {
		b = pt.appendAligned(b, []byte(t), j)
	}
	return b
}

// appendRow appends the line of p, with '>' when it is the selected one.
func (pt *processTable) appendRow(b []byte, p *watch.ProcessRate, selected bool) []byte {
	if selected {
		b = append(b, " >"...)
	} else {
		b = append(b, "  "...)
	}
	for j := range pt.widths {
		pt.cell = pt.appendCell(pt.cell[:0], p, j)
		b = pt.appendAligned(b, pt.cell, j)
	}
	return b
}

// appendAligned appends cell in column j: the name left aligned and cut
// to its width, the numbers right aligned, the columns apart by
// columnGap.
func (pt *processTable) appendAligned(b, cell []byte, j int) []byte {
	w := pt.widths[j]
	if j == 0 {
		cell, cw := cutRight(cell, w)
		b = append(b, cell...)
		return appendSpaces(b, w-cw)
	}
	b = append(b, columnGap...)
	b = appendSpaces(b, w-displayWidth(cell))
	return append(b, cell...)
}
