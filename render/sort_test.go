package render

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/collector"
)

// makeSockets returns n varied sockets, the same for the same n and seed.
func makeSockets(n int, seed uint64) []collector.Socket {
	rng := rand.New(rand.NewPCG(seed, 1))
	names := []string{"nginx", "sshd", "postgres", "java", "chrome", "systemd-resolve"}
	states := []collector.State{collector.StateEstablished, collector.StateTimeWait,
		collector.StateListen, collector.StateCloseWait, collector.StateSynSent}
	socks := make([]collector.Socket, n)
	for i := range socks {
		s := &socks[i]
		s.Proto = collector.ProtoTCP
		if rng.IntN(5) == 0 {
			s.Proto = collector.ProtoUDP
		}
		s.Family = collector.FamilyIPv4
		local := netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(4)), byte(rng.IntN(256))})
		remote := netip.AddrFrom4([4]byte{192, 168, byte(rng.IntN(256)), byte(rng.IntN(256))})
		if rng.IntN(3) == 0 {
			s.Family = collector.FamilyIPv6
			local = netip.AddrFrom16(local.As16()) // IPv4-mapped
			remote = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(rng.IntN(256))})
		}
		s.Local = netip.AddrPortFrom(local, uint16(rng.IntN(65536)))
		s.Remote = netip.AddrPortFrom(remote, uint16(rng.IntN(65536)))
		s.State = states[rng.IntN(len(states))]
		if s.Proto == collector.ProtoUDP && s.State == collector.StateListen {
			s.State = collector.StateClose
		}
		s.UID = rng.IntN(3) * 1000
		s.Inode = uint64(100000 + i)
		s.RecvQ = uint32(rng.IntN(3))
		s.SendQ = uint32(rng.IntN(3000))
		if s.State == collector.StateTimeWait {
			s.Inode = 0
			s.OwnerUnknown = collector.OwnerKernel
			continue
		}
		pid := 100 + rng.IntN(5000)
		s.Owners = []collector.Owner{{PID: pid, Process: names[pid%len(names)], FD: 3 + rng.IntN(100)}}
	}
	return socks
}

var benchServices = fakeServices{
	"tcp": {22: "ssh", 80: "http", 443: "https"},
	"udp": {53: "domain"},
}

func init() {
	for p := 1; p < 65536; p += 97 {
		benchServices["tcp"][uint16(p)] = "svc" + strconv.Itoa(p)
	}
}

func TestSortKeys(t *testing.T) {
	keys := strings.Split(SortKeysAccepted, ", ")
	for _, key := range append(keys, "", "PID", " port ") {
		socks := makeSockets(2000, 7)
		if err := Sort(socks, key, benchServices); err != nil {
			t.Fatalf("Sort(%q): %v", key, err)
		}
		// Sorted: no adjacent pair is out of order under the same comparison.
		again := slices.Clone(socks)
		if err := Sort(again, key, benchServices); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, socks) {
			t.Errorf("Sort(%q) is not idempotent", key)
		}
		// A shuffled copy sorts to the same order: deterministic.
		shuffled := slices.Clone(socks)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if err := Sort(shuffled, key, benchServices); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(shuffled, socks) {
			t.Errorf("Sort(%q) depends on the input order", key)
		}
	}
}

// orderSockets are eight sockets, a to h, whose order under every key is
// written out by hand in wantOrders.
//
//	a tcp  10.0.0.2:22         0.0.0.0:0           LISTEN       uid 0     inode 500  812/sshd        q 0/0
//	b tcp  10.0.0.1:40000      192.168.1.5:443     ESTABLISHED  uid 1000  inode 300  4242/curl,99/bash  q 5/10
//	c tcp6 [2001:db8::1]:8080  [::]:0              LISTEN       uid -1    inode 0    (permission)    q 0/7
//	d udp  0.0.0.0:53          0.0.0.0:0           UNCONN       uid 101   inode 200  600/systemd-resolve q 1/0
//	e tcp  10.0.0.1:40001      192.168.1.5:80      TIME_WAIT    uid 0     inode 0    (kernel)        q 0/0
//	f udp6 [fe80::1%eth0]:546  [::]:0              UNCONN       uid 0     inode 100  700/dhclient    q 0/3
//	g tcp  10.0.0.1:40000      192.168.1.5:443     ESTABLISHED  uid 1000  inode 301  4243/curl       q 0/0
//	h tcp  127.0.0.1:5555      127.0.0.1:6666      ESTABLISHED  uid 1000  inode 400  5000/Xorg       q 0/10
func orderSockets() []collector.Socket {
	sock := func(p collector.Proto, f collector.Family, local, remote string, st collector.State,
		uid int, inode uint64, recvQ, sendQ uint32, owners ...collector.Owner) collector.Socket {
		return collector.Socket{Proto: p, Family: f, Local: netip.MustParseAddrPort(local),
			Remote: netip.MustParseAddrPort(remote), State: st, UID: uid, Inode: inode,
			RecvQ: recvQ, SendQ: sendQ, Owners: owners}
	}
	tcp, udp := collector.ProtoTCP, collector.ProtoUDP
	v4, v6 := collector.FamilyIPv4, collector.FamilyIPv6
	return []collector.Socket{
		sock(tcp, v4, "10.0.0.2:22", "0.0.0.0:0", collector.StateListen, 0, 500, 0, 0, collector.Owner{PID: 812, Process: "sshd"}),
		sock(tcp, v4, "10.0.0.1:40000", "192.168.1.5:443", collector.StateEstablished, 1000, 300, 5, 10,
			collector.Owner{PID: 4242, Process: "curl"}, collector.Owner{PID: 99, Process: "bash"}),
		sock(tcp, v6, "[2001:db8::1]:8080", "[::]:0", collector.StateListen, -1, 0, 0, 7),
		sock(udp, v4, "0.0.0.0:53", "0.0.0.0:0", collector.StateClose, 101, 200, 1, 0, collector.Owner{PID: 600, Process: "systemd-resolve"}),
		sock(tcp, v4, "10.0.0.1:40001", "192.168.1.5:80", collector.StateTimeWait, 0, 0, 0, 0),
		sock(udp, v6, "[fe80::1%eth0]:546", "[::]:0", collector.StateClose, 0, 100, 0, 3, collector.Owner{PID: 700, Process: "dhclient"}),
		sock(tcp, v4, "10.0.0.1:40000", "192.168.1.5:443", collector.StateEstablished, 1000, 301, 0, 0, collector.Owner{PID: 4243, Process: "curl"}),
		sock(tcp, v4, "127.0.0.1:5555", "127.0.0.1:6666", collector.StateEstablished, 1000, 400, 0, 10, collector.Owner{PID: 5000, Process: "Xorg"}),
	}
}

// orderServices names the ports of orderSockets: h has no name.
var orderServices = fakeServices{
	"tcp": {22: "ssh", 80: "http", 443: "https", 8080: "http-alt"},
	"udp": {53: "domain", 546: "dhcpv6-client"},
}

// wantOrders is the order of orderSockets under each key, worked out by
// hand from Sort's documentation: the key, then the default order (proto,
// family, local, remote, inode), missing values last.
var wantOrders = map[string]string{
	"":        "bgeahcdf",
	"proto":   "bgeahcdf",
	"local":   "dbgeahcf", // 0.0.0.0 < 10.0.0.1 < 10.0.0.2 < 127.0.0.1 < 2001:db8::1 < fe80::1
	"remote":  "adhebgcf",
	"state":   "bghacedf",
	"service": "fdecbgah", // dhcpv6-client domain http http-alt https ssh, then none
	"pid":     "bdfaghec", // 99 600 700 812 4243 5000, then no owner
	"process": "hbgfadec", // Xorg bash curl dhclient sshd systemd-resolve
	"user":    "eafdbghc", // 0 0 0 101 1000 1000 1000, then unknown
	"inode":   "fdbghaec", // 100 200 300 301 400 500, then 0
	"port":    "adfhcbge", // 22 53 546 5555 8080 40000 40000 40001
	"rport":   "acdfebgh", // 0 0 0 0 80 443 443 6666
	"recv-q":  "geahcfdb",
	"send-q":  "geadfcbh",
}

// sortedLetters returns the letters of orderSockets in the order of got.
func sortedLetters(t *testing.T, got []collector.Socket) string {
	t.Helper()
	orig := orderSockets()
	var b strings.Builder
	for i := range got {
		j := slices.IndexFunc(orig, func(s collector.Socket) bool { return reflect.DeepEqual(s, got[i]) })
		if j < 0 {
			t.Fatalf("socket %+v is not one of orderSockets", got[i])
		}
		b.WriteByte(byte('a' + j))
	}
	return b.String()
}

// TestSortOrders checks every key against the orders written out by hand,
// from every starting order.
func TestSortOrders(t *testing.T) {
	keys := strings.Split(SortKeysAccepted, ", ")
	if len(keys) != 13 {
		t.Fatalf("SortKeysAccepted lists %d keys, want 13: %q", len(keys), SortKeysAccepted)
	}
	for _, key := range append(keys, "") {
		want, ok := wantOrders[key]
		if !ok {
			t.Fatalf("no expected order for key %q", key)
		}
		for _, seed := range []uint64{0, 1, 2, 3} {
			socks := orderSockets()
			if seed > 0 {
				rand.New(rand.NewPCG(seed, 9)).Shuffle(len(socks), func(i, j int) { socks[i], socks[j] = socks[j], socks[i] })
			}
			if err := Sort(socks, key, orderServices); err != nil {
				t.Fatal(err)
			}
			if got := sortedLetters(t, socks); got != want {
				t.Errorf("Sort(%q) from shuffle %d: %s, want %s", key, seed, got, want)
			}
		}
	}
	socks := orderSockets()
	if err := Sort(socks, " PID ", orderServices); err != nil || sortedLetters(t, socks) != wantOrders["pid"] {
		t.Errorf("Sort(\" PID \") = %s (%v), want the order of pid", sortedLetters(t, socks), err)
	}
}

// TestSortStable checks that sockets equal in every sorted field keep their
// input order.
func TestSortStable(t *testing.T) {
	base := collector.Socket{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, Local: netip.MustParseAddrPort("1.2.3.4:5")}
	var socks []collector.Socket
	for i := 0; i < 50; i++ {
		s := base
		s.UID = 50 - i // not a sort field of the default order
		socks = append(socks, s)
	}
	want := slices.Clone(socks)
	if err := Sort(socks, "", nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(socks, want) {
		t.Errorf("equal sockets were reordered")
	}
}

func TestSortBadKey(t *testing.T) {
	socks := makeSockets(10, 1)
	want := slices.Clone(socks)
	err := Sort(socks, "colour", nil)
	if err == nil {
		t.Fatal("no error for an unknown key")
	}
	if msg := err.Error(); !strings.Contains(msg, `"colour"`) || !strings.Contains(msg, SortKeysAccepted) {
		t.Errorf("error %q must name the key and list %q", msg, SortKeysAccepted)
	}
	if !reflect.DeepEqual(socks, want) {
		t.Errorf("a bad key changed the sockets")
	}
	if err := Sort(nil, "proto", nil); err != nil {
		t.Errorf("Sort(nil, valid key) = %v", err)
	}
	if err := Sort(nil, "bogus", nil); err == nil {
		t.Errorf("Sort(nil, bad key) must validate the key")
	}
}

// TestSortAllocations checks that Sort allocates a constant number of times,
// never per comparison.
func TestSortAllocations(t *testing.T) {
	for _, key := range []string{"", "service", "local", "process"} {
		var counts []float64
		for _, n := range []int{100, 10000} {
			socks := makeSockets(n, 5)
			counts = append(counts, testing.AllocsPerRun(3, func() {
				if err := Sort(socks, key, benchServices); err != nil {
					t.Fatal(err)
				}
			}))
		}
		if counts[0] != counts[1] || counts[1] > 4 {
			t.Errorf("Sort(%q) allocations for 100 and 10000 sockets: %v, want the same few", key, counts)
		}
	}
}

func BenchmarkSort(b *testing.B) {
	for _, key := range []string{"", "service", "process", "port"} {
		b.Run("key="+key, func(b *testing.B) {
			orig := makeSockets(120000, 9)
			socks := make([]collector.Socket, len(orig))
			for b.Loop() {
				copy(socks, orig)
				if err := Sort(socks, key, benchServices); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
