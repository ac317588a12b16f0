package render

import (
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
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
// With opts.Stream the table is written without tablewriter (see
// Options.Stream); the output is the same bytes.
func Table(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	cols := tableColumns(opts)
	if opts.Stream {
		return streamTable(w, snap.Sockets, cols, opts)
	}
	ncol := len(cols)
	header := make([]string, ncol)
	right := make([]bool, ncol)
	for i, c := range cols {
		header[i] = c.title()
		right[i] = c.right()
	}

	users := newUserNames(opts.UserName)
	// One backing array for every cell keeps allocations per socket low.
	cells := make([]string, len(snap.Sockets)*ncol)
	rows := make([][]string, len(snap.Sockets))
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		row := cells[i*ncol : i*ncol : (i+1)*ncol]
		row = append(row, protoColumn(s), FormatAddr(s.Local), FormatAddr(s.Remote), s.StateName())
		if !opts.Numeric {
			row = append(row, ServiceOf(s, opts.Services))
		}
		if opts.Owners {
			row = append(row, ownersColumn(s))
		}
		if opts.Extended {
			row = append(row,
				userColumn(s.UID, opts.Numeric, users),
				inodeColumn(s.Inode),
				strconv.FormatUint(uint64(s.RecvQ), 10),
				strconv.FormatUint(uint64(s.SendQ), 10))
		}
		rows[i] = row
	}
	if opts.NoHeader {
		header = nil
	}
	return writeTable(w, header, right, rows)
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
	numTableCols
)

var tableColTitles = [numTableCols]string{
	"Proto", "Local Address", "Foreign Address", "State", "Service",
	"PID/Program", "User", "Inode", "Recv-Q", "Send-Q",
}

// title is the column's header.
func (c tableCol) title() string { return tableColTitles[c] }

// right reports whether the column is right aligned (the numbers).
func (c tableCol) right() bool { return c >= colInode }

// tableColumns lists the columns Table shows with opts.
func tableColumns(opts Options) []tableCol {
	cols := []tableCol{colProto, colLocal, colRemote, colState}
	if !opts.Numeric {
		cols = append(cols, colService)
	}
	if opts.Owners {
		cols = append(cols, colOwners)
	}
	if opts.Extended {
		cols = append(cols, colUser, colInode, colRecvQ, colSendQ)
	}
	return cols
}

// userColumn is the User column's value.
func userColumn(uid int, numeric bool, users *userNames) string {
	if uid < 0 {
		return "-"
	}
	if !numeric {
		if n := users.name(uid); n != "" {
			return Sanitize(n)
		}
	}
	return strconv.Itoa(uid)
}

// inodeColumn is the Inode column's value: "-" for a socket without one.
func inodeColumn(inode uint64) string {
	if inode == 0 {
		return "-"
	}
	return strconv.FormatUint(inode, 10)
}

// columnGap separates columns.
const columnGap = "  "

// writeTable renders header (nil: none) and rows with tablewriter as plain
// columns separated by columnGap; right[i] right-aligns column i. Cells must
// already be sanitized. Trailing spaces are trimmed from every line.
func writeTable(w io.Writer, header []string, right []bool, rows [][]string) error {
	if len(header) == 0 && len(rows) == 0 {
		return nil
	}
	aligns := make([]tw.Align, len(right))
	for i, r := range right {
		aligns[i] = tw.AlignLeft
		if r {
			aligns[i] = tw.AlignRight
		}
	}
	cell := tw.CellConfig{
		Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone, AutoFormat: tw.Off},
		Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: columnGap, Overwrite: true}},
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft, PerColumn: aligns},
	}
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.SeparatorsNone,
				Lines:      tw.LinesNone,
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: cell,
			Row:    cell,
			Behavior: tw.Behavior{
				TrimSpace: tw.Off,
				TrimTab:   tw.Off,
				TrimLine:  tw.Off,
				AutoHide:  tw.Off,
			},
		}),
	)
	if header != nil {
		t.Header(header)
	}
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := w.Write(trimLines(buf.Bytes()))
	return err
}

// trimLines removes trailing spaces from every line of b, in place.
func trimLines(b []byte) []byte {
	out := b[:0]
	for len(b) > 0 {
		line := b
		rest := []byte(nil)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, rest = b[:i], b[i+1:]
		}
		out = append(out, bytes.TrimRight(line, " ")...)
		out = append(out, '\n')
		b = rest
	}
	return out
}
