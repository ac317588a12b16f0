package render

import (
	"errors"
	"io"

	"github.com/portwatch/portwatch/collector"
)

// Table writes snap's sockets as plain aligned columns, like netstat: Proto,
// Local Address, Foreign Address, State, Service (not with Numeric), then
// PID/Program with Owners, then User, Inode, Recv-Q, Send-Q with Extended.
// Text is left aligned, numbers right aligned; there are no borders, values
// are never truncated or wrapped, and lines carry no trailing spaces. Every
// string that came from the system is sanitized, so each socket is exactly
// one line. Sockets are printed in the order given (see Sort).
//
// Cell values: Proto is tcp, tcp6, udp or udp6; addresses as FormatAddr;
// State as collector.StateName; Service as ServiceOf; PID/Program as
// "812/sshd", several owners joined by "," ("812/nginx,813/nginx"), "-" when
// there is none and "-(reason)" when the collector said why ("-(kernel)",
// "-(permission)"); User is the user name (or the uid with Numeric, or when
// it has no name) and "-" for an unknown uid; Inode is "-" for 0.
//
// The table is measured in one pass over the sockets and written in a
// second through one reused buffer (see stream.go), so it takes no memory
// per socket.
func Table(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	return streamTable(w, snap, tableColumns(opts), opts)
}

// tableCol is one of Table's columns.
type tableCol uint8

// Table's columns, in the order they are shown.
const (
	colProto tableCol = iota
	colLocal
	colRemote
	colState
	colService
	colOwners
	colUser
	colInode
	colRecvQ
	colSendQ
	colNetns     // shown first
	colContainer // after colOwners
	colSendRate  // the live view's, after colState
	colRecvRate
	numTableCols
)

var tableColTitles = [numTableCols]string{
	"Proto", "Local Address", "Foreign Address", "State", "Service",
	"PID/Program", "User", "Inode", "Recv-Q", "Send-Q", "Netns", "Container",
	"Send/s", "Recv/s",
}

// title is the column's header.
func (c tableCol) title() string { return tableColTitles[c] }

// right reports whether the column is right aligned (the numbers).
func (c tableCol) right() bool {
	return c >= colInode && c <= colSendQ || c == colSendRate || c == colRecvRate
}

// tableColumns lists the columns Table shows with opts.
func tableColumns(opts Options) []tableCol {
	var cols []tableCol
	if opts.Netns {
		cols = append(cols, colNetns)
	}
	cols = append(cols, colProto, colLocal, colRemote, colState)
	if !opts.Numeric {
		cols = append(cols, colService)
	}
	if opts.Owners {
		cols = append(cols, colOwners)
		if opts.ContainerColumn && (opts.Container != nil || opts.Forward != nil) {
			cols = append(cols, colContainer)
		}
	}
	if opts.Extended {
		cols = append(cols, colUser, colInode, colRecvQ, colSendQ)
	}
	return cols
}

// columnGap separates columns.
const columnGap = "  "

// writeTable writes header (nil: none) and rows as plain columns, each as
// wide as its widest cell and separated by columnGap; right[i] right-aligns
// column i. Cells must already be sanitized. Lines carry no trailing
// spaces.
func writeTable(w io.Writer, header []string, right []bool, rows [][]string) error {
	if len(header) == 0 && len(rows) == 0 {
		return nil
	}
	widths := make([]int, len(right))
	measure := func(cells []string) {
		for j, c := range cells {
			widths[j] = max(widths[j], displayWidthString(c))
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	var buf []byte
	line := func(cells []string) {
		start := len(buf)
		for j, c := range cells {
			pad := widths[j] - displayWidthString(c)
			if right[j] {
				buf = appendSpaces(buf, pad)
			}
			buf = append(buf, c...)
			if !right[j] {
				buf = appendSpaces(buf, pad)
			}
			if j < len(cells)-1 {
				buf = append(buf, columnGap...)
			}
		}
		buf = endLine(buf, start)
	}
	if header != nil {
		line(header)
	}
	for _, r := range rows {
		line(r)
	}
	_, err := w.Write(buf)
	return err
}
