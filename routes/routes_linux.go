package routes

import (
	"encoding/binary"
	"fmt"

	"github.com/portwatch/portwatch/internal/rtnl"
)

// rtnetlink message types Read uses.
const (
	rtmNewLink  = 16
	rtmGetLink  = 18
	rtmNewRoute = 24
	rtmGetRoute = 26
)

// Link header size and the attribute with a link's name.
const (
	ifinfomsgLen = 16 // struct ifinfomsg
	iflaIfname   = 3
)

// Read dumps the routing tables of this thread's network namespace, one
// family after the other (IPv4 first), in the kernel's order, and returns
// the routes opts keep (by default table main, both families), their
// interfaces named. Cached (cloned) routes are left out, as ip route show
// leaves them.
func Read(opts Options) ([]Route, error) {
	names, err := linkNames()
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, fam := range opts.families() {
		msgs, err := rtnl.Dump(rtmGetRoute, routeRequest(fam))
		if err != nil {
			return nil, fmt.Errorf("dumping the %s routes: %w", fam, err)
		}
		for _, m := range msgs {
			if m.Type != rtmNewRoute {
				continue
			}
			r, err := DecodeRoute(m.Body)
			if err != nil {
				return nil, fmt.Errorf("dumping the %s routes: %w", fam, err)
			}
			if opts.keeps(r) {
				out = append(out, named(r, names))
			}
		}
	}
	return out, nil
}

// routeRequest is the body of a route dump request: a struct rtmsg with
// only its family set.
func routeRequest(fam Family) []byte {
	b := make([]byte, rtmsgLen)
	b[0] = byte(fam)
	return b
}

// named fills in the names of r's interfaces and next hops' from names.
func named(r Route, names map[int]string) Route {
	r.Interface = names[r.Index]
	for i := range r.Nexthops {
		r.Nexthops[i].Interface = names[r.Nexthops[i].Index]
	}
	return r
}

// linkNames dumps the links and returns their names by index.
func linkNames() (map[int]string, error) {
	msgs, err := rtnl.Dump(rtmGetLink, make([]byte, ifinfomsgLen))
	if err != nil {
		return nil, fmt.Errorf("dumping the interfaces: %w", err)
	}
	names := map[int]string{}
	for _, m := range msgs {
		if m.Type != rtmNewLink || len(m.Body) < ifinfomsgLen {
			continue
		}
		index := int(int32(binary.NativeEndian.Uint32(m.Body[4:])))
		rtnl.Attrs(m.Body[ifinfomsgLen:], func(typ uint16, val []byte) bool {
			if typ == iflaIfname {
				names[index] = cString(val)
			}
			return typ != iflaIfname
		})
	}
	return names, nil
}

// cString is b up to its first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
