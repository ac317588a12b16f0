// Package rtsock decodes the BSD routing socket's messages as the routing
// sysctls return them (CTL_NET, PF_ROUTE: NET_RT_DUMP for the routes,
// NET_RT_IFLIST and NET_RT_IFLIST2 for the interfaces): the framing of the
// messages and the sockaddrs after each header, for macOS and FreeBSD. The
// decoding is pure and fuzzed, so it is tested on Linux; on macOS and
// FreeBSD, Dump does the sysctl. Each view (interfaces, routes) decodes
// its own headers.
//
// It is written here rather than taken from golang.org/x/net/route: that
// package builds only on the BSDs, so its decoding could not be tested on
// fixtures on the Linux CI, and it does not expose if_data's counters.
package rtsock

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
)

// OS is a routing-socket dialect: the system whose header layouts,
// sockaddr padding and address family numbers a dump follows.
type OS uint8

// The dialects.
const (
	Darwin    OS = iota + 1 // macOS (xnu), on any of its architectures
	FreeBSD                 // FreeBSD on a 64-bit architecture: C long of 8 bytes
	FreeBSD32               // FreeBSD on a 32-bit architecture: C long of 4 bytes
)

// String is the dialect's name.
func (o OS) String() string {
	switch o {
	case Darwin:
		return "darwin"
	case FreeBSD:
		return "freebsd"
	case FreeBSD32:
		return "freebsd/32-bit"
	}
	return "os " + strconv.Itoa(int(o))
}

// Align is the boundary each sockaddr after a header is padded to: xnu
// rounds sa_len up to a multiple of 4 (ROUNDUP32 in bsd/net/rtsock.c),
// FreeBSD to a multiple of sizeof(long) (SA_SIZE in sys/net/route.h); on
// both an sa_len of 0 takes one boundary's worth.
func (o OS) Align() int {
	if o == FreeBSD {
		return 8
	}
	return 4
}

// AFInet6 is the dialect's AF_INET6: 30 on macOS, 28 on FreeBSD.
func (o OS) AFInet6() uint8 {
	if o == Darwin {
		return 30
	}
	return 28
}

// Address families the same on both systems.
const (
	AFInet = 2  // AF_INET
	AFLink = 18 // AF_LINK: struct sockaddr_dl
)

// Version is RTM_VERSION, 5 on both systems; messages of another version
// are skipped.
const Version = 5

// Message types (rtm_type) the dumps carry, the same numbers on both
// systems.
const (
	RTMGet     = 0x4  // RTM_GET: a route of NET_RT_DUMP, struct rt_msghdr
	RTMNewAddr = 0xc  // RTM_NEWADDR: an interface address, struct ifa_msghdr
	RTMIfInfo  = 0xe  // RTM_IFINFO: an interface, struct if_msghdr
	RTMIfInfo2 = 0x12 // RTM_IFINFO2: macOS's interface, struct if_msghdr2
)

// The sockaddr slots by their RTAX_* index: bit 1<<i of a header's
// address mask (rtm_addrs, ifm_addrs, ifam_addrs) says slot i is present.
const (
	RTAXDst     = 0 // RTA_DST: the destination
	RTAXGateway = 1 // RTA_GATEWAY: the next hop
	RTAXNetmask = 2 // RTA_NETMASK: the destination's or address's mask
	RTAXGenmask = 3 // RTA_GENMASK: the cloning mask
	RTAXIfp     = 4 // RTA_IFP: the interface, a sockaddr_dl
	RTAXIfa     = 5 // RTA_IFA: the interface address
	RTAXAuthor  = 6 // RTA_AUTHOR: who sent a redirect
	RTAXBrd     = 7 // RTA_BRD: the broadcast or point-to-point peer address
	NAddrs      = 8 // RTAX_MAX
)

// addrName is the RTA_* name of slot i, for errors.
func addrName(i int) string {
	switch i {
	case RTAXDst:
		return "RTA_DST"
	case RTAXGateway:
		return "RTA_GATEWAY"
	case RTAXNetmask:
		return "RTA_NETMASK"
	case RTAXGenmask:
		return "RTA_GENMASK"
	case RTAXIfp:
		return "RTA_IFP"
	case RTAXIfa:
		return "RTA_IFA"
	case RTAXAuthor:
		return "RTA_AUTHOR"
	}
	return "RTA_BRD"
}

// hdrLen is the part every message starts with: u_short msglen, u_char
// version, u_char type.
const hdrLen = 4

// Walk calls fn for each message of version 5 in a dump b, in order, with
// its offset in b, its type and its bytes (rtm_msglen of them: the header
// and its sockaddrs). A message length shorter than that common part or
// past the end of b is an error naming the offset: nothing after it can be
// framed, and fn has seen the messages before it.
func Walk(b []byte, fn func(off int, typ uint8, msg []byte)) error {
	for off := 0; off < len(b); {
		rest := len(b) - off
		if rest < hdrLen {
			return fmt.Errorf("routing message at offset %d: %d bytes left, shorter than a message header (%d)", off, rest, hdrLen)
		}
		l := int(binary.NativeEndian.Uint16(b[off:]))
		if l < hdrLen || l > rest {
			return fmt.Errorf("routing message at offset %d: length %d, outside %d..%d", off, l, hdrLen, rest)
		}
		if b[off+2] == Version {
			fn(off, b[off+3], b[off:off+l])
		}
		off += l
	}
	return nil
}

// Addrs are a message's sockaddrs by RTAX_* index, each cut to its sa_len
// (empty, not nil, for one of sa_len 0); nil where absent.
type Addrs [NAddrs][]byte

// ParseAddrs splits the sockaddrs of msg that follow its header of hdr
// bytes, present being the header's address mask. A sockaddr whose sa_len
// runs past the end of msg is an error naming its slot and its offset in
// msg; bits above RTAX_MAX are ignored.
func (o OS) ParseAddrs(msg []byte, hdr int, present uint32) (Addrs, error) {
	var a Addrs
	off := hdr
	for i := range NAddrs {
		if present&(1<<i) == 0 {
			continue
		}
		if off >= len(msg) {
			return a, fmt.Errorf("%s at offset %d: past the end of the %d-byte message", addrName(i), off, len(msg))
		}
		l := int(msg[off])
		if l > len(msg)-off {
			return a, fmt.Errorf("%s at offset %d: sa_len %d, past the end of the %d-byte message", addrName(i), off, l, len(msg))
		}
		a[i] = msg[off : off+l]
		off += max(roundUp(l, o.Align()), o.Align())
	}
	return a, nil
}

// roundUp rounds n up to a multiple of align, a power of two.
func roundUp(n, align int) int { return (n + align - 1) &^ (align - 1) }

// Family is the sa_family of sockaddr sa; 0 when sa is too short to have
// one.
func Family(sa []byte) uint8 {
	if len(sa) < 2 {
		return 0
	}
	return sa[1]
}

// Where the address of a sockaddr_in and of a sockaddr_in6 starts.
const (
	sinAddr  = 4 // after sin_len, sin_family, sin_port
	sin6Addr = 8 // after sin6_len, sin6_family, sin6_port, sin6_flowinfo
)

// IP is the address of sockaddr sa when it is an AF_INET or AF_INET6 one;
// false for another family. Bytes that sa_len cut off count as zeros. The
// interface index a BSD kernel keeps in bytes 2 and 3 of a link-local
// IPv6 address (KAME's embedded scope, which macOS exports as it is) is
// cleared: the route or address names its interface otherwise.
func (o OS) IP(sa []byte) (netip.Addr, bool) {
	switch Family(sa) {
	case AFInet:
		var a [4]byte
		copyFrom(a[:], sa, sinAddr)
		return netip.AddrFrom4(a), true
	case o.AFInet6():
		var a [16]byte
		copyFrom(a[:], sa, sin6Addr)
		ip := netip.AddrFrom16(a)
		if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
			a[2], a[3] = 0, 0
			ip = netip.AddrFrom16(a)
		}
		return ip, true
	}
	return netip.Addr{}, false
}

// copyFrom fills dst from src starting at off, as far as src goes.
func copyFrom(dst, src []byte, off int) {
	if off < len(src) {
		copy(dst, src[off:])
	}
}

// MaskBits is the prefix length of netmask sockaddr sa for an IPv6
// address when v6, else for an IPv4 one: its leading one bits. The mask
// is read at the address offset of the family it goes with, not its own:
// the kernels cut netmasks short after their last non-zero byte (a /0
// mask may have sa_len 0) and do not always set their family (xnu's may
// hold all ones there).
func MaskBits(sa []byte, v6 bool) int {
	off, n := sinAddr, 4
	if v6 {
		off, n = sin6Addr, 16
	}
	bits := 0
	for i := range n {
		c := byte(0)
		if off+i < len(sa) {
			c = sa[off+i]
		}
		if c != 0xff {
			for c&0x80 != 0 {
				bits++
				c <<= 1
			}
			return bits
		}
		bits += 8
	}
	return bits
}

// Link is what a sockaddr_dl (net/if_dl.h) says of an interface.
type Link struct {
	Index int    // sdl_index: the interface's index; 0 when not given
	Name  string // the interface's name; "" when not given
	Addr  []byte // its link-layer address; nil when it has none
}

// sdlData is where sockaddr_dl's sdl_data (the name, then the address)
// starts: after sdl_len, sdl_family, sdl_index, sdl_type, sdl_nlen,
// sdl_alen and sdl_slen.
const sdlData = 8

// ParseLink decodes sockaddr sa as a sockaddr_dl; false when it is of
// another family, or too short for its header or for the name and address
// lengths it gives.
func ParseLink(sa []byte) (Link, bool) {
	if Family(sa) != AFLink || len(sa) < sdlData {
		return Link{}, false
	}
	nlen, alen := int(sa[5]), int(sa[6])
	if sdlData+nlen+alen > len(sa) {
		return Link{}, false
	}
	l := Link{Index: int(binary.NativeEndian.Uint16(sa[2:])), Name: string(sa[sdlData : sdlData+nlen])}
	if alen > 0 {
		l.Addr = append([]byte(nil), sa[sdlData+nlen:sdlData+nlen+alen]...)
	}
	return l, true
}
