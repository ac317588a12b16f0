package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/collector"
)

// internalsSnapshot has a connection with a whole tcp_info, one from an
// old kernel (4.1's 136 bytes: no segments, delivery rate or bytes sent)
// with a hostile algorithm name, and a UDP socket with memory alone.
func internalsSnapshot() *collector.Snapshot {
	full := collector.TCPInfo{RTT: 52, RTTVar: 26, SndCwnd: 10, SndMSS: 32768, BytesSent: 300000, BytesAcked: 300001,
		BytesReceived: 70000, SegsIn: 12, SegsOut: 20, Retransmits: 1, TotalRetrans: 3, Lost: 2,
		DeliveryRate: 150_000_000, PacingRate: 300_000_000, LastDataSent: 4, LastDataRecv: 5, Size: 236,
		RTO: 204000, SndSsthresh: 0x7fffffff, SndWnd: 65483, RcvWnd: 65536}
	old := collector.TCPInfo{RTT: 1500, RTTVar: 750, SndCwnd: 7, SndMSS: 1448, BytesAcked: 9, BytesReceived: 8,
		PacingRate: ^uint64(0), Size: 136}
	mem := collector.MemInfo{RcvBuf: 131072, SndBuf: 16384, WmemQueued: 5, Drops: 1, Count: 9}
	sock := func(p collector.Proto, local, remote string, st collector.State, in *collector.Internals) collector.Socket {
		return collector.Socket{Proto: p, Family: collector.FamilyIPv4, Local: netip.MustParseAddrPort(local),
			Remote: netip.MustParseAddrPort(remote), State: st, UID: -1, Internals: in}
	}
	return &collector.Snapshot{Sockets: []collector.Socket{
		sock(collector.ProtoTCP, "127.0.0.1:40000", "127.0.0.1:8080", collector.StateEstablished,
			&collector.Internals{TCP: full, HasTCP: true, Cong: collector.CongestionNamed("cubic"), Mem: mem, HasMem: true}),
		sock(collector.ProtoTCP, "127.0.0.1:40001", "127.0.0.1:8080", collector.StateEstablished,
			&collector.Internals{TCP: old, HasTCP: true, Cong: collector.CongestionNamed("evil\x1b[2J")}),
		sock(collector.ProtoUDP, "127.0.0.1:53", "0.0.0.0:0", collector.StateClose,
			&collector.Internals{Mem: mem, HasMem: true}),
		sock(collector.ProtoTCP, "127.0.0.1:8080", "0.0.0.0:0", collector.StateListen, nil),
	}}
}

// The table gives each socket with internals a second line; JSON gives
// tcp_info with the fields the kernel sent and mem.
func TestInternals(t *testing.T) {
	snap := internalsSnapshot()
	var buf bytes.Buffer
	if err := Table(&buf, snap, Options{Numeric: true}); err != nil {
		t.Fatal(err)
	}
	checkTerminalSafe(t, buf.Bytes())
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{
		"  cubic rtt:0.052/0.026ms cwnd:10 mss:32768 sent:300000 acked:300001 rcvd:70000 segs:12/20 retrans:1/3 lost:2 delivery:1.2Gbps pacing:2.4Gbps lastsnd:4ms lastrcv:5ms mem r:0/131072 w:0/16384 f:0 q:5 d:1",
		"  evil\\x1b[2J rtt:1.500/0.750ms cwnd:7 mss:1448 acked:9 rcvd:8 retrans:0/0 lost:0 lastsnd:0ms lastrcv:0ms",
		"  mem r:0/131072 w:0/16384 f:0 q:5 d:1",
	}
	if len(lines) != 8 || lines[2] != want[0] || lines[4] != want[1] || lines[6] != want[2] {
		t.Errorf("table:\n%s\nwant the second lines\n%s", buf.String(), strings.Join(want, "\n"))
	}

	doc := internalsJSON(t, snap)
	s := doc.Sockets
	if len(s) != 4 || s[0].TCPInfo["bytes_acked"] != 300001.0 || s[0].TCPInfo["rtt_us"] != 52.0 || s[0].TCPInfo["cong"] != "cubic" ||
		s[0].TCPInfo["pacing_rate"] != 3e8 || s[0].Mem["tx_queued"] != 5.0 || s[0].Mem["drops"] != 1.0 ||
		s[0].TCPInfo["rto_us"] != 204000.0 || s[0].TCPInfo["snd_wnd"] != 65483.0 || s[0].TCPInfo["rcv_wnd"] != 65536.0 {
		t.Errorf("the whole tcp_info: %v %v", s[0].TCPInfo, s[0].Mem)
	}
	if _, ok := s[0].TCPInfo["ssthresh"]; ok {
		t.Errorf("Linux's infinite ssthresh shown: %v", s[0].TCPInfo)
	}
	for _, absent := range []string{"bytes_sent", "segs_in", "delivery_rate", "pacing_rate", "snd_wnd"} {
		if _, ok := s[1].TCPInfo[absent]; ok {
			t.Errorf("an old kernel's tcp_info has %s: %v", absent, s[1].TCPInfo)
		}
	}
	if s[1].TCPInfo["cong"] != "evil\x1b[2J" || s[1].Mem != nil {
		t.Errorf("an old kernel's: %v, mem %v", s[1].TCPInfo, s[1].Mem)
	}
	if s[2].TCPInfo != nil || s[2].Mem["rcvbuf"] != 131072.0 || s[3].TCPInfo != nil || s[3].Mem != nil {
		t.Errorf("UDP %v %v; listener without internals %v %v", s[2].TCPInfo, s[2].Mem, s[3].TCPInfo, s[3].Mem)
	}
}

// A BSD's internals show the fields it reports and no others: nothing is
// shown as 0 because the system does not count it, and a pair's missing
// half is "-".
func TestInternalsBSD(t *testing.T) {
	freebsd := collector.TCPInfo{SndMSS: 1448, SndCwnd: 10, SndSsthresh: 44, TotalRetrans: 7, RcvOOOPack: 3, LastAckRecv: 1500,
		SndWnd: 65536, RcvWnd: 65700, Fields: collector.TCPMSS | collector.TCPCwnd | collector.TCPSsthresh |
			collector.TCPTotalRetrans | collector.TCPRcvOOOPack | collector.TCPLastAck | collector.TCPWindows}
	darwin := collector.TCPInfo{RTT: 25000, RTTVar: 12500, RTO: 230000, Retransmits: 2, SndMSS: 1448, SndCwnd: 10,
		BytesSent: 120000, BytesReceived: 9000, Fields: collector.TCPRTT | collector.TCPRTO | collector.TCPRetransmits |
			collector.TCPMSS | collector.TCPCwnd | collector.TCPBytesSent | collector.TCPBytesReceived}
	mem := collector.MemInfo{RmemAlloc: 2304, RcvBuf: 65536, SndBuf: 32768, WmemQueued: 9000,
		Fields: collector.MemRmemAlloc | collector.MemRcvBuf | collector.MemSndBuf | collector.MemWmemQueued}
	sock := func(port uint16, in *collector.Internals) collector.Socket {
		return collector.Socket{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4,
			Local: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.5"), port), Remote: netip.MustParseAddrPort("10.0.0.9:443"),
			State: collector.StateEstablished, UID: -1, Internals: in}
	}
	snap := &collector.Snapshot{Sockets: []collector.Socket{
		sock(40000, &collector.Internals{TCP: freebsd, HasTCP: true, Cong: collector.CongestionNamed("newreno"), Mem: mem, HasMem: true}),
		sock(40001, &collector.Internals{TCP: darwin, HasTCP: true, Mem: mem, HasMem: true}),
	}}
	var buf bytes.Buffer
	if err := Table(&buf, snap, Options{Numeric: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{
		"  newreno cwnd:10 mss:1448 retrans:-/7 lastack:1500ms mem r:2304/65536 w:-/32768 q:9000",
		"  rtt:25.000/12.500ms cwnd:10 mss:1448 sent:120000 rcvd:9000 retrans:2/- mem r:2304/65536 w:-/32768 q:9000",
	}
	if len(lines) != 5 || lines[2] != want[0] || lines[4] != want[1] {
		t.Errorf("table:\n%s\nwant the second lines\n%s", buf.String(), strings.Join(want, "\n"))
	}

	doc := internalsJSON(t, snap)
	if len(doc.Sockets) != 2 {
		t.Fatalf("%d sockets", len(doc.Sockets))
	}
	fb, dw := doc.Sockets[0], doc.Sockets[1]
	if fb.TCPInfo["cwnd"] != 10.0 || fb.TCPInfo["total_retrans"] != 7.0 || fb.TCPInfo["last_ack_ms"] != 1500.0 || fb.TCPInfo["cong"] != "newreno" ||
		fb.TCPInfo["ssthresh"] != 44.0 || fb.TCPInfo["snd_wnd"] != 65536.0 || fb.TCPInfo["rcv_wnd"] != 65700.0 {
		t.Errorf("freebsd tcp_info %v", fb.TCPInfo)
	}
	for _, absent := range []string{"rtt_us", "rttvar_us", "rto_us", "retrans", "lost", "bytes_acked", "bytes_sent", "last_send_ms", "last_recv_ms"} {
		if _, ok := fb.TCPInfo[absent]; ok {
			t.Errorf("freebsd tcp_info has %s: %v", absent, fb.TCPInfo)
		}
	}
	if dw.TCPInfo["rtt_us"] != 25000.0 || dw.TCPInfo["bytes_sent"] != 120000.0 || dw.TCPInfo["bytes_received"] != 9000.0 || dw.TCPInfo["retrans"] != 2.0 ||
		dw.TCPInfo["rto_us"] != 230000.0 {
		t.Errorf("darwin tcp_info %v", dw.TCPInfo)
	}
	for _, absent := range []string{"total_retrans", "lost", "bytes_acked", "bytes_retrans", "last_send_ms", "last_ack_ms", "segs_in", "ssthresh", "snd_wnd"} {
		if _, ok := dw.TCPInfo[absent]; ok {
			t.Errorf("darwin tcp_info has %s: %v", absent, dw.TCPInfo)
		}
	}
	for _, m := range []map[string]any{fb.Mem, dw.Mem} {
		if m["rmem"] != 2304.0 || m["sndbuf"] != 32768.0 || m["tx_queued"] != 9000.0 {
			t.Errorf("mem %v", m)
		}
		for _, absent := range []string{"wmem", "fwd", "drops"} {
			if _, ok := m[absent]; ok {
				t.Errorf("mem has %s: %v", absent, m)
			}
		}
	}
}

// internalsDoc is the internals part of a snapshot's JSON.
type internalsDoc struct {
	Sockets []struct {
		TCPInfo map[string]any `json:"tcp_info"`
		Mem     map[string]any `json:"mem"`
	} `json:"sockets"`
}

// internalsJSON writes snap as JSON and reads its sockets' internals back.
func internalsJSON(t *testing.T, snap *collector.Snapshot) internalsDoc {
	t.Helper()
	var buf bytes.Buffer
	if err := JSON(&buf, snap, Options{}); err != nil {
		t.Fatal(err)
	}
	var doc internalsDoc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	return doc
}
