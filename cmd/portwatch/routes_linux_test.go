package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/testenv"
	"github.com/portwatch/portwatch/routes"
)

// pwRoute is a route of portwatch routes --json.
type pwRoute struct {
	Family, Dst, Src, Gateway, Interface string
	Metric                               uint32
	Table, Protocol, Scope, Type         string
	Prefsrc                              string
	Nexthops                             []struct {
		Gateway, Interface string
		Weight             int
	}
}

// ipRoute is a route of ip -N -j route show.
type ipRoute struct {
	Type, Dst, Gateway, Dev, Table string
	Protocol, Scope, Prefsrc       string
	Metric                         uint32
	Via                            *struct{ Host string }
	Nexthops                       []struct {
		Gateway, Dev string
		Weight       int
		Via          *struct{ Host string }
	}
}

// routeFacts is what the tests compare of a route: key says which route it
// is, the rest what else both must agree on.
type routeFacts struct {
	key                      string // family, destination, gateways and interfaces, table, metric, type
	protocol, scope, prefsrc string
}

// runRoutesCommand runs portwatch routes with args (through
// newRoutesCommand: the command is not registered in root.go yet) and
// returns its output.
func runRoutesCommand(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := newRoutesCommand(&out)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

// pwRoutes runs portwatch routes --table all --json, in namespace ns when
// it is not "", and returns its routes' facts.
func pwRoutes(t *testing.T, ns string) []routeFacts {
	t.Helper()
	var out string
	var err error
	inRoutesNetns(t, ns, func() { out, err = runRoutesCommand("--table", "all", "--json") })
	if err != nil {
		t.Fatalf("portwatch routes --table all --json: %v", err)
	}
	var doc struct {
		Version int
		Routes  []pwRoute
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Version != 1 {
		t.Fatalf("portwatch routes --json: %v\n%s", err, out)
	}
	var facts []routeFacts
	for _, r := range doc.Routes {
		hops := r.Gateway + "@" + r.Interface
		if len(r.Nexthops) > 0 {
			hops = ""
			for _, h := range r.Nexthops {
				hops += h.Gateway + "@" + h.Interface + "*" + strconv.Itoa(h.Weight) + ","
			}
		}
		if r.Src != "" {
			hops = "from " + r.Src + " " + hops
		}
		facts = append(facts, routeFacts{
			key:      strings.Join([]string{r.Family, r.Dst, hops, r.Table, strconv.FormatUint(uint64(r.Metric), 10), r.Type}, " "),
			protocol: r.Protocol, scope: r.Scope, prefsrc: r.Prefsrc,
		})
	}
	return facts
}

// ipRoutes runs ip -N -j route show table all for IPv4 and for IPv6 (in
// namespace ns when it is not ""), numeric so that the names of
// /etc/iproute2 do not matter, and returns the routes' facts, named as
// portwatch names them.
func ipRoutes(t *testing.T, ns string) []routeFacts {
	t.Helper()
	var facts []routeFacts
	for _, fam := range []routes.Family{routes.IPv4, routes.IPv6} {
		args := []string{"-" + strings.TrimPrefix(fam.String(), "ipv"), "-N", "-j", "route", "show", "table", "all"}
		if ns != "" {
			args = append([]string{"-n", ns}, args...)
		}
		out, err := exec.Command("ip", args...).Output()
		if err != nil {
			t.Fatalf("ip %s: %v", strings.Join(args, " "), err)
		}
		var rs []ipRoute
		if len(bytes.TrimSpace(out)) > 0 {
			if err := json.Unmarshal(out, &rs); err != nil {
				t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		for _, r := range rs {
			facts = append(facts, ipFacts(t, fam, r))
		}
	}
	return facts
}

// ipFacts turns a route of ip's into the facts portwatch would show.
func ipFacts(t *testing.T, fam routes.Family, r ipRoute) routeFacts {
	t.Helper()
	hops := viaHost(r.Gateway, r.Via) + "@" + r.Dev
	if len(r.Nexthops) > 0 {
		hops = ""
		for _, h := range r.Nexthops {
			hops += viaHost(h.Gateway, h.Via) + "@" + h.Dev + "*" + strconv.Itoa(max(h.Weight, 1)) + ","
		}
	}
	table := "main"
	if r.Table != "" {
		n, _, err := routes.ParseTable(r.Table)
		if err != nil {
			t.Fatalf("ip's table %q: %v", r.Table, err)
		}
		table = n.String()
	}
	key := []string{fam.String(), ipDst(t, fam, r.Dst), hops, table, strconv.FormatUint(uint64(r.Metric), 10),
		numberName(r.Type, "unicast", func(n uint8) string { return routes.Type(n).String() })}
	return routeFacts{
		key:      strings.Join(key, " "),
		protocol: numberName(r.Protocol, "boot", func(n uint8) string { return routes.Protocol(n).String() }),
		scope:    numberName(r.Scope, "universe", func(n uint8) string { return routes.Scope(n).String() }),
		prefsrc:  r.Prefsrc,
	}
}

// viaHost is a gateway of ip's: gateway, or via's host (a gateway of
// another family).
func viaHost(gateway string, via *struct{ Host string }) string {
	if gateway == "" && via != nil {
		return via.Host
	}
	return gateway
}

// ipDst is ip's destination as a prefix: "default" is the family's
// 0.0.0.0/0 or ::/0, an address alone its full-length prefix.
func ipDst(t *testing.T, fam routes.Family, dst string) string {
	t.Helper()
	if dst == "default" {
		if fam == routes.IPv4 {
			return "0.0.0.0/0"
		}
		return "::/0"
	}
	if strings.Contains(dst, "/") {
		return netip.MustParsePrefix(dst).String()
	}
	a, err := netip.ParseAddr(dst)
	if err != nil {
		t.Fatalf("ip's destination %q: %v", dst, err)
	}
	return netip.PrefixFrom(a, a.BitLen()).String()
}

// numberName is ip -N's number s by name, def when ip left it out (as it
// leaves out boot, universe, unicast), s as is when not a number.
func numberName(s, def string, name func(uint8) string) string {
	if s == "" {
		return def
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		return name(uint8(n))
	}
	return s
}

// inRoutesNetns runs fn in namespace ns ("" for this one) on an OS thread
// of its own, moved into ns and back. When it cannot move back, the thread
// is left locked, so that it ends with its goroutine.
func inRoutesNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	if ns == "" {
		fn()
		return
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer home.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		fn()
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("running in namespace %s: %v", ns, err)
	}
}

// missing lists the facts of want that got lacks or disagrees on.
func missing(want, got []routeFacts) []string {
	var out []string
	for _, w := range want {
		i := slices.IndexFunc(got, func(g routeFacts) bool { return g.key == w.key })
		switch {
		case i < 0:
			out = append(out, w.key)
		case got[i] != w:
			out = append(out, w.key+": "+got[i].protocol+"/"+got[i].scope+"/"+got[i].prefsrc+
				", not "+w.protocol+"/"+w.scope+"/"+w.prefsrc)
		}
	}
	return out
}

// TestRoutesAgainstIP: every route ip shows in every table, IPv4 and
// IPv6, portwatch routes --table all --json shows with the same
// destination, gateway, interface, table, metric, type, protocol, scope
// and preferred source, and it shows no other. Routes that come or go
// meanwhile are forgiven: ip is read before and after.
func TestRoutesAgainstIP(t *testing.T) {
	testenv.NeedProgram(t, "ip", "iproute2")
	before := ipRoutes(t, "")
	pw := pwRoutes(t, "")
	after := ipRoutes(t, "")
	if len(pw) == 0 {
		t.Fatal("portwatch shows no routes")
	}
	for _, m := range missing(before, pw) {
		if !slices.Contains(missing(after, pw), m) {
			continue
		}
		t.Errorf("ip shows the route, portwatch does not: %s", m)
	}
	for _, m := range missing(pw, before) {
		if slices.Contains(missing(pw, after), m) {
			t.Errorf("portwatch shows the route, ip does not: %s", m)
		}
	}
}

// TestRoutesNetns: in a namespace of the test's own with a veth pair (not
// a dummy link: the dummy module may be missing) d0-d1, an
// IPv4 route by a gateway with metric 77, a multipath route, an IPv6 route
// and a blackhole in table 100, portwatch routes read inside it shows
// exactly ip's routes, those among them; the text shows the route's row
// and -4, -6 and --table choose as they say.
func TestRoutesNetns(t *testing.T) {
	testenv.NeedRoot(t, "create a network namespace with routes")
	testenv.NeedProgram(t, "ip", "iproute2")
	ns := "pwtest-r-" + strconv.Itoa(os.Getpid())
	addNamedNetns(t, ns)
	for _, args := range [][]string{
		{"link", "add", "d0", "type", "veth", "peer", "name", "d1"},
		{"addr", "add", "10.99.0.1/24", "dev", "d0"},
		{"addr", "add", "fd99::1/64", "dev", "d0", "nodad"},
		{"link", "set", "d0", "up"},
		{"link", "set", "d1", "up"},
		{"route", "add", "10.98.0.0/16", "via", "10.99.0.2", "dev", "d0", "metric", "77"},
		{"route", "add", "10.97.0.0/16", "nexthop", "via", "10.99.0.2", "dev", "d0", "weight", "1", "nexthop", "via", "10.99.0.3", "dev", "d0", "weight", "3"},
		{"-6", "route", "add", "fd98::/32", "via", "fd99::2", "dev", "d0", "metric", "55", "proto", "static"},
		{"route", "add", "blackhole", "10.96.0.0/16", "table", "100"},
	} {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip -n %s %s: %v: %s", ns, strings.Join(args, " "), err, out)
		}
	}
	ip, pw := ipRoutes(t, ns), pwRoutes(t, ns)
	for _, m := range missing(ip, pw) {
		t.Errorf("ip shows the route, portwatch does not: %s", m)
	}
	for _, m := range missing(pw, ip) {
		t.Errorf("portwatch shows the route, ip does not: %s", m)
	}
	for _, want := range []routeFacts{
		{key: "ipv4 10.98.0.0/16 10.99.0.2@d0 main 77 unicast", protocol: "boot", scope: "universe"},
		{key: "ipv4 10.97.0.0/16 10.99.0.2@d0*1,10.99.0.3@d0*3, main 0 unicast", protocol: "boot", scope: "universe"},
		{key: "ipv6 fd98::/32 fd99::2@d0 main 55 unicast", protocol: "static", scope: "universe"},
		{key: "ipv4 10.96.0.0/16 @ 100 0 blackhole", protocol: "boot", scope: "universe"},
		{key: "ipv4 10.99.0.1/32 @d0 local 0 local", protocol: "kernel", scope: "host", prefsrc: "10.99.0.1"},
	} {
		if m := missing([]routeFacts{want}, pw); m != nil {
			t.Errorf("portwatch lacks or differs on %v", m)
		}
		if m := missing([]routeFacts{want}, ip); m != nil {
			t.Errorf("ip lacks or differs on %v (the test's expectation is wrong)", m)
		}
	}
	checkRoutesText(t, ns)
}

// checkRoutesText checks the text of portwatch routes inside ns: table
// main only by default, without a Table column; -4, -6 and --table as
// they say.
func checkRoutesText(t *testing.T, ns string) {
	t.Helper()
	for _, tc := range []struct {
		args          []string
		want, notWant []string // rows by their fields, joined by one space
	}{
		{nil, []string{"10.98.0.0/16 10.99.0.2 d0 77 boot universe unicast", "fd98::/32 fd99::2 d0 55 static universe unicast",
			"10.97.0.0/16 10.99.0.2 d0 0 boot universe unicast", "10.99.0.3 d0", "Destination Gateway Interface Metric Protocol Scope Type"},
			[]string{"10.96.0.0/16", "local", "Table"}},
		{[]string{"-4"}, []string{"10.98.0.0/16 10.99.0.2 d0 77 boot universe unicast"}, []string{"fd98::/32"}},
		{[]string{"-6"}, []string{"fd98::/32 fd99::2 d0 55 static universe unicast"}, []string{"10.98.0.0/16"}},
		{[]string{"-4", "-6"}, []string{"10.98.0.0/16 10.99.0.2 d0 77 boot universe unicast", "fd98::/32 fd99::2 d0 55 static universe unicast"}, nil},
		{[]string{"--table", "100"}, []string{"10.96.0.0/16 - - 0 100 boot universe blackhole", "Table"}, []string{"10.98.0.0/16"}},
		{[]string{"--table", "local", "-4"}, []string{"10.99.0.1/32 - d0 0 local kernel host local"}, []string{"10.98.0.0/16", "fd99::1/128"}},
		{[]string{"--table", "all"}, []string{"10.98.0.0/16 10.99.0.2 d0 77 main boot universe unicast", "10.96.0.0/16 - - 0 100 boot universe blackhole"}, nil},
	} {
		var out string
		var err error
		inRoutesNetns(t, ns, func() { out, err = runRoutesCommand(tc.args...) })
		if err != nil {
			t.Fatalf("routes %v: %v", tc.args, err)
		}
		var rows []string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			rows = append(rows, strings.Join(strings.Fields(line), " "))
		}
		for _, w := range tc.want {
			if !slices.Contains(rows, w) && !(w == "Table" && strings.Contains(rows[0], " Table ")) {
				t.Errorf("routes %v: no row %q in\n%s", tc.args, w, out)
			}
		}
		for _, nw := range tc.notWant {
			if strings.Contains(out, nw) {
				t.Errorf("routes %v: %q in\n%s", tc.args, nw, out)
			}
		}
	}
}

// TestRoutesUsage: bad values and arguments are usage errors (exit 2),
// with one line that names the value.
func TestRoutesUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--table", "nosuch"}, `invalid --table: "nosuch" is no table`},
		{[]string{"--table", "0"}, "invalid --table: table 0"},
		{[]string{"--table", "99999999999"}, "invalid --table"},
	} {
		out, err := runRoutesCommand(tc.args...)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") || out != "" {
			t.Errorf("routes %v: error %v (%T), output %q; want a one-line usage error with %q", tc.args, err, err, out, tc.want)
		}
	}
	for _, args := range [][]string{{"extra"}, {"--table"}, {"--nosuch"}} {
		if _, err := runRoutesCommand(args...); err == nil {
			t.Errorf("routes %v: no error", args)
		} else if errors.As(err, new(*runtimeError)) {
			t.Errorf("routes %v: a runtime error, not a usage one: %v", args, err)
		}
	}
}

// TestNetstatRouteFlag: netstat's -r (and -rn) is portwatch routes.
func TestNetstatRouteFlag(t *testing.T) {
	a := runCmd(t, exec.Command(binPath, "-rn", "-4"))
	b := runCmd(t, exec.Command(binPath, "routes", "-4"))
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout || !strings.HasPrefix(a.stdout, "Destination") {
		t.Errorf("-rn -4 (exit %d):\n%s\nroutes -4 (exit %d):\n%s", a.code, a.stdout, b.code, b.stdout)
	}
}
