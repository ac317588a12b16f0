package collector

import (
	"io"
	"net"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The decoder reads every field where the kernel's struct tcp_info has
// it: a unix.TCPInfo (x/sys's copy of the kernel's header) with a
// distinct value in each field decodes to the same values.
func TestDecodeTCPInfoLayout(t *testing.T) {
	var k unix.TCPInfo
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&k)), unsafe.Sizeof(k))
	for i := range raw {
		raw[i] = byte(i*7 + 1)
	}
	var got TCPInfo
	if !decodeTCPInfo(raw, &got) {
		t.Fatal("rejected a whole tcp_info")
	}
	for _, f := range []struct {
		name      string
		got, want uint64
	}{
		{"retransmits", uint64(got.Retransmits), uint64(k.Retransmits)},
		{"rto", uint64(got.RTO), uint64(k.Rto)},
		{"snd_mss", uint64(got.SndMSS), uint64(k.Snd_mss)},
		{"lost", uint64(got.Lost), uint64(k.Lost)},
		{"last_data_sent", uint64(got.LastDataSent), uint64(k.Last_data_sent)},
		{"last_data_recv", uint64(got.LastDataRecv), uint64(k.Last_data_recv)},
		{"rtt", uint64(got.RTT), uint64(k.Rtt)},
		{"rttvar", uint64(got.RTTVar), uint64(k.Rttvar)},
		{"snd_cwnd", uint64(got.SndCwnd), uint64(k.Snd_cwnd)},
		{"total_retrans", uint64(got.TotalRetrans), uint64(k.Total_retrans)},
		{"pacing_rate", got.PacingRate, k.Pacing_rate},
		{"bytes_acked", got.BytesAcked, k.Bytes_acked},
		{"bytes_received", got.BytesReceived, k.Bytes_received},
		{"segs_out", uint64(got.SegsOut), uint64(k.Segs_out)},
		{"segs_in", uint64(got.SegsIn), uint64(k.Segs_in)},
		{"delivery_rate", got.DeliveryRate, k.Delivery_rate},
		{"bytes_sent", got.BytesSent, k.Bytes_sent},
		{"bytes_retrans", got.BytesRetrans, k.Bytes_retrans},
		{"snd_ssthresh", uint64(got.SndSsthresh), uint64(k.Snd_ssthresh)},
		{"rcv_ooopack", uint64(got.RcvOOOPack), uint64(k.Rcv_ooopack)},
		{"snd_wnd", uint64(got.SndWnd), uint64(k.Snd_wnd)},
		{"rcv_wnd", uint64(got.RcvWnd), uint64(k.Rcv_wnd)},
	} {
		if f.got != f.want {
			t.Errorf("%s = %#x, want %#x", f.name, f.got, f.want)
		}
	}
	if !got.HasBytesSent() || int(got.Size) != len(raw) {
		t.Errorf("a whole tcp_info: size %d", got.Size)
	}
}

// A real connection on loopback moves a known number of bytes each way:
// the kernel's counters, read with -i's request, say at least that, with
// an rtt, a window, a congestion algorithm and memory; a UDP socket has
// memory and no tcp_info. Without Info no socket has internals.
func TestInternalsLoopback(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const up, down = 300_000, 70_000
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		io.CopyN(io.Discard, c, up)
		c.Write(make([]byte, down))
		accepted <- c
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Write(make([]byte, up)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, client, down); err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()

	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	collect := func(info bool, p Proto, port uint16) []Socket {
		return mustCollect(t, Options{Source: SourceNetlink, Info: info, Protos: []Proto{p}, Families: []Family{FamilyIPv4},
			Filter: Filter{States: AllStates, Port: port}})
	}
	socks := collect(true, ProtoTCP, port)
	clientAddr := addrPortOf(t, client.LocalAddr())
	var sawClient, sawServer bool
	for _, s := range socks {
		in := s.Internals
		if s.State == StateListen {
			if in == nil || !in.HasMem {
				t.Errorf("the listener has no memory info: %+v", in)
			}
			continue
		}
		if in == nil || !in.HasTCP || !in.HasMem || in.Cong == 0 {
			t.Fatalf("%v -> %v: internals %+v", s.Local, s.Remote, in)
		}
		ti := &in.TCP
		if ti.RTT == 0 || ti.SndCwnd == 0 || ti.SndMSS == 0 || !ti.HasBytesSent() || !ti.HasSegs() {
			t.Errorf("%v: rtt %d cwnd %d mss %d size %d", s.Local, ti.RTT, ti.SndCwnd, ti.SndMSS, ti.Size)
		}
		if s.Local == clientAddr {
			sawClient = true
			if ti.BytesAcked < up || ti.BytesSent < up || ti.BytesReceived < down {
				t.Errorf("client: acked %d, sent %d, received %d; want at least %d, %d, %d", ti.BytesAcked, ti.BytesSent, ti.BytesReceived, up, up, down)
			}
		} else {
			sawServer = true
			if ti.BytesReceived < up || ti.BytesAcked < down {
				t.Errorf("server: received %d, acked %d; want at least %d, %d", ti.BytesReceived, ti.BytesAcked, up, down)
			}
		}
	}
	if !sawClient || !sawServer {
		t.Fatalf("the connection's ends: client %v, server %v in %d sockets", sawClient, sawServer, len(socks))
	}
	// The socket's own TCP_INFO agrees on what cannot have moved since.
	raw, _ := client.(*net.TCPConn).SyscallConn()
	var own *unix.TCPInfo
	raw.Control(func(fd uintptr) { own, _ = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
	for _, s := range collect(true, ProtoTCP, port) {
		if s.Local == clientAddr && own != nil && (s.Internals.TCP.BytesAcked != own.Bytes_acked || s.Internals.TCP.SndMSS != own.Snd_mss) {
			t.Errorf("client: sock_diag acked %d mss %d, TCP_INFO %d %d", s.Internals.TCP.BytesAcked, s.Internals.TCP.SndMSS, own.Bytes_acked, own.Snd_mss)
		}
	}

	for _, s := range collect(true, ProtoUDP, uint16(udp.LocalAddr().(*net.UDPAddr).Port)) {
		if s.Internals == nil || !s.Internals.HasMem || s.Internals.HasTCP || s.Internals.Mem.RcvBuf == 0 {
			t.Errorf("UDP %v: internals %+v", s.Local, s.Internals)
		}
	}
	for _, s := range collect(false, ProtoTCP, port) {
		if s.Internals != nil {
			t.Errorf("without Info: %v has internals", s.Local)
		}
	}
}
