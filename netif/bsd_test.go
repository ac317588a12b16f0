package netif

import (
	"errors"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/internal/rtsock"
	rt "github.com/portwatch/portwatch/internal/rtsock/rtsocktest"
)

// u64Align is a 64-bit member's alignment on os: 4 on i386, which stands
// for 32-bit FreeBSD here (32-bit ARM aligns to 8, with the same sizes).
func u64Align(os rtsock.OS) int {
	if os == rtsock.FreeBSD32 {
		return 4
	}
	return 8
}

// ifCounters are if_data's ten counters from ifi_ipackets on, in order.
var ifCounters = []string{"ifi_ipackets", "ifi_ierrors", "ifi_opackets", "ifi_oerrors", "ifi_collisions",
	"ifi_ibytes", "ifi_obytes", "ifi_imcasts", "ifi_omcasts", "ifi_iqdrops"}

// ifMsghdrLayout lays out os's interface message header member by member
// from its declaration: macOS's struct if_msghdr2 with struct if_data64
// (xnu bsd/net/if.h, bsd/net/if_var.h, where if_data64 is under
// #pragma pack(4)), FreeBSD's struct if_msghdr with struct if_data
// (sys/net/if.h, FreeBSD 11 and later). The if_data members are named as
// in C, at their offsets in the whole header.
func ifMsghdrLayout(os rtsock.OS) (off map[string]int, size int) {
	var data map[string]int
	var dataSize, dataAlign int
	counters := func(a int) []rt.Field {
		var fs []rt.Field
		for _, n := range ifCounters {
			fs = append(fs, rt.U64(n, a))
		}
		return fs
	}
	if os == rtsock.Darwin {
		fs := []rt.Field{rt.U8("ifi_type"), rt.U8("ifi_typelen"), rt.U8("ifi_physical"), rt.U8("ifi_addrlen"),
			rt.U8("ifi_hdrlen"), rt.U8("ifi_recvquota"), rt.U8("ifi_xmitquota"), rt.U8("ifi_unused1"),
			rt.U32("ifi_mtu"), rt.U32("ifi_metric"), rt.U64("ifi_baudrate", 8)}
		fs = append(fs, counters(8)...)
		fs = append(fs, rt.U64("ifi_noproto", 8), rt.U32("ifi_recvtiming"), rt.U32("ifi_xmittiming"),
			rt.Field{Name: "ifi_lastchange", Size: 8, Align: 4}) // struct timeval32
		data, dataSize, dataAlign = rt.Struct(4, fs...)
		off, size, _ = rt.Struct(0, rt.U16("ifm_msglen"), rt.U8("ifm_version"), rt.U8("ifm_type"), rt.U32("ifm_addrs"),
			rt.U32("ifm_flags"), rt.U16("ifm_index"), rt.U32("ifm_snd_len"), rt.U32("ifm_snd_maxlen"),
			rt.U32("ifm_snd_drops"), rt.U32("ifm_timer"), rt.Field{Name: "ifm_data", Size: dataSize, Align: dataAlign})
	} else {
		a := u64Align(os)
		fs := []rt.Field{rt.U8("ifi_type"), rt.U8("ifi_physical"), rt.U8("ifi_addrlen"), rt.U8("ifi_hdrlen"),
			rt.U8("ifi_link_state"), rt.U8("ifi_vhid"), rt.U16("ifi_datalen"), rt.U32("ifi_mtu"), rt.U32("ifi_metric"),
			rt.U64("ifi_baudrate", a)}
		fs = append(fs, counters(a)...)
		fs = append(fs, rt.U64("ifi_oqdrops", a), rt.U64("ifi_noproto", a), rt.U64("ifi_hwassist", a),
			rt.Field{Name: "__ifi_epoch", Size: 8, Align: a}, rt.Field{Name: "__ifi_lastchange", Size: 16, Align: a})
		data, dataSize, dataAlign = rt.Struct(0, fs...)
		off, size, _ = rt.Struct(0, rt.U16("ifm_msglen"), rt.U8("ifm_version"), rt.U8("ifm_type"), rt.U32("ifm_addrs"),
			rt.U32("ifm_flags"), rt.U16("ifm_index"), rt.U16("_ifm_spare1"),
			rt.Field{Name: "ifm_data", Size: dataSize, Align: dataAlign})
	}
	for n, o := range data {
		off[n] = off["ifm_data"] + o
	}
	off["data size"] = dataSize
	return off, size
}

// ifaMsghdrLayout is struct ifa_msghdr's layout: the same on both
// systems but for FreeBSD's explicit spare member where macOS pads.
func ifaMsghdrLayout(os rtsock.OS) (off map[string]int, size int) {
	fs := []rt.Field{rt.U16("ifam_msglen"), rt.U8("ifam_version"), rt.U8("ifam_type"), rt.U32("ifam_addrs"),
		rt.U32("ifam_flags"), rt.U16("ifam_index")}
	if os != rtsock.Darwin {
		fs = append(fs, rt.U16("_ifam_spare1"))
	}
	off, size, _ = rt.Struct(0, append(fs, rt.U32("ifam_metric"))...)
	return off, size
}

// TestBSDHeaderLayouts pins the header sizes and the offsets the decoder
// reads against the layouts derived from the headers' declarations:
// if_msghdr2 160 (if_data64 128) on macOS, as x/sys/unix's
// SizeofIfMsghdr2 0xa0 and SizeofIfData64 0x80 have them; if_msghdr 168
// (if_data 152) on FreeBSD, 64- and 32-bit (SizeofIfMsghdr 0xa8,
// SizeofIfData 0x98 on freebsd/amd64); ifa_msghdr 20 on both.
func TestBSDHeaderLayouts(t *testing.T) {
	for _, tc := range []struct {
		os                 rtsock.OS
		size, data, txDrop int
	}{{rtsock.Darwin, 160, 128, 24}, {rtsock.FreeBSD, 168, 152, 16 + 104}, {rtsock.FreeBSD32, 168, 152, 16 + 104}} {
		off, size := ifMsghdrLayout(tc.os)
		l := ifLayoutOf(tc.os)
		if size != tc.size || off["data size"] != tc.data || l.size != size {
			t.Errorf("%v: header %d bytes (if_data %d), decoder %d; want %d (%d)", tc.os, size, off["data size"], l.size, tc.size, tc.data)
		}
		drops := off["ifi_oqdrops"]
		if tc.os == rtsock.Darwin {
			drops = off["ifm_snd_drops"]
		}
		if l.mtu != off["ifi_mtu"] || l.counters != off["ifi_ipackets"] || l.linkState != off["ifi_link_state"] ||
			l.txDrops != drops || drops != tc.txDrop {
			t.Errorf("%v: decoder %+v, header offsets %v", tc.os, l, off)
		}
		for i, n := range ifCounters {
			if off[n] != l.counters+8*i {
				t.Errorf("%v: %s at %d, not %d", tc.os, n, off[n], l.counters+8*i)
			}
		}
		aoff, asize := ifaMsghdrLayout(tc.os)
		if asize != ifaMsghdrLen || aoff["ifam_addrs"] != 4 || aoff["ifam_index"] != 12 {
			t.Errorf("%v: ifa_msghdr %d bytes, %v", tc.os, asize, aoff)
		}
	}
}

// ifFixture is what an interface message says.
type ifFixture struct {
	index     uint16
	name      string
	sdlType   uint8 // IFT_ETHER 6, IFT_LOOP 24
	mac       []byte
	flags     uint32
	mtu       uint32
	linkState uint8      // FreeBSD's ifi_link_state
	counters  [10]uint64 // in ifCounters' order
	txDrops   uint64
}

// ifInfo builds os's RTM_IFINFO2 (macOS) or RTM_IFINFO (FreeBSD) message
// for f, each value at its member's offset in the header's layout.
func ifInfo(os rtsock.OS, f ifFixture) []byte {
	off, size := ifMsghdrLayout(os)
	h := make([]byte, size)
	rt.Put32(h, off["ifm_flags"], f.flags)
	rt.Put16(h, off["ifm_index"], f.index)
	rt.Put32(h, off["ifi_mtu"], f.mtu)
	for i, n := range ifCounters {
		rt.Put64(h, off[n], f.counters[i])
	}
	typ := uint8(rtsock.RTMIfInfo)
	if os == rtsock.Darwin {
		rt.Put32(h, off["ifm_snd_drops"], uint32(f.txDrops))
		typ = rtsock.RTMIfInfo2
	} else {
		h[off["ifi_link_state"]] = f.linkState
		rt.Put64(h, off["ifi_oqdrops"], f.txDrops)
	}
	var addrs rtsock.Addrs
	if f.name != "" {
		addrs[rtsock.RTAXIfp] = rt.Link(f.index, f.sdlType, f.name, f.mac)
	}
	return rt.Message(os, h, typ, off["ifm_addrs"], addrs)
}

// ifAddr builds an RTM_NEWADDR message: struct ifa_msghdr for index, then
// RTA_NETMASK, RTA_IFA and RTA_BRD where given.
func ifAddr(os rtsock.OS, index uint16, ifa, mask, brd []byte) []byte {
	off, size := ifaMsghdrLayout(os)
	h := make([]byte, size)
	rt.Put16(h, off["ifam_index"], index)
	var addrs rtsock.Addrs
	addrs[rtsock.RTAXNetmask], addrs[rtsock.RTAXIfa], addrs[rtsock.RTAXBrd] = mask, ifa, brd
	return rt.Message(os, h, rtsock.RTMNewAddr, off["ifam_addrs"], addrs)
}

// Interface flags as the BSDs number them.
const (
	bsdLoopback    = 0x1 | 0x8 | 0x40 | 0x8000           // UP LOOPBACK RUNNING MULTICAST
	bsdEther       = 0x1 | 0x2 | 0x40 | 0x800 | 0x8000   // UP BROADCAST RUNNING SIMPLEX MULTICAST
	bsdEtherNoLink = 0x1 | 0x2 | 0x800 | 0x8000          // the same without RUNNING
	bsdIgnored     = 0x4 | 0x20 | 0x80 | 0x100 | 0x10000 // DEBUG, 0x20, NOARP, PROMISC, above 16 bits
)

// bsdIfDump is an interface list dump of os: an Ethernet interface
// (index 4, its counters above 32 bits) with IPv4, IPv6 and scoped
// link-local addresses and, on macOS, a multicast membership message
// between them; a loopback one (index 1) with 127.0.0.1/8, ::1 and
// fe80::1%lo0; one whose link is down (index 5), and messages the
// decoder skips: a version-4 message and a link-layer address.
func bsdIfDump(os rtsock.OS) []byte {
	eth := ifFixture{index: 4, name: "en0", sdlType: 6, mac: []byte{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01},
		flags: bsdEther | bsdIgnored, mtu: 1500, linkState: linkStateUp,
		counters: [10]uint64{1 << 33, 2, 3 << 32, 4, 5, 6 << 40, 7 << 40, 8, 9, 10}, txDrops: 11}
	lo := ifFixture{index: 1, name: "lo0", sdlType: 24, flags: bsdLoopback, mtu: 16384, linkState: linkStateUp,
		counters: [10]uint64{21, 0, 21, 0, 0, 2100, 2100, 0, 0, 0}}
	down := ifFixture{index: 5, name: "en1", sdlType: 6, mac: []byte{0x02, 0, 0, 0, 0, 5}, flags: bsdEtherNoLink, mtu: 9000}
	if os != rtsock.Darwin {
		// Running, but the driver says the link is down.
		down.flags, down.linkState = bsdEther, linkStateDown
	}
	v4 := func(a string) []byte { return rt.Inet(os, a) }
	var b []byte
	b = append(b, ifInfo(os, eth)...)
	b = append(b, ifAddr(os, 4, v4("192.0.2.10"), rt.Mask(false, 24, 0xff), v4("192.0.2.255"))...)
	if os == rtsock.Darwin {
		// RTM_NEWMADDR2: struct ifma_msghdr2 (24 bytes) and its sockaddrs.
		var ma rtsock.Addrs
		ma[rtsock.RTAXIfa] = rt.Inet(os, "224.0.0.251")
		b = append(b, rt.Message(os, make([]byte, 24), 0x13, 4, ma)...)
	}
	b = append(b, ifAddr(os, 4, rt.Inet(os, "2001:db8::10"), rt.Mask(true, 64, 0), nil)...)
	b = append(b, ifAddr(os, 4, rt.Inet6Scoped(os, "fe80::aa:bbff:fecc:dd01", 4), rt.Mask(true, 64, 0), nil)...)
	b = append(b, ifAddr(os, 4, rt.Link(4, 6, "en0", eth.mac), nil, nil)...)
	old := ifAddr(os, 4, v4("198.51.100.1"), rt.Mask(false, 24, 0), nil)
	old[2] = 4 // rtm_version
	b = append(b, old...)
	b = append(b, ifInfo(os, lo)...)
	b = append(b, ifAddr(os, 1, v4("127.0.0.1"), rt.Mask(false, 8, 0), nil)...)
	b = append(b, ifAddr(os, 1, rt.Inet(os, "::1"), rt.Mask(true, 128, 0), nil)...)
	b = append(b, ifAddr(os, 1, rt.Inet6Scoped(os, "fe80::1", 1), rt.Mask(true, 64, 0xff), nil)...)
	b = append(b, ifInfo(os, down)...)
	return b
}

func TestDecodeBSDInterfaces(t *testing.T) {
	pfx := func(ss ...string) []netip.Prefix {
		var ps []netip.Prefix
		for _, s := range ss {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		return ps
	}
	for _, os := range rt.Dialects() {
		want := []Interface{
			{Index: 1, Name: "lo0", MTU: 16384, State: "UP", HasStats: true,
				Flags: net.FlagUp | net.FlagLoopback | net.FlagRunning | net.FlagMulticast,
				Addrs: pfx("127.0.0.1/8", "::1/128", "fe80::1/64"),
				Stats: Stats{RxPackets: 21, TxPackets: 21, RxBytes: 2100, TxBytes: 2100}},
			{Index: 4, Name: "en0", MTU: 1500, State: "UP", HasStats: true,
				Flags: net.FlagUp | net.FlagBroadcast | net.FlagRunning | net.FlagMulticast,
				MAC:   net.HardwareAddr{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01},
				Addrs: pfx("192.0.2.10/24", "2001:db8::10/64", "fe80::aa:bbff:fecc:dd01/64"),
				Stats: Stats{RxPackets: 1 << 33, RxErrors: 2, TxPackets: 3 << 32, TxErrors: 4, Collisions: 5,
					RxBytes: 6 << 40, TxBytes: 7 << 40, Multicast: 8, RxDropped: 10, TxDropped: 11}},
			{Index: 5, Name: "en1", MTU: 9000, State: "DOWN", HasStats: true,
				Flags: net.FlagUp | net.FlagBroadcast | net.FlagMulticast, MAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 5}},
		}
		if os != rtsock.Darwin {
			want[2].Flags |= net.FlagRunning
		}
		got, err := DecodeBSDInterfaces(bsdIfDump(os), os)
		if err != nil {
			t.Fatalf("%v: %v", os, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%v: %d interfaces, want %d: %+v", os, len(got), len(want), got)
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%v: interface %d:\n got %+v\nwant %+v", os, i, got[i], want[i])
			}
		}
	}
}

func TestSnapshotBSD(t *testing.T) {
	snap, err := snapshotBSD(bsdIfDump(rtsock.Darwin), nil, rtsock.Darwin)
	if err != nil || len(snap.Interfaces) != 3 || snap.Time.IsZero() {
		t.Errorf("%+v %v", snap, err)
	}
	if _, err := snapshotBSD(nil, errors.New("sysctl: no"), rtsock.Darwin); err == nil || !strings.Contains(err.Error(), "interface list: sysctl: no") {
		t.Errorf("a failing sysctl: %v", err)
	}
}

// TestDecodeBSDInterfacesLinkState: FreeBSD's ifi_link_state decides
// over IFF_RUNNING, except LINK_STATE_UNKNOWN; IFF_UP is needed for UP.
func TestDecodeBSDInterfacesLinkState(t *testing.T) {
	for _, tc := range []struct {
		flags uint32
		link  uint8
		want  string
	}{{bsdEther, linkStateUp, "UP"}, {bsdEtherNoLink, linkStateUp, "UP"}, {bsdEther, linkStateDown, "DOWN"},
		{bsdEther, 0, "UP"}, {bsdEtherNoLink, 0, "DOWN"}, {bsdEther &^ 0x1, linkStateUp, "DOWN"}} {
		f := ifFixture{index: 2, name: "em0", flags: tc.flags, linkState: tc.link}
		ifs, err := DecodeBSDInterfaces(ifInfo(rtsock.FreeBSD, f), rtsock.FreeBSD)
		if err != nil || len(ifs) != 1 || ifs[0].State != tc.want {
			t.Errorf("flags %#x, link state %d: %+v %v, want %s", tc.flags, tc.link, ifs, err, tc.want)
		}
	}
}

func TestDecodeBSDInterfacesErrors(t *testing.T) {
	for _, os := range rt.Dialects() {
		good := ifInfo(os, ifFixture{index: 3, name: "en3", flags: bsdEther})
		size := ifLayoutOf(os).size
		short := ifInfo(os, ifFixture{index: 3, name: "en3"})[:100]
		rt.Put16(short, 0, 100)
		cut := ifInfo(os, ifFixture{index: 6, name: "en6"})
		cut[size] = 200 // the sockaddr_dl's sa_len
		noName := ifInfo(os, ifFixture{index: 7})
		shortAddr := ifAddr(os, 3, rt.Inet(os, "192.0.2.1"), nil, nil)[:12]
		rt.Put16(shortAddr, 0, 12)
		for _, tc := range []struct {
			name, want string
			b          []byte
		}{
			{"short header", "interface message at offset 0: 100 bytes, shorter than " + ifLayoutOf(os).name, short},
			{"sockaddr past the end", "RTA_IFP at offset " + strconv.Itoa(size) + ": sa_len 200, past the end", cut},
			{"no name", "interface 7 has no name", noName},
			{"short address", "address message at offset 0: 12 bytes, shorter than struct ifa_msghdr (20)", shortAddr},
			{"msglen 0", "offset " + strconv.Itoa(len(good)) + ": length 0", append(append([]byte(nil), good...), 0, 0, 5, 14)},
			{"msglen past the end", "offset 0: length " + strconv.Itoa(len(good)), good[:len(good)-1]},
		} {
			// Each bad message is followed by a good one, which still
			// decodes when the framing holds.
			b := append(append([]byte(nil), tc.b...), good...)
			if tc.name == "msglen past the end" {
				b = tc.b
			}
			ifs, err := DecodeBSDInterfaces(b, os)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: %s: error %v, want one containing %q", os, tc.name, err, tc.want)
			}
			framed := !strings.Contains(tc.name, "msglen")
			if framed && (len(ifs) != 1 || ifs[0].Name != "en3") {
				t.Errorf("%v: %s: the good message after it: %+v", os, tc.name, ifs)
			}
		}
	}
}

// FuzzDecodeBSDInterfaces: the decoder never panics on any dump of any
// dialect, and what it decodes is consistent: named interfaces by index,
// addresses of a valid prefix length.
func FuzzDecodeBSDInterfaces(f *testing.F) {
	for i, os := range rt.Dialects() {
		f.Add(uint8(i), bsdIfDump(os))
		f.Add(uint8(i), ifInfo(os, ifFixture{index: 9, name: "x"})[:40])
	}
	f.Fuzz(func(t *testing.T, dialect uint8, b []byte) {
		os := rt.Dialects()[int(dialect)%len(rt.Dialects())]
		ifs, _ := DecodeBSDInterfaces(b, os)
		for i, in := range ifs {
			if in.Name == "" || (i > 0 && ifs[i-1].Index > in.Index) {
				t.Fatalf("interface %d: %+v", i, in)
			}
			for _, p := range in.Addrs {
				if !p.IsValid() || p.Bits() > p.Addr().BitLen() {
					t.Fatalf("address %v of %s", p, in.Name)
				}
			}
		}
	})
}
