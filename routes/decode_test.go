package routes

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// attr builds a route attribute, padded to netlink's alignment.
func attr(typ uint16, val []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(rtattrLen+len(val)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// u32Attr builds a 32-bit attribute.
func u32Attr(typ uint16, v uint32) []byte {
	return attr(typ, binary.NativeEndian.AppendUint32(nil, v))
}

// addrAttr builds an address attribute.
func addrAttr(typ uint16, a string) []byte {
	return attr(typ, netip.MustParseAddr(a).AsSlice())
}

// header is a struct rtmsg.
type header struct {
	family, dstLen, srcLen, table, protocol, scope, typ uint8
	flags                                               uint32
}

// message builds a route message body: h, then attrs.
func message(h header, attrs ...[]byte) []byte {
	b := []byte{h.family, h.dstLen, h.srcLen, 0, h.table, h.protocol, h.scope, h.typ}
	b = binary.NativeEndian.AppendUint32(b, h.flags)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// hop builds a struct rtnexthop with its attributes.
func hop(flags, hops uint8, index uint32, attrs ...[]byte) []byte {
	var rest []byte
	for _, a := range attrs {
		rest = append(rest, a...)
	}
	b := binary.NativeEndian.AppendUint16(nil, uint16(rtnexthopLen+len(rest)))
	b = append(b, flags, hops)
	b = binary.NativeEndian.AppendUint32(b, index)
	return append(b, rest...)
}

// viaAttr builds RTA_VIA for an address of its own family.
func viaAttr(a string) []byte {
	ip := netip.MustParseAddr(a)
	fam := uint16(IPv4)
	if ip.Is6() {
		fam = uint16(IPv6)
	}
	return attr(rtaVia, append(binary.NativeEndian.AppendUint16(nil, fam), ip.AsSlice()...))
}

// sampleMessages are well-formed route messages, by name: the fuzz seeds
// and TestDecodeRoute's inputs.
func sampleMessages() map[string][]byte {
	multipath := append(hop(0, 0, 2, addrAttr(rtaGateway, "10.0.0.1")), hop(uint8(FlagOnlink), 4, 3, addrAttr(rtaGateway, "10.0.1.1"))...)
	return map[string][]byte{
		"default4": message(header{family: 2, table: 254, protocol: 16, typ: 1},
			u32Attr(rtaTable, 254), u32Attr(rtaPriority, 100), addrAttr(rtaGateway, "192.0.2.1"),
			u32Attr(rtaOIF, 2), addrAttr(rtaPrefSrc, "192.0.2.2")),
		"local4": message(header{family: 2, dstLen: 32, table: 255, protocol: 2, scope: 254, typ: 2},
			u32Attr(rtaTable, 255), addrAttr(rtaDst, "127.0.0.1"), addrAttr(rtaPrefSrc, "127.0.0.1"), u32Attr(rtaOIF, 1)),
		"bigtable6": message(header{family: 10, dstLen: 64, srcLen: 56, table: 252, protocol: 4, typ: 6, flags: 0x200},
			u32Attr(rtaTable, 1000), addrAttr(rtaDst, "2001:db8::"), addrAttr(rtaSrc, "2001:db8:1::"), u32Attr(rtaPriority, 1024)),
		"multipath4": message(header{family: 2, dstLen: 16, table: 254, protocol: 4, typ: 1},
			addrAttr(rtaDst, "10.98.0.0"), attr(rtaMultipath|0x8000, multipath)),
		"via4over6": message(header{family: 2, table: 254, protocol: 3, typ: 1},
			viaAttr("fe80::1"), u32Attr(rtaOIF, 7), attr(99, []byte("unknown attribute"))),
	}
}

func TestDecodeRoute(t *testing.T) {
	msgs := sampleMessages()
	want := map[string]Route{
		"default4": {Family: IPv4, Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.0.2.1"),
			Index: 2, Metric: 100, Table: TableMain, Protocol: 16, Type: 1, PrefSrc: netip.MustParseAddr("192.0.2.2")},
		"local4": {Family: IPv4, Dst: netip.MustParsePrefix("127.0.0.1/32"), Index: 1, Table: TableLocal,
			Protocol: 2, Scope: 254, Type: 2, PrefSrc: netip.MustParseAddr("127.0.0.1")},
		"bigtable6": {Family: IPv6, Dst: netip.MustParsePrefix("2001:db8::/64"), Src: netip.MustParsePrefix("2001:db8:1::/56"),
			Metric: 1024, Table: 1000, Protocol: 4, Type: 6, Flags: FlagCloned},
		"multipath4": {Family: IPv4, Dst: netip.MustParsePrefix("10.98.0.0/16"), Table: TableMain, Protocol: 4, Type: 1,
			Nexthops: []Nexthop{
				{Gateway: netip.MustParseAddr("10.0.0.1"), Index: 2, Weight: 1},
				{Gateway: netip.MustParseAddr("10.0.1.1"), Index: 3, Weight: 5, Flags: FlagOnlink},
			}},
		"via4over6": {Family: IPv4, Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("fe80::1"),
			Index: 7, Table: TableMain, Protocol: 3, Type: 1},
	}
	for name, body := range msgs {
		got, err := DecodeRoute(body)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want[name]) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want[name])
		}
	}
}

func TestDecodeRouteErrors(t *testing.T) {
	v4 := header{family: 2, dstLen: 24, table: 254, typ: 1}
	for _, tc := range []struct {
		name, want string
		body       []byte
	}{
		{"short", "shorter than struct rtmsg", []byte{2, 0, 0}},
		{"family", "family 7", message(header{family: 7})},
		{"no dst", "prefix length 24 without RTA_DST", message(v4)},
		{"dst length", "RTA_DST: 16 bytes, not an ipv4 address", message(v4, addrAttr(rtaDst, "2001:db8::"))},
		{"prefix too long", "prefix length 33", message(header{family: 2, dstLen: 33}, addrAttr(rtaDst, "10.0.0.0"))},
		{"gateway length", "RTA_GATEWAY: 3 bytes", message(v4, attr(rtaGateway, []byte{1, 2, 3}))},
		{"oif length", "RTA_OIF: 2 bytes, want 4", message(v4, attr(rtaOIF, []byte{1, 2}))},
		{"overrun", "attribute 5 at offset 0: length 200", append(message(v4), 200, 0, 5, 0, 1, 2, 3, 4)},
		{"trailing", "2 bytes after the attributes at offset 8", append(message(v4, addrAttr(rtaDst, "10.0.0.0")), 1, 2)},
		{"via family", "RTA_VIA: family 3", message(v4, attr(rtaVia, []byte{3, 0, 1, 2, 3, 4}))},
		{"via short", "RTA_VIA: shorter", message(v4, attr(rtaVia, []byte{2}))},
		{"hop short", "next hop 0: 4 bytes", message(v4, attr(rtaMultipath, []byte{1, 2, 3, 4}))},
		{"hop length", "next hop 1: length 4", message(v4, attr(rtaMultipath, append(hop(0, 0, 1), 4, 0, 0, 0, 0, 0, 0, 0)))},
		{"hop gateway", "next hop 0: RTA_GATEWAY: 16 bytes", message(v4, attr(rtaMultipath, hop(0, 0, 1, addrAttr(rtaGateway, "::1"))))},
	} {
		_, err := DecodeRoute(tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{TableMain.String(), "main"}, {TableLocal.String(), "local"}, {TableDefault.String(), "default"}, {Table(1000).String(), "1000"},
		{Protocol(2).String(), "kernel"}, {Protocol(16).String(), "dhcp"}, {Protocol(9).String(), "ra"}, {Protocol(77).String(), "77"},
		{Scope(0).String(), "universe"}, {Scope(253).String(), "link"}, {Scope(254).String(), "host"}, {Scope(100).String(), "100"},
		{Type(1).String(), "unicast"}, {Type(6).String(), "blackhole"}, {Type(7).String(), "unreachable"}, {Type(99).String(), "99"},
		{IPv4.String(), "ipv4"}, {IPv6.String(), "ipv6"}, {Family(28).String(), "28"},
		{(FlagOnlink | FlagLinkdown | 0x40000).String(), "onlink,linkdown,0x40000"}, {Flags(0).String(), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestParseTable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Table
		all  bool
	}{{"all", 0, true}, {"main", TableMain, false}, {"local", TableLocal, false}, {"default", TableDefault, false}, {"1000", 1000, false}, {"254", TableMain, false}} {
		got, all, err := ParseTable(tc.in)
		if err != nil || got != tc.want || all != tc.all {
			t.Errorf("ParseTable(%q) = %v, %v, %v; want %v, %v", tc.in, got, all, err, tc.want, tc.all)
		}
	}
	for _, bad := range []string{"", "nosuch", "0", "-1", "4294967296", "Main"} {
		if _, _, err := ParseTable(bad); err == nil {
			t.Errorf("ParseTable(%q): no error", bad)
		}
	}
}

func TestOptionsKeeps(t *testing.T) {
	main4 := Route{Family: IPv4, Table: TableMain}
	local6 := Route{Family: IPv6, Table: TableLocal}
	cloned := Route{Family: IPv6, Table: TableMain, Flags: FlagCloned}
	for _, tc := range []struct {
		opts Options
		want []bool // main4, local6, cloned
	}{
		{Options{}, []bool{true, false, false}},
		{Options{AllTables: true}, []bool{true, true, false}},
		{Options{Table: TableLocal}, []bool{false, true, false}},
		{Options{AllTables: true, Family: IPv4}, []bool{true, false, false}},
		{Options{AllTables: true, Family: IPv6}, []bool{false, true, false}},
	} {
		for i, r := range []Route{main4, local6, cloned} {
			if got := tc.opts.keeps(r); got != tc.want[i] {
				t.Errorf("%+v keeps route %d: %v, want %v", tc.opts, i, got, tc.want[i])
			}
		}
	}
}

// FuzzDecodeRoute: DecodeRoute never panics, and what it decodes is
// consistent: a valid destination of the route's family, next hops
// weighted from 1.
func FuzzDecodeRoute(f *testing.F) {
	for _, b := range sampleMessages() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRoute(b)
		if err != nil {
			return
		}
		if !r.Dst.IsValid() || (r.Dst.Addr().Is4() != (r.Family == IPv4)) {
			t.Fatalf("destination %v of a %v route", r.Dst, r.Family)
		}
		for _, h := range r.Nexthops {
			if h.Weight < 1 || h.Weight > 256 {
				t.Fatalf("next hop weight %d", h.Weight)
			}
		}
	})
}
