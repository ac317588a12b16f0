package collector

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// Internals is what the kernel tells of a socket's inner workings when
// asked for it (Options.Info): TCP's own counters (tcp_info), the
// congestion control algorithm, and the socket's memory. Older Linux
// kernels send a shorter tcp_info, and the BSDs' socket lists carry only
// some of its fields: fields a system did not report are zero, and the
// Has methods of TCPInfo and MemInfo say which are there.
type Internals struct {
	// TCP is the connection's tcp_info; HasTCP says the kernel sent one
	// (not for UDP, nor for TIME_WAIT or request sockets).
	TCP    TCPInfo
	HasTCP bool
	// Cong is the congestion control algorithm ("cubic", "bbr"); its
	// String is "" when the kernel did not say.
	Cong Congestion
	// Mem is the socket's memory (sk_meminfo); HasMem says the kernel
	// sent it.
	Mem    MemInfo
	HasMem bool
}

// TCPInfo is struct tcp_info, as far as portwatch shows it: the fields
// the table, the JSON and the live view's rates use, and the ones the
// BSDs report besides (RTO, ssthresh, windows). Times are in microseconds
// unless named otherwise; rates in bytes per second. The BSDs fill the
// fields their socket lists carry, in the same units, and list them in
// Fields. A dump of 100k sockets holds one per connection, so the struct
// is kept small: widest fields first, no padding inside.
type TCPInfo struct {
	PacingRate                uint64 // ^0: not paced
	BytesAcked, BytesReceived uint64
	DeliveryRate              uint64
	BytesSent, BytesRetrans   uint64

	RTO          uint32
	SndMSS       uint32
	Lost         uint32
	TotalRetrans uint32
	// Ages of the last data sent and received and of the last ACK
	// received, in milliseconds.
	LastDataSent, LastDataRecv, LastAckRecv uint32
	RTT, RTTVar                             uint32
	SndSsthresh                             uint32
	SndCwnd                                 uint32 // in segments
	SegsOut, SegsIn                         uint32
	RcvOOOPack, SndWnd, RcvWnd              uint32

	// Fields lists the fields the system reported when it is not Linux's
	// tcp_info (the BSDs); the empty set means tcp_info's own rule, where
	// Size says which fields the kernel sent. See Has.
	Fields TCPFields
	// Size is how many bytes of tcp_info the kernel sent (Linux; at most
	// 65535).
	Size uint16
	// Retransmits counts retransmissions of the current segment
	// (icsk_retransmits).
	Retransmits uint8
}

// TCPFields is a set of TCPInfo's fields (or of pairs of fields that are
// reported together), for Fields and Has.
type TCPFields uint32

// The fields of TCPInfo that TCPFields names.
const (
	TCPRTT           TCPFields = 1 << iota // RTT and RTTVar
	TCPRTO                                 // RTO
	TCPCwnd                                // SndCwnd
	TCPSsthresh                            // SndSsthresh
	TCPMSS                                 // SndMSS
	TCPRetransmits                         // Retransmits
	TCPTotalRetrans                        // TotalRetrans
	TCPLost                                // Lost
	TCPLastData                            // LastDataSent and LastDataRecv
	TCPLastAck                             // LastAckRecv
	TCPPacing                              // PacingRate
	TCPBytesAcked                          // BytesAcked
	TCPBytesReceived                       // BytesReceived
	TCPSegs                                // SegsIn and SegsOut
	TCPDeliveryRate                        // DeliveryRate
	TCPBytesSent                           // BytesSent
	TCPBytesRetrans                        // BytesRetrans
	TCPWindows                             // SndWnd and RcvWnd
	TCPRcvOOOPack                          // RcvOOOPack

	// tcpInfoBase are the fields of every tcp_info (the 2.6 struct) that
	// the set names.
	tcpInfoBase = TCPRTT | TCPRTO | TCPCwnd | TCPSsthresh | TCPMSS | TCPRetransmits |
		TCPTotalRetrans | TCPLost | TCPLastData | TCPLastAck
)

// The ends of the fields of struct tcp_info that arrived in later
// kernels; a tcp_info of at least that many bytes has the field.
const (
	tcpInfoEndTotalRetrans = 104 // the 2.6 struct
	tcpInfoEndPacing       = 120 // 3.15: pacing_rate, max_pacing_rate
	tcpInfoEndBytesRecv    = 136 // 4.1-4.2: bytes_acked, bytes_received
	tcpInfoEndSegs         = 144 // 4.2: segs_out, segs_in
	tcpInfoEndDelivery     = 168 // 4.9-4.10: ..., delivery_rate
	tcpInfoEndBytesSent    = 216 // 4.19: delivered, delivered_ce, bytes_sent, bytes_retrans
	tcpInfoEndRcvWnd       = 236 // 5.4-6.2: dsack_dups ... rcv_wnd
)

// linuxFields returns the fields a Linux tcp_info of size bytes has: the
// oldest kernels' fields always (also for a TCPInfo made by hand, without
// Size), and the later ones when the struct reaches them.
func linuxFields(size int) TCPFields {
	// Straight comparisons: Has runs for every field of every socket shown.
	f := tcpInfoBase
	if size >= tcpInfoEndPacing {
		f |= TCPPacing
	}
	if size >= tcpInfoEndBytesRecv {
		f |= TCPBytesAcked | TCPBytesReceived
	}
	if size >= tcpInfoEndSegs {
		f |= TCPSegs
	}
	if size >= tcpInfoEndDelivery {
		f |= TCPDeliveryRate
	}
	if size >= tcpInfoEndBytesSent {
		f |= TCPBytesSent | TCPBytesRetrans
	}
	if size >= tcpInfoEndRcvWnd {
		f |= TCPWindows | TCPRcvOOOPack
	}
	return f
}

// Has reports whether the system reported every field of f: those listed
// in Fields when it is not empty (the BSDs), else those of a Linux
// tcp_info of Size bytes.
func (t *TCPInfo) Has(f TCPFields) bool {
	known := t.Fields
	if known == 0 {
		known = linuxFields(int(t.Size))
	}
	return known&f == f
}

// HasRTT reports whether the system reported RTT and RTTVar.
func (t *TCPInfo) HasRTT() bool { return t.Has(TCPRTT) }

// HasPacing reports whether the kernel sent the pacing rates.
func (t *TCPInfo) HasPacing() bool { return t.Has(TCPPacing) }

// HasBytes reports whether the kernel sent BytesAcked and BytesReceived.
func (t *TCPInfo) HasBytes() bool { return t.Has(TCPBytesAcked | TCPBytesReceived) }

// HasSegs reports whether the kernel sent SegsIn and SegsOut.
func (t *TCPInfo) HasSegs() bool { return t.Has(TCPSegs) }

// HasDeliveryRate reports whether the kernel sent DeliveryRate.
func (t *TCPInfo) HasDeliveryRate() bool { return t.Has(TCPDeliveryRate) }

// HasBytesSent reports whether the kernel sent BytesSent and
// BytesRetrans.
func (t *TCPInfo) HasBytesSent() bool { return t.Has(TCPBytesSent | TCPBytesRetrans) }

// decodeTCPInfo reads a struct tcp_info of any length (the kernel's
// own); it reports false when b is shorter than the oldest kernels'.
func decodeTCPInfo(b []byte, t *TCPInfo) bool {
	if len(b) < tcpInfoEndTotalRetrans {
		return false
	}
	ne := binary.NativeEndian
	// Read the fields of the newest kernel whose struct b holds whole;
	// the newer ones stay zero.
	var full [tcpInfoEndRcvWnd]byte
	whole := tcpInfoEndTotalRetrans
	for _, end := range [...]int{tcpInfoEndPacing, tcpInfoEndBytesRecv, tcpInfoEndSegs, tcpInfoEndDelivery, tcpInfoEndBytesSent, tcpInfoEndRcvWnd} {
		if len(b) >= end {
			whole = end
		}
	}
	copy(full[:], b[:whole])
	p := full[:]
	u32 := func(off int) uint32 { return ne.Uint32(p[off:]) }
	u64 := func(off int) uint64 { return ne.Uint64(p[off:]) }
	*t = TCPInfo{
		Retransmits: p[2], RTO: u32(8), SndMSS: u32(16), Lost: u32(32),
		LastDataSent: u32(44), LastDataRecv: u32(52), LastAckRecv: u32(56),
		RTT: u32(68), RTTVar: u32(72), SndSsthresh: u32(76), SndCwnd: u32(80), TotalRetrans: u32(100),
		PacingRate: u64(104), BytesAcked: u64(120), BytesReceived: u64(128),
		SegsOut: u32(136), SegsIn: u32(140), DeliveryRate: u64(160),
		BytesSent: u64(200), BytesRetrans: u64(208), RcvOOOPack: u32(224), SndWnd: u32(228), RcvWnd: u32(232),
		Size: uint16(min(len(b), 1<<16-1)),
	}
	return true
}

// MemInfo is a socket's memory as sk_meminfo gives it, in bytes: the
// fields portwatch shows (not the option memory and backlog).
type MemInfo struct {
	RmemAlloc  uint32 // receive queue memory in use
	RcvBuf     uint32 // receive buffer size (SO_RCVBUF)
	WmemAlloc  uint32 // send memory in flight
	SndBuf     uint32 // send buffer size (SO_SNDBUF)
	FwdAlloc   uint32 // memory reserved ahead
	WmemQueued uint32 // send queue memory (written, not yet sent or acked)
	Drops      uint32 // packets dropped (4.0+)
	// Fields lists the fields the system reported when it is not Linux's
	// sk_meminfo (the BSDs); the empty set means every field, as Linux
	// reports them (Drops is 0 from a kernel that sent 8 values). See Has.
	Fields MemFields
	// Count is how many values the kernel sent (Linux; at most 255).
	Count uint8
}

// MemFields is a set of MemInfo's fields, for Fields and Has.
type MemFields uint16

// The fields of MemInfo that MemFields names.
const (
	MemRmemAlloc MemFields = 1 << iota
	MemRcvBuf
	MemWmemAlloc
	MemSndBuf
	MemFwdAlloc
	MemWmemQueued
	MemDrops
)

// Has reports whether the system reported every field of f: those listed
// in Fields when it is not empty (the BSDs), else every one (Linux).
func (m *MemInfo) Has(f MemFields) bool { return m.Fields == 0 || m.Fields&f == f }

// decodeMemInfo reads an INET_DIAG_SKMEMINFO attribute: an array of u32,
// as long as the kernel's SK_MEMINFO_VARS. It reports false when b is
// shorter than the oldest kernels' eight values.
func decodeMemInfo(b []byte, m *MemInfo) bool {
	if len(b) < 8*4 {
		return false
	}
	ne := binary.NativeEndian
	var v [9]uint32
	n := min(len(b)/4, len(v))
	for i := range n {
		v[i] = ne.Uint32(b[4*i:])
	}
	*m = MemInfo{RmemAlloc: v[0], RcvBuf: v[1], WmemAlloc: v[2], SndBuf: v[3], FwdAlloc: v[4],
		WmemQueued: v[5], Drops: v[8], Count: uint8(n)}
	return true
}

// decodeCong reads an INET_DIAG_CONG attribute: a NUL-terminated name.
func decodeCong(b []byte) Congestion {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return congestionOf(b)
}

// Congestion is a congestion control algorithm, kept as an index into the
// names seen so that Internals holds no pointer: the internals of a large
// dump are then memory the garbage collector never scans, and a name is
// not a new string for every socket. The zero value is no algorithm.
type Congestion uint8

// congNames holds the names of Congestion values, index 0 the empty one;
// it is replaced, never changed, when a name is added.
var congNames atomic.Pointer[[]string]

// knownCongestion are the kernels' algorithms, named without adding one.
var knownCongestion = []string{"", "cubic", "bbr", "reno", "dctcp", "htcp", "bic", "vegas", "westwood",
	"illinois", "hybla", "scalable", "yeah", "lp", "veno", "highspeed", "cdg", "nv", "bbr2", "bbr3",
	"newreno", "chd", "hd"} // the last three: FreeBSD's

// congMu serializes additions to congNames.
var congMu sync.Mutex

// String returns the algorithm's name, "" for none.
func (c Congestion) String() string {
	names := knownCongestion
	if p := congNames.Load(); p != nil {
		names = *p
	}
	if int(c) < len(names) {
		return names[c]
	}
	return ""
}

// CongestionNamed returns the Congestion whose String is name. Past 255
// distinct names, a new one is "other".
func CongestionNamed(name string) Congestion { return congestionOf([]byte(name)) }

// congestionOf returns the Congestion named b, adding the name when it is
// new; a known name costs no allocation.
func congestionOf(b []byte) Congestion {
	find := func(names []string) (Congestion, bool) {
		for i, n := range names {
			if n == string(b) {
				return Congestion(i), true
			}
		}
		return 0, false
	}
	names := knownCongestion
	if p := congNames.Load(); p != nil {
		names = *p
	}
	if c, ok := find(names); ok {
		return c
	}
	congMu.Lock()
	defer congMu.Unlock()
	names = knownCongestion
	if p := congNames.Load(); p != nil {
		names = *p
	}
	if c, ok := find(names); ok {
		return c
	}
	if len(names) > 255 {
		return 255 // "other": every name past the 255th
	}
	name := string(b)
	if len(names) == 255 {
		name = "other"
	}
	grown := append(names[:len(names):len(names)], name)
	congNames.Store(&grown)
	return Congestion(len(grown) - 1)
}

// inet_diag's extension attributes (enum inet_diag_attr) and the request
// bits that ask for them: bit (attribute - 1) of idiag_ext.
const (
	inetDiagInfo      = 2
	inetDiagCong      = 4
	inetDiagSkmeminfo = 7

	// internalsExt asks for tcp_info, the congestion algorithm and
	// sk_meminfo.
	internalsExt = 1<<(inetDiagInfo-1) | 1<<(inetDiagCong-1) | 1<<(inetDiagSkmeminfo-1)
)

// decodeInternals reads the attributes that follow an inet_diag_msg and
// returns the socket's internals, nil when none of them is there. An
// attribute whose length is impossible ends the walk: what came before it
// is kept.
func decodeInternals(attrs []byte) *Internals {
	var in Internals
	if !decodeInternalsInto(attrs, &in) {
		return nil
	}
	return &in
}

// decodeInternalsInto is decodeInternals into in, which it sets whole;
// it reports whether any of the attributes was there.
func decodeInternalsInto(attrs []byte, into *Internals) bool {
	*into = Internals{}
	var in *Internals
	get := func() *Internals {
		in = into
		return in
	}
	ne := binary.NativeEndian
	for len(attrs) >= nlattrHdrLen {
		l := int(ne.Uint16(attrs[0:]))
		typ := ne.Uint16(attrs[2:]) & 0x3fff // without NLA_F_NESTED, NLA_F_NET_BYTEORDER
		if l < nlattrHdrLen || l > len(attrs) {
			break
		}
		val := attrs[nlattrHdrLen:l]
		switch typ {
		case inetDiagInfo:
			// Straight into place: a copy of 240 bytes per socket adds up
			// over a dump of 100k.
			// A short one writes nothing, so an earlier whole one stays.
			if decodeTCPInfo(val, &into.TCP) {
				get().HasTCP = true
			}
		case inetDiagCong:
			if c := decodeCong(val); c != 0 {
				get().Cong = c
			}
		case inetDiagSkmeminfo:
			var m MemInfo
			if decodeMemInfo(val, &m) {
				in := get()
				in.Mem, in.HasMem = m, true
			}
		}
		attrs = attrs[min((l+3)&^3, len(attrs)):]
	}
	return in != nil
}
