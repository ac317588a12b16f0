package collector

// Encoding of sock_diag (inet_diag) requests and decoding of their replies.
// This file has no build tag: the wire format is defined here by hand (from
// the Linux UAPI headers netlink.h, sock_diag.h and inet_diag.h) so that the
// parser is built and fuzzed on every operating system. Netlink headers and
// the non-address fields of inet_diag_msg are in host byte order; ports and
// addresses in inet_diag_sockid are in network byte order.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Netlink message header (struct nlmsghdr).
const (
	nlmsgHdrLen = 16 // len u32, type u16, flags u16, seq u32, pid u32
	nlmsgAlign  = 4

	// Control message types.
	nlmsgNoop    = 1
	nlmsgError   = 2
	nlmsgDone    = 3
	nlmsgOverrun = 4
	nlmsgMinType = 0x10 // types below are reserved for control messages

	// Flags.
	nlmFRequest  = 0x01
	nlmFMulti    = 0x02
	nlmFDumpIntr = 0x10 // the dump was inconsistent because of a change
	nlmFRoot     = 0x100
	nlmFMatch    = 0x200
	nlmFDump     = nlmFRoot | nlmFMatch
)

// sock_diag and inet_diag.
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	// tcpDiagGetSock (TCPDIAG_GETSOCK) is inet_diag's first request
	// type, which the kernel still serves: it carries a struct
	// inet_diag_req, and the kernel dumps it with no family (AF_UNSPEC),
	// so that one walk of the TCP hash tables yields both IPv4 and IPv6
	// sockets, where SOCK_DIAG_BY_FAMILY walks them once per family. The
	// replies are inet_diag_msg messages of the request's type.
	tcpDiagGetSock = 18

	afInet     = 2  // AF_INET
	afInet6    = 10 // AF_INET6
	ipprotoTCP = 6  // IPPROTO_TCP
	ipprotoUDP = 17 // IPPROTO_UDP

	// struct inet_diag_sockid: sport, dport (be16), src[4], dst[4] (be32),
	// if (u32), cookie[2] (u32).
	inetDiagSockIDLen = 2 + 2 + 16 + 16 + 4 + 8

	// struct inet_diag_req_v2: family, protocol, ext, pad (u8), states
	// (u32), id.
	inetDiagReqV2Len = 4 + 4 + inetDiagSockIDLen

	// struct inet_diag_msg: family, state, timer, retrans (u8), id, then
	// expires, rqueue, wqueue, uid, inode (u32).
	inetDiagMsgLen = 4 + inetDiagSockIDLen + 5*4

	// Offsets in struct inet_diag_msg.
	idmFamily = 0
	idmState  = 1
	idmSport  = 4
	idmDport  = 6
	idmSrc    = 8
	idmDst    = 24
	idmCookie = 44
	idmRqueue = 56
	idmWqueue = 60
	idmUID    = 64
	idmInode  = 68

	// struct inet_diag_req, of TCPDIAG_GETSOCK: family, src_len, dst_len,
	// ext (u8), id, states (u32), dbs (u32).
	inetDiagReqLen = 4 + inetDiagSockIDLen + 4 + 4

	// sockDiagRequestLen is the length of the whole request message.
	sockDiagRequestLen = nlmsgHdrLen + inetDiagReqV2Len
	// tcpDiagRequestLen is the length of a whole TCPDIAG_GETSOCK request.
	tcpDiagRequestLen = nlmsgHdrLen + inetDiagReqLen

	// minSockDiagSocketLen is the fewest bytes of input that can yield one
	// socket: a header and an inet_diag_msg.
	minSockDiagSocketLen = nlmsgHdrLen + inetDiagMsgLen
)

// Kernel TCP states that have no State of their own after normalisation.
const (
	kernelTCPNewSynRecv     = 12 // TCP_NEW_SYN_RECV: a request socket
	kernelTCPBoundInactive  = 13 // TCP_BOUND_INACTIVE: only a request bit
	kernelStatesKnownMask   = 1<<14 - 1
	kernelStatesPlainTCPMax = 11 // TCP_CLOSING, the last state of a full socket
)

// errDumpInterrupted reports that the kernel flagged a dump with
// NLM_F_DUMP_INTR: the table changed while it was being dumped, so the
// caller must discard what it read and dump the whole table again.
var errDumpInterrupted = errors.New("dump interrupted by a change of the socket table (NLM_F_DUMP_INTR)")

// errnoError turns an errno carried by NLMSG_ERROR or NLMSG_DONE (a positive
// Linux errno) into an error. The Linux build replaces it with one that names
// the errno and wraps unix.Errno, so errors.Is works there.
var errnoError = func(errno int64) error { return fmt.Errorf("errno %d", errno) }

// diagFamilyProto returns the kernel's address family and protocol numbers
// for a table.
func diagFamilyProto(p Proto, f Family) (family, protocol uint8, ok bool) {
	switch f {
	case FamilyIPv4:
		family = afInet
	case FamilyIPv6:
		family = afInet6
	default:
		return 0, 0, false
	}
	switch p {
	case ProtoTCP:
		protocol = ipprotoTCP
	case ProtoUDP:
		protocol = ipprotoUDP
	default:
		return 0, 0, false
	}
	return family, protocol, true
}

// appendSockDiagRequest appends to b a SOCK_DIAG_BY_FAMILY dump request
// (NLM_F_REQUEST|NLM_F_DUMP) carrying an inet_diag_req_v2 for the given
// kernel family and protocol, state mask and sequence number, asking for no
// extension attributes and matching any socket id. A non-empty bytecode
// (see appendPortBytecode) is attached as INET_DIAG_REQ_BYTECODE for the
// kernel to filter with.
func appendSockDiagRequest(b []byte, family, protocol uint8, states, seq uint32, bytecode []byte) []byte {
	return appendSockDiagRequestExt(b, family, protocol, 0, states, seq, bytecode)
}

// appendSockDiagRequestExt is appendSockDiagRequest asking for the
// extension attributes of ext (idiag_ext: bit attribute-1 for each).
func appendSockDiagRequestExt(b []byte, family, protocol, ext uint8, states, seq uint32, bytecode []byte) []byte {
	ne := binary.NativeEndian
	length := sockDiagRequestLen
	if len(bytecode) > 0 {
		length += nlattrHdrLen + len(bytecode)
	}
	b = ne.AppendUint32(b, uint32(length))
	b = ne.AppendUint16(b, sockDiagByFamily)
	b = ne.AppendUint16(b, nlmFRequest|nlmFDump)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0) // port id: the kernel fills it in
	b = append(b, family, protocol, ext, 0 /* pad */)
	b = ne.AppendUint32(b, states)
	var id [inetDiagSockIDLen]byte
	b = append(b, id[:]...)
	if len(bytecode) > 0 {
		b = ne.AppendUint16(b, uint16(nlattrHdrLen+len(bytecode)))
		b = ne.AppendUint16(b, inetDiagReqBytecode)
		b = append(b, bytecode...)
	}
	return b
}

// appendTCPDiagRequest appends to b a TCPDIAG_GETSOCK dump request
// (NLM_F_REQUEST|NLM_F_DUMP) for the TCP sockets of both families, with
// the state mask, sequence number and bytecode of appendSockDiagRequest.
func appendTCPDiagRequest(b []byte, states, seq uint32, bytecode []byte) []byte {
	return appendTCPDiagRequestExt(b, 0, states, seq, bytecode)
}

// appendTCPDiagRequestExt is appendTCPDiagRequest asking for the extension
// attributes of ext, as appendSockDiagRequestExt.
func appendTCPDiagRequestExt(b []byte, ext uint8, states, seq uint32, bytecode []byte) []byte {
	ne := binary.NativeEndian
	length := tcpDiagRequestLen
	if len(bytecode) > 0 {
		length += nlattrHdrLen + len(bytecode)
	}
	b = ne.AppendUint32(b, uint32(length))
	b = ne.AppendUint16(b, tcpDiagGetSock)
	b = ne.AppendUint16(b, nlmFRequest|nlmFDump)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0) // port id: the kernel fills it in
	// The family is ignored (the kernel dumps both); src_len and dst_len
	// are 0: no address prefixes.
	b = append(b, 0, 0, 0, ext)
	var id [inetDiagSockIDLen]byte
	b = append(b, id[:]...)
	b = ne.AppendUint32(b, states)
	b = ne.AppendUint32(b, 0) // idiag_dbs: unused
	if len(bytecode) > 0 {
		b = ne.AppendUint16(b, uint16(nlattrHdrLen+len(bytecode)))
		b = ne.AppendUint16(b, inetDiagReqBytecode)
		b = append(b, bytecode...)
	}
	return b
}

// inet_diag filter bytecode (struct inet_diag_bc_op: code u8, yes u8, no
// u16). The kernel runs it per socket: an op moves yes bytes on when its
// condition holds and no bytes on when not; landing exactly on the end
// accepts the socket, landing 4 bytes past it rejects it. The kernel's audit
// follows only the yes jumps from the start and requires every no jump to
// land on an op that chain visits, so yes always steps to the next op and
// an "or" puts a JMP (always taking no) after each test but the last.
const (
	nlattrHdrLen        = 4 // struct nlattr: len u16, type u16
	inetDiagReqBytecode = 1 // INET_DIAG_REQ_BYTECODE
	inetDiagBcJmp       = 1
	inetDiagBcSEq       = 11
	inetDiagBcDEq       = 12
	bcOpLen             = 4 // one inet_diag_bc_op
	bcPortTestLen       = 8 // a port test: the op, then an op whose no holds the port
)

// appendPortBytecode appends the filter bytecode for filt's port conditions
// (LocalPort, RemotePort, and Port on either end), all of which must hold,
// or nothing when filt has none. Other conditions are left to Filter.Match.
func appendPortBytecode(b []byte, filt *Filter) []byte {
	if filt == nil {
		return b
	}
	// A conjunction of clauses, each a disjunction of port tests.
	type test struct {
		code uint8
		port uint16
	}
	var clauses [3][]test
	n := 0
	if filt.LocalPort != 0 {
		clauses[n] = []test{{inetDiagBcSEq, filt.LocalPort}}
		n++
	}
	if filt.RemotePort != 0 {
		clauses[n] = []test{{inetDiagBcDEq, filt.RemotePort}}
		n++
	}
	if filt.Port != 0 {
		clauses[n] = []test{{inetDiagBcSEq, filt.Port}, {inetDiagBcDEq, filt.Port}}
		n++
	}
	clauseLen := func(c []test) int { return len(c)*bcPortTestLen + (len(c)-1)*bcOpLen }
	total := 0
	for _, c := range clauses[:n] {
		total += clauseLen(c)
	}
	ne := binary.NativeEndian
	appendOp := func(code uint8, yes, no int) {
		b = append(b, code, uint8(yes))
		b = ne.AppendUint16(b, uint16(no))
	}
	pos := 0
	for _, c := range clauses[:n] {
		clauseEnd := pos + clauseLen(c)
		for i, t := range c {
			if i < len(c)-1 {
				// Holds: on to the JMP that leaves the clause. Fails: skip
				// the JMP to the next test.
				appendOp(t.code, bcPortTestLen, bcPortTestLen+bcOpLen)
				appendOp(0, 0, int(t.port))
				appendOp(inetDiagBcJmp, bcOpLen, clauseEnd-(pos+bcPortTestLen))
				pos += bcPortTestLen + bcOpLen
				continue
			}
			// The clause's last test: holds, on to the next clause; fails,
			// reject.
			appendOp(t.code, bcPortTestLen, total+4-pos)
			appendOp(0, 0, int(t.port))
			pos += bcPortTestLen
		}
	}
	return b
}

// kernelStateMask converts a StateSet into the idiag_states bits the kernel
// filters on (bit n = kernel state n); the zero set means AllStates.
//
// For TCP, SYN_RECV also asks for TCP_NEW_SYN_RECV (bit 12) so that request
// sockets (half-open connections) are dumped, and StateBoundInactive asks
// for TCP_BOUND_INACTIVE (bit 13), the only way to have the kernel dump
// bound sockets that neither listen nor connect (it reports them as
// TCP_CLOSE, which decodeInetDiagMsg translates back). UDP sockets are
// TCP_CLOSE (7) when unconnected and TCP_ESTABLISHED (1) when connected, so
// the set's bits are passed as they are.
func kernelStateMask(p Proto, set StateSet) uint32 {
	if set == 0 {
		set = AllStates
	}
	if p != ProtoTCP {
		return uint32(set) & kernelStatesKnownMask &^ 1
	}
	mask := uint32(set) & (1<<(kernelStatesPlainTCPMax+1) - 1) &^ 1
	if set.Has(StateSynRecv) || set.Has(StateNewSynRecv) {
		mask |= 1<<StateSynRecv | 1<<kernelTCPNewSynRecv
	}
	if set.Has(StateBoundInactive) {
		mask |= 1 << kernelTCPBoundInactive
	}
	return mask
}

// normalizeSocket applies the rules shared by the netlink and procfs
// sources: a request socket (TCP_NEW_SYN_RECV) is SYN_RECV, and TIME_WAIT
// and SYN_RECV sockets, which the kernel reports without a real owner (uid 0
// or the listener's uid, no inode), have UID -1.
func normalizeSocket(s *Socket) {
	if s.State == StateNewSynRecv {
		s.State = StateSynRecv
	}
	if s.State == StateTimeWait || s.State == StateSynRecv {
		s.UID = -1
	}
}

// decodeInetDiagMsg decodes an inet_diag_msg of at least inetDiagMsgLen
// bytes. It reports false when the message's family is neither AF_INET nor
// AF_INET6.
func decodeInetDiagMsg(b []byte, p Proto, s *Socket) bool {
	ne := binary.NativeEndian
	sport := binary.BigEndian.Uint16(b[idmSport:])
	dport := binary.BigEndian.Uint16(b[idmDport:])
	var local, remote netip.Addr
	switch b[idmFamily] {
	case afInet:
		s.Family = FamilyIPv4
		local = netip.AddrFrom4([4]byte(b[idmSrc : idmSrc+4]))
		remote = netip.AddrFrom4([4]byte(b[idmDst : idmDst+4]))
	case afInet6:
		s.Family = FamilyIPv6
		local = netip.AddrFrom16([16]byte(b[idmSrc : idmSrc+16]))
		remote = netip.AddrFrom16([16]byte(b[idmDst : idmDst+16]))
	default:
		return false
	}
	s.Proto = p
	s.Local = netip.AddrPortFrom(local, sport)
	s.Remote = netip.AddrPortFrom(remote, dport)
	s.State = State(b[idmState])
	if p == ProtoTCP && s.State == StateClose {
		// The kernel's hash tables hold no TCP socket in TCP_CLOSE: it
		// reports one only from its walk of bound sockets, asked for with
		// TCP_BOUND_INACTIVE.
		s.State = StateBoundInactive
	}
	s.RecvQ = ne.Uint32(b[idmRqueue:])
	s.SendQ = ne.Uint32(b[idmWqueue:])
	s.UID = int(ne.Uint32(b[idmUID:]))
	s.Inode = uint64(ne.Uint32(b[idmInode:]))
	normalizeSocket(s)
	return true
}

// parseSockDiag walks buf, the payload of one netlink datagram, and appends
// to out every socket of its SOCK_DIAG_BY_FAMILY or TCPDIAG_GETSOCK
// messages that filt matches (a nil filt matches all). p and f name the
// table that was asked for (f 0: both families): p is the sockets'
// protocol, while their family comes from each message.
// Messages whose sequence number is not seq are leftovers of an earlier
// request and are skipped.
//
// done reports that the dump ended (NLMSG_DONE, or NLMSG_ERROR). An errno in
// either is an error. A message flagged NLM_F_DUMP_INTR makes the result
// errDumpInterrupted once the rest of buf has been walked, so that the
// caller can drain the dump and start it again. A header that is truncated
// or whose length is impossible is an error; a socket message whose body is
// too short, or of an unknown family, is skipped with a warning.
func parseSockDiag(buf []byte, p Proto, f Family, seq uint32, filt *Filter, out []Socket, warn func(string)) (_ []Socket, done bool, err error) {
	return parseSockDiagExt(buf, p, f, seq, filt, diagExtras{}, out, warn)
}

// diagExtras are what parseSockDiagExt reads beyond parseSockDiag: each
// kept socket's extension attributes into Socket.Internals, its cookie
// into Socket.Cookie.
type diagExtras struct {
	internals, cookie bool
	// slab holds internals allocated ahead and not yet given to a
	// socket, kept from datagram to datagram; nil: allocate each.
	slab *[]Internals
}

// internalsSlab is how many sockets' internals parseSockDiagExt allocates
// at once.
const internalsSlab = 256

// parseSockDiagExt is parseSockDiag reading the extras x asks for.
func parseSockDiagExt(buf []byte, p Proto, f Family, seq uint32, filt *Filter, x diagExtras, out []Socket, warn func(string)) (_ []Socket, done bool, err error) {
	ne := binary.NativeEndian
	interrupted := false
	var local []Internals
	slab := x.slab
	if slab == nil {
		slab = &local
	}
	for off := 0; off < len(buf); {
		at := off
		rest := len(buf) - off
		if rest < nlmsgHdrLen {
			return out, false, fmt.Errorf("netlink %s message at offset %d: truncated header: %d bytes left, a header needs %d",
				tableName(p, f), at, rest, nlmsgHdrLen)
		}
		h := buf[off:]
		msgLen := ne.Uint32(h[0:])
		typ := ne.Uint16(h[4:])
		flags := ne.Uint16(h[6:])
		msgSeq := ne.Uint32(h[8:])
		if msgLen < nlmsgHdrLen || uint64(msgLen) > uint64(rest) {
			return out, false, fmt.Errorf("netlink %s message at offset %d: bad length %d (%d bytes left, a header needs %d)",
				tableName(p, f), at, msgLen, rest, nlmsgHdrLen)
		}
		body := buf[off+nlmsgHdrLen : off+int(msgLen)]
		// The last message may come without its padding.
		off = min(off+(int(msgLen)+nlmsgAlign-1)&^(nlmsgAlign-1), len(buf))

		if msgSeq != seq {
			continue
		}
		if flags&nlmFDumpIntr != 0 {
			interrupted = true
		}
		switch typ {
		case sockDiagByFamily, tcpDiagGetSock:
			if len(body) < inetDiagMsgLen {
				warnf(warn, "netlink %s message at offset %d: inet_diag_msg is %d bytes, want %d; skipped",
					tableName(p, f), at, len(body), inetDiagMsgLen)
				continue
			}
			var s Socket
			if !decodeInetDiagMsg(body, p, &s) {
				warnf(warn, "netlink %s message at offset %d: unknown address family %d; skipped",
					tableName(p, f), at, body[idmFamily])
				continue
			}
			if filt == nil || filt.Match(&s) {
				if x.internals {
					// One allocation for the internals of many sockets.
					if len(*slab) == 0 {
						*slab = make([]Internals, internalsSlab)
					}
					if decodeInternalsInto(body[inetDiagMsgLen:], &(*slab)[0]) {
						s.Internals, *slab = &(*slab)[0], (*slab)[1:]
					}
				}
				if x.cookie {
					s.Cookie = uint64(ne.Uint32(body[idmCookie:])) | uint64(ne.Uint32(body[idmCookie+4:]))<<32
				}
				out = append(out, s)
			}
		case nlmsgDone:
			// The payload is an int: 0, or a negative errno when the dump
			// failed part way. Very old kernels send no payload.
			if len(body) >= 4 {
				if errno := int32(ne.Uint32(body)); errno != 0 {
					return out, true, fmt.Errorf("netlink %s message at offset %d: dump ended with %w",
						tableName(p, f), at, errnoError(absErrno(errno)))
				}
			}
			if interrupted {
				return out, true, errDumpInterrupted
			}
			return out, true, nil
		case nlmsgError:
			// struct nlmsgerr: a negative errno, then the request's header.
			if len(body) < 4 {
				return out, true, fmt.Errorf("netlink %s message at offset %d: truncated NLMSG_ERROR (%d bytes)",
					tableName(p, f), at, len(body))
			}
			errno := int32(ne.Uint32(body))
			if errno == 0 { // an acknowledgement ends the request too
				if interrupted {
					return out, true, errDumpInterrupted
				}
				return out, true, nil
			}
			return out, true, fmt.Errorf("netlink %s message at offset %d: kernel returned %w",
				tableName(p, f), at, errnoError(absErrno(errno)))
		case nlmsgOverrun:
			return out, false, fmt.Errorf("netlink %s message at offset %d: NLMSG_OVERRUN, data was lost",
				tableName(p, f), at)
		default:
			if typ >= nlmsgMinType {
				warnf(warn, "netlink %s message at offset %d: unexpected message type %d; skipped",
					tableName(p, f), at, typ)
			}
			// NLMSG_NOOP and other reserved control types carry nothing.
		}
	}
	if interrupted {
		return out, false, errDumpInterrupted
	}
	return out, false, nil
}

// growFromKernelAbove is the table size past which a dump that goes on
// asks the kernel's socket counters how far to grow the table, once: a
// smaller table grows as it is read, copying at most a few tens of KB,
// which costs less than reading the counters. The kernel's datagrams give
// no sign that a walk is about to end (a short one can come mid-walk), so
// a small table cannot be told from the start of a big one sooner.
const growFromKernelAbove = 256

// countDatagram returns how many socket records the netlink datagram buf
// holds and whether it ends the dump (NLMSG_DONE or NLMSG_ERROR in it):
// what a reader needs to size its table before decoding, so that the
// records are decoded once into their final place. It stops at the first
// malformed header, which the decoder reports.
func countDatagram(buf []byte) (records int, last bool) {
	ne := binary.NativeEndian
	for off := 0; len(buf)-off >= nlmsgHdrLen; {
		msgLen := int(ne.Uint32(buf[off:]))
		if msgLen < nlmsgHdrLen || msgLen > len(buf)-off {
			break
		}
		switch ne.Uint16(buf[off+4:]) {
		case sockDiagByFamily, tcpDiagGetSock:
			records++
		case nlmsgDone, nlmsgError:
			last = true
		}
		off += (msgLen + nlmsgAlign - 1) &^ (nlmsgAlign - 1)
	}
	return records, last
}

// absErrno returns the positive errno of a netlink error field, which the
// kernel sends negated.
func absErrno(e int32) int64 {
	if e < 0 {
		return -int64(e)
	}
	return int64(e)
}

// warnf formats a warning and passes it to warn, when warn is set.
func warnf(warn func(string), format string, args ...any) {
	if warn != nil {
		warn(fmt.Sprintf(format, args...))
	}
}
