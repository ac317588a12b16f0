package collector

import (
	"context"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

func sock(proto Proto, local, remote string, st State, owners ...Owner) Socket {
	l, r := netip.MustParseAddrPort(local), netip.MustParseAddrPort(remote)
	fam := FamilyIPv4
	if l.Addr().Is6() {
		fam = FamilyIPv6
	}
	return Socket{Proto: proto, Family: fam, Local: l, Remote: r, State: st, Owners: owners}
}

// An address and a port given together name one end of a socket: both
// must be that end's, as in ADDR:PORT. With AddrWildcard, a socket bound
// to every address of a family that includes ADDR answers for it too.
func TestFilterAddrPort(t *testing.T) {
	addr4 := netip.MustParseAddr("127.0.0.1")
	addr6 := netip.MustParseAddr("::1")
	conn := sock(ProtoTCP, "127.0.0.1:8080", "10.0.0.9:50000", StateEstablished)
	out := sock(ProtoTCP, "10.0.0.9:50000", "127.0.0.1:8080", StateEstablished)
	crossed := sock(ProtoTCP, "10.0.0.9:8080", "127.0.0.1:50000", StateEstablished)
	any4 := sock(ProtoTCP, "0.0.0.0:8080", "0.0.0.0:0", StateListen)
	any6 := sock(ProtoTCP, "[::]:8080", "[::]:0", StateListen)
	mapped := sock(ProtoTCP, "[::ffff:127.0.0.1]:8080", "[::ffff:10.0.0.9]:1", StateEstablished)
	other := sock(ProtoTCP, "127.0.0.2:8080", "0.0.0.0:0", StateListen)
	remoteAny := sock(ProtoUDP, "127.0.0.1:9", "0.0.0.0:0", StateClose)

	cases := []struct {
		name string
		f    Filter
		s    Socket
		want bool
	}{
		{"local end", Filter{Addr: addr4, Port: 8080}, conn, true},
		{"remote end", Filter{Addr: addr4, Port: 8080}, out, true},
		{"address and port on different ends", Filter{Addr: addr4, Port: 8080}, crossed, false},
		{"port alone, either end", Filter{Port: 8080}, crossed, true},
		{"address alone, either end", Filter{Addr: addr4}, crossed, true},
		{"other address", Filter{Addr: addr4, Port: 8080}, other, false},
		{"IPv4-mapped local end", Filter{Addr: addr4, Port: 8080}, mapped, true},
		{"mapped filter address", Filter{Addr: netip.MustParseAddr("::ffff:127.0.0.1"), Port: 8080}, conn, true},
		{"0.0.0.0 without AddrWildcard", Filter{Addr: addr4, Port: 8080}, any4, false},
		{"0.0.0.0 answers for an IPv4 address", Filter{Addr: addr4, Port: 8080, AddrWildcard: true}, any4, true},
		{":: (dual-stack) answers for an IPv4 address", Filter{Addr: addr4, Port: 8080, AddrWildcard: true}, any6, true},
		{":: answers for an IPv6 address", Filter{Addr: addr6, Port: 8080, AddrWildcard: true}, any6, true},
		{"0.0.0.0 does not answer for an IPv6 address", Filter{Addr: addr6, Port: 8080, AddrWildcard: true}, any4, false},
		{"wildcard on another port", Filter{Addr: addr4, Port: 9090, AddrWildcard: true}, any4, false},
		{"a remote 0.0.0.0 is not a wildcard", Filter{Addr: netip.MustParseAddr("10.1.1.1"), AddrWildcard: true}, remoteAny, false},
		{"LocalPort is checked apart from Addr", Filter{Addr: addr4, LocalPort: 50000}, out, true},
		{"RemotePort with Addr on the local end", Filter{Addr: addr4, RemotePort: 50000}, conn, true},
	}
	for _, c := range cases {
		if got := c.f.Match(&c.s); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
}

// MatchOwners keeps a socket held by one of the PIDs or process names; a
// name matches the kernel's comm exactly, or a longer name that the
// 15-byte comm truncates.
func TestFilterMatchOwners(t *testing.T) {
	nginx := Owner{PID: 100, Process: "nginx", FD: 3}
	long := Owner{PID: 200, Process: "systemd-resolve", FD: 4} // 15 bytes: truncated comm
	short := Owner{PID: 300, Process: "php-fpm", FD: 5}
	cases := []struct {
		name   string
		f      Filter
		owners []Owner
		want   bool
	}{
		{"no owner filter keeps everything", Filter{}, nil, true},
		{"PID", Filter{PIDs: []int{100}}, []Owner{nginx}, true},
		{"other PID", Filter{PIDs: []int{101}}, []Owner{nginx}, false},
		{"second holder's PID", Filter{PIDs: []int{300}}, []Owner{nginx, short}, true},
		{"no owners", Filter{PIDs: []int{100}}, nil, false},
		{"name", Filter{Processes: []string{"nginx"}}, []Owner{nginx}, true},
		{"name is not a prefix match", Filter{Processes: []string{"ngin"}}, []Owner{nginx}, false},
		{"longer name than a short comm", Filter{Processes: []string{"nginx-worker"}}, []Owner{nginx}, false},
		{"full name of a truncated comm", Filter{Processes: []string{"systemd-resolved"}}, []Owner{long}, true},
		{"truncated comm exactly", Filter{Processes: []string{"systemd-resolve"}}, []Owner{long}, true},
		{"other long name", Filter{Processes: []string{"systemd-journald"}}, []Owner{long}, false},
		{"PID or name", Filter{PIDs: []int{999}, Processes: []string{"php-fpm"}}, []Owner{short}, true},
		{"case matters", Filter{Processes: []string{"NGINX"}}, []Owner{nginx}, false},
	}
	for _, c := range cases {
		s := Socket{Owners: c.owners}
		if got := c.f.MatchOwners(&s); got != c.want {
			t.Errorf("%s: MatchOwners = %v, want %v", c.name, got, c.want)
		}
	}
}

// The collector New returns applies the owner filter itself, on every OS,
// and looks owners up for it even when Options.Owners is not set: a
// TIME_WAIT socket (held by no process) on the test's port is dropped,
// the test's own listener and connection are kept.
func TestNewAppliesOwnerFilter(t *testing.T) {
	if _, err := New(Options{}); err != nil {
		testenv.SkipOrFail(t, "no collector on %s: %v", runtime.GOOS, err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	// The first connection is closed by the client first: its client end
	// goes to TIME_WAIT, which no process holds.
	first, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server1 := <-accepted
	first.Close()
	time.Sleep(50 * time.Millisecond)
	server1.Close()
	second, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	server2 := <-accepted
	defer server2.Close()

	collect := func(f Filter) []Socket {
		t.Helper()
		return mustCollect(t, Options{Protos: []Proto{ProtoTCP}, Families: []Family{FamilyIPv4}, Filter: f})
	}
	all := collect(Filter{Port: port})
	timeWait := 0
	for _, s := range all {
		if s.State == StateTimeWait {
			timeWait++
		}
	}
	if timeWait == 0 {
		t.Fatalf("no TIME_WAIT socket on port %d to filter out: %v", port, all)
	}

	pid := os.Getpid()
	for _, f := range []Filter{{Port: port, PIDs: []int{pid}}, {Port: port, Processes: []string{ownName(t, port, pid)}}} {
		kept := collect(f)
		states := map[State]int{}
		for _, s := range kept {
			states[s.State]++
			if !heldBy(&s, pid) {
				t.Errorf("filter %+v kept %v %v-%v, not held by pid %d (owners %v)", f, s.State, s.Local, s.Remote, pid, s.Owners)
			}
		}
		// The listener and both ends of the open connection; whatever is
		// left of the first connection's server end is ours too. Wine 8
		// names the owner of the connecting end only (see
		// collector_windows_test.go), so there only that end is kept.
		wantListen, wantEstablished := 1, 2
		if ownersOnlyForConnectingEnds() {
			wantListen, wantEstablished = 0, 1
		}
		if states[StateListen] != wantListen || states[StateEstablished] != wantEstablished || states[StateTimeWait] != 0 {
			t.Errorf("filter %+v kept states %v, want %d LISTEN, %d ESTABLISHED, no TIME_WAIT", f, states, wantListen, wantEstablished)
		}
	}
}

// ownName is the process name the collector gives pid for its sockets on
// port (looked up without an owner filter).
func ownName(t *testing.T, port uint16, pid int) string {
	t.Helper()
	c, err := New(Options{Owners: true, Protos: []Proto{ProtoTCP}, Families: []Family{FamilyIPv4},
		Filter: Filter{Port: port}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snap.Sockets {
		for _, o := range s.Owners {
			if o.PID == pid && o.Process != "" {
				return o.Process
			}
		}
	}
	t.Fatalf("the collector names no owner of pid %d", pid)
	return ""
}

func heldBy(s *Socket, pid int) bool {
	for _, o := range s.Owners {
		if o.PID == pid {
			return true
		}
	}
	return false
}

// mustCollect collects with opts, failing the test on an error, and
// returns the sockets.
func mustCollect(t *testing.T, opts Options) []Socket {
	t.Helper()
	return mustSnapshot(t, opts).Sockets
}

// mustSnapshot collects with opts, failing the test on an error.
func mustSnapshot(t *testing.T, opts Options) *Snapshot {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
