package render

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/collector"
)

// referenceSort is Sort written the obvious way from its documentation,
// sharing none of its code: a stable sort with a comparator of sockets.
// Numbers compare as Sort's keys hold them, unsigned: a negative PID
// (which no system gives) sorts after the others.
func referenceSort(socks []collector.Socket, key string, svc ServiceNamer) {
	lowest := func(s *collector.Socket) (collector.Owner, bool) {
		if len(s.Owners) == 0 {
			return collector.Owner{}, false
		}
		o := s.Owners[0]
		for _, x := range s.Owners[1:] {
			if x.PID < o.PID {
				o = x
			}
		}
		return o, true
	}
	// lastIfMissing orders a missing value after any other, else by c.
	lastIfMissing := func(missA, missB bool, c func() int) int {
		switch {
		case missA && missB:
			return 0
		case missA:
			return 1
		case missB:
			return -1
		}
		return c()
	}
	key = strings.ToLower(strings.TrimSpace(key))
	primary := func(a, b *collector.Socket) int {
		switch key {
		case "", "proto":
			return 0 // the default order starts with proto and family
		case "local":
			return a.Local.Compare(b.Local)
		case "remote":
			return a.Remote.Compare(b.Remote)
		case "state":
			return strings.Compare(a.StateName(), b.StateName())
		case "service":
			na, nb := serviceName(a, svc), serviceName(b, svc)
			return lastIfMissing(na == "", nb == "", func() int { return strings.Compare(na, nb) })
		case "pid", "process":
			oa, okA := lowest(a)
			ob, okB := lowest(b)
			return lastIfMissing(!okA, !okB, func() int {
				if key == "pid" {
					return cmp.Compare(uint64(oa.PID), uint64(ob.PID))
				}
				return strings.Compare(oa.Process, ob.Process)
			})
		case "user":
			// As unsigned numbers the unknown (negative) uids come
			// after every known one, and in that order among
			// themselves.
			return cmp.Compare(uint64(a.UID), uint64(b.UID))
		case "inode":
			return lastIfMissing(a.Inode == 0, b.Inode == 0, func() int { return cmp.Compare(a.Inode, b.Inode) })
		case "port":
			return cmp.Compare(a.Local.Port(), b.Local.Port())
		case "rport":
			return cmp.Compare(a.Remote.Port(), b.Remote.Port())
		case "recv-q":
			return cmp.Compare(a.RecvQ, b.RecvQ)
		case "send-q":
			return cmp.Compare(a.SendQ, b.SendQ)
		}
		panic("referenceSort: unknown key " + key)
	}
	slices.SortStableFunc(socks, func(a, b collector.Socket) int {
		return cmp.Or(cmp.Compare(a.Netns, b.Netns), primary(&a, &b),
			cmp.Compare(a.Proto, b.Proto),
			cmp.Compare(a.Family, b.Family),
			a.Local.Compare(b.Local),
			a.Remote.Compare(b.Remote),
			cmp.Compare(a.Inode, b.Inode))
	})
}

// TestReferenceSort checks the reference itself against the orders
// written out by hand.
func TestReferenceSort(t *testing.T) {
	for key, want := range wantOrders {
		socks := orderSockets()
		slices.Reverse(socks)
		referenceSort(socks, key, orderServices)
		if got := sortedLetters(t, socks); got != want {
			t.Errorf("referenceSort(%q) = %s, want %s", key, got, want)
		}
	}
}

// wideSockets returns sockets whose every sort field varies in all its
// bits, so that keys take the most words.
func wideSockets(n int, seed uint64) []collector.Socket {
	rng := rand.New(rand.NewPCG(seed, 3))
	zones := []string{"", "eth0", "eth1", "lo", "東", "z\x00"}
	addr := func() netip.Addr {
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		switch rng.IntN(4) {
		case 0:
			return netip.Addr{}
		case 1:
			return netip.AddrFrom4([4]byte(b[:4]))
		}
		return netip.AddrFrom16(b).WithZone(zones[rng.IntN(len(zones))])
	}
	socks := make([]collector.Socket, n)
	for i := range socks {
		s := &socks[i]
		s.Proto = collector.Proto(rng.IntN(256))
		s.Family = collector.Family(rng.IntN(256))
		s.Local = netip.AddrPortFrom(addr(), uint16(rng.Uint32()))
		s.Remote = netip.AddrPortFrom(addr(), uint16(rng.Uint32()))
		s.State = collector.State(rng.IntN(20))
		s.UID = int(rng.Int64()) // negative half the time
		s.Inode = rng.Uint64()
		s.RecvQ, s.SendQ = rng.Uint32(), rng.Uint32()
		if rng.IntN(4) > 0 {
			s.Owners = []collector.Owner{{PID: int(rng.Int64()), Process: fmt.Sprint(rng.Uint64())}}
		}
	}
	return socks
}

// TestSortSameAsReference compares Sort with referenceSort for every key
// on sockets of every kind: realistic ones, odd ones (zones, invalid
// addresses, unknown protocols and states, forged names), ones that vary
// in every bit, many equal ones, and already sorted ones.
func TestSortSameAsReference(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	sets := map[string][]collector.Socket{
		"realistic": makeSockets(n, 21),
		"weird":     makeWeirdSockets(n, 22),
		"wide":      wideSockets(n, 23),
		"few":       makeWeirdSockets(3, 24),
		"pair":      wideSockets(2, 25),
	}
	equal := make([]collector.Socket, 200)
	for i := range equal {
		equal[i] = collector.Socket{Proto: collector.ProtoTCP, UID: i % 3, Inode: uint64(i % 2)}
	}
	sets["equal"] = equal
	sorted := makeSockets(n, 26)
	referenceSort(sorted, "", nil)
	sets["sorted"] = sorted
	small := fakeServices{"tcp": {1: "b", 2: "a", 3: "", 80: "http"}, "udp": {53: "domain"}}

	keys := append(strings.Split(SortKeysAccepted, ", "), "")
	for name, socks := range sets {
		for _, key := range keys {
			for _, names := range []ServiceNamer{nil, small, benchServices, weirdServices{}} {
				got := slices.Clone(socks)
				if err := Sort(got, key, names); err != nil {
					t.Fatal(err)
				}
				want := slices.Clone(socks)
				referenceSort(want, key, names)
				if !reflect.DeepEqual(got, want) {
					for i := range got {
						if !reflect.DeepEqual(got[i], want[i]) {
							t.Fatalf("%s: Sort(%q) differs from the reference at %d:\ngot  %+v\nwant %+v", name, key, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestSortKeyWords checks that keys take few words for realistic sockets
// and the most for sockets that vary in every bit.
func TestSortKeyWords(t *testing.T) {
	words := func(socks []collector.Socket, k sortKey) int {
		p := keyPlan{k: k, svc: benchServices, fields: keyFields(k)}
		p.measure(socks)
		return p.words
	}
	if w := words(makeSockets(120000, 1), sortDefault); w > 4 {
		t.Errorf("realistic sockets: %d words of key, want at most 4", w)
	}
	if w := words(wideSockets(5000, 1), sortUser); w <= 6 {
		t.Errorf("sockets varying in every bit: %d words of key, want more than 6", w)
	}
}

// FuzzSort checks, for any snapshot ReadJSON accepts and every key, that
// Sort gives what the reference gives: a permutation of the sockets, in
// order, equal ones in their input order. Sorting again changes nothing.
func FuzzSort(f *testing.F) {
	for _, in := range testInputs(f) {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, key := range append(strings.Split(SortKeysAccepted, ", "), "") {
			got := slices.Clone(snap.Sockets)
			if err := Sort(got, key, testServices); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(snap.Sockets)
			referenceSort(want, key, testServices)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Sort(%q) differs from the reference:\ngot  %+v\nwant %+v", key, got, want)
			}
			again := slices.Clone(got)
			if err := Sort(again, key, testServices); err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("Sort(%q) of sorted sockets changed them (%v)", key, err)
			}
		}
	})
}
