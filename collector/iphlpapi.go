package collector

// Decoding of the tables that the Windows IP Helper API (iphlpapi.dll)
// fills: GetExtendedTcpTable with TCP_TABLE_OWNER_PID_ALL and
// GetExtendedUdpTable with UDP_TABLE_OWNER_PID, for AF_INET and AF_INET6.
// This file has no build tag: the layouts are written down here by hand
// (from the documented tcpmib.h and udpmib.h structures) so that the decoder
// is built, tested and fuzzed on every operating system; collector_windows.go
// only makes the calls.
//
// Every table is a DWORD dwNumEntries followed by that many rows. Each row
// holds only DWORDs and UCHAR[16] addresses, so its alignment is 4 and
// there is no padding, neither between dwNumEntries and the first row nor
// between rows. DWORDs are in host byte order, and Windows runs only on
// little-endian machines (x86, amd64, arm64); addresses are in network byte
// order; a port is in network byte order in the low 16 bits of its DWORD
// (the first two bytes in memory), and the upper 16 bits may hold garbage
// (the documentation of MIB_TCPROW says so), so they are ignored.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
)

// Row layouts.
const (
	// The table header: DWORD dwNumEntries.
	mibTableHeaderLen = 4

	// MIB_TCPROW_OWNER_PID: dwState, dwLocalAddr, dwLocalPort,
	// dwRemoteAddr, dwRemotePort, dwOwningPid.
	mibTCPRowLen        = 6 * 4
	mibTCPRowState      = 0
	mibTCPRowLocalAddr  = 4
	mibTCPRowLocalPort  = 8
	mibTCPRowRemoteAddr = 12
	mibTCPRowRemotePort = 16
	mibTCPRowPID        = 20

	// MIB_TCP6ROW_OWNER_PID: ucLocalAddr[16], dwLocalScopeId, dwLocalPort,
	// ucRemoteAddr[16], dwRemoteScopeId, dwRemotePort, dwState,
	// dwOwningPid.
	mibTCP6RowLen           = 16 + 4 + 4 + 16 + 4 + 4 + 4 + 4
	mibTCP6RowLocalAddr     = 0
	mibTCP6RowLocalScopeID  = 16
	mibTCP6RowLocalPort     = 20
	mibTCP6RowRemoteAddr    = 24
	mibTCP6RowRemoteScopeID = 40
	mibTCP6RowRemotePort    = 44
	mibTCP6RowState         = 48
	mibTCP6RowPID           = 52

	// MIB_UDPROW_OWNER_PID: dwLocalAddr, dwLocalPort, dwOwningPid.
	mibUDPRowLen       = 3 * 4
	mibUDPRowLocalAddr = 0
	mibUDPRowLocalPort = 4
	mibUDPRowPID       = 8

	// MIB_UDP6ROW_OWNER_PID: ucLocalAddr[16], dwLocalScopeId, dwLocalPort,
	// dwOwningPid.
	mibUDP6RowLen          = 16 + 4 + 4 + 4
	mibUDP6RowLocalAddr    = 0
	mibUDP6RowLocalScopeID = 16
	mibUDP6RowLocalPort    = 20
	mibUDP6RowPID          = 24
)

// MIB_TCP_STATE values (tcpmib.h).
const (
	mibTCPStateClosed    = 1
	mibTCPStateListen    = 2
	mibTCPStateSynSent   = 3
	mibTCPStateSynRcvd   = 4
	mibTCPStateEstab     = 5
	mibTCPStateFinWait1  = 6
	mibTCPStateFinWait2  = 7
	mibTCPStateCloseWait = 8
	mibTCPStateClosing   = 9
	mibTCPStateLastAck   = 10
	mibTCPStateTimeWait  = 11
	mibTCPStateDeleteTCB = 12
)

// mibTCPStates translates MIB_TCP_STATE into State. Index 0 and anything
// past the table are StateUnknown.
//
// MIB_TCP_STATE_CLOSED is a TCP socket with no connection at all: bound
// (it has a local address) but neither listening nor connected, which is
// what Linux calls TCP_BOUND_INACTIVE; like Linux's, such sockets are left
// out unless asked for by state. MIB_TCP_STATE_DELETE_TCB is the last moment
// of a connection whose control block is being freed: Linux's TCP_CLOSE.
var mibTCPStates = [...]State{
	mibTCPStateClosed:    StateBoundInactive,
	mibTCPStateListen:    StateListen,
	mibTCPStateSynSent:   StateSynSent,
	mibTCPStateSynRcvd:   StateSynRecv,
	mibTCPStateEstab:     StateEstablished,
	mibTCPStateFinWait1:  StateFinWait1,
	mibTCPStateFinWait2:  StateFinWait2,
	mibTCPStateCloseWait: StateCloseWait,
	mibTCPStateClosing:   StateClosing,
	mibTCPStateLastAck:   StateLastAck,
	mibTCPStateTimeWait:  StateTimeWait,
	mibTCPStateDeleteTCB: StateClose,
}

// mibTCPState translates a dwState; ok is false for a value that is not a
// MIB_TCP_STATE.
func mibTCPState(v uint32) (s State, ok bool) {
	if v == 0 || v >= uint32(len(mibTCPStates)) {
		return StateUnknown, false
	}
	return mibTCPStates[v], true
}

// Buffer sizes and calls for one table.
const (
	// initialTableBuffer is the first buffer's size: room for about 1,000
	// IPv6 TCP rows, so that most hosts need no second call.
	initialTableBuffer = 64 << 10
	// maxTableBuffer bounds the buffer: a table that says it needs more is
	// an error, not an allocation.
	maxTableBuffer = 1 << 30
	// maxTableAttempts bounds the calls for one table. After the first
	// call that reports the size the table needs, another is short only
	// when the table grew past that size in between.
	maxTableAttempts = 5
)

// readIPHelperTable has fill, one call of GetExtendedTcpTable or
// GetExtendedUdpTable named name, fill buf, and returns the buffer that
// holds the table: buf itself, or a bigger one when buf was too small (or
// empty). The caller keeps what it returns, even with an error, to reuse
// it. fill gets the buffer and its size in *size, and reports short (the
// table did not fit, and *size is now the size it needs:
// ERROR_INSUFFICIENT_BUFFER) or an error. Each bigger buffer is the size
// asked for and an eighth more, room for rows added before the next call;
// the calls stop after maxTableAttempts.
func readIPHelperTable(buf []byte, name string, fill func(buf []byte, size *uint32) (short bool, err error)) ([]byte, error) {
	if len(buf) == 0 {
		buf = make([]byte, initialTableBuffer)
	}
	for range maxTableAttempts {
		size := uint32(len(buf))
		short, err := fill(buf, &size)
		if err != nil {
			return buf, fmt.Errorf("%s: %w", name, err)
		}
		if !short {
			return buf, nil
		}
		if size > maxTableBuffer {
			return buf, fmt.Errorf("%s: asks for a buffer of %d bytes, more than the %d allowed", name, size, maxTableBuffer)
		}
		next := int(size) + int(size)/8
		if next <= len(buf) {
			// A size no bigger than the buffer that was too small: trust
			// the failure, not the size.
			next = 2 * len(buf)
		}
		buf = make([]byte, min(next, maxTableBuffer))
	}
	return buf, fmt.Errorf("%s: the table kept growing past the buffer (%d calls, %d bytes)", name, maxTableAttempts, len(buf))
}

// ipHelperRowLen is the length of one row of the (p, f) table, 0 for a
// table that does not exist.
func ipHelperRowLen(p Proto, f Family) int {
	switch {
	case p == ProtoTCP && f == FamilyIPv4:
		return mibTCPRowLen
	case p == ProtoTCP && f == FamilyIPv6:
		return mibTCP6RowLen
	case p == ProtoUDP && f == FamilyIPv4:
		return mibUDPRowLen
	case p == ProtoUDP && f == FamilyIPv6:
		return mibUDP6RowLen
	}
	return 0
}

// ipHelperRowCount checks the table header of buf against the length of
// buf and returns the number of rows. A buffer too short for the header,
// or a count whose rows do not fit in the rest of buf, is an error; bytes
// after the last row are allowed (the caller's buffer is often bigger than
// the table).
func ipHelperRowCount(buf []byte, p Proto, f Family) (int, error) {
	rowLen := ipHelperRowLen(p, f)
	if rowLen == 0 {
		return 0, fmt.Errorf("iphlpapi: no table for %s %s", p, f)
	}
	if len(buf) < mibTableHeaderLen {
		return 0, fmt.Errorf("iphlpapi %s table: truncated: %d bytes, the dwNumEntries header needs %d",
			tableName(p, f), len(buf), mibTableHeaderLen)
	}
	n := binary.LittleEndian.Uint32(buf)
	room := uint64(len(buf) - mibTableHeaderLen)
	if uint64(n)*uint64(rowLen) > room {
		return 0, fmt.Errorf("iphlpapi %s table: dwNumEntries is %d but the buffer holds %d bytes after the header, room for %d rows of %d bytes",
			tableName(p, f), n, room, room/uint64(rowLen), rowLen)
	}
	return int(n), nil
}

// decodeIPHelperTable decodes buf, a table filled by GetExtendedTcpTable
// (TCP_TABLE_OWNER_PID_ALL) or GetExtendedUdpTable (UDP_TABLE_OWNER_PID)
// for protocol p and family f, and appends every row that filt matches (a
// nil filt matches all) to out, and its owning PID to pids, so that pids[i]
// is the owner of out[i]. Sockets have UID -1 (Windows has SIDs, not user
// ids), no inode and no queue sizes, which the table does not carry. A UDP
// row is an unconnected socket (StateClose) with the unspecified remote
// address and port 0.
//
// A header that does not fit, or a row count that does not fit the buffer,
// is an error and nothing is appended. A TCP row whose state is not a
// MIB_TCP_STATE is kept as StateUnknown, and one warning per table says how
// many there were.
func decodeIPHelperTable(buf []byte, p Proto, f Family, filt *Filter, out []Socket, pids []uint32, warn func(string)) ([]Socket, []uint32, error) {
	n, err := ipHelperRowCount(buf, p, f)
	if err != nil {
		return out, pids, err
	}
	rowLen := ipHelperRowLen(p, f)
	le := binary.LittleEndian
	badStates, firstBad := 0, uint32(0)
	rows := buf[mibTableHeaderLen:]
	for i := 0; i < n; i++ {
		r := rows[i*rowLen : (i+1)*rowLen]
		s := Socket{Proto: p, Family: f, UID: -1}
		var pid, state uint32
		switch {
		case p == ProtoTCP && f == FamilyIPv4:
			s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(r[mibTCPRowLocalAddr:])), mibPort(r[mibTCPRowLocalPort:]))
			s.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(r[mibTCPRowRemoteAddr:])), mibPort(r[mibTCPRowRemotePort:]))
			state = le.Uint32(r[mibTCPRowState:])
			pid = le.Uint32(r[mibTCPRowPID:])
		case p == ProtoTCP: // IPv6
			s.Local = netip.AddrPortFrom(mibAddr6(r[mibTCP6RowLocalAddr:], r[mibTCP6RowLocalScopeID:]), mibPort(r[mibTCP6RowLocalPort:]))
			s.Remote = netip.AddrPortFrom(mibAddr6(r[mibTCP6RowRemoteAddr:], r[mibTCP6RowRemoteScopeID:]), mibPort(r[mibTCP6RowRemotePort:]))
			state = le.Uint32(r[mibTCP6RowState:])
			pid = le.Uint32(r[mibTCP6RowPID:])
		case f == FamilyIPv4: // UDP
			s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(r[mibUDPRowLocalAddr:])), mibPort(r[mibUDPRowLocalPort:]))
			s.Remote = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
			s.State = StateClose
			pid = le.Uint32(r[mibUDPRowPID:])
		default: // UDP, IPv6
			s.Local = netip.AddrPortFrom(mibAddr6(r[mibUDP6RowLocalAddr:], r[mibUDP6RowLocalScopeID:]), mibPort(r[mibUDP6RowLocalPort:]))
			s.Remote = netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
			s.State = StateClose
			pid = le.Uint32(r[mibUDP6RowPID:])
		}
		if p == ProtoTCP {
			var ok bool
			if s.State, ok = mibTCPState(state); !ok {
				if badStates == 0 {
					firstBad = state
				}
				badStates++
			}
		}
		if filt != nil && !filt.Match(&s) {
			continue
		}
		out = append(out, s)
		pids = append(pids, pid)
	}
	if badStates > 0 {
		warnf(warn, "iphlpapi %s table: %d rows with an unknown dwState (the first is %d); shown as UNKNOWN",
			tableName(p, f), badStates, firstBad)
	}
	return out, pids, nil
}

// mibPort reads a port from the first two bytes of its DWORD, where it is in
// network byte order.
func mibPort(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

// maxScopeID bounds what is taken for an interface index when the byte
// order of a scope id is in doubt (see mibScopeID).
const maxScopeID = 1<<24 - 1

// mibScopeID reads a dwLocalScopeId or dwRemoteScopeId. The documentation
// says it is in network byte order; Wine fills it from sin6_scope_id, which
// is in host order. A scope id is an interface index, a small number: the
// documented order is used unless it gives a number above maxScopeID while
// host order gives one that is not (12 stored in host order reads as
// 201326592 in network order).
func mibScopeID(b []byte) uint32 {
	v := binary.BigEndian.Uint32(b)
	if h := binary.LittleEndian.Uint32(b); v > maxScopeID && h <= maxScopeID {
		return h
	}
	return v
}

// mibAddr6 reads an IPv6 address and its scope id. A link-local address
// (unicast fe80::/10, or interface- or link-local multicast) with a
// non-zero scope id keeps it as its numeric zone, fe80::1%12, as Windows'
// netstat prints it; other addresses need no zone, and theirs is dropped.
func mibAddr6(addr, scope []byte) netip.Addr {
	a := netip.AddrFrom16([16]byte(addr))
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		if id := mibScopeID(scope); id != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(id), 10))
		}
	}
	return a
}

// pidZeroMeaning says what an owning PID of 0 means where a table came from.
type pidZeroMeaning uint8

const (
	// pidZeroKernel: Windows. PID 0 is the System Idle Process, which
	// holds no socket: a row with PID 0 is held by no process (TIME_WAIT,
	// connections orphaned by a process that exited), OwnerKernel.
	pidZeroKernel pidZeroMeaning = iota
	// pidZeroUnreported: the platform does not report every owner, so PID
	// 0 is OwnerUnsupported, except for TIME_WAIT, which no process holds
	// anywhere. Wine 8 gives a PID only when it finds the socket among the
	// Unix file descriptors of a Wine process: every socket of a Linux
	// process has PID 0, and so have many of a Wine process's own
	// (make test-windows found its listeners, its accepted connection and
	// its UDP socket with PID 0, and only the connecting end with its PID).
	pidZeroUnreported
)

// attachIPHelperOwners gives every socket its owner from pids (pids[i] owns
// socks[i]): a PID other than 0 is one Owner with the name from names (""
// when the process was not in the process snapshot, having exited since
// the table was read) and FD -1, as Windows has no descriptor numbers to
// show; PID 0 is an OwnerUnknown reason chosen by zero. It returns how many
// sockets got OwnerUnsupported.
func attachIPHelperOwners(socks []Socket, pids []uint32, names map[uint32]string, zero pidZeroMeaning) (unsupported int) {
	owned := 0
	for i := range socks {
		if i < len(pids) && pids[i] != 0 {
			owned++
		}
	}
	// One backing array for every socket's owner.
	all := make([]Owner, 0, owned)
	for i := range socks {
		s := &socks[i]
		pid := uint32(0)
		if i < len(pids) {
			pid = pids[i]
		}
		if pid != 0 {
			all = append(all, Owner{PID: int(pid), Process: names[pid], FD: -1})
			s.Owners = all[len(all)-1 : len(all) : len(all)]
			s.OwnerUnknown = OwnerKnown
			continue
		}
		s.Owners = nil
		if zero == pidZeroUnreported && s.State != StateTimeWait {
			s.OwnerUnknown = OwnerUnsupported
			unsupported++
			continue
		}
		s.OwnerUnknown = OwnerKernel
	}
	return unsupported
}

// appendDeleteTCBRow appends the MIB_TCPROW that asks SetTcpEntry to end
// the IPv4 TCP connection s (state MIB_TCP_STATE_DELETE_TCB): the first
// five DWORDs of MIB_TCPROW_OWNER_PID, addresses as their bytes, ports in
// network order in the low two bytes of their DWORD, as the tables give
// them.
func appendDeleteTCBRow(b []byte, s *Socket) ([]byte, error) {
	local, remote := s.Local.Addr().Unmap(), s.Remote.Addr().Unmap()
	switch {
	case s.Proto != ProtoTCP:
		return b, fmt.Errorf("only TCP connections can be ended, not %s", s.Proto)
	case !local.Is4() || !remote.Is4():
		return b, &systemError{"Windows ends IPv4 connections only (SetTcpEntry has no IPv6 form)", ErrDestroyUnsupported}
	}
	start := len(b)
	b, _ = appendTCPRow(b, s)
	binary.LittleEndian.PutUint32(b[start:], mibTCPStateDeleteTCB)
	return b, nil
}

// stillOpen reports whether the connection s is among open, by its
// addresses, ports and state: a connection SetTcpEntry ended is gone, or
// past ESTABLISHED on its way out.
func stillOpen(open []Socket, s *Socket) bool {
	for i := range open {
		o := &open[i]
		if o.Local == s.Local && o.Remote == s.Remote && o.State == s.State {
			return true
		}
	}
	return false
}
