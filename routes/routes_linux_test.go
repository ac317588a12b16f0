package routes

import (
	"net/netip"
	"testing"
)

// TestRead: every namespace has loopback's local route to 127.0.0.1, in
// table local: Read finds it, named lo, with --table all or local only,
// and table main (the default) leaves it out.
func TestRead(t *testing.T) {
	lo := netip.MustParsePrefix("127.0.0.1/32")
	find := func(opts Options) *Route {
		t.Helper()
		rs, err := Read(opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rs {
			if rs[i].Dst == lo && rs[i].Type == 2 {
				return &rs[i]
			}
		}
		return nil
	}
	for _, opts := range []Options{{AllTables: true}, {Table: TableLocal}, {Table: TableLocal, Family: IPv4}} {
		r := find(opts)
		if r == nil {
			t.Fatalf("%+v: no local route to %v", opts, lo)
		}
		if r.Interface != "lo" || r.Table != TableLocal || r.Scope != 254 || r.Protocol != 2 {
			t.Errorf("%+v: %+v, want interface lo, table local, scope host, protocol kernel", opts, *r)
		}
	}
	for _, opts := range []Options{{}, {AllTables: true, Family: IPv6}} {
		if r := find(opts); r != nil {
			t.Errorf("%+v: the local route %+v", opts, *r)
		}
	}
}
