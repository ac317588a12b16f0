package netif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// The BSD side: the interface list sysctl (macOS NET_RT_IFLIST2, FreeBSD
// NET_RT_IFLIST) is one message per interface, struct if_msghdr2 (macOS,
// RTM_IFINFO2) or struct if_msghdr (FreeBSD, RTM_IFINFO) with its if_data
// and the interface's sockaddr_dl, each followed by one RTM_NEWADDR
// (struct ifa_msghdr and its sockaddrs) per address. The layouts, from
// xnu's bsd/net/if.h and if_var.h and FreeBSD's sys/net/if.h:
//
//	                      macOS if_msghdr2   FreeBSD if_msghdr
//	size                  160                168 (32- and 64-bit alike)
//	ifm_addrs, _flags     4, 8               4, 8
//	ifm_index (u_short)   12                 12
//	ifm_data              32: if_data64      16: if_data
//	ifi_link_state        none               data+4
//	ifi_mtu (u32)         data+8             data+8
//	ifi_ipackets ...      data+24            data+24
//	tx drops              ifm_snd_drops: 24  ifi_oqdrops: data+104
//
// From ifi_ipackets on, both have the same ten 64-bit counters in the
// same order: ipackets, ierrors, opackets, oerrors, collisions, ibytes,
// obytes, imcasts, omcasts, iqdrops. struct ifa_msghdr is 20 bytes on
// both: ifam_addrs at 4, ifam_index at 12.

// ifLayout is where an OS's interface message keeps what Interface takes.
type ifLayout struct {
	typ       uint8  // the message type
	name      string // the header's name, for errors
	size      int    // the header's size: the sockaddrs follow it
	mtu       int    // ifi_mtu, 32 bits
	counters  int    // ifi_ipackets, the first of the ten counters
	linkState int    // ifi_link_state, one byte; 0 when the header has none
	txDrops   int    // the tx drops counter
	txDrops64 bool   // whether it is 64 bits wide (else 32)
}

// ifLayoutOf is os's interface message layout.
func ifLayoutOf(os rtsock.OS) ifLayout {
	if os == rtsock.Darwin {
		const data = 32
		return ifLayout{typ: rtsock.RTMIfInfo2, name: "struct if_msghdr2", size: 160,
			mtu: data + 8, counters: data + 24, txDrops: 24}
	}
	const data = 16
	return ifLayout{typ: rtsock.RTMIfInfo, name: "struct if_msghdr", size: 168,
		mtu: data + 8, counters: data + 24, linkState: data + 4, txDrops: data + 104, txDrops64: true}
}

// ifaMsghdrLen is the size of struct ifa_msghdr on both systems.
const ifaMsghdrLen = 20

// if_data's ifi_link_state values (FreeBSD's sys/net/if.h).
const (
	linkStateDown = 1 // LINK_STATE_DOWN
	linkStateUp   = 2 // LINK_STATE_UP
)

// The BSD IFF_* bits State reads (net/if.h on both systems).
const (
	bsdIFFUp      = 0x1
	bsdIFFRunning = 0x40
	bsdIFFMcast   = 0x8000
)

// DecodeBSDInterfaces decodes the interface list dump b of os (macOS's
// NET_RT_IFLIST2, FreeBSD's NET_RT_IFLIST) into the interfaces by index,
// each with its addresses. Messages of other types (macOS's RTM_NEWMADDR2
// for multicast memberships) are skipped, and so are addresses of families
// other than IPv4 and IPv6. A message that does not decode is an error
// naming its offset, the others still decoded; a dump that cannot be
// framed ends there.
func DecodeBSDInterfaces(b []byte, os rtsock.OS) ([]Interface, error) {
	l := ifLayoutOf(os)
	var out []Interface
	var errs []error
	err := rtsock.Walk(b, func(off int, typ uint8, m []byte) {
		switch typ {
		case l.typ:
			in, err := decodeIfInfo(m, os, l)
			if err != nil {
				errs = append(errs, fmt.Errorf("interface message at offset %d: %w", off, err))
				return
			}
			out = append(out, in)
		case rtsock.RTMNewAddr:
			index, p, ok, err := decodeIfAddr(m, os)
			if err != nil {
				errs = append(errs, fmt.Errorf("address message at offset %d: %w", off, err))
				return
			}
			if i := slices.IndexFunc(out, func(in Interface) bool { return in.Index == index }); ok && i >= 0 {
				out[i].Addrs = append(out[i].Addrs, p)
			}
		}
	})
	slices.SortStableFunc(out, func(a, b Interface) int { return a.Index - b.Index })
	return out, errors.Join(append(errs, err)...)
}

// decodeIfInfo decodes one RTM_IFINFO2 or RTM_IFINFO message m.
func decodeIfInfo(m []byte, os rtsock.OS, l ifLayout) (Interface, error) {
	if len(m) < l.size {
		return Interface{}, fmt.Errorf("%d bytes, shorter than %s (%d)", len(m), l.name, l.size)
	}
	ne := binary.NativeEndian
	flags := ne.Uint32(m[8:])
	in := Interface{Index: int(ne.Uint16(m[12:])), MTU: int(ne.Uint32(m[l.mtu:])),
		Flags: iffFlags(flags, bsdIFFMcast), State: "DOWN", HasStats: true}
	// The counters are if_data's; rx drops are ifi_iqdrops, tx drops
	// FreeBSD's ifi_oqdrops and, macOS's if_data64 having no such
	// field, if_msghdr2's ifm_snd_drops (the send queue's). macOS
	// rounds the byte counters down to a multiple of 1024 for programs
	// that are not Apple's own.
	c := func(i int) uint64 { return ne.Uint64(m[l.counters+8*i:]) }
	in.Stats = Stats{
		RxPackets: c(0), RxErrors: c(1), TxPackets: c(2), TxErrors: c(3), Collisions: c(4),
		RxBytes: c(5), TxBytes: c(6), Multicast: c(7), RxDropped: c(9), // c(8): ifi_omcasts
	}
	if l.txDrops64 {
		in.Stats.TxDropped = ne.Uint64(m[l.txDrops:])
	} else {
		in.Stats.TxDropped = uint64(ne.Uint32(m[l.txDrops:]))
	}
	// UP is IFF_UP with the link up: by ifi_link_state where the
	// header has it and the driver knows (FreeBSD), else by
	// IFF_RUNNING (macOS, and FreeBSD's LINK_STATE_UNKNOWN).
	linkUp := flags&bsdIFFRunning != 0
	if l.linkState != 0 {
		switch m[l.linkState] {
		case linkStateUp:
			linkUp = true
		case linkStateDown:
			linkUp = false
		}
	}
	if flags&bsdIFFUp != 0 && linkUp {
		in.State = "UP"
	}
	addrs, err := os.ParseAddrs(m, l.size, ne.Uint32(m[4:]))
	if err != nil {
		return in, fmt.Errorf("interface %d: %w", in.Index, err)
	}
	link, ok := rtsock.ParseLink(addrs[rtsock.RTAXIfp])
	if !ok || link.Name == "" {
		return in, fmt.Errorf("interface %d has no name (no sockaddr_dl in RTA_IFP)", in.Index)
	}
	in.Name = link.Name
	if link.Addr != nil {
		in.MAC = net.HardwareAddr(link.Addr)
	}
	return in, nil
}

// decodeIfAddr decodes one RTM_NEWADDR message m: the interface's index
// and the address (RTA_IFA) with its prefix length from RTA_NETMASK (the
// whole address without one); ok is false for an address that is not
// IPv4 or IPv6.
func decodeIfAddr(m []byte, os rtsock.OS) (index int, p netip.Prefix, ok bool, err error) {
	if len(m) < ifaMsghdrLen {
		return 0, p, false, fmt.Errorf("%d bytes, shorter than struct ifa_msghdr (%d)", len(m), ifaMsghdrLen)
	}
	ne := binary.NativeEndian
	index = int(ne.Uint16(m[12:]))
	addrs, err := os.ParseAddrs(m, ifaMsghdrLen, ne.Uint32(m[4:]))
	if err != nil {
		return index, p, false, fmt.Errorf("address of interface %d: %w", index, err)
	}
	a, ok := os.IP(addrs[rtsock.RTAXIfa])
	if !ok {
		return index, p, false, nil
	}
	bits := a.BitLen()
	if mask := addrs[rtsock.RTAXNetmask]; mask != nil {
		bits = rtsock.MaskBits(mask, a.Is6())
	}
	return index, netip.PrefixFrom(a, bits), true, nil
}

// snapshotBSD is the Snapshot of interface list dump b of os, read now,
// or readErr when the sysctl failed.
func snapshotBSD(b []byte, readErr error, os rtsock.OS) (*Snapshot, error) {
	if readErr != nil {
		return nil, fmt.Errorf("reading the interface list: %w", readErr)
	}
	now := time.Now()
	ifs, err := DecodeBSDInterfaces(b, os)
	return &Snapshot{Time: now, Interfaces: ifs}, err
}
