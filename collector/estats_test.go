package collector

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// The extended statistics structs as tcpestats.h lays them out on 64-bit
// Windows, field by field, so that the offsets the decoder uses are
// checked against an independent list of the fields and their types.
var (
	estatsDataFields = []struct {
		name string
		size int
	}{{"DataBytesOut", 8}, {"DataSegsOut", 8}, {"DataBytesIn", 8}, {"DataSegsIn", 8}, {"SegsOut", 8}, {"SegsIn", 8},
		{"SoftErrors", 4}, {"SoftErrorReason", 4}, {"SndUna", 4}, {"SndNxt", 4}, {"SndMax", 4},
		{"ThruBytesAcked", 8}, {"RcvNxt", 4}, {"ThruBytesReceived", 8}}
	estatsSndCongFields = []struct {
		name string
		size int
	}{{"SndLimTransRwin", 4}, {"SndLimTimeRwin", 4}, {"SndLimBytesRwin", 8}, {"SndLimTransCwnd", 4}, {"SndLimTimeCwnd", 4},
		{"SndLimBytesCwnd", 8}, {"SndLimTransSnd", 4}, {"SndLimTimeSnd", 4}, {"SndLimBytesSnd", 8}, {"SlowStart", 4},
		{"CongAvoid", 4}, {"OtherReductions", 4}, {"CurCwnd", 4}, {"MaxSsCwnd", 4}, {"MaxCaCwnd", 4}, {"CurSsthresh", 4},
		{"MaxSsthresh", 4}, {"MinSsthresh", 4}}
	estatsPathFields = []string{"FastRetran", "Timeouts", "SubsequentTimeouts", "CurTimeoutCount", "AbruptTimeouts",
		"PktsRetrans", "BytesRetrans", "DupAcksIn", "SacksRcvd", "SackBlocksRcvd", "CongSignals", "PreCongSumCwnd",
		"PreCongSumRtt", "PostCongSumRtt", "PostCongCountRtt", "EcnSignals", "EceRcvd", "SendStall", "QuenchRcvd",
		"RetranThresh", "SndDupAckEpisodes", "SumBytesReordered", "NonRecovDa", "NonRecovDaEpisodes", "AckAfterFr",
		"DsackDups", "SampleRtt", "SmoothedRtt", "RttVar", "MaxRtt", "MinRtt", "SumRtt", "CountRtt", "CurRto", "MaxRto",
		"MinRto", "CurMss", "MaxMss", "MinMss", "SpuriousRtoDetections"}
)

// layout returns each field's offset under C's natural alignment and the
// struct's size, rounded to its widest member.
func layout(fields []struct {
	name string
	size int
}) (map[string]int, int) {
	offs := map[string]int{}
	off, widest := 0, 1
	for _, f := range fields {
		off = (off + f.size - 1) / f.size * f.size
		offs[f.name] = off
		off += f.size
		widest = max(widest, f.size)
	}
	return offs, (off + widest - 1) / widest * widest
}

// estatsFixtures writes distinct values into each field of the three
// structs, at the offsets layout derives.
func estatsFixtures(t *testing.T) (data, cong, path []byte) {
	t.Helper()
	le := binary.LittleEndian
	dOffs, dLen := layout(estatsDataFields)
	cOffs, cLen := layout(estatsSndCongFields)
	if dLen != estatsDataLen || cLen != estatsSndCongLen || 4*len(estatsPathFields) != estatsPathLen {
		t.Fatalf("struct sizes %d, %d, %d; the decoder has %d, %d, %d", dLen, cLen, 4*len(estatsPathFields),
			estatsDataLen, estatsSndCongLen, estatsPathLen)
	}
	for name, want := range map[string]int{"DataBytesOut": esDataBytesOut, "SegsOut": esDataSegsOut, "SegsIn": esDataSegsIn,
		"ThruBytesAcked": esDataThruBytesAckd, "ThruBytesReceived": esDataThruBytesRcvd} {
		if dOffs[name] != want {
			t.Errorf("TCP_ESTATS_DATA_ROD_v0.%s at %d, the decoder reads %d", name, dOffs[name], want)
		}
	}
	for name, want := range map[string]int{"CurCwnd": esCongCurCwnd, "CurSsthresh": esCongCurSsthresh} {
		if cOffs[name] != want {
			t.Errorf("TCP_ESTATS_SND_CONG_ROD_v0.%s at %d, the decoder reads %d", name, cOffs[name], want)
		}
	}
	data, cong, path = make([]byte, dLen), make([]byte, cLen), make([]byte, estatsPathLen)
	put := func(b []byte, off, size int, v uint64) {
		if size == 8 {
			le.PutUint64(b[off:], v)
		} else {
			le.PutUint32(b[off:], uint32(v))
		}
	}
	for i, f := range estatsDataFields {
		put(data, dOffs[f.name], f.size, uint64(1000+i))
	}
	for i, f := range estatsSndCongFields {
		put(cong, cOffs[f.name], f.size, uint64(2000+i))
	}
	for i := range estatsPathFields {
		put(path, 4*i, 4, uint64(10+i))
	}
	put(data, dOffs["DataBytesOut"], 8, 5_000_000_000) // past 32 bits
	put(cong, cOffs["CurCwnd"], 4, 10*1460)
	put(cong, cOffs["CurSsthresh"], 4, 1<<32-1) // no threshold yet
	put(path, 36*4, 4, 1460)                    // CurMss
	return data, cong, path
}

// Each field portwatch shows comes from its field of the documented
// structs, in Linux's units (microseconds, segments).
func TestDecodeEStats(t *testing.T) {
	data, cong, path := estatsFixtures(t)
	var ti TCPInfo
	if !decodeEStats(data, cong, path, &ti) {
		t.Fatal("three whole structs decoded to nothing")
	}
	for _, f := range []struct {
		name      string
		got, want uint64
	}{
		{"bytes sent (DataBytesOut)", ti.BytesSent, 5_000_000_000},
		{"bytes acked (ThruBytesAcked)", ti.BytesAcked, 1011},
		{"bytes received (ThruBytesReceived)", ti.BytesReceived, 1013},
		{"segs out (SegsOut)", uint64(ti.SegsOut), 1004},
		{"segs in (SegsIn)", uint64(ti.SegsIn), 1005},
		{"rtt (SmoothedRtt ms)", uint64(ti.RTT), (10 + 27) * 1000},
		{"rttvar (RttVar ms)", uint64(ti.RTTVar), (10 + 28) * 1000},
		{"rto (CurRto ms)", uint64(ti.RTO), (10 + 33) * 1000},
		{"mss (CurMss)", uint64(ti.SndMSS), 1460},
		{"total retrans (PktsRetrans)", uint64(ti.TotalRetrans), 10 + 5},
		{"bytes retrans (BytesRetrans)", ti.BytesRetrans, 10 + 6},
		{"cwnd (CurCwnd / mss)", uint64(ti.SndCwnd), 10},
	} {
		if f.got != f.want {
			t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
		}
	}
	want := TCPBytesSent | TCPBytesAcked | TCPBytesReceived | TCPSegs | TCPRTT | TCPRTO | TCPMSS |
		TCPTotalRetrans | TCPBytesRetrans | TCPCwnd
	if ti.Fields != want || ti.Has(TCPSsthresh) || ti.Has(TCPLost) || ti.Has(TCPLastData) || ti.Has(TCPDeliveryRate) {
		t.Errorf("fields %b, want %b: no threshold yet, no lost, ages or delivery rate on Windows", ti.Fields, want)
	}

	// Only the data struct (collection of the others refused): the byte
	// counts alone; no MSS, so no window in segments.
	if !decodeEStats(data, cong, nil, &ti) || ti.Has(TCPRTT) || ti.Has(TCPCwnd) || !ti.HasBytes() || ti.RTT != 0 {
		t.Errorf("data only: %+v", ti)
	}
	// Short structs are as good as none.
	if decodeEStats(data[:estatsDataLen-1], cong[:10], path[:estatsPathLen-1], &ti) || ti.Fields != 0 {
		t.Errorf("short structs decoded: %+v", ti)
	}
}

// The rows name a connection as the IP Helper tables give it: MIB_TCPROW
// for IPv4 (also an IPv4-mapped IPv6 pair), MIB_TCP6ROW with the scopes
// for IPv6; the state is the connection's own MIB_TCP_STATE.
func TestAppendTCPRow(t *testing.T) {
	s := Socket{Proto: ProtoTCP, State: StateEstablished,
		Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("[::ffff:10.1.2.3]:443")}
	row, ipv6 := appendTCPRow(nil, &s)
	want := []byte{5, 0, 0, 0, 127, 0, 0, 1, 0x1f, 0x90, 0, 0, 10, 1, 2, 3, 0x01, 0xbb, 0, 0}
	if ipv6 || string(row) != string(want) {
		t.Errorf("IPv4 row % x (ipv6 %v), want % x", row, ipv6, want)
	}

	s = Socket{Proto: ProtoTCP, State: StateCloseWait,
		Local: netip.MustParseAddrPort("[fe80::1%7]:22"), Remote: netip.MustParseAddrPort("[2001:db8::2]:50000")}
	row, ipv6 = appendTCPRow(nil, &s)
	le := binary.LittleEndian
	if !ipv6 || len(row) != mib6RowLen {
		t.Fatalf("IPv6 row of %d bytes (ipv6 %v), want %d", len(row), ipv6, mib6RowLen)
	}
	local, remote := s.Local.Addr().As16(), s.Remote.Addr().As16()
	if le.Uint32(row) != mibTCPStateCloseWait || string(row[4:20]) != string(local[:]) || le.Uint32(row[20:]) != 7 ||
		binary.BigEndian.Uint16(row[24:]) != 22 || string(row[28:44]) != string(remote[:]) || le.Uint32(row[44:]) != 0 ||
		binary.BigEndian.Uint16(row[48:]) != 50000 {
		t.Errorf("IPv6 row % x", row)
	}

	// SetTcpEntry's row is the same with the state that ends it.
	s = Socket{Proto: ProtoTCP, State: StateEstablished,
		Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("127.0.0.1:443")}
	del, err := appendDeleteTCBRow(nil, &s)
	row, _ = appendTCPRow(nil, &s)
	if err != nil || le.Uint32(del) != mibTCPStateDeleteTCB || string(del[4:]) != string(row[4:]) {
		t.Errorf("delete row % x (%v), connection row % x", del, err, row)
	}
}

// Every state Windows numbers maps back to its number.
func TestMIBTCPStateOf(t *testing.T) {
	for v := uint32(1); v < uint32(len(mibTCPStates)); v++ {
		st, _ := mibTCPState(v)
		if got := mibTCPStateOf(st); got != v {
			t.Errorf("state %v (MIB %d) maps back to %d", st, v, got)
		}
	}
	if mibTCPStateOf(StateNewSynRecv) != 0 {
		t.Error("a state Windows has no number for got one")
	}
}

// FuzzDecodeEStats: any bytes decode without a panic, and a struct too
// short to hold its fields adds none of them.
func FuzzDecodeEStats(f *testing.F) {
	f.Add(make([]byte, estatsDataLen), make([]byte, estatsSndCongLen), make([]byte, estatsPathLen))
	f.Add([]byte{1}, []byte{}, make([]byte, estatsPathLen-1))
	f.Fuzz(func(t *testing.T, data, cong, path []byte) {
		var ti TCPInfo
		ok := decodeEStats(data, cong, path, &ti)
		if ok != (ti.Fields != 0) || len(data) < estatsDataLen && ti.Fields&TCPBytesAcked != 0 ||
			len(path) < estatsPathLen && ti.Fields&(TCPRTT|TCPCwnd) != 0 {
			t.Fatalf("fields %b from structs of %d, %d, %d bytes", ti.Fields, len(data), len(cong), len(path))
		}
	})
}
