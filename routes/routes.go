// Package routes reads the kernel's routing tables, as ip route and
// netstat -r show them: the decoding of rtnetlink's RTM_NEWROUTE messages,
// pure and fuzzed, and on Linux the dump itself.
package routes

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Route is one route of a routing table.
type Route struct {
	Family    Family       // IPv4 or IPv6
	Dst       netip.Prefix // the destination; 0.0.0.0/0 or ::/0 for a default route
	Src       netip.Prefix // the source prefix of a source-specific route; invalid when none
	Gateway   netip.Addr   // the next hop; invalid when none (a directly connected route)
	Index     int          // the outgoing interface's index; 0 when none
	Interface string       // the outgoing interface's name, when Read resolved Index
	Metric    uint32       // the route's priority: lower wins
	Table     Table        // the table the route is in
	Protocol  Protocol     // who installed it
	Scope     Scope        // how far its destination is
	Type      Type         // what the route does: unicast, local, blackhole, ...
	Flags     Flags        // RTNH_F_* and RTM_F_* flags
	PrefSrc   netip.Addr   // the preferred source address; invalid when none
	Nexthops  []Nexthop    // the next hops of a multipath route; nil otherwise
}

// Nexthop is one next hop of a multipath route.
type Nexthop struct {
	Gateway   netip.Addr // invalid when none
	Index     int        // the outgoing interface's index
	Interface string     // its name, when Read resolved Index
	Weight    int        // the hop's share: 1 or more
	Flags     Flags      // RTNH_F_* flags
}

// Family is an address family, by Linux's numbers.
type Family uint8

// The families routes are read for.
const (
	IPv4 Family = 2  // AF_INET
	IPv6 Family = 10 // AF_INET6
)

// String is "ipv4", "ipv6" or the family's number.
func (f Family) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return strconv.Itoa(int(f))
}

// Table is a routing table's number.
type Table uint32

// The tables with names of their own.
const (
	TableDefault Table = 253
	TableMain    Table = 254
	TableLocal   Table = 255
)

// String is the table's name (main, local, default) or its number.
func (t Table) String() string {
	switch t {
	case TableDefault:
		return "default"
	case TableMain:
		return "main"
	case TableLocal:
		return "local"
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ParseTable reads a table as --table takes it: "all" (all is true), a
// name String gives (main, local, default) or a number from 1.
func ParseTable(s string) (t Table, all bool, err error) {
	switch s {
	case "all":
		return 0, true, nil
	case "main":
		return TableMain, false, nil
	case "local":
		return TableLocal, false, nil
	case "default":
		return TableDefault, false, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	switch {
	case err != nil:
		return 0, false, fmt.Errorf("%q is no table: want all, main, local, default or a number", s)
	case n == 0:
		return 0, false, fmt.Errorf("table 0 is no table: want all, main, local, default or a number from 1")
	}
	return Table(n), false, nil
}

// Protocol says who installed a route (rtm_protocol).
type Protocol uint8

// String is the protocol's name or its number.
func (v Protocol) String() string {
	// A switch, not a map: nothing to build when portwatch starts.
	switch v {
	case 0:
		return "unspec"
	case 1:
		return "redirect"
	case 2:
		return "kernel"
	case 3:
		return "boot"
	case 4:
		return "static"
	case 8:
		return "gated"
	case 9:
		return "ra"
	case 10:
		return "mrt"
	case 11:
		return "zebra"
	case 12:
		return "bird"
	case 13:
		return "dnrouted"
	case 14:
		return "xorp"
	case 15:
		return "ntk"
	case 16:
		return "dhcp"
	case 17:
		return "mrouted"
	case 18:
		return "keepalived"
	case 42:
		return "babel"
	case 99:
		return "openr"
	case 186:
		return "bgp"
	case 187:
		return "isis"
	case 188:
		return "ospf"
	case 189:
		return "rip"
	case 192:
		return "eigrp"
	}
	return strconv.Itoa(int(v))
}

// Scope is how far a route's destination is (rtm_scope).
type Scope uint8

// String is the scope's name or its number.
func (v Scope) String() string {
	// A switch, not a map: nothing to build when portwatch starts.
	switch v {
	case 0:
		return "universe"
	case 200:
		return "site"
	case 253:
		return "link"
	case 254:
		return "host"
	case 255:
		return "nowhere"
	}
	return strconv.Itoa(int(v))
}

// Type is what a route does (rtm_type).
type Type uint8

// String is the type's name or its number.
func (v Type) String() string {
	// A switch, not a map: nothing to build when portwatch starts.
	switch v {
	case 0:
		return "unspec"
	case 1:
		return "unicast"
	case 2:
		return "local"
	case 3:
		return "broadcast"
	case 4:
		return "anycast"
	case 5:
		return "multicast"
	case 6:
		return "blackhole"
	case 7:
		return "unreachable"
	case 8:
		return "prohibit"
	case 9:
		return "throw"
	case 10:
		return "nat"
	case 11:
		return "xresolve"
	}
	return strconv.Itoa(int(v))
}

// Flags are a route's or a next hop's flags: RTNH_F_* in the low byte,
// RTM_F_* above.
type Flags uint32

// The flags a dump can carry.
const (
	FlagDead          Flags = 0x1        // RTNH_F_DEAD: the next hop is dead
	FlagPervasive     Flags = 0x2        // RTNH_F_PERVASIVE
	FlagOnlink        Flags = 0x4        // RTNH_F_ONLINK: the gateway is on the link
	FlagOffload       Flags = 0x8        // RTNH_F_OFFLOAD: offloaded to hardware
	FlagLinkdown      Flags = 0x10       // RTNH_F_LINKDOWN: the carrier is down
	FlagUnresolved    Flags = 0x20       // RTNH_F_UNRESOLVED
	FlagTrap          Flags = 0x40       // RTNH_F_TRAP
	FlagNotify        Flags = 0x100      // RTM_F_NOTIFY
	FlagCloned        Flags = 0x200      // RTM_F_CLONED: a cached route, not one of a table
	FlagEqualize      Flags = 0x400      // RTM_F_EQUALIZE
	FlagPrefix        Flags = 0x800      // RTM_F_PREFIX
	FlagLookupTable   Flags = 0x1000     // RTM_F_LOOKUP_TABLE
	FlagFibMatch      Flags = 0x2000     // RTM_F_FIB_MATCH
	FlagRouteOffload  Flags = 0x4000     // RTM_F_OFFLOAD
	FlagRouteTrap     Flags = 0x8000     // RTM_F_TRAP
	FlagOffloadFailed Flags = 0x20000000 // RTM_F_OFFLOAD_FAILED
)

// flagNames name the flags, in the order Names lists them.
var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagDead, "dead"}, {FlagPervasive, "pervasive"}, {FlagOnlink, "onlink"},
	{FlagOffload, "offload"}, {FlagLinkdown, "linkdown"}, {FlagUnresolved, "unresolved"},
	{FlagTrap, "trap"}, {FlagNotify, "notify"}, {FlagCloned, "cloned"},
	{FlagEqualize, "equalize"}, {FlagPrefix, "prefix"}, {FlagLookupTable, "lookup_table"},
	{FlagFibMatch, "fib_match"}, {FlagRouteOffload, "rt_offload"}, {FlagRouteTrap, "rt_trap"},
	{FlagOffloadFailed, "rt_offload_failed"},
}

// Names lists the set flags by name; an unnamed one as its hex value.
func (f Flags) Names() []string {
	var names []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			names = append(names, n.name)
			f &^= n.f
		}
	}
	for bit := Flags(1); f != 0; bit <<= 1 {
		if f&bit != 0 {
			names = append(names, "0x"+strconv.FormatUint(uint64(bit), 16))
			f &^= bit
		}
	}
	return names
}

// String is the flags' names joined with commas; "" for none.
func (f Flags) String() string { return strings.Join(f.Names(), ",") }

// Options choose the routes Read returns.
type Options struct {
	// Family is IPv4 or IPv6 for one family's routes; 0 for both.
	Family Family
	// AllTables keeps the routes of every table; Table is then ignored.
	AllTables bool
	// Table is the table to keep when not AllTables; 0 means main, as
	// ip route shows.
	Table Table
}

// keeps reports whether opts keep r: the tables and family asked for,
// and no cached (cloned) route, which ip route show leaves out too.
func (opts Options) keeps(r Route) bool {
	if r.Flags&FlagCloned != 0 || (opts.Family != 0 && r.Family != opts.Family) {
		return false
	}
	if opts.AllTables {
		return true
	}
	want := opts.Table
	if want == 0 {
		want = TableMain
	}
	return r.Table == want
}

// families lists the families opts ask for, IPv4 first.
func (opts Options) families() []Family {
	if opts.Family != 0 {
		return []Family{opts.Family}
	}
	return []Family{IPv4, IPv6}
}
