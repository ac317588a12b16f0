package collector

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// The request names the socket by its family, ports, addresses and
// cookie, in any state; the answer is the NLMSG_ERROR of its sequence.
func TestDestroyRequest(t *testing.T) {
	s := Socket{Proto: ProtoTCP, Family: FamilyIPv6, Local: netip.MustParseAddrPort("[::1]:40000"), Remote: netip.MustParseAddrPort("[::1]:8080"),
		Cookie: 0x1122334455667788}
	b, err := appendDestroyRequest(nil, &s, 7)
	ne := binary.NativeEndian
	if err != nil || len(b) != sockDiagRequestLen || int(ne.Uint32(b)) != len(b) || ne.Uint16(b[4:]) != sockDestroy ||
		ne.Uint16(b[6:]) != nlmFRequest|nlmFAck || ne.Uint32(b[8:]) != 7 {
		t.Fatalf("header % x, %v", b[:min(16, len(b))], err)
	}
	body := b[nlmsgHdrLen:]
	if body[0] != afInet6 || body[1] != ipprotoTCP || ne.Uint32(body[4:]) != ^uint32(0) ||
		binary.BigEndian.Uint16(body[8:]) != 40000 || binary.BigEndian.Uint16(body[10:]) != 8080 ||
		netip.AddrFrom16([16]byte(body[12:28])) != s.Local.Addr() || ne.Uint32(body[48:]) != 0x55667788 || ne.Uint32(body[52:]) != 0x11223344 {
		t.Errorf("body % x", body)
	}
	if _, err := appendDestroyRequest(nil, &Socket{Proto: ProtoUDP, Cookie: 1}, 1); err == nil {
		t.Error("a UDP socket: no error")
	}
	if _, err := appendDestroyRequest(nil, &Socket{Proto: ProtoTCP}, 1); err == nil {
		t.Error("a socket without its cookie: no error")
	}
	for _, c := range []struct {
		buf   []byte
		done  bool
		errno int32
	}{
		{nlMessage(nlmsgError, 0, 7, errnoPayload(0)), true, 0},
		{nlMessage(nlmsgError, 0, 7, errnoPayload(-1)), true, 1},
		{append(nlMessage(nlmsgError, 0, 6, errnoPayload(-2)), nlMessage(nlmsgError, 0, 7, errnoPayload(-95))...), true, 95},
		{nlMessage(nlmsgError, 0, 6, errnoPayload(0)), false, 0},
	} {
		done, errno, err := parseDestroyAck(c.buf, 7)
		if err != nil || done != c.done || errno != c.errno {
			t.Errorf("parseDestroyAck(% x) = %v, %d, %v; want %v, %d", c.buf, done, errno, err, c.done, c.errno)
		}
	}
	if _, _, err := parseDestroyAck([]byte{200, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}, 7); err == nil {
		t.Error("a bad length: no error")
	}
}

func FuzzParseDestroyAck(f *testing.F) {
	f.Add(nlMessage(nlmsgError, 0, 7, errnoPayload(-1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseDestroyAck(b, 7)
	})
}
