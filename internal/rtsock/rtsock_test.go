package rtsock_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/internal/rtsock"
	"github.com/portwatch/portwatch/internal/rtsock/rtsocktest"
)

func TestWalk(t *testing.T) {
	// Three messages: version 5, version 4 (skipped), version 5.
	msg := func(version, typ uint8, n int) []byte {
		m := make([]byte, n)
		rtsocktest.Put16(m, 0, uint16(n))
		m[2], m[3] = version, typ
		return m
	}
	b := append(append(msg(5, 1, 8), msg(4, 2, 12)...), msg(5, 3, 4)...)
	var got []int
	if err := rtsock.Walk(b, func(off int, typ uint8, m []byte) { got = append(got, off, int(typ), len(m)) }); err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 8, 20, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("messages %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"msglen 0", "offset 8: length 0, outside 4..8", append(msg(5, 1, 8), make([]byte, 8)...)},
		{"past the end", "offset 0: length 8, outside 4..6", msg(5, 1, 8)[:6]},
		{"short tail", "offset 4: 3 bytes left", append(msg(5, 1, 4), 1, 2, 3)},
	} {
		n := 0
		err := rtsock.Walk(tc.b, func(int, uint8, []byte) { n++ })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestParseAddrs: each sockaddr takes its sa_len rounded up to the
// dialect's boundary, one of sa_len 0 a whole boundary, and an sa_len past
// the end is an error naming the slot.
func TestParseAddrs(t *testing.T) {
	for _, os := range rtsocktest.Dialects() {
		in := rtsocktest.Inet(os, "192.0.2.1")
		mask := rtsocktest.Mask(false, 0, 0) // sa_len 0
		in6 := rtsocktest.Inet(os, "2001:db8::1")
		var addrs rtsock.Addrs
		addrs[rtsock.RTAXDst], addrs[rtsock.RTAXNetmask], addrs[rtsock.RTAXIfa] = in, mask, in6
		m := rtsocktest.Message(os, make([]byte, 12), 1, 4, addrs)
		got, err := os.ParseAddrs(m, 12, 1<<rtsock.RTAXDst|1<<rtsock.RTAXNetmask|1<<rtsock.RTAXIfa|1<<12)
		if err != nil {
			t.Fatalf("%v: %v", os, err)
		}
		if !bytes.Equal(got[rtsock.RTAXDst], in) || got[rtsock.RTAXNetmask] == nil || len(got[rtsock.RTAXNetmask]) != 0 ||
			!bytes.Equal(got[rtsock.RTAXIfa], in6) || got[rtsock.RTAXGateway] != nil {
			t.Errorf("%v: sockaddrs %x", os, got)
		}
		// The IPv6 sockaddr starts after 16 bytes of sockaddr_in and one
		// boundary for the empty mask.
		if off := 12 + 16 + os.Align(); !bytes.Equal(m[off:off+28], in6) {
			t.Errorf("%v: the fixture puts the sockaddr_in6 elsewhere than at %d", os, off)
		}
		short := m[:12+16+os.Align()+20]
		if _, err := os.ParseAddrs(short, 12, 1<<rtsock.RTAXDst|1<<rtsock.RTAXNetmask|1<<rtsock.RTAXIfa); err == nil ||
			!strings.Contains(err.Error(), "RTA_IFA at offset") || !strings.Contains(err.Error(), "sa_len 28, past the end") {
			t.Errorf("%v: a cut sockaddr: %v", os, err)
		}
		if _, err := os.ParseAddrs(m[:12], 12, 1<<rtsock.RTAXGateway); err == nil || !strings.Contains(err.Error(), "RTA_GATEWAY at offset 12: past the end") {
			t.Errorf("%v: a missing sockaddr: %v", os, err)
		}
	}
}

func TestSockaddrs(t *testing.T) {
	for _, os := range rtsocktest.Dialects() {
		// macOS's embedded scope and FreeBSD's sin6_scope_id both come
		// out as the plain link-local address.
		if a, ok := os.IP(rtsocktest.Inet6Scoped(os, "fe80::1", 4)); !ok || a.String() != "fe80::1" {
			t.Errorf("%v: link-local %v %v", os, a, ok)
		}
		if a, ok := os.IP(rtsocktest.Inet6Scoped(os, "ff02::fb", 4)); !ok || a.String() != "ff02::fb" {
			t.Errorf("%v: link-local multicast %v %v", os, a, ok)
		}
		if a, ok := os.IP(rtsocktest.Inet(os, "2001:db8:7::1")); !ok || a.String() != "2001:db8:7::1" {
			t.Errorf("%v: global %v %v", os, a, ok)
		}
		if a, ok := os.IP([]byte{5, rtsock.AFInet, 0, 0, 10}); !ok || a.String() != "10.0.0.0" {
			t.Errorf("%v: a cut sockaddr_in: %v %v", os, a, ok)
		}
		if _, ok := os.IP(rtsocktest.Link(1, 6, "en0", nil)); ok {
			t.Errorf("%v: a sockaddr_dl decoded as an address", os)
		}
	}
	for _, tc := range []struct {
		v6         bool
		bits       int
		fam        uint8
		wantSaLen  int
		wantDecode int
	}{{false, 24, 0, 7, 24}, {false, 0, 0, 0, 0}, {false, 32, 0xff, 8, 32}, {false, 25, rtsock.AFInet, 8, 25},
		{true, 64, 0xff, 16, 64}, {true, 128, 0, 24, 128}, {true, 10, 0, 10, 10}} {
		sa := rtsocktest.Mask(tc.v6, tc.bits, tc.fam)
		if int(sa[0]) != tc.wantSaLen {
			t.Errorf("mask /%d: the fixture's sa_len %d, want %d", tc.bits, sa[0], tc.wantSaLen)
		}
		if got := rtsock.MaskBits(sa[:sa[0]], tc.v6); got != tc.wantDecode {
			t.Errorf("mask /%d (v6 %v): %d bits", tc.bits, tc.v6, got)
		}
	}
	if got := rtsock.MaskBits([]byte{8, 2, 0, 0, 0xff, 0x00, 0xff, 0}, false); got != 8 {
		t.Errorf("a non-contiguous mask: %d bits, want its leading 8", got)
	}
	l, ok := rtsock.ParseLink(rtsocktest.Link(7, 6, "em0", []byte{2, 0, 0, 0, 0, 9}))
	if !ok || l.Index != 7 || l.Name != "em0" || !bytes.Equal(l.Addr, []byte{2, 0, 0, 0, 0, 9}) {
		t.Errorf("sockaddr_dl: %+v %v", l, ok)
	}
	if l, ok := rtsock.ParseLink(rtsocktest.Link(3, 24, "lo0", nil)); !ok || l.Addr != nil || l.Name != "lo0" {
		t.Errorf("sockaddr_dl without address: %+v %v", l, ok)
	}
	bad := rtsocktest.Link(1, 6, "en0", nil)
	bad[5] = 200 // sdl_nlen past sdl_len
	if _, ok := rtsock.ParseLink(bad); ok {
		t.Error("a sockaddr_dl whose name runs past its end decoded")
	}
	if _, ok := rtsock.ParseLink([]byte{4, rtsock.AFLink, 1, 0}); ok {
		t.Error("a sockaddr_dl shorter than its header decoded")
	}
}
