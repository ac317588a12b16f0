package routes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/portwatch/portwatch/internal/rtnl"
)

// Sizes of the fixed headers a route message carries.
const (
	rtmsgLen     = 12 // struct rtmsg
	rtnexthopLen = 8  // struct rtnexthop
	rtattrLen    = 4  // struct rtattr
)

// Route attributes (enum rtattr_type_t) DecodeRoute reads.
const (
	rtaDst       = 1
	rtaSrc       = 2
	rtaOIF       = 4
	rtaGateway   = 5
	rtaPriority  = 6
	rtaPrefSrc   = 7
	rtaMultipath = 9
	rtaTable     = 15
	rtaVia       = 18
)

// DecodeRoute decodes the body of an RTM_NEWROUTE message (struct rtmsg
// and its attributes) into a Route, without its interface names. It is a
// pure function of the bytes: a body too short, an attribute that overruns
// it or an address of the wrong length is an error that says so.
func DecodeRoute(body []byte) (Route, error) {
	if len(body) < rtmsgLen {
		return Route{}, fmt.Errorf("route message: %d bytes, shorter than struct rtmsg (%d)", len(body), rtmsgLen)
	}
	r := Route{
		Family:   Family(body[0]),
		Table:    Table(body[4]),
		Protocol: Protocol(body[5]),
		Scope:    Scope(body[6]),
		Type:     Type(body[7]),
		Flags:    Flags(binary.NativeEndian.Uint32(body[8:])),
	}
	if r.Family != IPv4 && r.Family != IPv6 {
		return Route{}, fmt.Errorf("route message: family %d is neither IPv4 (2) nor IPv6 (10)", body[0])
	}
	attrs := body[rtmsgLen:]
	if err := checkAttrs(attrs); err != nil {
		return Route{}, fmt.Errorf("route message: %w", err)
	}
	var dst, src netip.Addr
	var err error
	rtnl.Attrs(attrs, func(typ uint16, val []byte) bool {
		err = r.decodeAttr(typ, val, &dst, &src)
		return err == nil
	})
	if err != nil {
		return Route{}, fmt.Errorf("route message: %w", err)
	}
	if r.Dst, err = prefix(r.Family, "RTA_DST", dst, body[1]); err != nil {
		return Route{}, fmt.Errorf("route message: %w", err)
	}
	if src.IsValid() || body[2] != 0 {
		if r.Src, err = prefix(r.Family, "RTA_SRC", src, body[2]); err != nil {
			return Route{}, fmt.Errorf("route message: %w", err)
		}
	}
	return r, nil
}

// decodeAttr decodes one route attribute into r, the destination and
// source addresses into dst and src; attributes it does not know are
// skipped.
func (r *Route) decodeAttr(typ uint16, val []byte, dst, src *netip.Addr) error {
	var err error
	switch typ {
	case rtaDst:
		*dst, err = addr(r.Family, "RTA_DST", val)
	case rtaSrc:
		*src, err = addr(r.Family, "RTA_SRC", val)
	case rtaGateway:
		r.Gateway, err = addr(r.Family, "RTA_GATEWAY", val)
	case rtaVia:
		r.Gateway, err = via(val)
	case rtaPrefSrc:
		r.PrefSrc, err = addr(r.Family, "RTA_PREFSRC", val)
	case rtaOIF:
		var v uint32
		v, err = u32("RTA_OIF", val)
		r.Index = int(v)
	case rtaPriority:
		r.Metric, err = u32("RTA_PRIORITY", val)
	case rtaTable:
		var v uint32
		v, err = u32("RTA_TABLE", val)
		r.Table = Table(v)
	case rtaMultipath:
		r.Nexthops, err = nexthops(r.Family, val)
	}
	return err
}

// nexthops decodes RTA_MULTIPATH: struct rtnexthop after struct
// rtnexthop, each with its own attributes.
func nexthops(fam Family, b []byte) ([]Nexthop, error) {
	var hops []Nexthop
	for i := 0; len(b) > 0; i++ {
		if len(b) < rtnexthopLen {
			return nil, fmt.Errorf("RTA_MULTIPATH: next hop %d: %d bytes, shorter than struct rtnexthop (%d)", i, len(b), rtnexthopLen)
		}
		l := int(binary.NativeEndian.Uint16(b))
		if l < rtnexthopLen || l > len(b) {
			return nil, fmt.Errorf("RTA_MULTIPATH: next hop %d: length %d, outside %d..%d", i, l, rtnexthopLen, len(b))
		}
		h, err := nexthop(fam, b[:l])
		if err != nil {
			return nil, fmt.Errorf("RTA_MULTIPATH: next hop %d: %w", i, err)
		}
		hops = append(hops, h)
		b = b[min(align4(l), len(b)):]
	}
	return hops, nil
}

// nexthop decodes one struct rtnexthop and its attributes, b holding
// exactly them.
func nexthop(fam Family, b []byte) (Nexthop, error) {
	h := Nexthop{
		Flags:  Flags(b[2]),
		Weight: int(b[3]) + 1,
		Index:  int(binary.NativeEndian.Uint32(b[4:])),
	}
	attrs := b[rtnexthopLen:]
	if err := checkAttrs(attrs); err != nil {
		return Nexthop{}, err
	}
	var err error
	rtnl.Attrs(attrs, func(typ uint16, val []byte) bool {
		switch typ {
		case rtaGateway:
			h.Gateway, err = addr(fam, "RTA_GATEWAY", val)
		case rtaVia:
			h.Gateway, err = via(val)
		}
		return err == nil
	})
	return h, err
}

// checkAttrs returns an error naming the first attribute of b whose
// length is short or overruns b: rtnl.Attrs ends quietly there.
func checkAttrs(b []byte) error {
	for off := 0; off < len(b); {
		rest := len(b) - off
		if rest < rtattrLen {
			return fmt.Errorf("%d bytes after the attributes at offset %d, shorter than an attribute header", rest, off)
		}
		l := int(binary.NativeEndian.Uint16(b[off:]))
		if l < rtattrLen || l > rest {
			typ := binary.NativeEndian.Uint16(b[off+2:]) & 0x3fff
			return fmt.Errorf("attribute %d at offset %d: length %d, outside %d..%d", typ, off, l, rtattrLen, rest)
		}
		off += align4(l)
	}
	return nil
}

// addr decodes an address of family fam from the attribute called name.
func addr(fam Family, name string, b []byte) (netip.Addr, error) {
	switch {
	case fam == IPv4 && len(b) == 4:
		return netip.AddrFrom4([4]byte(b)), nil
	case fam == IPv6 && len(b) == 16:
		return netip.AddrFrom16([16]byte(b)), nil
	}
	return netip.Addr{}, fmt.Errorf("%s: %d bytes, not an %s address", name, len(b), fam)
}

// via decodes RTA_VIA, struct rtvia: a 16-bit family and an address of
// that family, which may differ from the route's (IPv4 over IPv6).
func via(b []byte) (netip.Addr, error) {
	if len(b) < 2 {
		return netip.Addr{}, errors.New("RTA_VIA: shorter than its family")
	}
	fam := binary.NativeEndian.Uint16(b)
	if fam != uint16(IPv4) && fam != uint16(IPv6) {
		return netip.Addr{}, fmt.Errorf("RTA_VIA: family %d is neither IPv4 nor IPv6", fam)
	}
	return addr(Family(fam), "RTA_VIA", b[2:])
}

// prefix makes the prefix of bits bits at a, the attribute called name;
// when the attribute is absent bits must be 0 and the prefix is the
// family's default, 0.0.0.0/0 or ::/0.
func prefix(fam Family, name string, a netip.Addr, bits uint8) (netip.Prefix, error) {
	if !a.IsValid() {
		if bits != 0 {
			return netip.Prefix{}, fmt.Errorf("prefix length %d without %s", bits, name)
		}
		if fam == IPv4 {
			return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
		}
		return netip.PrefixFrom(netip.IPv6Unspecified(), 0), nil
	}
	if int(bits) > a.BitLen() {
		return netip.Prefix{}, fmt.Errorf("%s: prefix length %d, longer than an %s address", name, bits, fam)
	}
	return netip.PrefixFrom(a, int(bits)), nil
}

// u32 decodes a 32-bit attribute called name.
func u32(name string, b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%s: %d bytes, want 4", name, len(b))
	}
	return binary.NativeEndian.Uint32(b), nil
}

// align4 rounds n up to a multiple of 4, netlink's alignment.
func align4(n int) int { return (n + 3) &^ 3 }
