package render

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portwatch/portwatch/collector"
)

// csvHeader is the CSV header: the JSON socket fields, in the same order.
var csvHeader = []string{
	"proto", "family", "local_addr", "local_port", "remote_addr", "remote_port",
	"state", "uid", "user", "inode", "recv_q", "send_q",
	"local_service", "remote_service", "pid", "process", "owners", "owner_unknown",
}

// CSV writes snap's sockets as CSV, one record per socket, with
// the columns and values of the JSON socket fields in the same order (see
// JSON), preceded by a header row unless opts.NoHeader. A snapshot that
// read network namespaces (--netns) has two more columns at the end,
// netns and netns_name. Names are always
// included (Numeric does not apply) and every string that came from the
// system is sanitized, so each record is one line.
//
// The owners column flattens the owners list as pid/process/fd entries joined
// by ";", e.g. "812/nginx/3;813/nginx/3" (fd -1 when unknown, "" when there
// is no owner). A process name may contain "/", so split an entry at its
// first and last "/"; a ";" inside a process name is written as \x3b, so
// splitting the column on ";" is always safe.
//
// The records are written as encoding/csv writes them (fields quoted only
// when they hold a comma, quote, CR or LF, start with a space, or are
// exactly \.; LF line ends), straight from the sockets into one reused
// buffer.
func CSV(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	const flushAt = 32 << 10
	buf := make([]byte, 0, flushAt+4096)
	withNetns := len(snap.Namespaces) > 0
	if !opts.NoHeader {
		for i, h := range csvHeader {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendCSVField(buf, h)
		}
		if withNetns {
			buf = append(buf, ",netns,netns_name"...)
		}
		buf = append(buf, '\n')
	}
	users := newUserNames(opts.UserName)
	names := newNetnsNames(snap, opts)
	for i := range snap.Sockets {
		buf = appendSocketCSV(buf, &snap.Sockets[i], opts.Services, users)
		if withNetns {
			buf = buf[:len(buf)-1] // the record's line end
			buf = append(buf, ',')
			buf = appendDecimal(buf, snap.Sockets[i].Netns)
			buf = append(buf, ',')
			buf = appendCSVSanitized(buf, names.name(snap.Sockets[i].Netns))
			buf = append(buf, '\n')
		}
		if len(buf) >= flushAt {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) == 0 {
		return nil
	}
	_, err := w.Write(buf)
	return err
}

// appendSocketCSV appends the record of s.
func appendSocketCSV(b []byte, s *collector.Socket, svc ServiceNamer, users *userNames) []byte {
	proto := s.Proto.String()
	b = appendCSVField(b, proto)
	b = append(b, ',')
	b = appendCSVField(b, s.Family.String())
	b = append(b, ',')
	b = appendCSVAddr(b, s.Local)
	b = append(b, ',')
	b = appendDecimal(b, uint64(s.Local.Port()))
	b = append(b, ',')
	b = appendCSVAddr(b, s.Remote)
	b = append(b, ',')
	b = appendDecimal(b, uint64(s.Remote.Port()))
	b = append(b, ',')
	b = appendCSVField(b, s.StateName())
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.UID), 10)
	b = append(b, ',')
	b = appendCSVSanitized(b, users.name(s.UID))
	b = append(b, ',')
	b = appendDecimal(b, s.Inode)
	b = append(b, ',')
	b = appendDecimal(b, uint64(s.RecvQ))
	b = append(b, ',')
	b = appendDecimal(b, uint64(s.SendQ))
	b = append(b, ',')
	b = appendCSVSanitized(b, portName(svc, proto, s.Local.Port()))
	b = append(b, ',')
	b = appendCSVSanitized(b, portName(svc, proto, s.Remote.Port()))
	b = append(b, ',')
	pid, process := 0, ""
	if o := firstOwner(s); o != nil {
		pid, process = o.PID, o.Process
	}
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, ',')
	b = appendCSVSanitized(b, process)
	b = append(b, ',')
	start := len(b)
	b = appendCSVOwners(b, s.Owners)
	b = quoteCSVField(b, start)
	b = append(b, ',')
	b = appendCSVSanitized(b, s.OwnerUnknown.String())
	return append(b, '\n')
}

// appendCSVField appends field as encoding/csv writes it.
func appendCSVField(b []byte, field string) []byte {
	start := len(b)
	return quoteCSVField(append(b, field...), start)
}

// appendCSVSanitized appends Sanitize(s) as a CSV field.
func appendCSVSanitized(b []byte, s string) []byte {
	start := len(b)
	return quoteCSVField(appendSanitized(b, s), start)
}

// appendCSVAddr appends csvAddr(ap) as a CSV field.
func appendCSVAddr(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr()
	if !a.IsValid() {
		return b
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Zone() == "" {
		return a.AppendTo(b) // digits, dots and colons: never quoted
	}
	start := len(b)
	b = a.WithZone("").AppendTo(b)
	b = append(b, '%')
	return quoteCSVField(appendSanitized(b, a.Zone()), start)
}

// quoteCSVField quotes the field b[start:] in place when encoding/csv
// would: when it holds a comma, a quote, CR or LF, starts with a Unicode
// space, or is \. (a field that could be read as end-of-data marker).
// Quotes inside are doubled; CR and LF are kept as they are.
func quoteCSVField(b []byte, start int) []byte {
	field := b[start:]
	if !csvNeedsQuotes(field) {
		return b
	}
	quotes := bytes.Count(field, []byte{'"'})
	n := len(field)
	for range 2 + quotes {
		b = append(b, 0)
	}
	// Move the field right, back to front, doubling quotes.
	j := len(b) - 1
	b[j] = '"'
	j--
	for i := start + n - 1; i >= start; i-- {
		b[j] = b[i]
		j--
		if b[i] == '"' {
			b[j] = '"'
			j--
		}
	}
	b[j] = '"'
	return b
}

// csvNeedsQuotes is encoding/csv's rule for quoting a field, with ',' as
// the separator.
func csvNeedsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	for _, c := range field {
		if csvSpecial[c] {
			return true
		}
	}
	if c := field[0]; c < utf8.RuneSelf {
		// unicode.IsSpace for ASCII, and the \. marker.
		return c == ' ' || c >= '\t' && c <= '\r' ||
			len(field) == 2 && c == '\\' && field[1] == '.'
	}
	r, _ := utf8.DecodeRune(field)
	return unicode.IsSpace(r)
}

// csvSpecial marks the bytes that make encoding/csv quote a field.
var csvSpecial = [256]bool{'\n': true, '\r': true, '"': true, ',': true}

// csvAddr is an address as JSON writes it (IPv4-mapped unmapped, no
// brackets, "" when invalid), with a zone sanitized.
func csvAddr(ap netip.AddrPort) string {
	a := ap.Addr()
	if !a.IsValid() {
		return ""
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	return Sanitize(a.String())
}

// appendCSVOwners appends csvOwners(owners), unquoted.
func appendCSVOwners(b []byte, owners []collector.Owner) []byte {
	for i := range owners {
		o := &owners[i]
		if i > 0 {
			b = append(b, ';')
		}
		b = strconv.AppendInt(b, int64(o.PID), 10)
		b = append(b, '/')
		start := len(b)
		b = appendSanitized(b, o.Process)
		if bytes.IndexByte(b[start:], ';') >= 0 {
			b = escapeSemicolons(b, start)
		}
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(o.FD), 10)
	}
	return b
}

// escapeSemicolons replaces each ";" in b[start:] by \x3b.
func escapeSemicolons(b []byte, start int) []byte {
	n := bytes.Count(b[start:], []byte{';'})
	end := len(b)
	for range 3 * n {
		b = append(b, 0)
	}
	j := len(b) - 1
	for i := end - 1; i >= start; i-- {
		if b[i] == ';' {
			j -= 3
			copy(b[j:], `\x3b`)
			j--
			continue
		}
		b[j] = b[i]
		j--
	}
	return b
}

// csvOwners flattens owners as pid/process/fd;pid/process/fd.
func csvOwners(owners []collector.Owner) string {
	var b strings.Builder
	for i := range owners {
		o := &owners[i]
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(strconv.Itoa(o.PID))
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(Sanitize(o.Process), ";", `\x3b`))
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(o.FD))
	}
	return b.String()
}
