package collector

// Parsing of /proc/net/tcp, tcp6, udp and udp6. This file has no build tag
// so that the parser is built and fuzzed on every operating system.
//
// Each line after the header is
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//
// An IPv4 address is the __be32 printed as one %08X of its value read in
// host byte order; an IPv6 address is its four 32-bit words printed the same
// way. Ports are printed after ntohs, so they read as plain hex numbers.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// procNetFields is the number of leading fields a line must have; fields
// after inode (refcount, pointer, TCP timers, drops) are ignored.
const procNetFields = 10

// minProcNetLineLen is the length of the shortest line that parses: every
// field at its shortest ("0:", "00000000:0" twice, then single characters
// and "0:0"), separated by single spaces. Used to bound fuzz results.
const minProcNetLineLen = 2 + 10 + 10 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + procNetFields - 1

// errProcNetSkip marks a line that is not a socket and is skipped silently:
// the header, or a blank line.
var errProcNetSkip = errors.New("not a socket line")

// parseProcNet appends to out the sockets of data, the text of a
// /proc/net/{tcp,tcp6,udp,udp6} file of protocol p and family f, that filt
// matches (a nil filt matches all). name names the file in warnings. A line
// that does not parse is skipped with one warning naming the file, the line
// number and what was wrong.
func parseProcNet(data []byte, p Proto, f Family, name string, filt *Filter, out []Socket, warn func(string)) []Socket {
	return parseProcNetFrom(data, 1, p, f, name, filt, out, warn)
}

// parseProcNetFrom is parseProcNet for a part of a file whose first line
// is line firstLine.
func parseProcNetFrom(data []byte, firstLine int, p Proto, f Family, name string, filt *Filter, out []Socket, warn func(string)) []Socket {
	for lineNo := firstLine; len(data) > 0; lineNo++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		var s Socket
		if err := parseProcNetLine(line, p, f, &s); err != nil {
			if err != errProcNetSkip {
				warnf(warn, "%s line %d: %v; skipped", name, lineNo, err)
			}
			continue
		}
		if filt == nil || filt.Match(&s) {
			out = append(out, s)
		}
	}
	return out
}

// parseProcNetLine parses one line into s. It allocates only to describe an
// error.
func parseProcNetLine(line []byte, p Proto, f Family, s *Socket) error {
	var fields [procNetFields][]byte
	n := 0
	rest := line
	for n < procNetFields {
		var field []byte
		field, rest = nextProcNetField(rest)
		if len(field) == 0 {
			break
		}
		fields[n] = field
		n++
	}
	if n == 0 {
		return errProcNetSkip // blank line
	}
	if string(fields[0]) == "sl" {
		return errProcNetSkip // header
	}
	if n < procNetFields {
		return fmt.Errorf("truncated line: %d fields, want at least %d", n, procNetFields)
	}

	sl := fields[0]
	if len(sl) < 2 || sl[len(sl)-1] != ':' || !allDecimal(sl[:len(sl)-1]) {
		return fmt.Errorf("bad slot number %q", clip(sl))
	}
	local, ok := parseProcNetAddrPort(fields[1], f)
	if !ok {
		return fmt.Errorf("bad local_address %q for %s", clip(fields[1]), f)
	}
	remote, ok := parseProcNetAddrPort(fields[2], f)
	if !ok {
		return fmt.Errorf("bad rem_address %q for %s", clip(fields[2]), f)
	}
	st, ok := parseHex(fields[3], 2)
	if !ok {
		return fmt.Errorf("bad state %q", clip(fields[3]))
	}
	tx, rx, ok := splitColon(fields[4])
	if !ok {
		return fmt.Errorf("bad tx_queue:rx_queue %q", clip(fields[4]))
	}
	txq, ok1 := parseHex(tx, 8)
	rxq, ok2 := parseHex(rx, 8)
	if !ok1 || !ok2 {
		return fmt.Errorf("bad tx_queue:rx_queue %q", clip(fields[4]))
	}
	// fields[5] (tr:tm->when), fields[6] (retrnsmt) and fields[8]
	// (timeout) are not used.
	uid, ok := parseDecimal(fields[7], 1<<32-1)
	if !ok {
		return fmt.Errorf("bad uid %q", clip(fields[7]))
	}
	inode, ok := parseDecimal(fields[9], 1<<64-1)
	if !ok {
		return fmt.Errorf("bad inode %q", clip(fields[9]))
	}

	*s = Socket{
		Proto:  p,
		Family: f,
		Local:  local,
		Remote: remote,
		State:  State(st),
		UID:    int(uint32(uid)),
		Inode:  inode,
		RecvQ:  uint32(rxq),
		SendQ:  uint32(txq),
	}
	normalizeSocket(s)
	return nil
}

// nextProcNetField returns the first whitespace-separated field of b and
// what follows it.
func nextProcNetField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isProcNetSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isProcNetSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

func isProcNetSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// parseProcNetAddrPort parses "ADDR:PORT": ADDR is 8 hex digits (IPv4) or
// 32 (IPv6) of 32-bit words in host byte order, PORT up to 4 hex digits.
func parseProcNetAddrPort(b []byte, f Family) (netip.AddrPort, bool) {
	a, pt, ok := splitColon(b)
	if !ok {
		return netip.AddrPort{}, false
	}
	port, ok := parseHex(pt, 4)
	if !ok {
		return netip.AddrPort{}, false
	}
	var addr netip.Addr
	switch f {
	case FamilyIPv4:
		if len(a) != 8 {
			return netip.AddrPort{}, false
		}
		w, ok := parseHex(a, 8)
		if !ok {
			return netip.AddrPort{}, false
		}
		var b4 [4]byte
		binary.NativeEndian.PutUint32(b4[:], uint32(w))
		addr = netip.AddrFrom4(b4)
	case FamilyIPv6:
		if len(a) != 32 {
			return netip.AddrPort{}, false
		}
		var b16 [16]byte
		for i := 0; i < 4; i++ {
			w, ok := parseHex(a[i*8:i*8+8], 8)
			if !ok {
				return netip.AddrPort{}, false
			}
			binary.NativeEndian.PutUint32(b16[i*4:], uint32(w))
		}
		addr = netip.AddrFrom16(b16)
	default:
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

// splitColon splits b at its only colon.
func splitColon(b []byte) (before, after []byte, ok bool) {
	i := bytes.IndexByte(b, ':')
	if i < 0 || bytes.IndexByte(b[i+1:], ':') >= 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

// parseHex parses 1 to maxDigits hex digits (either case).
func parseHex(b []byte, maxDigits int) (uint64, bool) {
	if len(b) == 0 || len(b) > maxDigits {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// parseDecimal parses an unsigned decimal number no larger than max.
func parseDecimal(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

func allDecimal(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// clip shortens a field quoted in a warning.
func clip(b []byte) []byte {
	const max = 40
	if len(b) > max {
		return b[:max]
	}
	return b
}
