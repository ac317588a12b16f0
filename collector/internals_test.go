package collector

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unsafe"
)

// -i holds one Internals per socket until the table is sorted and
// printed: at 120k sockets every 8 bytes are another megabyte to fault in.
// The struct keeps the fields portwatch shows, without padding.
func TestInternalsStaySmall(t *testing.T) {
	if n := unsafe.Sizeof(TCPInfo{}); n > 120 {
		t.Errorf("TCPInfo is %d bytes, more than 120: a field nothing shows, or padding", n)
	}
	if n := unsafe.Sizeof(Internals{}); n > 160 {
		t.Errorf("Internals is %d bytes, more than 160", n)
	}
}

// attr is a netlink attribute of type typ holding val, padded.
func attr(typ uint16, val []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(nlattrHdrLen+len(val)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// An older kernel's shorter tcp_info gives what it has, and says which
// fields it lacks; one shorter than the oldest is none; a memory array of
// eight values has no drops; attributes it does not ask for are skipped,
// and a bad length ends the walk keeping what came before.
func TestDecodeInternalsLengths(t *testing.T) {
	info := make([]byte, 160)                      // a 4.2-4.9 kernel's
	binary.NativeEndian.PutUint32(info[68:], 1234) // rtt
	binary.NativeEndian.PutUint64(info[120:], 99)  // bytes_acked
	mem := make([]byte, 8*4)
	binary.NativeEndian.PutUint32(mem[4:], 65536) // rcvbuf
	attrs := append(attr(8, []byte{0}), attr(inetDiagInfo, info)...)
	attrs = append(attrs, attr(inetDiagCong, []byte("cubic\x00"))...)
	attrs = append(attrs, attr(inetDiagSkmeminfo, mem)...)
	in := decodeInternals(attrs)
	if in == nil || !in.HasTCP || in.TCP.RTT != 1234 || in.TCP.BytesAcked != 99 || in.Cong.String() != "cubic" || !in.HasMem || in.Mem.RcvBuf != 65536 || in.Mem.Count != 8 {
		t.Fatalf("got %+v", in)
	}
	ti := in.TCP
	if !ti.HasPacing() || !ti.HasBytes() || !ti.HasSegs() || ti.HasDeliveryRate() || ti.HasBytesSent() {
		t.Errorf("a 160-byte tcp_info: pacing %v bytes %v segs %v delivery %v sent %v", ti.HasPacing(), ti.HasBytes(), ti.HasSegs(), ti.HasDeliveryRate(), ti.HasBytesSent())
	}
	if in := decodeInternals(attr(inetDiagInfo, make([]byte, 100))); in != nil {
		t.Errorf("a tcp_info shorter than any kernel's: %+v", in)
	}
	if in := decodeInternals(attr(8, []byte{3})); in != nil {
		t.Errorf("only INET_DIAG_SHUTDOWN: %+v", in)
	}
	twice := append(attr(inetDiagInfo, info), attr(inetDiagInfo, make([]byte, 100))...)
	if in := decodeInternals(twice); in == nil || !in.HasTCP || in.TCP.RTT != 1234 || int(in.TCP.Size) != len(info) {
		t.Errorf("a whole tcp_info, then a short one: %+v", in)
	}
	cut := append(attr(inetDiagCong, []byte("bbr\x00")), 0xff, 0x7f, 7, 0)
	if in := decodeInternals(cut); in == nil || in.Cong.String() != "bbr" {
		t.Errorf("a bad length after the algorithm: %+v", in)
	}
}

func FuzzDecodeInternals(f *testing.F) {
	f.Add(append(attr(inetDiagInfo, make([]byte, 232)), attr(inetDiagSkmeminfo, make([]byte, 36))...))
	f.Add(attr(inetDiagInfo, make([]byte, 104)))
	f.Add(attr(inetDiagCong, []byte("cubic")))
	f.Add(append(attr(inetDiagInfo, make([]byte, 160)), attr(inetDiagInfo, make([]byte, 20))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := decodeInternals(b)
		if in == nil {
			return
		}
		if in.HasTCP && (int(in.TCP.Size) < tcpInfoEndTotalRetrans || int(in.TCP.Size) > len(b)) {
			t.Fatalf("tcp_info of %d bytes from %d", in.TCP.Size, len(b))
		}
		if in.HasMem && (in.Mem.Count < 8 || in.Mem.Count > 9) {
			t.Fatalf("%d memory values", in.Mem.Count)
		}
		if !in.TCP.HasBytes() && in.TCP.BytesAcked != 0 {
			t.Fatalf("bytes_acked %d past the kernel's %d bytes", in.TCP.BytesAcked, in.TCP.Size)
		}
	})
}

// Congestion names: the kernel's known without adding, a new one added
// once, and past 255 names every new one is "other".
func TestCongestionNames(t *testing.T) {
	if c := CongestionNamed("cubic"); c.String() != "cubic" || c == 0 || CongestionNamed("") != 0 || Congestion(0).String() != "" {
		t.Errorf("cubic: %d %q", c, c.String())
	}
	a, b := CongestionNamed("pwtest-algo"), CongestionNamed("pwtest-algo")
	if a != b || a.String() != "pwtest-algo" {
		t.Errorf("a new name: %d %d %q", a, b, a.String())
	}
	var last Congestion
	for i := range 300 {
		last = CongestionNamed(fmt.Sprintf("pwtest-%d", i))
	}
	if last != 255 || last.String() != "other" || CongestionNamed("pwtest-0").String() != "pwtest-0" {
		t.Errorf("past 255 names: %d %q", last, last.String())
	}
	if n := testing.AllocsPerRun(100, func() { congestionOf([]byte("bbr")) }); n != 0 {
		t.Errorf("a known name allocates %v times", n)
	}
}
