package collector

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Windows' extended TCP statistics (GetPerTcpConnectionEStats, RFC 4898's
// MIB): the read-only dynamic structs portwatch reads for -i, their
// TCP_ESTATS_TYPE and sizes on 64-bit Windows (tcpestats.h; SIZE_T is 8
// bytes), and the offsets of the fields it takes. Counts are in bytes and
// segments, times in milliseconds.
const (
	estatsData    = 1 // TcpConnectionEstatsData: TCP_ESTATS_DATA_ROD_v0
	estatsSndCong = 2 // TcpConnectionEstatsSndCong: TCP_ESTATS_SND_CONG_ROD_v0
	estatsPath    = 3 // TcpConnectionEstatsPath: TCP_ESTATS_PATH_ROD_v0

	estatsDataLen    = 96
	estatsSndCongLen = 88
	estatsPathLen    = 160

	// TCP_ESTATS_DATA_ROD_v0: six ULONG64 counts, five ULONGs, then
	// ThruBytesAcked, RcvNxt and ThruBytesReceived, each ULONG64 aligned.
	esDataBytesOut      = 0
	esDataSegsOut       = 32 // SegsOut: every segment, not only data
	esDataSegsIn        = 40 // SegsIn
	esDataThruBytesAckd = 72
	esDataThruBytesRcvd = 88

	// TCP_ESTATS_SND_CONG_ROD_v0: CurCwnd and CurSsthresh, in bytes.
	esCongCurCwnd     = 60
	esCongCurSsthresh = 72

	// TCP_ESTATS_PATH_ROD_v0: forty ULONGs.
	esPathPktsRetrans  = 5 * 4
	esPathBytesRetrans = 6 * 4
	esPathSmoothedRtt  = 27 * 4
	esPathRttVar       = 28 * 4
	esPathCurRto       = 33 * 4
	esPathCurMss       = 36 * 4

	// mib6RowLen is the size of MIB_TCP6ROW, the row GetPerTcp6ConnectionEStats
	// takes: state, local address, scope and port, remote address, scope
	// and port.
	mib6RowLen = 4 + 16 + 4 + 4 + 16 + 4 + 4
)

// estatsInfinite is how a ULONG reports no value yet (a slow start
// threshold before the first loss).
const estatsInfinite = 1<<32 - 1

// decodeEStats fills t from the structs GetPerTcpConnectionEStats gave for
// one connection: data, sndCong and path are the read-only dynamic structs
// of TcpConnectionEstatsData, SndCong and Path, each nil (or short) when
// that call failed or its collection is off. It reports whether any of
// them was there; t.Fields lists what was.
func decodeEStats(data, sndCong, path []byte, t *TCPInfo) bool {
	le := binary.LittleEndian
	*t = TCPInfo{}
	if len(data) >= estatsDataLen {
		t.BytesSent = le.Uint64(data[esDataBytesOut:])
		t.BytesAcked = le.Uint64(data[esDataThruBytesAckd:])
		t.BytesReceived = le.Uint64(data[esDataThruBytesRcvd:])
		t.SegsOut = clampUint32(le.Uint64(data[esDataSegsOut:]))
		t.SegsIn = clampUint32(le.Uint64(data[esDataSegsIn:]))
		t.Fields |= TCPBytesSent | TCPBytesAcked | TCPBytesReceived | TCPSegs
	}
	if len(path) >= estatsPathLen {
		ms := func(off int) uint32 { return clampUint32(uint64(le.Uint32(path[off:])) * 1000) }
		t.RTT, t.RTTVar, t.RTO = ms(esPathSmoothedRtt), ms(esPathRttVar), ms(esPathCurRto)
		t.SndMSS = le.Uint32(path[esPathCurMss:])
		t.TotalRetrans = le.Uint32(path[esPathPktsRetrans:])
		t.BytesRetrans = uint64(le.Uint32(path[esPathBytesRetrans:]))
		t.Fields |= TCPRTT | TCPRTO | TCPMSS | TCPTotalRetrans | TCPBytesRetrans
	}
	// The window and threshold are in bytes: in segments, as Linux counts
	// them, when the path gave the MSS.
	if len(sndCong) >= estatsSndCongLen && t.SndMSS != 0 {
		t.SndCwnd = le.Uint32(sndCong[esCongCurCwnd:]) / t.SndMSS
		t.Fields |= TCPCwnd
		if th := le.Uint32(sndCong[esCongCurSsthresh:]); th != estatsInfinite {
			t.SndSsthresh = th / t.SndMSS
			t.Fields |= TCPSsthresh
		}
	}
	return t.Fields != 0
}

// clampUint32 is v, or the largest uint32 when v is larger.
func clampUint32(v uint64) uint32 { return uint32(min(v, estatsInfinite)) }

// mibTCPStateOf is the MIB_TCP_STATE of s, 0 for a state Windows has no
// number for.
func mibTCPStateOf(s State) uint32 {
	for v, st := range mibTCPStates {
		if v != 0 && st == s {
			return uint32(v)
		}
	}
	return 0
}

// appendTCPRow appends the row that names the TCP connection s, in its
// state, to the IP Helper API: MIB_TCPROW for IPv4 (SetTcpEntry,
// GetPerTcpConnectionEStats) or MIB_TCP6ROW (GetPerTcp6ConnectionEStats);
// ipv6 says which. Ports are in
// network order in the low two bytes of their DWORD, as the tables give
// them; an IPv6 address's scope is its numeric zone.
func appendTCPRow(b []byte, s *Socket) (row []byte, ipv6 bool) {
	le := binary.LittleEndian
	state := mibTCPStateOf(s.State)
	port := func(b []byte, p uint16) []byte {
		return append(binary.BigEndian.AppendUint16(b, p), 0, 0)
	}
	if s.Local.Addr().Unmap().Is4() && s.Remote.Addr().Unmap().Is4() {
		b = le.AppendUint32(b, state)
		for _, ap := range [2]netip.AddrPort{s.Local, s.Remote} {
			a := ap.Addr().Unmap().As4()
			b = port(append(b, a[:]...), ap.Port())
		}
		return b, false
	}
	b = le.AppendUint32(b, state)
	for _, ap := range [2]netip.AddrPort{s.Local, s.Remote} {
		a := ap.Addr().As16()
		scope, _ := strconv.ParseUint(ap.Addr().Zone(), 10, 32)
		b = le.AppendUint32(append(b, a[:]...), uint32(scope))
		b = port(b, ap.Port())
	}
	return b, true
}
