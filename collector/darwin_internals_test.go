package collector

import (
	"testing"
)

// dwInternalsFixture are TCP sockets with known tcpcb counters, traffic
// counters and buffers at the offsets of XNU's xtcpcb_n, xsockstat_n and
// xsockbuf_n.
func dwInternalsFixture() []dwSock {
	return []dwSock{
		// An established connection: srtt 25 ms (800 >> 5), rttvar 12.5 ms
		// (200 >> 4), rto 230 ms, two timeouts, cwnd of ten segments and
		// a bit, traffic in slots 0 (BE) and 1 (BK, or, on macOS 15,
		// bytes refused).
		{vflag: xnuInpIPv4, laddr: "192.0.2.10", faddr: "198.51.100.7", lport: 49200, fport: 443,
			tstate: dwEstablished, uid: 501, lastPID: 303, rcvCC: 5, sndCC: 6, memSet: true,
			rcvHiwat: 131072, rcvMbcnt: 2304, sndHiwat: 65536, sndMbcnt: 8704,
			stats: &[4]dwStats{{rxPackets: 10, rxBytes: 9000, txPackets: 20, txBytes: 120000}, {rxBytes: 100, txBytes: 7}},
			tcb: dwTcb{srtt: 800, rttvar: 200, rxtcur: 230, rxtshift: 2, maxseg: 1448, cwnd: 14480 + 1000,
				ssthresh: 1073725440, sndWnd: 131072, rcvWnd: 131000}},
		// A listener whose t_maxseg is 0: no cwnd in segments.
		{vflag: xnuInpIPv4, lport: 22, tstate: dwListen, lastPID: 101, qlimit: 128,
			tcb: dwTcb{cwnd: 1 << 30}},
	}
}

// With Info, XNU's tcpcb becomes TCPInfo in Linux's units, the traffic
// counters the bytes received and sent as the kernel's release counts
// them, the buffers MemInfo; fields XNU does not have are not claimed.
func TestDarwinInternals(t *testing.T) {
	buf := darwinSequoia.build(ProtoTCP, dwDefault(), dwInternalsFixture()...)
	want := TCPInfo{RTT: 25000, RTTVar: 12500, RTO: 230000, Retransmits: 2, SndMSS: 1448, SndCwnd: 10, SndSsthresh: 741523,
		SndWnd: 131072, RcvWnd: 131000, BytesReceived: 9000, BytesSent: 120000,
		Fields: TCPRTT | TCPRTO | TCPRetransmits | TCPMSS | TCPCwnd | TCPSsthresh | TCPWindows | TCPBytesReceived | TCPBytesSent}
	for _, tc := range []struct {
		slots  darwinStatsSlots
		rx, tx uint64
	}{{darwinStatsDataFirst, 9000, 120000}, {darwinStatsByClass, 9100, 120007}} {
		list, err := decodeDarwinPcblist(buf, ProtoTCP, &Options{Info: true}, tc.slots, nil)
		if err != nil || len(list.Sockets) != 2 {
			t.Fatalf("%d sockets, %v", len(list.Sockets), err)
		}
		in := list.Sockets[0].Internals
		if in == nil || !in.HasTCP || !in.HasMem || in.Cong != 0 {
			t.Fatalf("connection: %+v", in)
		}
		w := want
		w.BytesReceived, w.BytesSent = tc.rx, tc.tx
		if in.TCP != w {
			t.Errorf("slots %d: tcp\n%+v\nwant\n%+v", tc.slots, in.TCP, w)
		}
		wantMem := MemInfo{RmemAlloc: 2304, RcvBuf: 131072, SndBuf: 65536, WmemQueued: 8704,
			Fields: MemRmemAlloc | MemRcvBuf | MemSndBuf | MemWmemQueued}
		if in.Mem != wantMem {
			t.Errorf("memory %+v, want %+v", in.Mem, wantMem)
		}
		for _, absent := range []TCPFields{TCPLost, TCPTotalRetrans, TCPLastData, TCPLastAck, TCPBytesAcked, TCPSegs, TCPPacing, TCPDeliveryRate, TCPBytesRetrans} {
			if in.TCP.Has(absent) {
				t.Errorf("XNU claims field %#x", absent)
			}
		}
		lis := list.Sockets[1].Internals
		if lis == nil || !lis.HasTCP || lis.TCP.Has(TCPCwnd) || lis.TCP.Has(TCPSsthresh) || lis.TCP.SndCwnd != 0 {
			t.Errorf("listener without mss: %+v", lis)
		}
	}
	list, err := decodeDarwinPcblist(buf, ProtoTCP, &Options{}, darwinStatsDataFirst, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range list.Sockets {
		if s.Internals != nil {
			t.Errorf("socket %d without Info: %+v", i, s.Internals)
		}
	}
	udp, err := decodeDarwinPcblist(darwinMonterey.build(ProtoUDP, dwDefault(), dwUDP...), ProtoUDP, &Options{Info: true}, darwinStatsByClass, nil)
	if err != nil || len(udp.Sockets) != len(dwUDP) {
		t.Fatalf("udp: %d sockets, %v", len(udp.Sockets), err)
	}
	for i, s := range udp.Sockets {
		if in := s.Internals; in == nil || in.HasTCP || !in.HasMem || in.Mem.RcvBuf != 131072 {
			t.Errorf("udp %d: %+v", i, in)
		}
	}
}

// The release in kern.osrelease says what the traffic counters count:
// Darwin 24 is macOS 15 (xnu-11215), the first with SO_STATS_DATA.
func TestDarwinStatsSlotsOf(t *testing.T) {
	for release, want := range map[string]darwinStatsSlots{
		"24.1.0": darwinStatsDataFirst, "25.0.0": darwinStatsDataFirst, "23.6.0": darwinStatsByClass,
		"21.6.0": darwinStatsByClass, "14.5.0": darwinStatsByClass, "": darwinStatsDataFirst, "x.y": darwinStatsDataFirst,
	} {
		if got := darwinStatsSlotsOf(release); got != want {
			t.Errorf("%q: %d, want %d", release, got, want)
		}
	}
}
