package netif

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/rtnl"
)

func attr(typ uint16, val []byte) []byte { return rtnl.AppendAttr(nil, typ, val) }

// linkBody is an RTM_NEWLINK body for index, name, flags and counters.
func linkBody(index int, name string, flags uint32, stats ...uint64) []byte {
	ne := binary.NativeEndian
	b := make([]byte, 4)
	b = ne.AppendUint32(b, uint32(index))
	b = ne.AppendUint32(b, flags)
	b = ne.AppendUint32(b, 0)
	b = append(b, attr(iflaIfname, append([]byte(name), 0))...)
	b = append(b, attr(iflaMTU, ne.AppendUint32(nil, 1500))...)
	b = append(b, attr(iflaOperstate, []byte{6})...)
	b = append(b, attr(iflaAddress, []byte{2, 0, 0, 0, 0, 1})...)
	if stats != nil {
		var s []byte
		for i := range 24 {
			v := uint64(0)
			if i < len(stats) {
				v = stats[i]
			}
			s = ne.AppendUint64(s, v)
		}
		b = append(b, attr(iflaStats64, s)...)
	}
	return b
}

// addrBody is an RTM_NEWADDR body.
func addrBody(index int, p netip.Prefix) []byte {
	b := []byte{2, byte(p.Bits()), 0, 0}
	if p.Addr().Is6() {
		b[0] = 10
	}
	b = binary.NativeEndian.AppendUint32(b, uint32(index))
	return append(b, attr(ifaLocal, p.Addr().AsSlice())...)
}

func TestAssemble(t *testing.T) {
	links := []rtnl.Message{{Type: rtmNewLink, Body: linkBody(2, "eth0", 0x1|0x2|0x40|0x1000, 10, 20, 1000, 2000, 1, 2, 3, 4)},
		{Type: rtmNewLink, Body: linkBody(1, "lo", 0x1|0x8)}}
	addrs := []rtnl.Message{{Type: rtmNewAddr, Body: addrBody(2, netip.MustParsePrefix("10.0.0.5/24"))},
		{Type: rtmNewAddr, Body: addrBody(2, netip.MustParsePrefix("fd00::5/64"))},
		{Type: rtmNewAddr, Body: addrBody(1, netip.MustParsePrefix("127.0.0.1/8"))}}
	ifs, err := Assemble(links, addrs)
	if err != nil || len(ifs) != 2 {
		t.Fatalf("%+v %v", ifs, err)
	}
	lo, eth := ifs[0], ifs[1]
	if lo.Name != "lo" || lo.Flags&net.FlagLoopback == 0 || lo.HasStats || len(lo.Addrs) != 1 {
		t.Errorf("lo %+v", lo)
	}
	want := Stats{RxPackets: 10, TxPackets: 20, RxBytes: 1000, TxBytes: 2000, RxErrors: 1, TxErrors: 2, RxDropped: 3, TxDropped: 4}
	if eth.Name != "eth0" || eth.MTU != 1500 || eth.State != "UP" || eth.MAC.String() != "02:00:00:00:00:01" ||
		!eth.HasStats || eth.Stats != want || len(eth.Addrs) != 2 || eth.Addrs[1].String() != "fd00::5/64" ||
		eth.Flags&(net.FlagUp|net.FlagRunning|net.FlagMulticast) != net.FlagUp|net.FlagRunning|net.FlagMulticast {
		t.Errorf("eth0 %+v", eth)
	}
	_, err = Assemble([]rtnl.Message{{Type: rtmNewLink, Body: []byte{1, 2}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "ifinfomsg") {
		t.Errorf("a short link message: %v", err)
	}
	if _, _, err := DecodeAddr(append([]byte{2, 40, 0, 0}, binary.NativeEndian.AppendUint32(nil, 1)...)); err == nil {
		t.Error("an address message without an address decoded")
	}
}

func TestRates(t *testing.T) {
	t0 := time.Unix(100, 0)
	prev := &Snapshot{Time: t0, Interfaces: []Interface{{Index: 2, Name: "eth0", HasStats: true, Stats: Stats{RxBytes: 1000, TxPackets: 50}}}}
	cur := &Snapshot{Time: t0.Add(2 * time.Second), Interfaces: []Interface{{Index: 2, Name: "eth0", HasStats: true, Stats: Stats{RxBytes: 5000, TxPackets: 10}},
		{Index: 3, Name: "new0", HasStats: true}}}
	r := Rates(prev, cur)
	if len(r) != 1 || r[0].RxBytes != 2000 || r[0].TxPackets != 0 {
		t.Errorf("rates %+v", r)
	}
}

func FuzzDecodeLink(f *testing.F) {
	f.Add(linkBody(2, "eth0", 1, 1, 2, 3))
	f.Add(addrBody(2, netip.MustParsePrefix("10.0.0.5/24")))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeLink(b)
		DecodeAddr(b)
	})
}
