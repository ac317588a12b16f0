package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/routes"
)

// sampleRoutes are a realistic mix: table main's default (DHCP) and
// connected routes, a multipath route with an unnamed interface, an IPv6
// source-specific blackhole in a numbered table, local-table routes, and
// an interface named to forge a row.
func sampleRoutes() []routes.Route {
	a, p := netip.MustParseAddr, netip.MustParsePrefix
	return []routes.Route{
		{Family: routes.IPv4, Dst: p("0.0.0.0/0"), Gateway: a("192.0.2.1"), Index: 2, Interface: "eth0", Metric: 100,
			Table: routes.TableMain, Protocol: 16, Type: 1, PrefSrc: a("192.0.2.2")},
		{Family: routes.IPv4, Dst: p("192.0.2.0/24"), Index: 2, Interface: "eth0", Metric: 100,
			Table: routes.TableMain, Protocol: 2, Scope: 253, Type: 1, PrefSrc: a("192.0.2.2"), Flags: routes.FlagLinkdown},
		{Family: routes.IPv4, Dst: p("10.98.0.0/16"), Table: routes.TableMain, Protocol: 4, Type: 1, Nexthops: []routes.Nexthop{
			{Gateway: a("10.99.0.2"), Index: 3, Interface: "d0", Weight: 1},
			{Gateway: a("10.99.1.2"), Index: 9, Weight: 3, Flags: routes.FlagOnlink},
		}},
		{Family: routes.IPv4, Dst: p("10.66.0.0/24"), Index: 4, Interface: "evil\n0.0.0.0/0 \x1b[2J", Metric: 5,
			Table: routes.TableMain, Protocol: 3, Scope: 253, Type: 1},
		{Family: routes.IPv6, Dst: p("2001:db8::/64"), Src: p("2001:db8:1::/56"), Metric: 1024,
			Table: 1000, Protocol: 4, Type: 6},
		{Family: routes.IPv6, Dst: p("::/0"), Gateway: a("fe80::1"), Index: 2, Interface: "eth0", Metric: 1024,
			Table: routes.TableMain, Protocol: 9, Type: 1},
		{Family: routes.IPv4, Dst: p("127.0.0.1/32"), Index: 1, Interface: "lo",
			Table: routes.TableLocal, Protocol: 2, Scope: 254, Type: 2, PrefSrc: a("127.0.0.1")},
	}
}

// mainOnly is rs without the routes of other tables than main.
func mainOnly(rs []routes.Route) []routes.Route {
	var out []routes.Route
	for _, r := range rs {
		if r.Table == routes.TableMain {
			out = append(out, r)
		}
	}
	return out
}

func TestRoutesText(t *testing.T) {
	for _, tc := range []struct {
		golden string
		rs     []routes.Route
	}{
		{"routes-all.txt", sampleRoutes()},
		{"routes-main.txt", mainOnly(sampleRoutes())},
		{"routes-empty.txt", nil},
	} {
		var buf bytes.Buffer
		if err := RoutesText(&buf, tc.rs); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, tc.golden, buf.Bytes())
		lines := 1 + len(tc.rs)
		for _, r := range tc.rs {
			lines += max(len(r.Nexthops)-1, 0)
		}
		if bytes.Contains(buf.Bytes(), []byte("\x1b")) || bytes.Count(buf.Bytes(), []byte("\n")) != lines {
			t.Errorf("%s: an escape or a line too many or few:\n%s", tc.golden, buf.Bytes())
		}
	}
}

func TestRoutesTextTableColumn(t *testing.T) {
	var buf bytes.Buffer
	RoutesText(&buf, mainOnly(sampleRoutes()))
	if header, _, _ := strings.Cut(buf.String(), "\n"); strings.Contains(header, "Table") {
		t.Errorf("table main only, but a Table column: %q", header)
	}
	buf.Reset()
	RoutesText(&buf, sampleRoutes()[6:])
	if header, _, _ := strings.Cut(buf.String(), "\n"); !strings.Contains(header, "Table") {
		t.Errorf("table local, but no Table column: %q", header)
	}
}

func TestRoutesJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := RoutesJSON(&buf, sampleRoutes()); err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"routes":[` +
		`{"family":"ipv4","dst":"0.0.0.0/0","gateway":"192.0.2.1","interface":"eth0","ifindex":2,"metric":100,"table":"main","protocol":"dhcp","scope":"universe","type":"unicast","prefsrc":"192.0.2.2"},` +
		`{"family":"ipv4","dst":"192.0.2.0/24","interface":"eth0","ifindex":2,"metric":100,"table":"main","protocol":"kernel","scope":"link","type":"unicast","flags":["linkdown"],"prefsrc":"192.0.2.2"},` +
		`{"family":"ipv4","dst":"10.98.0.0/16","table":"main","protocol":"static","scope":"universe","type":"unicast","nexthops":[` +
		`{"weight":1,"gateway":"10.99.0.2","interface":"d0","ifindex":3},{"weight":3,"gateway":"10.99.1.2","ifindex":9,"flags":["onlink"]}]},` +
		`{"family":"ipv4","dst":"10.66.0.0/24","interface":"evil\n0.0.0.0/0 \u001b[2J","ifindex":4,"metric":5,"table":"main","protocol":"boot","scope":"link","type":"unicast"},` +
		`{"family":"ipv6","dst":"2001:db8::/64","src":"2001:db8:1::/56","metric":1024,"table":"1000","protocol":"static","scope":"universe","type":"blackhole"},` +
		`{"family":"ipv6","dst":"::/0","gateway":"fe80::1","interface":"eth0","ifindex":2,"metric":1024,"table":"main","protocol":"ra","scope":"universe","type":"unicast"},` +
		`{"family":"ipv4","dst":"127.0.0.1/32","interface":"lo","ifindex":1,"table":"local","protocol":"kernel","scope":"host","type":"local","prefsrc":"127.0.0.1"}` +
		"]}\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	var doc struct {
		Version int
		Routes  []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Version != 1 || len(doc.Routes) != 7 {
		t.Errorf("not valid JSON of 7 routes: %v", err)
	}
	buf.Reset()
	RoutesJSON(&buf, nil)
	if buf.String() != `{"version":1,"routes":[]}`+"\n" {
		t.Errorf("no routes: %q", buf.String())
	}
}
