package render

import (
	"io"
	"net/netip"
	"strconv"

	"github.com/portwatch/portwatch/routes"
)

// RoutesText writes routes as a table, as ip route and netstat -rn do, in
// the order given: Destination (a prefix, 0.0.0.0/0 or ::/0 for a default
// route, "X from Y" for a source-specific one), Gateway and Interface ("-"
// for none), Metric, then Table when the routes are not all of table main,
// then Protocol, Scope and Type. A multipath route shows its first next
// hop in its row and each other one in a row of its own below, with only
// Gateway and Interface. An interface Read could not name shows as its
// index, #N. Names are sanitized.
func RoutesText(w io.Writer, rs []routes.Route) error {
	withTable := showTableColumn(rs)
	header := []string{"Destination", "Gateway", "Interface", "Metric", "Table", "Protocol", "Scope", "Type"}
	right := []bool{false, false, false, true, false, false, false, false}
	if !withTable {
		header = append(header[:4], header[5:]...)
		right = append(right[:4], right[5:]...)
	}
	var rows [][]string
	for _, r := range rs {
		rows = append(rows, routeRow(r, withTable))
		for i := 1; i < len(r.Nexthops); i++ {
			rows = append(rows, nexthopRow(r.Nexthops[i], len(header)))
		}
	}
	return writeTable(w, header, right, rows)
}

// showTableColumn reports whether RoutesText shows the Table column: when
// some route is of another table than main.
func showTableColumn(rs []routes.Route) bool {
	for _, r := range rs {
		if r.Table != routes.TableMain {
			return true
		}
	}
	return false
}

// routeRow is r's row of the table, its first next hop's gateway and
// interface when it has next hops.
func routeRow(r routes.Route, withTable bool) []string {
	dst := r.Dst.String()
	if r.Src.IsValid() {
		dst += " from " + r.Src.String()
	}
	gw, dev := r.Gateway, ifName(r.Interface, r.Index)
	if len(r.Nexthops) > 0 {
		gw, dev = r.Nexthops[0].Gateway, ifName(r.Nexthops[0].Interface, r.Nexthops[0].Index)
	}
	row := []string{dst, addrOrDash(gw), Sanitize(orDash(dev)), strconv.FormatUint(uint64(r.Metric), 10)}
	if withTable {
		row = append(row, r.Table.String())
	}
	return append(row, r.Protocol.String(), r.Scope.String(), r.Type.String())
}

// nexthopRow is the row of a next hop after a multipath route's first:
// its gateway and interface, the other n-3 cells empty.
func nexthopRow(h routes.Nexthop, n int) []string {
	row := make([]string, n)
	row[1], row[2] = addrOrDash(h.Gateway), Sanitize(orDash(ifName(h.Interface, h.Index)))
	return row
}

// ifName is an interface's name, or its index as #N when it has none.
func ifName(name string, index int) string {
	if name == "" && index != 0 {
		return "#" + strconv.Itoa(index)
	}
	return name
}

// addrOrDash is a's text, or "-" when a is invalid.
func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

// RoutesJSON writes routes as one object, in the order given:
// {"version":1,"routes":[{"family":"ipv4","dst":"0.0.0.0/0",
// "gateway":"10.0.0.1","interface":"eth0","ifindex":2,"metric":100,
// "table":"main","protocol":"dhcp","scope":"universe","type":"unicast",
// "prefsrc":"10.0.0.2"},...]}. Empty fields are left out (src, gateway,
// interface, ifindex, metric 0, flags, prefsrc, nexthops); a multipath
// route's "nexthops" are [{"gateway":...,"interface":...,"ifindex":N,
// "weight":W,"flags":[...]}]. Names are the tables', protocols', scopes'
// and types' (or their numbers, as strings).
func RoutesJSON(w io.Writer, rs []routes.Route) error {
	b := append([]byte(nil), `{"version":1,"routes":[`...)
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRouteJSON(b, r)
	}
	b = append(b, "]}\n"...)
	_, err := w.Write(b)
	return err
}

// appendRouteJSON appends r as a JSON object.
func appendRouteJSON(b []byte, r routes.Route) []byte {
	b = append(b, `{"family":`...)
	b = appendJSONString(b, r.Family.String())
	b = appendJSONField(b, "dst", r.Dst.String())
	if r.Src.IsValid() {
		b = appendJSONField(b, "src", r.Src.String())
	}
	b = appendHopJSON(b, r.Gateway, r.Interface, r.Index)
	if r.Metric != 0 {
		b = append(b, `,"metric":`...)
		b = strconv.AppendUint(b, uint64(r.Metric), 10)
	}
	b = appendJSONField(b, "table", r.Table.String())
	b = appendJSONField(b, "protocol", r.Protocol.String())
	b = appendJSONField(b, "scope", r.Scope.String())
	b = appendJSONField(b, "type", r.Type.String())
	b = appendFlagsJSON(b, r.Flags)
	if r.PrefSrc.IsValid() {
		b = appendJSONField(b, "prefsrc", r.PrefSrc.String())
	}
	if len(r.Nexthops) > 0 {
		b = append(b, `,"nexthops":[`...)
		for i, h := range r.Nexthops {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNexthopJSON(b, h)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendNexthopJSON appends h as a JSON object.
func appendNexthopJSON(b []byte, h routes.Nexthop) []byte {
	b = append(b, `{"weight":`...)
	b = strconv.AppendInt(b, int64(h.Weight), 10)
	b = appendHopJSON(b, h.Gateway, h.Interface, h.Index)
	b = appendFlagsJSON(b, h.Flags)
	return append(b, '}')
}

// appendHopJSON appends the gateway, interface and ifindex fields that are
// not empty, each after a comma.
func appendHopJSON(b []byte, gw netip.Addr, dev string, index int) []byte {
	if gw.IsValid() {
		b = appendJSONField(b, "gateway", gw.String())
	}
	if dev != "" {
		b = appendJSONField(b, "interface", dev)
	}
	if index != 0 {
		b = append(b, `,"ifindex":`...)
		b = strconv.AppendInt(b, int64(index), 10)
	}
	return b
}

// appendFlagsJSON appends ,"flags":[names] when f has any.
func appendFlagsJSON(b []byte, f routes.Flags) []byte {
	names := f.Names()
	if len(names) == 0 {
		return b
	}
	b = append(b, `,"flags":[`...)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
	}
	return append(b, ']')
}

// appendJSONField appends ,"key":"value".
func appendJSONField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}
