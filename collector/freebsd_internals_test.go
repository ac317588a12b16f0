package collector

import (
	"testing"
)

// fbsdInternalsFixture are TCP records with known tcpcb counters and
// buffers at the offsets of FreeBSD 13/14's xtcpcb and xsocket.
func fbsdInternalsFixture() []fbsdPcbSpec {
	return []fbsdPcbSpec{
		// An established connection with FreeBSD's default algorithm.
		{vflag: 1, local: fbsdAP("10.0.0.5:22"), remote: fbsdAP("10.0.0.9:50001"), tstate: 4, socket: true, so: fbsdSoPsql, uid: 1001,
			rcvCC: 10, sndCC: 2000, memSet: true, rcvHiwat: 65536, rcvMbcnt: 2304, sndHiwat: 32768, sndMbcnt: 9000,
			tcb: fbsdTcbSpec{cc: "newreno", sndRexmitPack: 7, rcvOOO: 3, rcvTime: 1500, cwnd: 14480 + 700,
				ssthresh: 1073725440, maxseg: 1448, rcvWnd: 65700, sndWnd: 131072}},
		// A listener: a tcpcb, but no buffers; an algorithm of a
		// loadable module, with a name of all 16 bytes.
		{vflag: 1, local: fbsdAP("0.0.0.0:80"), remote: fbsdAP("0.0.0.0:0"), tstate: 1, socket: true, so: fbsdSoNginx, qlimit: 511,
			tcb: fbsdTcbSpec{cc: "pwtest-fbsd-cc16", maxseg: 536, cwnd: 536, ssthresh: 5360}},
		// A syncache entry and FreeBSD 13's TIME_WAIT: no tcpcb, no
		// socket.
		{vflag: 2, local: fbsdAP("[2001:db8::1]:8080"), remote: fbsdAP("[2001:db8::99]:60000"), tstate: 3, syncache: true},
		{vflag: 1, local: fbsdAP("192.0.2.10:443"), remote: fbsdAP("198.51.100.7:51000"), tstate: 10},
	}
}

// With info, a connection's xtcpcb counters become TCPInfo in Linux's
// units (cwnd and ssthresh in segments), with only the fields FreeBSD
// has; the buffers become MemInfo; records without a tcpcb or socket have
// none; without info no socket has internals.
func TestDecodeFreeBSDInternals(t *testing.T) {
	buf := fbsdPcblist(3, 3, fbsdRecords(fbsdInternalsFixture(), ProtoTCP)...)
	l, err := decodeFreeBSDPcblist(buf, ProtoTCP, true, nil)
	if err != nil || len(l.pcbs) != 4 {
		t.Fatalf("%d pcbs, %v", len(l.pcbs), err)
	}
	conn := l.pcbs[0].Internals
	if conn == nil || !conn.HasTCP || !conn.HasMem {
		t.Fatalf("connection: %+v", conn)
	}
	want := TCPInfo{SndMSS: 1448, SndCwnd: 10, SndSsthresh: 741523, TotalRetrans: 7, RcvOOOPack: 3, LastAckRecv: 1500,
		SndWnd: 131072, RcvWnd: 65700, Fields: TCPMSS | TCPCwnd | TCPSsthresh | TCPTotalRetrans | TCPRcvOOOPack | TCPLastAck | TCPWindows}
	if conn.TCP != want {
		t.Errorf("connection's tcp:\n%+v\nwant\n%+v", conn.TCP, want)
	}
	if conn.Cong.String() != "newreno" {
		t.Errorf("algorithm %q", conn.Cong.String())
	}
	for _, absent := range []TCPFields{TCPRTT, TCPRTO, TCPRetransmits, TCPLost, TCPLastData, TCPBytesAcked, TCPBytesReceived, TCPBytesSent, TCPSegs, TCPPacing, TCPDeliveryRate} {
		if conn.TCP.Has(absent) {
			t.Errorf("FreeBSD claims field %#x", absent)
		}
	}
	wantMem := MemInfo{RmemAlloc: 2304, RcvBuf: 65536, SndBuf: 32768, WmemQueued: 9000, Fields: MemRmemAlloc | MemRcvBuf | MemSndBuf | MemWmemQueued}
	if conn.Mem != wantMem || conn.Mem.Has(MemDrops) || conn.Mem.Has(MemWmemAlloc) || conn.Mem.Has(MemFwdAlloc) {
		t.Errorf("connection's memory %+v, want %+v", conn.Mem, wantMem)
	}
	lis := l.pcbs[1].Internals
	if lis == nil || !lis.HasTCP || lis.HasMem || lis.TCP.SndCwnd != 1 || lis.TCP.SndSsthresh != 10 || lis.Cong.String() != "pwtest-fbsd-cc16" {
		t.Errorf("listener: %+v", lis)
	}
	if l.pcbs[2].Internals != nil || l.pcbs[3].Internals != nil {
		t.Errorf("syncache entry %+v, TIME_WAIT %+v", l.pcbs[2].Internals, l.pcbs[3].Internals)
	}

	off, err := decodeFreeBSDPcblist(buf, ProtoTCP, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range off.pcbs {
		if off.pcbs[i].Internals != nil {
			t.Errorf("pcb %d without info: %+v", i, off.pcbs[i].Internals)
		}
	}
}

// UDP sockets have memory alone; a known algorithm costs no allocation.
func TestDecodeFreeBSDInternalsUDP(t *testing.T) {
	specs := fbsdUDPFixture()
	specs[1].memSet = true
	specs[1].rcvMbcnt, specs[1].rcvHiwat, specs[1].sndHiwat, specs[1].sndMbcnt = 768, 42080, 65536, 4096
	l, err := decodeFreeBSDPcblist(fbsdPcblist(7, 7, fbsdRecords(specs, ProtoUDP)...), ProtoUDP, true, nil)
	if err != nil || len(l.pcbs) != 3 {
		t.Fatalf("%d pcbs, %v", len(l.pcbs), err)
	}
	for i := range l.pcbs {
		in := l.pcbs[i].Internals
		if in == nil || in.HasTCP || !in.HasMem || in.Cong != 0 {
			t.Errorf("udp %d: %+v", i, in)
		}
	}
	if m := l.pcbs[1].Internals.Mem; m.RmemAlloc != 768 || m.RcvBuf != 42080 || m.SndBuf != 65536 || m.WmemQueued != 4096 {
		t.Errorf("resolver's memory %+v", m)
	}
	rec := fbsdInternalsFixture()[0].xtcpcb()
	var in Internals
	if n := testing.AllocsPerRun(100, func() { decodeFreeBSDTCP(rec, &in) }); n != 0 {
		t.Errorf("decoding a newreno tcpcb allocates %v times", n)
	}
}
