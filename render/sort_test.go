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

func TestSortOrders(t *testing.T) {
	socks := makeSockets(3000, 3)
	check := func(key string, less func(a, b *collector.Socket) bool) {
		t.Helper()
		s := slices.Clone(socks)
		if err := Sort(s, key, benchServices); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(s); i++ {
			if less(&s[i], &s[i-1]) {
				t.Fatalf("Sort(%q): socket %d %+v before %d %+v", key, i-1, s[i-1], i, s[i])
			}
		}
	}
	check("", func(a, b *collector.Socket) bool { return compareDefault(a, b) < 0 })
	check("port", func(a, b *collector.Socket) bool { return a.Local.Port() < b.Local.Port() })
	check("rport", func(a, b *collector.Socket) bool { return a.Remote.Port() < b.Remote.Port() })
	check("send-q", func(a, b *collector.Socket) bool { return a.SendQ < b.SendQ })
	check("local", func(a, b *collector.Socket) bool { return a.Local.Compare(b.Local) < 0 })
	check("remote", func(a, b *collector.Socket) bool { return a.Remote.Compare(b.Remote) < 0 })
	check("state", func(a, b *collector.Socket) bool { return a.StateName() < b.StateName() })
	check("pid", func(a, b *collector.Socket) bool {
		if len(a.Owners) == 0 || len(b.Owners) == 0 {
			return len(a.Owners) > 0 && len(b.Owners) == 0 // owned first
		}
		return a.Owners[0].PID < b.Owners[0].PID
	})
	check("inode", func(a, b *collector.Socket) bool {
		if a.Inode == 0 || b.Inode == 0 {
			return a.Inode != 0 && b.Inode == 0 // 0 last
		}
		return a.Inode < b.Inode
	})
	check("service", func(a, b *collector.Socket) bool {
		na, nb := serviceName(a, benchServices), serviceName(b, benchServices)
		if na == "" || nb == "" {
			return na != "" && nb == ""
		}
		return na < nb
	})
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
