package collector

// Decoder of macOS's socket tables: the buffers the sysctls
// net.inet.tcp.pcblist_n and net.inet.udp.pcblist_n return. This file has no
// build tag: the layouts are written down here by hand from XNU's headers so
// that the decoder is built, tested and fuzzed on every operating system;
// collector_darwin.go only makes the sysctl calls.
//
// Wire format, as XNU's get_pcblist_n (bsd/netinet/in_pcblist.c) writes it:
//
//	struct xinpgen                       header: xig_len, xig_count, xig_gen
//	per socket, each record rounded up to 8 bytes (ROUNDUP64):
//	  struct xinpcb_n     XSO_INPCB
//	  struct xsocket_n    XSO_SOCKET
//	  struct xsockbuf_n   XSO_RCVBUF
//	  struct xsockbuf_n   XSO_SNDBUF
//	  struct xsockstat_n  XSO_STATS
//	  struct xtcpcb_n     XSO_TCPCB (TCP only)
//	struct xinpgen                       trailer: xig_gen at the end of the walk
//
// Every record starts with (len uint32, kind uint32); len is the sizeof of
// the kernel's struct, so the next record starts at ROUNDUP64(len). When the
// table is empty (xig_count 0) the kernel writes the header and nothing
// else. All of it is in host byte order (little endian on both amd64 and
// arm64 Macs) except ports and addresses, which are in network byte order.
// The structs are declared under #pragma pack(4), so 64-bit fields may sit at
// offsets that are not multiples of 8.
//
// Layouts, from apple-oss-distributions/xnu (sizes in bytes, before
// rounding up to 8):
//
//	struct             header                  xnu-8020 (macOS 12)  xnu-8792+ (macOS 13-15)
//	xinpgen            bsd/netinet/in_pcb.h    24                   24
//	xinpcb_n           bsd/netinet/in_pcb.h    104                  104
//	xsocket_n          bsd/sys/socketvar.h     76 (-> 80)           104
//	xsockbuf_n         bsd/sys/socketvar.h     32                   32
//	xsockstat_n        bsd/sys/socketvar.h     136                  136
//	xtcpcb_n           bsd/netinet/tcp_var.h   204 (-> 208)         204 (-> 208)
//
// xnu-2782 (OS X 10.10) through xnu-8020 (macOS 12 Monterey) share the
// first layout; xnu-8792 (macOS 13 Ventura) appended so_gencnt, so_flags,
// so_flags1, so_usecount, so_retaincnt and xso_filter_flags to xsocket_n,
// and xnu-10002 to xnu-11417 (macOS 14 Sonoma, macOS 15 Sequoia) keep it.
// The fields this decoder reads sit at the same offsets in both, so it reads
// them at fixed offsets and lets len skip whatever follows: a record longer
// than the fields read is accepted, a shorter one is an error. Before
// xnu-2782 (OS X 10.9) xsocket_n was 68 bytes, without so_last_pid and
// so_e_pid, and xinpcb_n 100; those buffers are rejected.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// struct xinpgen (bsd/netinet/in_pcb.h): xig_len u32, xig_count u32,
// xig_gen u64 (inp_gen_t), xig_sogen u64 (so_gen_t).
const (
	dwXinpgenLen   = 24
	dwXigLenOff    = 0
	dwXigCountOff  = 4
	dwXigGenOff    = 8
	dwXigSoGenOff  = 16
	dwXsoRecHdrLen = 8 // every record's (len u32, kind u32)
)

// Record kinds (XSO_* in bsd/sys/socketvar.h).
const (
	dwXsoSocket = 0x001
	dwXsoRcvBuf = 0x002
	dwXsoSndBuf = 0x004
	dwXsoStats  = 0x008
	dwXsoInpcb  = 0x010
	dwXsoTcpcb  = 0x020

	// The records one socket is made of.
	dwXsoUDPGroup = dwXsoInpcb | dwXsoSocket | dwXsoRcvBuf | dwXsoSndBuf | dwXsoStats
	dwXsoTCPGroup = dwXsoUDPGroup | dwXsoTcpcb
)

// Offsets in struct xinpcb_n (bsd/netinet/in_pcb.h): xi_len, xi_kind,
// xi_inpp u64, inp_fport u16, inp_lport u16, inp_ppcb u64, inp_gencnt u64,
// inp_flags i32, inp_flow u32, inp_vflag u8, inp_ip_ttl u8, inp_ip_p u8,
// then the foreign and the local address, each a union of struct
// in_addr_4in6 (three u32 of padding, then the IPv4 address) and struct
// in6_addr, 16 bytes at a 4-byte boundary.
const (
	dwXinpFPortOff = 16
	dwXinpLPortOff = 18
	dwXinpVFlagOff = 44
	dwXinpFAddrOff = 48
	dwXinpLAddrOff = 64
	dwXinpAddr4Off = 12 // ia46_addr4 inside struct in_addr_4in6
	dwXinpcbNMin   = 80 // through the local address

	dwInpIPv4 = 0x1 // INP_IPV4
	dwInpIPv6 = 0x2 // INP_IPV6
)

// Offsets in struct xsocket_n (bsd/sys/socketvar.h): xso_len, xso_kind,
// xso_so u64, so_type i16, so_options u32 (at 20 under pack(4)), so_linger
// i16, so_state i16, so_pcb u64, xso_protocol i32, xso_family i32, so_qlen,
// so_incqlen, so_qlimit, so_timeo i16, so_error u16, so_pgid i32,
// so_oobmark u32, so_uid u32, so_last_pid i32, so_e_pid i32 (and, from
// xnu-8792, so_gencnt and the rest).
const (
	dwXsoStateOff   = 26
	dwXsoQLenOff    = 44
	dwXsoIncQLenOff = 46
	dwXsoQLimitOff  = 48
	dwXsoUIDOff     = 64
	dwXsoLastPIDOff = 68
	dwXsoEPIDOff    = 72
	dwXsocketNMin   = 76 // through so_e_pid: the whole struct before xnu-8792

	dwSsNoFDRef = 0x0001 // SS_NOFDREF: no file descriptor refers to the socket
)

// Offsets in struct xsockbuf_n (bsd/sys/socketvar.h): xsb_len, xsb_kind,
// sb_cc u32, sb_hiwat, sb_mbcnt, sb_mbmax, sb_lowat, sb_flags, sb_timeo.
const (
	dwXsbCCOff     = 8
	dwXsbHiwatOff  = 12 // the buffer's size
	dwXsbMbcntOff  = 16 // bytes of mbufs the buffer holds
	dwXsockbufNMin = 12
	dwXsockbufMem  = 20 // through sb_mbcnt, for Internals
)

// struct xsockstat_n (bsd/sys/socketvar.h): xst_len, xst_kind, then
// xst_tc_stats[SO_TC_STATS_MAX = 4], each a struct data_stats of four
// u64: rxpackets, rxbytes, txpackets, txbytes. Only the header is needed
// for the table; the byte counts are read for Internals.
const (
	dwXsockstatNMin   = dwXsoRecHdrLen
	dwXstStatsOff     = 8
	dwXstSlots        = 4  // SO_TC_STATS_MAX
	dwXstSlotLen      = 32 // sizeof(struct data_stats)
	dwXstRxBytesOff   = 8  // rxbytes in a data_stats
	dwXstTxBytesOff   = 24 // txbytes in a data_stats
	dwXsockstatNStats = dwXstStatsOff + dwXstSlots*dwXstSlotLen
)

// Offsets in struct xtcpcb_n (bsd/netinet/tcp_var.h): xt_len, xt_kind,
// t_segq u64, t_dupacks i32, t_timer[TCPT_NTIMERS_EXT = 4] i32, t_state i32,
// t_flags, t_force, then 32-bit fields: snd_una, snd_max, snd_nxt, snd_up,
// snd_wl1, snd_wl2, iss, irs, rcv_nxt, rcv_adv, rcv_wnd (88), rcv_up,
// snd_wnd (96), snd_cwnd (100), snd_ssthresh (104), t_maxopd, t_rcvtime,
// t_starttime, t_rtttime, t_rtseq, t_rxtcur (128), t_maxseg (132), t_srtt
// (136), t_rttvar (140), t_rxtshift (144), and more that are not read.
// Windows and cwnd are in bytes; t_rxtcur, t_srtt and t_rttvar in ticks of
// TCP_RETRANSHZ (1000 a second: milliseconds), t_srtt scaled by
// 2^TCP_RTT_SHIFT (32) and t_rttvar by 2^TCP_RTTVAR_SHIFT (16); t_rxtshift
// counts the retransmission timeouts of the current segment.
const (
	dwXtStateOff    = 36
	dwXtcpcbNMin    = 40
	dwXtRcvWndOff   = 88
	dwXtSndWndOff   = 96
	dwXtSndCwndOff  = 100
	dwXtSsthreshOff = 104
	dwXtRxtCurOff   = 128
	dwXtMaxsegOff   = 132
	dwXtSrttOff     = 136
	dwXtRttvarOff   = 140
	dwXtRxtShiftOff = 144
	dwXtcpcbNInfo   = 148 // through t_rxtshift, for Internals

	dwTCPRTTShift    = 5 // TCP_RTT_SHIFT
	dwTCPRTTVarShift = 4 // TCP_RTTVAR_SHIFT
	dwTCPTickMicros  = 1000000 / 1000
)

// darwinStatsSlots says what xsockstat_n's four data_stats slots count,
// which changed with xnu-11215 (macOS 15).
type darwinStatsSlots uint8

const (
	// darwinStatsByClass: before xnu-11215 one slot per traffic class
	// (MBUF_TC_BE, BK, VI, VO), each counting whole packets, headers and
	// retransmissions included; a socket's traffic is their sum.
	darwinStatsByClass darwinStatsSlots = iota
	// darwinStatsDataFirst: from xnu-11215 slot 0 (SO_STATS_DATA) counts
	// the bytes put into the socket's receive and send buffers, slot 1
	// (SO_STATS_SBNOSPACE) those refused for want of room; the others
	// stay zero.
	darwinStatsDataFirst
)

// darwinStatsSlotsOf returns the slots' meaning on the kernel whose
// kern.osrelease is release ("24.1.0": Darwin 24 is macOS 15 and
// xnu-11215); a release it cannot read is taken as the current layout.
func darwinStatsSlotsOf(release string) darwinStatsSlots {
	major, _, _ := strings.Cut(release, ".")
	if n, err := strconv.Atoi(major); err == nil && n < 24 {
		return darwinStatsByClass
	}
	return darwinStatsDataFirst
}

// darwinTCPState returns the State of an XNU t_state, StateUnknown for a
// number XNU does not define.
func darwinTCPState(t int32) State {
	st, ok := bsdTCPState(t)
	if !ok {
		return StateUnknown
	}
	return st
}

// darwinMinGroupLen is the fewest bytes one socket's records take, used to
// bound the preallocation by the buffer's size rather than by a count the
// buffer claims.
func darwinMinGroupLen(p Proto) int {
	r := func(n int) int { return (n + 7) &^ 7 }
	n := r(dwXinpcbNMin) + r(dwXsocketNMin) + 2*r(dwXsockbufNMin) + r(dwXsockstatNMin)
	if p == ProtoTCP {
		n += r(dwXtcpcbNMin)
	}
	return n
}

// errDarwinPcblist marks every error of the decoder, for errors.Is.
var errDarwinPcblist = errors.New("malformed pcblist_n")

// darwinPcblist is one decoded pcblist_n buffer.
type darwinPcblist struct {
	// Sockets is the out slice given to decodeDarwinPcblist with this
	// table's kept sockets appended.
	Sockets []Socket
	// Count is the header's xig_count: the sockets the kernel had when it
	// started (before any filtering).
	Count uint32
	// Gen and TrailerGen are xig_gen of the header and of the trailer.
	Gen, TrailerGen uint64
	// Trailer reports that the buffer ended with a trailing xinpgen; the
	// kernel leaves it out only when the table is empty.
	Trailer bool
	// Skipped counts the sockets left out because their records could not
	// make a socket (an unknown address family, a record missing or
	// repeated); SkipErr describes the first.
	Skipped int
	SkipErr error
}

// Consistent reports whether the table did not change while the kernel
// copied it out: the header's and the trailer's generation counts agree.
// When they differ the caller should read the table again.
func (l *darwinPcblist) Consistent() bool { return !l.Trailer || l.Gen == l.TrailerGen }

// darwinGroup collects the records of one socket: slices of the buffer, each
// at least as long as the fields read from it.
type darwinGroup struct {
	at   int    // offset of its first record
	seen uint32 // XSO_* kinds collected
	inp  []byte
	so   []byte
	rcv  []byte
	snd  []byte
	stat []byte
	tcp  []byte
}

// decodeDarwinPcblist decodes buf, the whole buffer of
// net.inet.tcp.pcblist_n (p is ProtoTCP) or net.inet.udp.pcblist_n (p is
// ProtoUDP), and appends to out the sockets that opts selects: its
// families, its Filter, when opts.Owners is set each socket's owner (see
// darwinSocket), and when opts.Info is set its internals (see
// darwinInternals, which reads the traffic counters as slots says). A nil
// opts keeps every socket and fills no owners nor internals.
//
// A buffer that is truncated, whose header, trailer or record lengths are
// impossible (smaller than a header, running past the end, not landing on
// the trailer), or holding a record shorter than the fields read from its
// kind, is an error and yields no sockets. A socket whose records are
// incomplete or whose address family is unknown is left out and counted in
// Skipped, so that one odd socket does not hide the table. Records of kinds
// this decoder does not know are skipped by their length.
func decodeDarwinPcblist(buf []byte, p Proto, opts *Options, slots darwinStatsSlots, out []Socket) (darwinPcblist, error) {
	ne := binary.NativeEndian
	list := darwinPcblist{Sockets: out}
	fail := func(format string, args ...any) (darwinPcblist, error) {
		return darwinPcblist{Sockets: out}, fmt.Errorf("%s %w: %s", p, errDarwinPcblist, fmt.Sprintf(format, args...))
	}
	if len(buf) < dwXinpgenLen {
		return fail("truncated header: %d bytes, xinpgen needs %d", len(buf), dwXinpgenLen)
	}
	hdrLen := ne.Uint32(buf[dwXigLenOff:])
	if hdrLen < dwXinpgenLen || uint64(hdrLen) > uint64(len(buf)) {
		return fail("header length %d: want at least %d and at most the buffer's %d bytes", hdrLen, dwXinpgenLen, len(buf))
	}
	list.Count = ne.Uint32(buf[dwXigCountOff:])
	list.Gen = ne.Uint64(buf[dwXigGenOff:])
	hl := int(hdrLen)
	if len(buf) == hl {
		// An empty table: the kernel writes the header alone.
		if list.Count != 0 {
			return fail("truncated: the header counts %d sockets but no records nor trailer follow", list.Count)
		}
		return list, nil
	}
	// The kernel writes the header without padding, then the records,
	// then a trailer of the header's size.
	end := len(buf) - hl
	if end < hl {
		return fail("truncated: %d bytes cannot hold a %d-byte header and trailer", len(buf), hl)
	}
	trailer := buf[end:]
	if tl := ne.Uint32(trailer[dwXigLenOff:]); tl != hdrLen {
		return fail("trailer at offset %d: length %d, want the header's %d (truncated buffer?)", end, tl, hdrLen)
	}
	list.TrailerGen = ne.Uint64(trailer[dwXigGenOff:])
	list.Trailer = true

	want := uint32(dwXsoUDPGroup)
	if p == ProtoTCP {
		want = dwXsoTCPGroup
	}
	var internals internalsChunk
	if n := min(uint64(list.Count), uint64(end-hl)/uint64(darwinMinGroupLen(p))); n > 0 {
		list.Sockets = slices.Grow(list.Sockets, int(n))
		internals.hint = int(n)
	}
	var owners darwinOwnerChunk
	var g darwinGroup
	skip := func(err error) {
		list.Skipped++
		if list.SkipErr == nil {
			list.SkipErr = err
		}
	}
	incomplete := func(g *darwinGroup, why string) error {
		return fmt.Errorf("%s %w: socket at offset %d: %s (has kinds %#x of %#x)", p, errDarwinPcblist, g.at, why, g.seen, want)
	}
	off := hl
	for off < end {
		if end-off < dwXsoRecHdrLen {
			return fail("record at offset %d: truncated header: %d bytes before the trailer", off, end-off)
		}
		recLen := ne.Uint32(buf[off:])
		kind := ne.Uint32(buf[off+4:])
		if recLen < dwXsoRecHdrLen {
			return fail("record at offset %d (kind %#x): length %d is shorter than its %d-byte header", off, kind, recLen, dwXsoRecHdrLen)
		}
		padded := (uint64(recLen) + 7) &^ 7
		if padded > uint64(end-off) {
			return fail("record at offset %d (kind %#x): length %d runs past the trailer at %d", off, kind, recLen, end)
		}
		rec := buf[off : off+int(recLen)]
		at := off
		off += int(padded)

		var need int // bytes of the record this decoder reads
		var slot *[]byte
		switch kind {
		case dwXsoInpcb:
			need, slot = dwXinpcbNMin, &g.inp
		case dwXsoSocket:
			need, slot = dwXsocketNMin, &g.so
		case dwXsoRcvBuf:
			need, slot = dwXsockbufNMin, &g.rcv
		case dwXsoSndBuf:
			need, slot = dwXsockbufNMin, &g.snd
		case dwXsoStats:
			need, slot = dwXsockstatNMin, &g.stat
		case dwXsoTcpcb:
			if p != ProtoTCP {
				continue
			}
			need, slot = dwXtcpcbNMin, &g.tcp
		default:
			// A kind this decoder does not know (or 0, which XNU leaves
			// in the socket-buffer records of a pcb without a socket).
			continue
		}
		if len(rec) < need {
			return fail("%s record at offset %d is %d bytes, shorter than the %d this decoder reads (a macOS older than 10.10?)",
				darwinKindName(kind), at, len(rec), need)
		}
		if g.seen&kind != 0 || (kind == dwXsoInpcb && g.seen != 0) {
			// A new socket starts before the last one was complete.
			skip(incomplete(&g, fmt.Sprintf("%s record at offset %d repeats a kind before the socket is complete", darwinKindName(kind), at)))
			g = darwinGroup{}
		}
		if g.seen == 0 {
			g.at = at
		}
		g.seen |= kind
		if slot != nil {
			*slot = rec
		}
		if g.seen != want {
			continue
		}
		s, err := darwinSocket(&g, p, opts, &owners)
		done := g
		g = darwinGroup{}
		if err != nil {
			skip(err)
			continue
		}
		if opts == nil || (opts.WantFamily(s.Family) && opts.Filter.Match(&s)) {
			if opts != nil && opts.Info {
				s.Internals = darwinInternals(&done, p, slots, &internals)
			}
			list.Sockets = append(list.Sockets, s)
		} else if len(s.Owners) > 0 {
			owners.unget()
		}
	}
	if g.seen != 0 {
		skip(incomplete(&g, "the buffer ends before the socket is complete"))
	}
	return list, nil
}

// darwinSocket makes a Socket of one socket's complete records.
//
// Family comes from inp_vflag: INP_IPV6 (set on dual-stack sockets too,
// whose address is then the IPv6 one) means IPv6, else INP_IPV4 means IPv4,
// read from the last 4 bytes of the address union; neither is an error.
//
// Queues are sb_cc, the bytes in the receive and send buffers; a listening
// socket has RecvQ = so_qlen - so_incqlen (connections complete and waiting
// for accept, like Linux's accept backlog) and SendQ = so_qlimit. UID is
// so_uid, the socket creator's uid.
//
// The owner, when opts.Owners is set, is so_last_pid with FD -1: the last
// process that operated on the socket, which holds its descriptor. so_e_pid
// is not used: XNU sets it only on delegated sockets (SOF_DELEGATED), made
// by a daemon on behalf of an app, and then names the app, which holds no
// descriptor (or, when delegated by UUID, repeats so_last_pid); on other
// sockets it is 0. As on Linux, an owner is a process holding the socket,
// not the app its traffic is accounted to. so_last_pid names one process only: another
// that shares the descriptor (after fork) but has not used it is not seen. A socket flagged SS_NOFDREF is held
// by no descriptor (TIME_WAIT, a connection closed by its process, an
// embryonic connection in a listener's queue), and one with so_last_pid 0
// was made inside the kernel: both are OwnerKernel.
func darwinSocket(g *darwinGroup, p Proto, opts *Options, owners *darwinOwnerChunk) (Socket, error) {
	ne := binary.NativeEndian
	be := binary.BigEndian
	inp, so := g.inp, g.so
	s := Socket{Proto: p}
	vflag := inp[dwXinpVFlagOff]
	var local, remote netip.Addr
	switch {
	case vflag&dwInpIPv6 != 0:
		s.Family = FamilyIPv6
		local = netip.AddrFrom16([16]byte(inp[dwXinpLAddrOff : dwXinpLAddrOff+16]))
		remote = netip.AddrFrom16([16]byte(inp[dwXinpFAddrOff : dwXinpFAddrOff+16]))
	case vflag&dwInpIPv4 != 0:
		s.Family = FamilyIPv4
		l4, f4 := dwXinpLAddrOff+dwXinpAddr4Off, dwXinpFAddrOff+dwXinpAddr4Off
		local = netip.AddrFrom4([4]byte(inp[l4 : l4+4]))
		remote = netip.AddrFrom4([4]byte(inp[f4 : f4+4]))
	default:
		return Socket{}, fmt.Errorf("%s %w: socket at offset %d: unknown address family (inp_vflag %#x)", p, errDarwinPcblist, g.at, vflag)
	}
	fport := be.Uint16(inp[dwXinpFPortOff:])
	s.Local = netip.AddrPortFrom(local, be.Uint16(inp[dwXinpLPortOff:]))
	s.Remote = netip.AddrPortFrom(remote, fport)

	if p == ProtoTCP {
		s.State = darwinTCPState(int32(ne.Uint32(g.tcp[dwXtStateOff:])))
	} else if fport != 0 || !remote.IsUnspecified() {
		s.State = StateEstablished
	} else {
		s.State = StateClose
	}

	s.UID = int(ne.Uint32(so[dwXsoUIDOff:]))
	if s.State == StateListen {
		q := int(int16(ne.Uint16(so[dwXsoQLenOff:]))) - int(int16(ne.Uint16(so[dwXsoIncQLenOff:])))
		s.RecvQ = uint32(max(q, 0))
		s.SendQ = uint32(max(int(int16(ne.Uint16(so[dwXsoQLimitOff:]))), 0))
	} else {
		s.RecvQ = ne.Uint32(g.rcv[dwXsbCCOff:])
		s.SendQ = ne.Uint32(g.snd[dwXsbCCOff:])
	}

	if opts != nil && opts.Owners {
		pid := int32(ne.Uint32(so[dwXsoLastPIDOff:]))
		if ne.Uint16(so[dwXsoStateOff:])&dwSsNoFDRef != 0 || pid <= 0 {
			s.OwnerUnknown = OwnerKernel
		} else {
			s.Owners = owners.get(Owner{PID: int(pid), FD: -1})
		}
	}
	return s, nil
}

// darwinInternals returns the internals of one socket's complete records,
// taken from chunk; nil when its records are too short to carry any (no
// kernel sends such).
//
// The memory is from the xsockbuf_n records: RmemAlloc and WmemQueued are
// sb_mbcnt, the bytes of mbufs held by the receive and the send buffer,
// RcvBuf and SndBuf are sb_hiwat, their sizes. The TCP fields are those of
// darwinTCP.
func darwinInternals(g *darwinGroup, p Proto, slots darwinStatsSlots, chunk *internalsChunk) *Internals {
	var in Internals
	if p == ProtoTCP {
		in.HasTCP = darwinTCP(g, slots, &in.TCP)
	}
	if len(g.rcv) >= dwXsockbufMem && len(g.snd) >= dwXsockbufMem {
		ne := binary.NativeEndian
		in.Mem = MemInfo{
			RmemAlloc:  ne.Uint32(g.rcv[dwXsbMbcntOff:]),
			RcvBuf:     ne.Uint32(g.rcv[dwXsbHiwatOff:]),
			SndBuf:     ne.Uint32(g.snd[dwXsbHiwatOff:]),
			WmemQueued: ne.Uint32(g.snd[dwXsbMbcntOff:]),
			Fields:     MemRmemAlloc | MemRcvBuf | MemSndBuf | MemWmemQueued,
		}
		in.HasMem = true
	}
	if !in.HasTCP && !in.HasMem {
		return nil
	}
	return chunk.put(in)
}

// darwinTCP fills t from a socket's xtcpcb_n and xsockstat_n and reports
// whether it could. From xtcpcb_n: RTT and RTTVar (t_srtt, t_rttvar:
// unscaled, milliseconds to microseconds), RTO (t_rxtcur), Retransmits
// (t_rxtshift), SndMSS (t_maxseg), SndCwnd and SndSsthresh (snd_cwnd,
// snd_ssthresh, counted in bytes, in whole segments of SndMSS as Linux
// counts them; left out when t_maxseg is 0), SndWnd and RcvWnd (snd_wnd,
// rcv_wnd, bytes). From xsockstat_n: BytesReceived and BytesSent, the
// rxbytes and txbytes of the slots that count traffic (see
// darwinStatsSlots). XNU exports no congestion algorithm, lost or total
// retransmitted segments, nor ages of the last data.
func darwinTCP(g *darwinGroup, slots darwinStatsSlots, t *TCPInfo) bool {
	ne := binary.NativeEndian
	if len(g.tcp) < dwXtcpcbNInfo {
		return false
	}
	x := g.tcp
	i32 := func(off int) uint32 { return uint32(max(int32(ne.Uint32(x[off:])), 0)) }
	*t = TCPInfo{
		RTT:         uint32(min(uint64(i32(dwXtSrttOff))*dwTCPTickMicros>>dwTCPRTTShift, 1<<32-1)),
		RTTVar:      uint32(min(uint64(i32(dwXtRttvarOff))*dwTCPTickMicros>>dwTCPRTTVarShift, 1<<32-1)),
		RTO:         uint32(min(uint64(i32(dwXtRxtCurOff))*dwTCPTickMicros, 1<<32-1)),
		Retransmits: uint8(min(i32(dwXtRxtShiftOff), 255)),
		SndMSS:      ne.Uint32(x[dwXtMaxsegOff:]),
		SndWnd:      ne.Uint32(x[dwXtSndWndOff:]),
		RcvWnd:      ne.Uint32(x[dwXtRcvWndOff:]),
		Fields:      TCPRTT | TCPRTO | TCPRetransmits | TCPMSS | TCPWindows,
	}
	if t.SndMSS != 0 {
		t.SndCwnd = ne.Uint32(x[dwXtSndCwndOff:]) / t.SndMSS
		t.SndSsthresh = ne.Uint32(x[dwXtSsthreshOff:]) / t.SndMSS
		t.Fields |= TCPCwnd | TCPSsthresh
	}
	if len(g.stat) >= dwXsockstatNStats {
		t.BytesReceived, t.BytesSent = darwinTraffic(g.stat, slots)
		t.Fields |= TCPBytesReceived | TCPBytesSent
	}
	return true
}

// darwinTraffic returns the bytes received and sent that an xsockstat_n
// of at least dwXsockstatNStats bytes counts, its slots meaning what slots
// says.
func darwinTraffic(stat []byte, slots darwinStatsSlots) (rx, tx uint64) {
	ne := binary.NativeEndian
	n := dwXstSlots
	if slots == darwinStatsDataFirst {
		n = 1
	}
	for i := range n {
		d := stat[dwXstStatsOff+i*dwXstSlotLen:]
		rx += ne.Uint64(d[dwXstRxBytesOff:])
		tx += ne.Uint64(d[dwXstTxBytesOff:])
	}
	return rx, tx
}

// darwinKindName names a record kind in messages.
func darwinKindName(kind uint32) string {
	switch kind {
	case dwXsoInpcb:
		return "xinpcb_n"
	case dwXsoSocket:
		return "xsocket_n"
	case dwXsoRcvBuf, dwXsoSndBuf:
		return "xsockbuf_n"
	case dwXsoStats:
		return "xsockstat_n"
	case dwXsoTcpcb:
		return "xtcpcb_n"
	}
	return fmt.Sprintf("kind %#x", kind)
}

// darwinOwnerChunk hands out one-element Owners slices carved from larger arrays,
// so that a table of n owned sockets costs n/256 allocations, not n.
type darwinOwnerChunk struct{ buf []Owner }

func (c *darwinOwnerChunk) get(o Owner) []Owner {
	if len(c.buf) == cap(c.buf) {
		c.buf = make([]Owner, 0, 256)
	}
	c.buf = append(c.buf, o)
	n := len(c.buf)
	return c.buf[n-1 : n : n]
}

// unget returns the last slice get handed out, for a socket then dropped.
func (c *darwinOwnerChunk) unget() { c.buf = c.buf[:len(c.buf)-1] }

// nameDarwinOwners fills in the process names of the owners
// decodeDarwinPcblist found, from names (PID to name, as one read of the
// process table gave them). An owner whose PID is not in names exited
// between the two reads: the socket gets no owners and OwnerExited. A nil
// names (the process table could not be read) leaves the owners with their
// PIDs and no names.
func nameDarwinOwners(socks []Socket, names map[int]string) {
	if names == nil {
		return
	}
	for i := range socks {
		s := &socks[i]
		if len(s.Owners) == 0 {
			continue
		}
		name, ok := names[s.Owners[0].PID]
		if !ok {
			s.Owners = nil
			s.OwnerUnknown = OwnerExited
			continue
		}
		s.Owners[0].Process = name
	}
}
