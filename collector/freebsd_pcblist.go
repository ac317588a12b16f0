package collector

// Decoders for what FreeBSD's socket sysctls return, and the join that gives
// each socket its owning processes. This file has no build tag: the layouts
// are written down here by hand so that the decoders are built, tested and
// fuzzed on every operating system; collector_freebsd.go only makes the
// sysctl calls.
//
// Layouts: FreeBSD 13.x and 14.x on amd64 (LP64, little endian; ksize_t and
// kvaddr_t are 64 bits on every architecture). Sources, all in the FreeBSD
// source tree (releng/13.x, releng/14.x):
//
//	struct xinpgen, struct xinpcb, struct in_conninfo   sys/netinet/in_pcb.h
//	struct xsocket, struct xsockbuf                     sys/sys/socketvar.h
//	struct xtcpcb, TCPS_* (tcp_fsm.h)                   sys/netinet/tcp_var.h
//	struct xfile, DTYPE_SOCKET                          sys/sys/file.h
//	struct kinfo_proc, KINFO_PROC_SIZE                  sys/sys/user.h, sys/amd64/include/proc.h
//
// Sizes on amd64: xinpgen 64, xsocket 240, in_conninfo 44, xinpcb 400,
// xtcpcb 744, xfile 128, kinfo_proc 1088. FreeBSD 13 and 14 agree on every
// offset read here; they differ only in fields this file ignores (14 renamed
// xinpcb's inp_rss_listen_bucket to inp_unused and turned three of xtcpcb's
// spare32 into t_dsack_*; 14.2 renamed an xsocket spare to so_splice_so).
// Integers are in host order (little endian), ports and addresses in
// network order.
//
// What the sysctls return:
//
//   - net.inet.tcp.pcblist: a struct xinpgen, one struct xtcpcb per pcb and
//     per syncache entry, then a trailing struct xinpgen whose xig_gen is the
//     generation count at the end of the walk. Each record starts with its
//     length (xt_len); the trailer is told from a record by its length.
//   - net.inet.udp.pcblist: the same with struct xinpcb records (xi_len).
//   - kern.file: an array of struct xfile (xf_size first), one per open
//     descriptor of every visible process; for a socket (xf_type ==
//     DTYPE_SOCKET) xf_data is the kernel address of its struct socket, the
//     xso_so of the pcb record: that is the join.
//   - kern.proc.proc: an array of struct kinfo_proc (ki_structsize first).

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
)

// Sizes of the exported structures on amd64.
const (
	fbsdXinpgenLen   = 64
	fbsdXsocketLen   = 240
	fbsdXinpcbLen    = 400
	fbsdXtcpcbLen    = 744
	fbsdXfileLen     = 128
	fbsdKinfoProcLen = 1088 // KINFO_PROC_SIZE
)

// Offsets in struct xinpgen.
const (
	fbsdXigLen   = 0  // ksize_t xig_len
	fbsdXigCount = 8  // u_int xig_count
	fbsdXigGen   = 16 // inp_gen_t xig_gen
)

// Offsets in struct xinpcb. The struct xsocket starts at 8 and struct
// in_conninfo at 248; the offsets below are from the start of the xinpcb.
const (
	fbsdXiLen     = 0            // ksize_t xi_len
	fbsdXiSocket  = 8            // struct xsocket xi_socket
	fbsdXsoLen    = fbsdXiSocket // ksize_t xso_len
	fbsdXsoSo     = 16           // kvaddr_t xso_so: the struct socket
	fbsdXsoQlen   = 112          // uint32_t so_qlen (listening sockets)
	fbsdXsoQlimit = 120          // uint32_t so_qlimit (listening sockets)
	fbsdXsoUID    = 128          // uid_t so_uid
	fbsdXsoRcvCC  = 176          // so_rcv.sb_cc (struct xsockbuf so_rcv at 176)
	fbsdXsoRcvHi  = 180          // so_rcv.sb_hiwat: the receive buffer's size
	fbsdXsoRcvMb  = 184          // so_rcv.sb_mbcnt: bytes of mbufs in the receive buffer
	fbsdXsoSndCC  = 212          // so_snd.sb_cc (struct xsockbuf so_snd at 212)
	fbsdXsoSndHi  = 216          // so_snd.sb_hiwat: the send buffer's size
	fbsdXsoSndMb  = 220          // so_snd.sb_mbcnt: bytes of mbufs in the send buffer
	fbsdXiInc     = 248          // struct in_conninfo inp_inc
	fbsdIncFport  = 252          // inc_ie.ie_fport (network order)
	fbsdIncLport  = 254          // inc_ie.ie_lport (network order)
	fbsdIncFaddr  = 256          // inc_ie.ie_dependfaddr (16 bytes; IPv4 in the last 4)
	fbsdIncLaddr  = 272          // inc_ie.ie_dependladdr
	fbsdXiVflag   = 392          // uint8_t inp_vflag
)

// Offsets in struct xtcpcb: xt_len, xt_inp (400 bytes), xt_stack[32]
// (TCP_FUNCTION_NAME_LEN_MAX) at 408, xt_logid[64] (TCP_LOG_ID_LEN) at 440,
// xt_cc[16] (TCP_CA_NAME_MAX) at 504, spare64[6] at 520, then 32-bit
// fields from t_state at 568: t_flags, t_sndzerowin, t_sndrexmitpack,
// t_rcvoopack, t_rcvtime, the five timers tt_*, t_logstate, t_snd_cwnd,
// t_snd_ssthresh, t_maxseg, t_rcv_wnd, t_snd_wnd, xt_ecn. tcp_inptoxtp
// (sys/netinet/tcp_subr.c) fills them from the tcpcb; it converts
// t_rcvtime from ticks to the milliseconds since the last segment
// arrived, in unsigned arithmetic that wraps after 2^32/hz milliseconds
// of silence (about 71 minutes at hz=1000).
const (
	fbsdXtLen           = 0   // ksize_t xt_len
	fbsdXtInp           = 8   // struct xinpcb xt_inp
	fbsdXtCC            = 504 // char xt_cc[TCP_CA_NAME_MAX]: the congestion control algorithm
	fbsdXtCCLen         = 16  // TCP_CA_NAME_MAX
	fbsdXtState         = 568 // int32_t t_state
	fbsdXtSndRexmitPack = 580 // int32_t t_sndrexmitpack: segments retransmitted
	fbsdXtRcvOOPack     = 584 // int32_t t_rcvoopack: segments received out of order
	fbsdXtRcvTime       = 588 // int32_t t_rcvtime: milliseconds since the last segment arrived
	fbsdXtSndCwnd       = 616 // uint32_t t_snd_cwnd, bytes
	fbsdXtSndSsthresh   = 620 // uint32_t t_snd_ssthresh, bytes
	fbsdXtMaxseg        = 624 // uint32_t t_maxseg, bytes
	fbsdXtRcvWnd        = 628 // uint32_t t_rcv_wnd, bytes
	fbsdXtSndWnd        = 632 // uint32_t t_snd_wnd, bytes
)

// Offsets in struct xfile.
const (
	fbsdXfSize = 0  // ksize_t xf_size
	fbsdXfPid  = 8  // pid_t xf_pid
	fbsdXfFd   = 16 // int xf_fd
	fbsdXfType = 32 // short xf_type
	fbsdXfData = 56 // kvaddr_t xf_data

	fbsdDtypeSocket = 2 // DTYPE_SOCKET
)

// Offsets in struct kinfo_proc.
const (
	fbsdKiStructsize = 0   // int ki_structsize
	fbsdKiPid        = 72  // pid_t ki_pid
	fbsdKiComm       = 447 // char ki_comm[COMMLEN+1]
	fbsdKiCommLen    = 20
)

// inp_vflag bits.
const (
	fbsdInpIPv4 = 0x1 // INP_IPV4
	fbsdInpIPv6 = 0x2 // INP_IPV6
)

// freebsdPcb is one decoded pcb record: the socket as the table shows it,
// and the kernel address of its struct socket for the join with kern.file.
type freebsdPcb struct {
	Socket
	// so is xso_so, the kernel address of the pcb's struct socket; 0 when
	// the pcb has no socket (TIME_WAIT after close, syncache entries).
	so uint64
}

// freebsdPcbList is a decoded net.inet.{tcp,udp}.pcblist.
type freebsdPcbList struct {
	pcbs []freebsdPcb
	// gen and endGen are xig_gen of the leading and the trailing xinpgen.
	// They differ when pcbs came or went during the walk; the caller may
	// read the table again.
	gen, endGen uint64
}

// consistent reports whether the table did not change while the kernel
// copied it out.
func (l *freebsdPcbList) consistent() bool { return l.gen == l.endGen }

// freebsdPcblistName is the sysctl that lists the pcbs of p.
func freebsdPcblistName(p Proto) string { return "net.inet." + p.String() + ".pcblist" }

// decodeFreeBSDPcblist decodes the output of net.inet.tcp.pcblist (p is
// ProtoTCP) or net.inet.udp.pcblist (ProtoUDP); with info, each socket's
// Internals too (see decodeFreeBSDInternals). A buffer that is truncated,
// a length field that is shorter than its structure or runs past the end,
// bytes after the trailer, or an embedded length that does not match the
// known layout make the whole buffer an error. A record that decodes but
// makes no sense (an inp_vflag with neither INP_IPV4 nor INP_IPV6, a TCP
// state out of range) is left out with a warning.
func decodeFreeBSDPcblist(buf []byte, p Proto, info bool, warn func(string)) (freebsdPcbList, error) {
	le := binary.LittleEndian
	name := freebsdPcblistName(p)
	recLen, recName := fbsdXinpcbLen, "xinpcb"
	if p == ProtoTCP {
		recLen, recName = fbsdXtcpcbLen, "xtcpcb"
	} else if p != ProtoUDP {
		return freebsdPcbList{}, fmt.Errorf("%s: no pcblist for protocol %v", name, p)
	}
	var l freebsdPcbList
	if len(buf) < fbsdXinpgenLen {
		return l, fmt.Errorf("%s: truncated: %d bytes, shorter than a struct xinpgen (%d)", name, len(buf), fbsdXinpgenLen)
	}
	// The header's length is also the trailer's: it must be told apart
	// from every record's.
	hl := le.Uint64(buf[fbsdXigLen:])
	if hl < fbsdXinpgenLen || hl >= uint64(recLen) {
		return l, fmt.Errorf("%s: xinpgen length %d, want at least %d and less than a struct %s (%d)", name, hl, fbsdXinpgenLen, recName, recLen)
	}
	l.gen = le.Uint64(buf[fbsdXigGen:])
	count := int(le.Uint32(buf[fbsdXigCount:]))
	off := int(hl)
	// xig_count is a hint: never trust it beyond what the buffer can hold.
	l.pcbs = make([]freebsdPcb, 0, min(count, (len(buf)-off)/recLen))
	internals := internalsChunk{hint: cap(l.pcbs)}
	for {
		left := len(buf) - off
		if left < 8 {
			return freebsdPcbList{}, fmt.Errorf("%s: truncated at offset %d: no trailing xinpgen", name, off)
		}
		n := le.Uint64(buf[off:])
		if n > uint64(left) {
			return freebsdPcbList{}, fmt.Errorf("%s: record at offset %d has length %d, past the end of the buffer (%d bytes left)", name, off, n, left)
		}
		if n == hl {
			l.endGen = le.Uint64(buf[off+fbsdXigGen:])
			if off += int(n); off != len(buf) {
				return freebsdPcbList{}, fmt.Errorf("%s: %d bytes after the trailing xinpgen", name, len(buf)-off)
			}
			return l, nil
		}
		if n < uint64(recLen) {
			return freebsdPcbList{}, fmt.Errorf("%s: record at offset %d has length %d, shorter than a struct %s (%d)", name, off, n, recName, recLen)
		}
		rec := buf[off : off+int(n)]
		pc, skip, err := decodeFreeBSDRecord(rec, p)
		if err != nil {
			return freebsdPcbList{}, fmt.Errorf("%s: record at offset %d: %w", name, off, err)
		}
		if skip != "" {
			if warn != nil {
				warn(fmt.Sprintf("%s: record at offset %d skipped: %s", name, off, skip))
			}
		} else {
			if info {
				pc.Internals = decodeFreeBSDInternals(rec, p, &pc, &internals)
			}
			l.pcbs = append(l.pcbs, pc)
		}
		off += int(n)
	}
}

// decodeFreeBSDRecord decodes one xtcpcb (p is ProtoTCP) or xinpcb record,
// whose length has been checked. It returns an error when the record's
// embedded lengths say its layout is not the one this file knows, and a
// reason to skip it when its values make no sense.
func decodeFreeBSDRecord(rec []byte, p Proto) (pc freebsdPcb, skip string, err error) {
	le := binary.LittleEndian
	x := rec
	var tstate int32
	if p == ProtoTCP {
		x = rec[fbsdXtInp : fbsdXtInp+fbsdXinpcbLen]
		tstate = int32(le.Uint32(rec[fbsdXtState:]))
		// in_pcbtoxinpcb sets xi_len; syncache entries leave it 0.
		if xl := le.Uint64(x[fbsdXiLen:]); xl != 0 && xl != fbsdXinpcbLen {
			return pc, "", fmt.Errorf("xinpcb inside xtcpcb has length %d, want %d (unknown layout)", xl, fbsdXinpcbLen)
		}
	}
	// sotoxsocket sets xso_len; a pcb without a socket leaves it 0.
	xsoLen := le.Uint64(x[fbsdXsoLen:])
	if xsoLen != 0 && xsoLen != fbsdXsocketLen {
		return pc, "", fmt.Errorf("xsocket has length %d, want %d (unknown layout)", xsoLen, fbsdXsocketLen)
	}

	s := &pc.Socket
	s.Proto = p
	vflag := x[fbsdXiVflag]
	switch {
	case vflag&fbsdInpIPv6 != 0:
		s.Family = FamilyIPv6
		s.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(x[fbsdIncLaddr:fbsdIncLaddr+16])),
			binary.BigEndian.Uint16(x[fbsdIncLport:]))
		s.Remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(x[fbsdIncFaddr:fbsdIncFaddr+16])),
			binary.BigEndian.Uint16(x[fbsdIncFport:]))
	case vflag&fbsdInpIPv4 != 0:
		s.Family = FamilyIPv4
		s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(x[fbsdIncLaddr+12:fbsdIncLaddr+16])),
			binary.BigEndian.Uint16(x[fbsdIncLport:]))
		s.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(x[fbsdIncFaddr+12:fbsdIncFaddr+16])),
			binary.BigEndian.Uint16(x[fbsdIncFport:]))
	default:
		return pc, fmt.Sprintf("unknown inp_vflag %#x", vflag), nil
	}

	if p == ProtoTCP {
		st, ok := bsdTCPState(tstate)
		if !ok {
			return pc, fmt.Sprintf("unknown TCP state %d", tstate), nil
		}
		s.State = st
	} else if s.Remote.Addr().IsUnspecified() {
		s.State = StateClose
	} else {
		s.State = StateEstablished
	}

	s.UID = -1
	if xsoLen != 0 {
		pc.so = le.Uint64(x[fbsdXsoSo:])
	}
	// Without a socket (TIME_WAIT after close, syncache entries) the
	// xsocket is zeroed or made up: its uid 0 would be a lie.
	if pc.so != 0 {
		s.UID = int(le.Uint32(x[fbsdXsoUID:]))
		if s.State == StateListen {
			s.RecvQ = le.Uint32(x[fbsdXsoQlen:])
			s.SendQ = le.Uint32(x[fbsdXsoQlimit:])
		} else {
			s.RecvQ = le.Uint32(x[fbsdXsoRcvCC:])
			s.SendQ = le.Uint32(x[fbsdXsoSndCC:])
		}
	}
	return pc, "", nil
}

// decodeFreeBSDInternals returns the internals of a decoded pcb record
// rec (an xtcpcb when p is ProtoTCP, else an xinpcb), taken from chunk;
// nil when the record has none.
//
// The memory, of a pcb that has a socket and does not listen (a listening
// socket's xsocket has no buffers), is from its xsockbufs: RmemAlloc and
// WmemQueued are sb_mbcnt, the bytes of mbufs held by the receive and the
// send buffer, RcvBuf and SndBuf are sb_hiwat, their sizes. The TCP fields
// are those of decodeFreeBSDTCP.
func decodeFreeBSDInternals(rec []byte, p Proto, pc *freebsdPcb, chunk *internalsChunk) *Internals {
	var in Internals
	if p == ProtoTCP {
		in.HasTCP = decodeFreeBSDTCP(rec, &in)
	}
	if pc.so != 0 && pc.State != StateListen {
		le := binary.LittleEndian
		x := rec
		if p == ProtoTCP {
			x = rec[fbsdXtInp:]
		}
		in.Mem = MemInfo{
			RmemAlloc:  le.Uint32(x[fbsdXsoRcvMb:]),
			RcvBuf:     le.Uint32(x[fbsdXsoRcvHi:]),
			SndBuf:     le.Uint32(x[fbsdXsoSndHi:]),
			WmemQueued: le.Uint32(x[fbsdXsoSndMb:]),
			Fields:     MemRmemAlloc | MemRcvBuf | MemSndBuf | MemWmemQueued,
		}
		in.HasMem = true
	}
	if !in.HasTCP && !in.HasMem {
		return nil
	}
	return chunk.put(in)
}

// freebsdTCPFields are the TCPInfo fields decodeFreeBSDTCP fills.
const freebsdTCPFields = TCPMSS | TCPCwnd | TCPSsthresh | TCPTotalRetrans | TCPRcvOOOPack | TCPLastAck | TCPWindows

// decodeFreeBSDTCP fills in.TCP and in.Cong from an xtcpcb record and
// reports whether the record carries a tcpcb's counters. A syncache entry
// does not, nor does FreeBSD 13's record of a connection in TIME_WAIT:
// tcp_inptoxtp leaves them zero, t_maxseg included, which a tcpcb never
// has. It fills SndMSS (t_maxseg); SndCwnd and SndSsthresh (t_snd_cwnd
// and t_snd_ssthresh, counted in bytes, in whole segments of SndMSS, as
// Linux counts them); TotalRetrans (t_sndrexmitpack); RcvOOOPack
// (t_rcvoopack); LastAckRecv (t_rcvtime: the age of the last segment
// received, every one of which carries an ACK once synchronized); SndWnd
// and RcvWnd (t_snd_wnd, t_rcv_wnd, bytes); and Cong from xt_cc. It has no
// round-trip times, current retransmissions, byte or segment counts.
func decodeFreeBSDTCP(rec []byte, in *Internals) bool {
	le := binary.LittleEndian
	mss := le.Uint32(rec[fbsdXtMaxseg:])
	if mss == 0 {
		return false
	}
	in.TCP = TCPInfo{
		SndMSS:       mss,
		SndCwnd:      le.Uint32(rec[fbsdXtSndCwnd:]) / mss,
		SndSsthresh:  le.Uint32(rec[fbsdXtSndSsthresh:]) / mss,
		TotalRetrans: le.Uint32(rec[fbsdXtSndRexmitPack:]),
		RcvOOOPack:   le.Uint32(rec[fbsdXtRcvOOPack:]),
		LastAckRecv:  le.Uint32(rec[fbsdXtRcvTime:]),
		SndWnd:       le.Uint32(rec[fbsdXtSndWnd:]),
		RcvWnd:       le.Uint32(rec[fbsdXtRcvWnd:]),
		Fields:       freebsdTCPFields,
	}
	in.Cong = congestionOf(cString(rec[fbsdXtCC : fbsdXtCC+fbsdXtCCLen]))
	return true
}

// freebsdXfile is a socket descriptor from kern.file.
type freebsdXfile struct {
	pid, fd int32
	data    uint64 // xf_data: the kernel address of the struct socket
}

// decodeFreeBSDXfiles decodes the output of kern.file and returns its
// socket descriptors (xf_type DTYPE_SOCKET), in the order of the buffer. A
// truncated buffer, an xf_size shorter than a struct xfile or running past
// the end, or a socket with a negative pid or descriptor is an error.
func decodeFreeBSDXfiles(buf []byte) ([]freebsdXfile, error) {
	le := binary.LittleEndian
	var out []freebsdXfile
	for off := 0; off < len(buf); {
		left := len(buf) - off
		if left < 8 {
			return nil, fmt.Errorf("kern.file: truncated at offset %d (%d bytes left)", off, left)
		}
		n := le.Uint64(buf[off+fbsdXfSize:])
		if n < fbsdXfileLen {
			return nil, fmt.Errorf("kern.file: xfile at offset %d has size %d, shorter than a struct xfile (%d)", off, n, fbsdXfileLen)
		}
		if n > uint64(left) {
			return nil, fmt.Errorf("kern.file: xfile at offset %d has size %d, past the end of the buffer (%d bytes left)", off, n, left)
		}
		rec := buf[off : off+int(n)]
		if int16(le.Uint16(rec[fbsdXfType:])) == fbsdDtypeSocket {
			f := freebsdXfile{
				pid:  int32(le.Uint32(rec[fbsdXfPid:])),
				fd:   int32(le.Uint32(rec[fbsdXfFd:])),
				data: le.Uint64(rec[fbsdXfData:]),
			}
			if f.pid < 0 || f.fd < 0 {
				return nil, fmt.Errorf("kern.file: socket at offset %d has pid %d, descriptor %d", off, f.pid, f.fd)
			}
			if f.data != 0 {
				out = append(out, f)
			}
		}
		off += int(n)
	}
	return out, nil
}

// decodeFreeBSDProcNames decodes the output of kern.proc.proc into a map
// from pid to command name (ki_comm). A truncated buffer, a ki_structsize
// shorter than KINFO_PROC_SIZE or running past the end, or a negative pid
// is an error.
func decodeFreeBSDProcNames(buf []byte) (map[int]string, error) {
	le := binary.LittleEndian
	names := make(map[int]string, len(buf)/fbsdKinfoProcLen)
	for off := 0; off < len(buf); {
		left := len(buf) - off
		if left < 4 {
			return nil, fmt.Errorf("kern.proc.proc: truncated at offset %d (%d bytes left)", off, left)
		}
		n := int64(int32(le.Uint32(buf[off+fbsdKiStructsize:])))
		if n < fbsdKinfoProcLen {
			return nil, fmt.Errorf("kern.proc.proc: kinfo_proc at offset %d has size %d, shorter than a struct kinfo_proc (%d)", off, n, fbsdKinfoProcLen)
		}
		if n > int64(left) {
			return nil, fmt.Errorf("kern.proc.proc: kinfo_proc at offset %d has size %d, past the end of the buffer (%d bytes left)", off, n, left)
		}
		rec := buf[off : off+int(n)]
		pid := int32(le.Uint32(rec[fbsdKiPid:]))
		if pid < 0 {
			return nil, fmt.Errorf("kern.proc.proc: kinfo_proc at offset %d has pid %d", off, pid)
		}
		comm := rec[fbsdKiComm : fbsdKiComm+fbsdKiCommLen]
		for i, c := range comm {
			if c == 0 {
				comm = comm[:i]
				break
			}
		}
		names[int(pid)] = string(comm)
		off += int(n)
	}
	return names, nil
}

// freebsdSockets returns the sockets of pcbs, without owners.
func freebsdSockets(pcbs []freebsdPcb) []Socket {
	socks := make([]Socket, len(pcbs))
	for i := range pcbs {
		socks[i] = pcbs[i].Socket
	}
	return socks
}

// joinFreeBSDOwners returns the sockets of pcbs with their owners: the
// socket descriptors of files whose xf_data is the pcb's struct socket,
// lowest PID first (then lowest descriptor), named from names. A pcb
// without a socket has no owner (OwnerKernel); a socket that no visible
// descriptor holds is OwnerPermission when it belongs to another user than
// euid (and euid is not root: their processes may be hidden,
// security.bsd.see_other_uids), else OwnerKernel (a connection waiting in a
// listener's accept queue). It sorts files.
func joinFreeBSDOwners(pcbs []freebsdPcb, files []freebsdXfile, names map[int]string, euid int) []Socket {
	slices.SortFunc(files, func(a, b freebsdXfile) int {
		return cmp.Or(cmp.Compare(a.data, b.data), cmp.Compare(a.pid, b.pid), cmp.Compare(a.fd, b.fd))
	})
	holders := func(so uint64) []freebsdXfile {
		if so == 0 {
			return nil
		}
		lo, _ := slices.BinarySearchFunc(files, so, func(f freebsdXfile, so uint64) int { return cmp.Compare(f.data, so) })
		hi := lo
		for hi < len(files) && files[hi].data == so {
			hi++
		}
		return files[lo:hi]
	}
	// One backing array for every socket's owners.
	total := 0
	for i := range pcbs {
		total += len(holders(pcbs[i].so))
	}
	all := make([]Owner, 0, total)
	socks := make([]Socket, len(pcbs))
	for i := range pcbs {
		s := &socks[i]
		*s = pcbs[i].Socket
		s.Owners, s.OwnerUnknown = nil, OwnerKnown
		h := holders(pcbs[i].so)
		switch {
		case len(h) > 0:
			start := len(all)
			for _, f := range h {
				all = append(all, Owner{PID: int(f.pid), Process: names[int(f.pid)], FD: int(f.fd)})
			}
			s.Owners = all[start:len(all):len(all)]
		case pcbs[i].so != 0 && euid != 0 && s.UID >= 0 && s.UID != euid:
			s.OwnerUnknown = OwnerPermission
		default:
			s.OwnerUnknown = OwnerKernel
		}
	}
	return socks
}
