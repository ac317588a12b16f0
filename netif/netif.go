// Package netif reads the host's network interfaces with their counters,
// what netstat -i and ip -s link show: name, MTU, state, addresses, and
// packets, bytes, errors and drops each way. The decoders are pure
// functions of rtnetlink's bytes; the Linux file does the dumps.
package netif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/portwatch/portwatch/internal/rtnl"
)

// Interface is one network interface.
type Interface struct {
	Index int
	Name  string
	MTU   int
	// State is the operational state (RFC 2863, as ip link shows it):
	// UP, DOWN, LOWERLAYERDOWN, DORMANT, TESTING, NOTPRESENT or UNKNOWN.
	State string
	// Flags are the interface's flags, as net.Flags names them (up,
	// broadcast, loopback, pointtopoint, multicast, running).
	Flags net.Flags
	MAC   net.HardwareAddr
	Addrs []netip.Prefix
	Stats Stats
	// HasStats reports that the kernel sent the counters.
	HasStats bool
}

// Stats are an interface's counters (struct rtnl_link_stats64).
type Stats struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxErrors, TxErrors   uint64
	RxDropped, TxDropped uint64
	Multicast            uint64
	Collisions           uint64
}

// Snapshot is every interface at one time.
type Snapshot struct {
	Time       time.Time
	Interfaces []Interface // by index
}

// rtnetlink message types and attributes.
const (
	rtmNewLink = 16
	rtmNewAddr = 20

	ifinfomsgLen  = 16
	ifaddrmsgLen  = 8
	iflaAddress   = 1
	iflaIfname    = 3
	iflaMTU       = 4
	iflaOperstate = 16
	iflaStats64   = 23
	ifaAddress    = 1
	ifaLocal      = 2

	stats64Len = 10 * 8 // the fields Stats reads, the first ten
)

// operStates are IF_OPER_* by value.
var operStates = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// DecodeLink decodes an RTM_NEWLINK body (struct ifinfomsg and its
// attributes) into an Interface without addresses.
func DecodeLink(b []byte) (Interface, error) {
	if len(b) < ifinfomsgLen {
		return Interface{}, fmt.Errorf("link message of %d bytes, shorter than ifinfomsg (%d)", len(b), ifinfomsgLen)
	}
	ne := binary.NativeEndian
	in := Interface{Index: int(int32(ne.Uint32(b[4:]))), Flags: linkFlags(ne.Uint32(b[8:])), State: "UNKNOWN"}
	rtnl.Attrs(b[ifinfomsgLen:], func(typ uint16, val []byte) bool {
		switch typ {
		case iflaIfname:
			in.Name = cString(val)
		case iflaMTU:
			if len(val) >= 4 {
				in.MTU = int(ne.Uint32(val))
			}
		case iflaOperstate:
			if len(val) >= 1 && int(val[0]) < len(operStates) {
				in.State = operStates[val[0]]
			}
		case iflaAddress:
			in.MAC = net.HardwareAddr(slices.Clone(val))
		case iflaStats64:
			if len(val) >= stats64Len {
				u := func(i int) uint64 { return ne.Uint64(val[i*8:]) }
				in.Stats = Stats{RxPackets: u(0), TxPackets: u(1), RxBytes: u(2), TxBytes: u(3), RxErrors: u(4),
					TxErrors: u(5), RxDropped: u(6), TxDropped: u(7), Multicast: u(8), Collisions: u(9)}
				in.HasStats = true
			}
		}
		return true
	})
	if in.Name == "" {
		return in, fmt.Errorf("link %d has no name (IFLA_IFNAME)", in.Index)
	}
	return in, nil
}

// DecodeAddr decodes an RTM_NEWADDR body (struct ifaddrmsg and its
// attributes): the interface index and the address with its prefix length
// (IFA_LOCAL, which is the interface's own on a point-to-point link, else
// IFA_ADDRESS).
func DecodeAddr(b []byte) (index int, addr netip.Prefix, err error) {
	if len(b) < ifaddrmsgLen {
		return 0, addr, fmt.Errorf("address message of %d bytes, shorter than ifaddrmsg (%d)", len(b), ifaddrmsgLen)
	}
	bits := int(b[1])
	index = int(binary.NativeEndian.Uint32(b[4:]))
	var local, address netip.Addr
	rtnl.Attrs(b[ifaddrmsgLen:], func(typ uint16, val []byte) bool {
		a, ok := netip.AddrFromSlice(val)
		switch {
		case !ok:
		case typ == ifaLocal:
			local = a
		case typ == ifaAddress:
			address = a
		}
		return true
	})
	a := local
	if !a.IsValid() {
		a = address
	}
	if !a.IsValid() {
		return index, addr, fmt.Errorf("address of link %d has no IFA_LOCAL or IFA_ADDRESS", index)
	}
	if bits > a.BitLen() {
		return index, addr, fmt.Errorf("address %v of link %d has a prefix of %d bits", a, index, bits)
	}
	return index, netip.PrefixFrom(a, bits), nil
}

// Assemble builds the interfaces from the bodies of a link dump and an
// address dump: each address on its interface. A message that does not
// decode is an error naming it.
func Assemble(links, addrs []rtnl.Message) ([]Interface, error) {
	var out []Interface
	var errs []error
	for _, m := range links {
		if m.Type != rtmNewLink {
			continue
		}
		in, err := DecodeLink(m.Body)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Interface) int { return a.Index - b.Index })
	for _, m := range addrs {
		if m.Type != rtmNewAddr {
			continue
		}
		idx, p, err := DecodeAddr(m.Body)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if i := slices.IndexFunc(out, func(in Interface) bool { return in.Index == idx }); i >= 0 {
			out[i].Addrs = append(out[i].Addrs, p)
		}
	}
	return out, errors.Join(errs...)
}

// linkFlags translates Linux's IFF_* into net.Flags.
func linkFlags(f uint32) net.Flags { return iffFlags(f, 0x1000) }

// iffFlags translates IFF_* into net.Flags. Linux and the BSDs agree on
// IFF_UP (0x1), IFF_BROADCAST (0x2), IFF_LOOPBACK (0x8), IFF_POINTOPOINT
// (0x10) and IFF_RUNNING (0x40); they differ on IFF_MULTICAST, which is
// multicast: 0x1000 on Linux, 0x8000 on the BSDs.
func iffFlags(f, multicast uint32) net.Flags {
	var out net.Flags
	for _, m := range [...]struct {
		iff  uint32
		flag net.Flags
	}{{0x1, net.FlagUp}, {0x2, net.FlagBroadcast}, {0x8, net.FlagLoopback}, {0x10, net.FlagPointToPoint},
		{multicast, net.FlagMulticast}, {0x40, net.FlagRunning}} {
		if f&m.iff != 0 {
			out |= m.flag
		}
	}
	return out
}

// cString is b up to its first NUL.
func cString(b []byte) string {
	if i := slices.Index(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Rate is how fast an interface's counters moved between two snapshots,
// per second.
type Rate struct {
	Name                 string
	RxPackets, TxPackets float64
	RxBytes, TxBytes     float64
	RxErrors, TxErrors   float64
	RxDropped, TxDropped float64
}

// Rates returns, for each interface of cur that prev has (by index and
// name), its counters' movement per second; a counter that went back
// counts 0.
func Rates(prev, cur *Snapshot) []Rate {
	secs := cur.Time.Sub(prev.Time).Seconds()
	if secs <= 0 {
		return nil
	}
	var out []Rate
	for _, c := range cur.Interfaces {
		i := slices.IndexFunc(prev.Interfaces, func(p Interface) bool { return p.Index == c.Index && p.Name == c.Name })
		if i < 0 || !c.HasStats || !prev.Interfaces[i].HasStats {
			continue
		}
		p := prev.Interfaces[i].Stats
		d := func(cur, old uint64) float64 {
			if cur < old {
				return 0
			}
			return float64(cur-old) / secs
		}
		s := c.Stats
		out = append(out, Rate{Name: c.Name, RxPackets: d(s.RxPackets, p.RxPackets), TxPackets: d(s.TxPackets, p.TxPackets),
			RxBytes: d(s.RxBytes, p.RxBytes), TxBytes: d(s.TxBytes, p.TxBytes), RxErrors: d(s.RxErrors, p.RxErrors),
			TxErrors: d(s.TxErrors, p.TxErrors), RxDropped: d(s.RxDropped, p.RxDropped), TxDropped: d(s.TxDropped, p.TxDropped)})
	}
	return out
}
