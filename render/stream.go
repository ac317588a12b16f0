package render

import (
	"io"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
)

// This file writes Table: every column as wide as its widest cell (header
// included) plus columnGap, text padded on the right and numbers on the
// left, no spaces at the end of a line, as writeTable lays out any table.
// Widths are display widths (displayWidth): every cell here is sanitized,
// so a cell of ASCII bytes is as wide as it is long, and only cells that
// may hold other text are measured rune by rune. The tests check the
// bytes against tablewriter's layout of the same cells.

// streamFlushAt is the buffered size at which streamTable writes.
const streamFlushAt = 32 << 10

// streamTable writes the table of socks with columns cols, as writeTable
// would from their cells, without making them: one pass measures every
// column, a second writes the rows through one reused buffer.
func streamTable(w io.Writer, snap *collector.Snapshot, cols []tableCol, opts Options) error {
	socks := snap.Sockets
	if opts.NoHeader && len(socks) == 0 {
		return nil
	}
	t := tableStreamer{
		cols:    cols,
		numeric: opts.Numeric,
		svc:     opts.Services,
		users:   newUserNames(opts.UserName),
		netns:   newNetnsNames(snap, opts),
		ctr:     opts.Container,
		fwd:     opts.Forward,
		scratch: make([]byte, 0, 256),
	}
	if !opts.NoHeader {
		for j, c := range cols {
			t.widths[j] = len(c.title())
		}
	}
	for i := range socks {
		t.measure(&socks[i])
	}

	buf := make([]byte, 0, streamFlushAt+4096)
	if !opts.NoHeader {
		buf = t.appendHeader(buf)
	}
	for i := range socks {
		buf = t.appendRow(buf, &socks[i])
		if in := socks[i].Internals; in != nil && (in.HasTCP || in.HasMem) {
			buf = appendInternalsLine(buf, in)
		}
		if len(buf) >= streamFlushAt {
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

// tableStreamer holds the state of one streamTable call.
type tableStreamer struct {
	cols    []tableCol
	widths  [numTableCols]int // display width of the widest cell of cols[j]
	numeric bool
	svc     ServiceNamer
	users   *userNames
	netns   netnsNames
	ctr     func(pid int) (containers.Info, bool)
	fwd     func(s *collector.Socket) (containers.Forward, bool)
	scratch []byte
}

// measure widens t.widths to fit the cells of s. It computes the widths of
// the cells that are plain ASCII without writing them.
func (t *tableStreamer) measure(s *collector.Socket) {
	for j, c := range t.cols {
		var n int
		switch c {
		case colProto:
			n = len(protoColumn(s))
		case colLocal:
			n = t.addrWidth(s.Local)
		case colRemote:
			n = t.addrWidth(s.Remote)
		case colState:
			n = len(s.StateName())
		case colService:
			n = 1 // "-"
			if name := serviceName(s, t.svc); name != "" {
				n = t.sanitizedWidth(name)
			}
		case colOwners:
			n = t.ownersWidth(s)
		case colUser:
			switch {
			case s.UID < 0:
				n = 1 // "-"
			case t.numeric:
				n = decimalLen(uint64(s.UID))
			default:
				if name := t.users.name(s.UID); name != "" {
					n = t.sanitizedWidth(name)
				} else {
					n = decimalLen(uint64(s.UID))
				}
			}
		case colInode:
			n = 1 // "-"
			if s.Inode != 0 {
				n = decimalLen(s.Inode)
			}
		case colRecvQ:
			n = decimalLen(uint64(s.RecvQ))
		case colSendQ:
			n = decimalLen(uint64(s.SendQ))
		case colNetns:
			n = t.sanitizedWidth(t.netns.label(s.Netns))
		case colContainer:
			t.scratch = t.appendContainers(t.scratch[:0], s)
			n = displayWidth(t.scratch)
		}
		if n > t.widths[j] {
			t.widths[j] = n
		}
	}
}

// addrWidth is the display width of appendAddr's text for ap; it counts
// addresses without a zone without formatting them.
func (t *tableStreamer) addrWidth(ap netip.AddrPort) int {
	a := ap.Addr()
	var n int
	switch {
	case !a.IsValid():
		return 3 // "*:*"
	case a.Is4() || a.Is4In6():
		n = 3 // the dots
		a16 := a.As16()
		for _, octet := range a16[12:] {
			switch {
			case octet >= 100:
				n += 3
			case octet >= 10:
				n += 2
			default:
				n++
			}
		}
	case a.Zone() == "":
		n = 2 + ipv6TextLen(a) // in brackets
	default:
		t.scratch = appendAddr(t.scratch[:0], ap)
		return displayWidth(t.scratch)
	}
	if p := ap.Port(); p == 0 {
		return n + 2 // ":*"
	} else {
		return n + 1 + decimalLen(uint64(p))
	}
}

// ipv6TextLen is the length of a.AppendTo's text for the IPv6 address a
// without a zone: groups in hex without leading zeros, the first longest
// run of two or more zero groups written as "::" (RFC 5952, as netip
// writes it).
func ipv6TextLen(a netip.Addr) int {
	a16 := a.As16()
	var g [8]uint16
	for i := range g {
		g[i] = uint16(a16[2*i])<<8 | uint16(a16[2*i+1])
	}
	zeroStart, zeroEnd := 255, 255
	for i := 0; i < 8; i++ {
		j := i
		for j < 8 && g[j] == 0 {
			j++
		}
		if l := j - i; l >= 2 && l > zeroEnd-zeroStart {
			zeroStart, zeroEnd = i, j
		}
	}
	n := 0
	for i := 0; i < 8; i++ {
		if i == zeroStart {
			n += 2
			i = zeroEnd
			if i >= 8 {
				break
			}
		} else if i > 0 {
			n++
		}
		switch v := g[i]; {
		case v >= 0x1000:
			n += 4
		case v >= 0x100:
			n += 3
		case v >= 0x10:
			n += 2
		default:
			n++
		}
	}
	return n
}

// sanitizedWidth is the display width of Sanitize(s).
func (t *tableStreamer) sanitizedWidth(s string) int {
	if isPrintableASCII(s) {
		return len(s)
	}
	t.scratch = appendSanitized(t.scratch[:0], s)
	return displayWidth(t.scratch)
}

// ownersWidth is the display width of the PID/Program cell of s.
func (t *tableStreamer) ownersWidth(s *collector.Socket) int {
	if len(s.Owners) == 0 {
		if s.OwnerUnknown != collector.OwnerKnown {
			return 3 + t.sanitizedWidth(s.OwnerUnknown.String()) // "-(reason)"
		}
		return 1 // "-"
	}
	n := len(s.Owners) - 1 // the commas
	for i := range s.Owners {
		o := &s.Owners[i]
		if o.PID < 0 || !isPrintableASCII(o.Process) {
			// Measure the whole cell.
			t.scratch = appendOwners(t.scratch[:0], s)
			return displayWidth(t.scratch)
		}
		n += decimalLen(uint64(o.PID)) + 1 + max(len(o.Process), 1) // "pid/process", "-" for ""
	}
	return n
}

// appendHeader appends the header line.
func (t *tableStreamer) appendHeader(b []byte) []byte {
	start := len(b)
	last := len(t.cols) - 1
	for j, c := range t.cols {
		title := c.title()
		if c.right() {
			b = appendSpaces(b, t.widths[j]-len(title))
			b = append(b, title...)
			if j < last {
				b = append(b, columnGap...)
			}
			continue
		}
		b = append(b, title...)
		if j < last {
			b = appendSpaces(b, t.widths[j]+len(columnGap)-len(title))
		}
	}
	return endLine(b, start)
}

// appendRow appends the line of socket s.
func (t *tableStreamer) appendRow(b []byte, s *collector.Socket) []byte {
	start := len(b)
	last := len(t.cols) - 1
	for j, c := range t.cols {
		if c.right() {
			// Numbers or "-": ASCII.
			t.scratch = t.appendCell(t.scratch[:0], s, c)
			b = appendSpaces(b, t.widths[j]-len(t.scratch))
			b = append(b, t.scratch...)
			if j < last {
				b = append(b, columnGap...)
			}
			continue
		}
		cell := len(b)
		b = t.appendCell(b, s, c)
		if j < last {
			n := len(b) - cell
			if t.mayBeWide(s, c) {
				n = displayWidth(b[cell:])
			}
			b = appendSpaces(b, t.widths[j]+len(columnGap)-n)
		}
	}
	return endLine(b, start)
}

// endLine trims the spaces at the end of the line that starts at b[start]
// and ends it.
func endLine(b []byte, start int) []byte {
	for len(b) > start && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return append(b, '\n')
}

// appendCell appends the cell of column c for socket s, sanitized.
func (t *tableStreamer) appendCell(b []byte, s *collector.Socket, c tableCol) []byte {
	switch c {
	case colProto:
		return append(b, protoColumn(s)...)
	case colLocal:
		return appendAddr(b, s.Local)
	case colRemote:
		return appendAddr(b, s.Remote)
	case colState:
		return append(b, s.StateName()...)
	case colService:
		if n := serviceName(s, t.svc); n != "" {
			return appendSanitized(b, n)
		}
		return append(b, '-')
	case colOwners:
		return appendOwners(b, s)
	case colUser:
		if s.UID < 0 {
			return append(b, '-')
		}
		if !t.numeric {
			if n := t.users.name(s.UID); n != "" {
				return appendSanitized(b, n)
			}
		}
		return strconv.AppendInt(b, int64(s.UID), 10)
	case colInode:
		if s.Inode == 0 {
			return append(b, '-')
		}
		return appendDecimal(b, s.Inode)
	case colRecvQ:
		return appendDecimal(b, uint64(s.RecvQ))
	case colSendQ:
		return appendDecimal(b, uint64(s.SendQ))
	case colNetns:
		return appendSanitized(b, t.netns.label(s.Netns))
	case colContainer:
		return t.appendContainers(b, s)
	}
	return b
}

// appendContainers appends the containers of s's owners, each once, by
// label (sanitized), joined by ","; "-" when none is in a container.
func (t *tableStreamer) appendContainers(b []byte, s *collector.Socket) []byte {
	start := len(b)
	if t.fwd != nil {
		if f, ok := t.fwd(s); ok {
			b = append(b, "->"...)
			b = appendSanitized(b, f.Target())
		}
	}
	for i, o := range s.Owners {
		if t.ctr == nil {
			break
		}
		info, ok := t.ctr(o.PID)
		if !ok || slices.ContainsFunc(s.Owners[:i], func(prev collector.Owner) bool {
			p, ok := t.ctr(prev.PID)
			return ok && p.Runtime == info.Runtime && p.ID == info.ID
		}) {
			continue // not in one, or its container is listed already
		}
		if len(b) > start {
			b = append(b, ',')
		}
		b = appendSanitized(b, info.Label())
	}
	if len(b) == start {
		b = append(b, '-')
	}
	return b
}

// appendOwners appends the PID/Program column as ownersColumn makes it.
func appendOwners(b []byte, s *collector.Socket) []byte {
	if len(s.Owners) == 0 {
		if s.OwnerUnknown != collector.OwnerKnown {
			b = append(b, '-', '(')
			b = appendSanitized(b, s.OwnerUnknown.String())
			return append(b, ')')
		}
		return append(b, '-')
	}
	for i := range s.Owners {
		o := &s.Owners[i]
		if i > 0 {
			b = append(b, ',')
		}
		if o.PID >= 0 {
			b = appendDecimal(b, uint64(o.PID))
		} else {
			b = strconv.AppendInt(b, int64(o.PID), 10)
		}
		b = append(b, '/')
		if o.Process == "" {
			b = append(b, '-')
		} else {
			b = appendSanitized(b, o.Process)
		}
	}
	return b
}

// mayBeWide reports whether the cell of column c for s may hold non-ASCII
// text: names from the system and addresses with a zone.
func (t *tableStreamer) mayBeWide(s *collector.Socket, c tableCol) bool {
	switch c {
	case colLocal:
		return s.Local.Addr().Zone() != ""
	case colRemote:
		return s.Remote.Addr().Zone() != ""
	case colService, colOwners, colUser, colNetns, colContainer:
		return true
	}
	return false
}

// isPrintableASCII reports whether s is made of the bytes 0x20-0x7e only,
// which Sanitize keeps as they are and which are one column wide each.
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// decimalLen is the number of decimal digits of u.
func decimalLen(u uint64) int {
	// bits.Len64 * log10(2) is the number of digits or one more.
	u |= 1 // the same digits, and at least one
	t := bits.Len64(u) * 1233 >> 12
	if u < powersOf10[t] {
		return t
	}
	return t + 1
}

// powersOf10[i] is 10 to the i.
var powersOf10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// appendDecimal appends u in decimal, like strconv.AppendUint(b, u, 10),
// writing the digits in place.
func appendDecimal(b []byte, u uint64) []byte {
	if u < 10 {
		return append(b, byte('0'+u))
	}
	n := decimalLen(u)
	b = slices.Grow(b, n)
	b = b[:len(b)+n]
	for i := len(b) - 1; u >= 10; i-- {
		b[i] = byte('0' + u%10)
		u /= 10
	}
	b[len(b)-n] = byte('0' + u)
	return b
}

const spaces = "                                                                "

// appendSpaces appends n spaces (none when n <= 0).
func appendSpaces(b []byte, n int) []byte {
	for n > len(spaces) {
		b = append(b, spaces...)
		n -= len(spaces)
	}
	if n > 0 {
		b = append(b, spaces[:n]...)
	}
	return b
}
