// Package rtsocktest builds routing-socket messages for tests from the
// documented layouts: C structs laid out member by member as a compiler
// does (to pin the decoders' header sizes and offsets), sockaddrs as the
// kernels write them, and messages of a header and its padded sockaddrs.
package rtsocktest

import (
	"encoding/binary"
	"net/netip"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// Dialects are every layout the decoders know, for tests to go through.
func Dialects() []rtsock.OS { return []rtsock.OS{rtsock.Darwin, rtsock.FreeBSD, rtsock.FreeBSD32} }

// Field is a C struct member: its name, size and alignment.
type Field struct {
	Name        string
	Size, Align int
}

// C member types by size and alignment.
func U8(name string) Field  { return Field{name, 1, 1} }
func U16(name string) Field { return Field{name, 2, 2} }
func U32(name string) Field { return Field{name, 4, 4} }

// U64 is a 64-bit member; align is 8 on the 64-bit ABIs and on 32-bit
// ARM, 4 on i386.
func U64(name string, align int) Field { return Field{name, 8, align} }

// Long is a C long (u_long) of os: 8 bytes on 64-bit FreeBSD, 4 on
// 32-bit FreeBSD (macOS's headers use fixed-width types where it matters).
func Long(os rtsock.OS, name string) Field {
	if os == rtsock.FreeBSD {
		return Field{name, 8, 8}
	}
	return Field{name, 4, 4}
}

// Array is n members of f's type.
func Array(f Field, n int) Field { return Field{f.Name, f.Size * n, f.Align} }

// Struct lays fields out as a C compiler does, members aligned to their
// alignment (at most pack when pack is not 0, as #pragma pack(pack)
// makes it), the size rounded up to the largest alignment: the offsets by
// member name, the size and the alignment.
func Struct(pack int, fields ...Field) (offsets map[string]int, size, align int) {
	offsets = map[string]int{}
	align = 1
	for _, f := range fields {
		a := f.Align
		if pack > 0 {
			a = min(a, pack)
		}
		align = max(align, a)
		size = (size + a - 1) / a * a
		offsets[f.Name] = size
		size += f.Size
	}
	size = (size + align - 1) / align * align
	return offsets, size, align
}

// Put16, Put32 and Put64 write v in host order at b[off:].
func Put16(b []byte, off int, v uint16) { binary.NativeEndian.PutUint16(b[off:], v) }
func Put32(b []byte, off int, v uint32) { binary.NativeEndian.PutUint32(b[off:], v) }
func Put64(b []byte, off int, v uint64) { binary.NativeEndian.PutUint64(b[off:], v) }

// Inet is the sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) of os
// for address a: sa_len, sa_family, a zero port, then the address (at 4
// and 8 respectively).
func Inet(os rtsock.OS, a string) []byte {
	ip := netip.MustParseAddr(a)
	if ip.Is4() {
		sa := make([]byte, 16)
		sa[0], sa[1] = 16, rtsock.AFInet
		copy(sa[4:], ip.AsSlice())
		return sa
	}
	sa := make([]byte, 28)
	sa[0], sa[1] = 28, os.AFInet6()
	copy(sa[8:], ip.AsSlice())
	return sa
}

// Inet6Scoped is the sockaddr_in6 of os for link-local address a with
// interface index scope the way the system exports it: macOS leaves it
// embedded in bytes 2 and 3 of the address (KAME's form), FreeBSD moves
// it to sin6_scope_id (at 24).
func Inet6Scoped(os rtsock.OS, a string, scope uint16) []byte {
	sa := Inet(os, a)
	if os == rtsock.Darwin {
		binary.BigEndian.PutUint16(sa[8+2:], scope)
	} else {
		Put32(sa, 24, uint32(scope))
	}
	return sa
}

// Mask is the netmask sockaddr of a prefix of bits bits, IPv6 when v6,
// as the kernels' radix trees keep them: cut short after the last
// non-zero byte (sa_len 0 for /0) and with family fam, which need not be
// the address's (0, or 0xff as xnu may leave it).
func Mask(v6 bool, bits int, fam uint8) []byte {
	off, n := 4, 4
	if v6 {
		off, n = 8, 16
	}
	sa := make([]byte, off+n)
	sa[1] = fam
	for i := 0; i < bits; i++ {
		sa[off+i/8] |= 0x80 >> (i % 8)
	}
	l := len(sa)
	for l > off && sa[l-1] == 0 {
		l--
	}
	if l == off {
		l = 0
	}
	sa[0] = byte(l)
	return sa[:max(l, 2)]
}

// Link is a sockaddr_dl (net/if_dl.h): sdl_len, sdl_family AF_LINK,
// sdl_index, sdl_type, sdl_nlen, sdl_alen, sdl_slen 0, then name and
// address in sdl_data, at least its 12 bytes.
func Link(index uint16, typ uint8, name string, addr []byte) []byte {
	data := append([]byte(name), addr...)
	sa := make([]byte, 8+max(len(data), 12))
	sa[0], sa[1] = byte(len(sa)), rtsock.AFLink
	Put16(sa, 2, index)
	sa[4], sa[5], sa[6] = typ, byte(len(name)), byte(len(addr))
	copy(sa[8:], data)
	return sa
}

// Message is a message of os: hdr (its header, of its full size) with
// rtm_msglen, rtm_version 5 and rtm_type typ written at 0, 2 and 3 and
// the mask of the sockaddrs given written at addrsOff, followed by those
// sockaddrs in RTAX order, each padded to os's boundary.
func Message(os rtsock.OS, hdr []byte, typ uint8, addrsOff int, addrs rtsock.Addrs) []byte {
	m := append([]byte(nil), hdr...)
	var mask uint32
	for i, sa := range addrs {
		if sa == nil {
			continue
		}
		mask |= 1 << i
		m = append(m, sa...)
		slot := max((len(sa)+os.Align()-1)/os.Align()*os.Align(), os.Align())
		m = append(m, make([]byte, slot-len(sa))...)
	}
	Put16(m, 0, uint16(len(m)))
	m[2], m[3] = rtsock.Version, typ
	Put32(m, addrsOff, mask)
	return m
}
