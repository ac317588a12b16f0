package routes

import (
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Read lists the routes with GetIpForwardTable2, named by Linux's
// numbers where the meanings agree: Windows has one table, shown as main;
// routes the system made (MIB_IPPROTO_LOCAL) are kernel's, the
// administrator's (NETMGMT) static; a route with a next hop has universe
// scope, one without link scope.
func Read(opts Options) ([]Route, error) {
	if opts.Table != 0 && opts.Table != TableMain && !opts.AllTables {
		return nil, nil // Windows has one table
	}
	af := uint16(windows.AF_UNSPEC)
	switch opts.Family {
	case IPv4:
		af = windows.AF_INET
	case IPv6:
		af = windows.AF_INET6
	}
	var table *windows.MibIpForwardTable2
	if err := windows.GetIpForwardTable2(af, &table); err != nil {
		return nil, fmt.Errorf("GetIpForwardTable2: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(table))
	rows := unsafe.Slice(&table.Table[0], table.NumEntries)
	// The interfaces' names from one read of the adapter list.
	names := map[int]string{}
	if all, err := net.Interfaces(); err == nil {
		for _, ni := range all {
			names[ni.Index] = ni.Name
		}
	}
	var out []Route
	for i := range rows {
		if r, ok := fromRow(&rows[i]); ok {
			r.Interface = names[r.Index]
			out = append(out, r)
		}
	}
	return out, nil
}

// fromRow is the Route of a MIB_IPFORWARD_ROW2; false for a family other
// than IPv4 and IPv6.
func fromRow(row *windows.MibIpForwardRow2) (Route, bool) {
	dst, fam, ok := sockaddrAddr(&row.DestinationPrefix.Prefix)
	if !ok {
		return Route{}, false
	}
	r := Route{Family: fam, Dst: netip.PrefixFrom(dst, int(row.DestinationPrefix.PrefixLength)),
		Index: int(row.InterfaceIndex), Metric: row.Metric, Table: TableMain, Type: 1, Scope: 253}
	if gw, _, ok := sockaddrAddr(&row.NextHop); ok && !gw.IsUnspecified() {
		r.Gateway, r.Scope = gw, 0
	}
	switch row.Protocol {
	case windows.MIB_IPPROTO_LOCAL:
		r.Protocol = 2 // kernel
	case windows.MIB_IPPROTO_NETMGMT:
		r.Protocol = 4 // static
	}
	return r, true
}

// sockaddrAddr is the address of a SOCKADDR_INET and its family.
func sockaddrAddr(sa *windows.RawSockaddrInet) (netip.Addr, Family, bool) {
	b := (*[24]byte)(unsafe.Pointer(&sa.Data))
	switch sa.Family {
	case windows.AF_INET:
		return netip.AddrFrom4([4]byte(b[0:4])), IPv4, true
	case windows.AF_INET6:
		return netip.AddrFrom16([16]byte(b[4:20])), IPv6, true
	}
	return netip.Addr{}, 0, false
}
