package routes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// The BSD side: the route dump sysctl (NET_RT_DUMP) is one RTM_GET message
// per route, struct rt_msghdr followed by the sockaddrs its rtm_addrs
// names. The header, from xnu's bsd/net/route.h and FreeBSD's
// sys/net/route.h, starts the same on both systems (rtm_msglen,
// rtm_version, rtm_type, then rtm_index at 4, rtm_flags at 8 and rtm_addrs
// at 12) and ends in struct rt_metrics, whose fields are u_int32_t on
// macOS and u_long on FreeBSD:
//
//	macOS             92 bytes: rtm_inits (u_int32_t) at 32, rtm_rmx (14 x 4) at 36
//	FreeBSD, 64-bit  152 bytes: rtm_inits (u_long) at 32, rtm_rmx (14 x 8) at 40
//	FreeBSD, 32-bit   92 bytes: rtm_inits (u_long) at 32, rtm_rmx (14 x 4) at 36
//
// Nothing of rt_metrics is read: rmx_hopcount is an expectation, not a
// cost, and FreeBSD's rmx_weight shares traffic among multipath next hops
// (higher takes more), so neither is a metric where lower wins; Metric
// stays 0.

// rtMsghdrLen is the size of os's struct rt_msghdr.
func rtMsghdrLen(os rtsock.OS) int {
	if os == rtsock.FreeBSD {
		return 152
	}
	return 92
}

// The RTF_* route flags (rtm_flags) the mapping reads, the same numbers
// on both systems where both have them.
const (
	rtfGateway   = 0x2
	rtfHost      = 0x4
	rtfReject    = 0x8
	rtfDynamic   = 0x10  // made by a redirect
	rtfStatic    = 0x800 // added by hand (route add), or by a daemon as if by hand
	rtfBlackhole = 0x1000
	rtfWasCloned = 0x20000  // macOS: cloned from a parent (ARP and ND entries); unused on FreeBSD
	rtfPinned    = 0x100000 // FreeBSD: the kernel's own, not to be deleted; unused on macOS
	rtfLocal     = 0x200000 // an address of this host
	rtfBroadcast = 0x400000
	rtfMulticast = 0x800000
)

// The Linux numbers a BSD route maps onto, as routes_windows.go uses them.
const (
	protoRedirect Protocol = 1
	protoKernel   Protocol = 2
	protoStatic   Protocol = 4

	typeUnicast     Type = 1
	typeLocal       Type = 2
	typeBroadcast   Type = 3
	typeMulticast   Type = 5
	typeBlackhole   Type = 6
	typeUnreachable Type = 7

	scopeUniverse Scope = 0
	scopeLink     Scope = 253
	scopeHost     Scope = 254
)

// fibTable is the Table a FreeBSD FIB is shown as: FIB 0, the one
// every process uses unless setfib(1) says otherwise, is main; FIB N is
// table N, so that --table 2 reads what setfib 2 netstat -r shows. (FIBs
// 253 to 255, which only a kernel with net.fibs above 253 has, show as
// default, main and local; FIB 254 cannot be asked for by itself.)
func fibTable(fib int) Table {
	if fib == 0 {
		return TableMain
	}
	return Table(fib)
}

// tableFib is the FIB of a Table, fibTable's inverse: main (or 0, which
// Options takes for main) is FIB 0.
func tableFib(t Table) int {
	if t == 0 || t == TableMain {
		return 0
	}
	return int(t)
}

// bsdFibs lists the FIBs opts ask for of a system with n of them (macOS
// has one): all of them with AllTables, else the one of opts.Table, none
// when it has no such FIB.
func bsdFibs(opts Options, n int) []int {
	if opts.AllTables {
		fibs := make([]int, n)
		for i := range fibs {
			fibs[i] = i
		}
		return fibs
	}
	if fib := tableFib(opts.Table); fib < n {
		return []int{fib}
	}
	return nil
}

// bsdFamily is the address family of os that a dump of opts.Family's
// routes asks for: AF_UNSPEC (0) for both families.
func bsdFamily(f Family, os rtsock.OS) int {
	switch f {
	case IPv4:
		return rtsock.AFInet
	case IPv6:
		return int(os.AFInet6())
	}
	return 0
}

// DecodeBSDRoutes decodes the route dump b of os (NET_RT_DUMP of FIB fib;
// 0 on macOS, which has one table) into its IPv4 and IPv6 routes, in the
// kernel's order. Messages other than RTM_GET are skipped, and so are
// routes of other families. A message that does not decode is an error
// naming its offset, the others still decoded; a dump that cannot be
// framed ends there.
//
// The mapping onto Linux's numbers, as routes_windows.go does it:
//   - Table: main for FIB 0 (macOS's only table), N for FIB N (fibTable).
//   - Protocol: redirect (1) for RTF_DYNAMIC; static (4) for RTF_STATIC,
//     unless the kernel made the route (FreeBSD's RTF_PINNED, or its
//     loopback route of a local address); kernel (2) otherwise.
//   - Type: blackhole (6) for RTF_BLACKHOLE, unreachable (7) for
//     RTF_REJECT, local (2) for RTF_LOCAL (macOS) or FreeBSD's loopback
//     route of a local address (RTF_HOST|RTF_STATIC, no RTF_GATEWAY, and
//     an AF_LINK gateway naming another interface than the route's, lo0),
//     broadcast (3) for RTF_BROADCAST, multicast (5) for RTF_MULTICAST,
//     unicast (1) otherwise.
//   - Scope: host (254) for a local route, universe (0) for one with a
//     gateway, link (253) for a directly connected one.
//   - Gateway: RTA_GATEWAY when RTF_GATEWAY is set and it is an IPv4 or
//     IPv6 sockaddr; an AF_LINK gateway means directly connected, and
//     gives Index where rtm_index does not.
//   - Dst: RTA_DST with the prefix length of RTA_NETMASK; without one,
//     the whole address (a host route: RTF_HOST, or BSD's maskless
//     radix key) except for a default destination, which is /0.
//   - PrefSrc: RTA_IFA, the interface address a BSD kernel takes as the
//     source of what it sends along the route.
//   - Interface: the name in RTA_IFP (FreeBSD sends it, macOS does not).
//   - Flags: cloned (RTM_F_CLONED) for macOS's RTF_WASCLONED entries,
//     ARP and neighbour entries that Options leave out as ip route does;
//     not for the cloned routes of this host's addresses (RTF_LOCAL),
//     which stay, like Linux's local routes.
func DecodeBSDRoutes(b []byte, os rtsock.OS, fib int) ([]Route, error) {
	var out []Route
	var errs []error
	err := rtsock.Walk(b, func(off int, typ uint8, m []byte) {
		if typ != rtsock.RTMGet {
			return
		}
		r, ok, err := decodeBSDRoute(m, os, fibTable(fib))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("route message at offset %d: %w", off, err))
		case ok:
			out = append(out, r)
		}
	})
	return out, errors.Join(append(errs, err)...)
}

// decodeBSDRoute decodes one RTM_GET message m of table t; ok is false
// for a route of a family other than IPv4 and IPv6.
func decodeBSDRoute(m []byte, os rtsock.OS, t Table) (r Route, ok bool, err error) {
	hdr := rtMsghdrLen(os)
	if len(m) < hdr {
		return r, false, fmt.Errorf("%d bytes, shorter than struct rt_msghdr (%d)", len(m), hdr)
	}
	ne := binary.NativeEndian
	flags := ne.Uint32(m[8:])
	addrs, err := os.ParseAddrs(m, hdr, ne.Uint32(m[12:]))
	if err != nil {
		return r, false, err
	}
	if addrs[rtsock.RTAXDst] == nil {
		return r, false, errors.New("no destination (RTA_DST)")
	}
	dst, ok := os.IP(addrs[rtsock.RTAXDst])
	if !ok {
		return r, false, nil
	}
	r = Route{Family: IPv4, Index: int(ne.Uint16(m[4:])), Table: t}
	if dst.Is6() {
		r.Family = IPv6
	}
	bits := dst.BitLen()
	if mask := addrs[rtsock.RTAXNetmask]; mask != nil && flags&rtfHost == 0 {
		bits = rtsock.MaskBits(mask, dst.Is6())
	} else if mask == nil && flags&rtfHost == 0 && dst.IsUnspecified() {
		bits = 0
	}
	r.Dst = netip.PrefixFrom(dst, bits)

	gw := addrs[rtsock.RTAXGateway]
	link, isLink := rtsock.ParseLink(gw)
	if a, isIP := os.IP(gw); isIP && flags&rtfGateway != 0 {
		r.Gateway = a
	}
	if r.Index == 0 && isLink {
		r.Index = link.Index
	}
	if ifp, ok := rtsock.ParseLink(addrs[rtsock.RTAXIfp]); ok {
		r.Interface = ifp.Name
	}
	if a, ok := os.IP(addrs[rtsock.RTAXIfa]); ok && a.Is6() == dst.Is6() {
		r.PrefSrc = a
	}
	if os == rtsock.Darwin && flags&(rtfWasCloned|rtfLocal) == rtfWasCloned {
		r.Flags |= FlagCloned
	}

	// FreeBSD's route to one of this host's addresses goes out lo0 with
	// a gateway naming the address's own interface.
	loopbackLocal := os != rtsock.Darwin && flags&(rtfHost|rtfStatic|rtfGateway) == rtfHost|rtfStatic &&
		isLink && link.Index != 0 && link.Index != r.Index
	r.Type, r.Protocol, r.Scope = classify(flags, loopbackLocal, r.Gateway.IsValid())
	return r, true, nil
}

// classify maps a route's RTF_* flags onto Linux's type, protocol and
// scope, as DecodeBSDRoutes tells; loopbackLocal is FreeBSD's route to a
// local address, gateway whether the route has one.
func classify(flags uint32, loopbackLocal, gateway bool) (Type, Protocol, Scope) {
	t, proto, scope := typeUnicast, protoKernel, scopeLink
	switch {
	case flags&rtfBlackhole != 0:
		t = typeBlackhole
	case flags&rtfReject != 0:
		t = typeUnreachable
	case flags&rtfLocal != 0 || loopbackLocal:
		t = typeLocal
	case flags&rtfBroadcast != 0:
		t = typeBroadcast
	case flags&rtfMulticast != 0:
		t = typeMulticast
	}
	switch {
	case flags&rtfDynamic != 0:
		proto = protoRedirect
	case flags&rtfStatic != 0 && flags&rtfPinned == 0 && !loopbackLocal:
		proto = protoStatic
	}
	switch {
	case t == typeLocal:
		scope = scopeHost
	case gateway:
		scope = scopeUniverse
	}
	return t, proto, scope
}

// readBSD reads the routes opts ask for from a system of dialect os with
// nfibs FIBs, dump reading the NET_RT_DUMP of one family (its number in
// os, 0 for both) and FIB, and names their interfaces from ifs where the
// dump did not.
func readBSD(opts Options, os rtsock.OS, nfibs int, dump func(af, fib int) ([]byte, error), ifs []net.Interface) ([]Route, error) {
	var out []Route
	for _, fib := range bsdFibs(opts, nfibs) {
		b, err := dump(bsdFamily(opts.Family, os), fib)
		if err != nil {
			return nil, fmt.Errorf("dumping the routes of table %v: %w", fibTable(fib), err)
		}
		rs, err := DecodeBSDRoutes(b, os, fib)
		if err != nil {
			return nil, fmt.Errorf("decoding the routes of table %v: %w", fibTable(fib), err)
		}
		for _, r := range rs {
			if !opts.keeps(r) {
				continue
			}
			if r.Interface == "" {
				for _, ni := range ifs {
					if ni.Index == r.Index {
						r.Interface = ni.Name
						break
					}
				}
			}
			out = append(out, r)
		}
	}
	return out, nil
}
