package render

// The reference the table writers are checked against: the table laid out
// by tablewriter, an independent implementation of the same plain columns,
// from cells built one string at a time. portwatch itself no longer links
// tablewriter (its package initialisation alone cost about a millisecond
// at every start).

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/portwatch/portwatch/collector"
)

// tablewriterTable is Table laid out by tablewriter.
func tablewriterTable(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	cols := tableColumns(opts)
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
	return tablewriterWrite(w, header, right, rows)
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

// ownersColumn is the PID/Program column: "812/sshd", several owners joined
// with ",", "-" when there is none, and "-(reason)" when the collector said
// why the owner is unknown, e.g. "-(kernel)" or "-(permission)".
func ownersColumn(s *collector.Socket) string {
	if len(s.Owners) == 0 {
		if s.OwnerUnknown != collector.OwnerKnown {
			return "-(" + Sanitize(s.OwnerUnknown.String()) + ")"
		}
		return "-"
	}
	if len(s.Owners) == 1 {
		return ownerString(&s.Owners[0])
	}
	var b strings.Builder
	for i := range s.Owners {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(ownerString(&s.Owners[i]))
	}
	return b.String()
}

// ownerString is "pid/process", with "-" for an empty process name.
func ownerString(o *collector.Owner) string {
	p := Sanitize(o.Process)
	if p == "" {
		p = "-"
	}
	return strconv.Itoa(o.PID) + "/" + p
}

// tablewriterWrite renders header (nil: none) and rows with tablewriter as plain
// columns separated by columnGap; right[i] right-aligns column i. Cells must
// already be sanitized. Trailing spaces are trimmed from every line.
func tablewriterWrite(w io.Writer, header []string, right []bool, rows [][]string) error {
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
