package counters

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"testing"
)

// bsdSizes are the sizes of the structs, sizeof in the headers (FreeBSD
// 14.0's and 15.0's, xnu-10063's for macOS 14 and xnu-11417's for macOS
// 15, LP64), by sysctl: FreeBSD 14, FreeBSD 15, macOS 13, macOS 15.
var bsdSizes = map[string][4]int{
	"net.inet.ip.stats":     {232, 232, 184, 196},
	"net.inet.icmp.stats":   {752, 752, 368, 368},
	"net.inet.tcp.stats":    {984, 1000, 976, 992},
	"net.inet.udp.stats":    {112, 112, 88, 88},
	"net.inet6.ip6.stats":   {3320, 3320, 3592, 3592},
	"net.inet6.icmp6.stats": {4632, 4632, 4344, 4344},
}

// bsdLayouts are the layouts in bsdSizes's order.
var bsdLayouts = [4]uint8{freeBSD14, freeBSD15, macOS13, macOS15}

// The tables lay the structs out to the headers' sizes: a member too many
// or too few, or of the wrong size, fails.
func TestBSDStructSizes(t *testing.T) {
	for _, name := range bsdSysctls {
		s, ok := bsdStat(name)
		if !ok {
			t.Fatalf("%s: no struct", name)
		}
		for i, l := range bsdLayouts {
			if got, want := s.size(l), bsdSizes[name][i]; got != want {
				t.Errorf("%s layout %#x: %d bytes, want %d", name, l, got, want)
			}
		}
	}
	if len(bsdSizes) != len(bsdSysctls) {
		t.Error("a sysctl without its sizes")
	}
}

// at is a value a fixture holds at an offset, as a size-byte integer.
type at struct {
	off, size int
	v         uint64
}

// fixture returns a struct of size bytes holding vals at their offsets,
// the offsets documented from the headers.
func fixture(size int, vals ...at) []byte {
	b := make([]byte, size)
	for _, a := range vals {
		if a.size == 4 {
			binary.NativeEndian.PutUint32(b[a.off:], uint32(a.v))
		} else {
			binary.NativeEndian.PutUint64(b[a.off:], a.v)
		}
	}
	return b
}

// bsdCase is a struct with values at documented offsets and the counters
// they are.
type bsdCase struct {
	what   string
	sysctl string
	b      []byte
	want   []wantCounter
	absent []string // names the layout has not
}

func TestDecodeDarwinStats(t *testing.T) {
	testBSDCases(t, DecodeDarwinStats, []bsdCase{
		{"macOS 15 tcpstat", "net.inet.tcp.stats", fixture(992,
			at{0, 4, 11}, at{4, 4, 12}, at{12, 4, 13}, at{16, 4, 14}, at{60, 4, 15}, at{72, 4, 16}, at{100, 4, 17},
			at{112, 4, 18}, at{240, 4, 19}, at{356, 4, 20}, at{920, 8, 1 << 40}, at{988, 4, 21}),
			[]wantCounter{{"Tcp", "ActiveOpens", 11}, {"Tcp", "PassiveOpens", 12}, {"Tcp", "EstabResets", 13},
				{"Tcp", "AttemptFails", 14}, {"Tcp", "OutSegs", 15}, {"Tcp", "RetransSegs", 16}, {"Tcp", "InSegs", 17},
				{"Tcp", "InCsumErrors", 18}, {"Tcp", "ListenDrop", 19}, {"Tcp", "RackRecoveryEpisode", 20},
				{"Tcp", "MptcpHandoverCellBytes", 1 << 40}, {"Tcp", "FinTimeoutDrops", 21}}, nil},
		// macOS 14: no RACK counters, and the 64-bit ones right after
		// the 32-bit one before them, without padding.
		{"macOS 14 tcpstat", "net.inet.tcp.stats", fixture(976,
			at{0, 4, 11}, at{356, 4, 22}, at{900, 4, 5}, at{904, 8, 1 << 33}, at{972, 4, 21}),
			[]wantCounter{{"Tcp", "ActiveOpens", 11}, {"Tcp", "BgRcvTotal", 22}, {"Tcp", "MptcpInteractiveCellFromWifi", 5},
				{"Tcp", "MptcpHandoverCellBytes", 1 << 33}, {"Tcp", "FinTimeoutDrops", 21}},
			[]string{"RackRecoveryEpisode"}},
		{"macOS udpstat", "net.inet.udp.stats", fixture(88,
			at{0, 4, 1}, at{8, 4, 2}, at{16, 4, 7}, at{24, 4, 3}, at{36, 4, 9}, at{44, 4, 4}, at{84, 4, 5}),
			[]wantCounter{{"Udp", "InDatagrams", 1}, {"Udp", "InCsumErrors", 2}, {"Udp", "NoPorts", 7},
				{"Udp", "RcvbufErrors", 3}, {"Udp", "OutDatagrams", 9}, {"Udp", "NoSum", 4}, {"Udp", "Snd6SwCsumBytes", 5}}, nil},
		// icmpstat: outhist after three counters, inhist after it and
		// five more.
		{"macOS icmpstat", "net.inet.icmp.stats", fixture(368,
			at{24, 4, 4}, at{180, 4, 1}, at{184, 4, 2}, at{196 + 8*4, 4, 5}, at{364, 4, 6}),
			[]wantCounter{{"IcmpMsg", "OutType3", 4}, {"Icmp", "OutMsgs", 4}, {"Icmp", "TooShort", 1},
				{"Icmp", "InCsumErrors", 2}, {"IcmpMsg", "InType8", 5}, {"Icmp", "InMsgs", 8}, {"Icmp", "BmcastTstamp", 6}},
			[]string{"NoRoute"}},
		{"macOS 15 ipstat", "net.inet.ip.stats", fixture(196, at{0, 4, 100}, at{56, 4, 90}, at{192, 4, 3}),
			[]wantCounter{{"Ip", "InReceives", 100}, {"Ip", "InDelivers", 90}, {"Ip", "SrcAddrNotAvail", 3}}, nil},
		{"macOS 14 ipstat", "net.inet.ip.stats", fixture(184, at{0, 4, 100}, at{180, 4, 3}),
			[]wantCounter{{"Ip", "InReceives", 100}, {"Ip", "RcvIfNoMatch", 3}}, []string{"SrcAddrNotAvail"}},
		{"macOS ip6stat", "net.inet6.ip6.stats", fixture(3592, at{0, 8, 1724}, at{80, 8, 1700}, at{3584, 8, 2}),
			[]wantCounter{{"Ip6", "InReceives", 1724}, {"Ip6", "InDelivers", 1700}, {"Ip6", "RcvIfNoMatch", 2}}, nil},
		{"macOS icmp6stat", "net.inet6.icmp6.stats", fixture(4344,
			at{24 + 1*8, 8, 3}, at{2112 + 128*8, 8, 4}, at{4336, 8, 5}),
			[]wantCounter{{"Icmp6Msg", "OutType1", 3}, {"Icmp6Msg", "InType128", 4}, {"Icmp6", "InMsgs", 4},
				{"Icmp6", "OutMsgs", 3}, {"Icmp6", "BadPktTooBig", 5}}, []string{"Dropped"}},
	})
}

func TestDecodeFreeBSDStats(t *testing.T) {
	testBSDCases(t, DecodeFreeBSDStats, []bsdCase{
		{"FreeBSD 14 tcpstat", "net.inet.tcp.stats", fixture(984,
			at{0, 8, 11}, at{8, 8, 12}, at{24, 8, 13}, at{32, 8, 14}, at{136, 8, 15}, at{160, 8, 16}, at{224, 8, 17},
			at{248, 8, 18}, at{504, 8, 19}, at{640, 8, 20}, at{960, 8, 21}),
			[]wantCounter{{"Tcp", "ActiveOpens", 11}, {"Tcp", "PassiveOpens", 12}, {"Tcp", "EstabResets", 13},
				{"Tcp", "AttemptFails", 14}, {"Tcp", "OutSegs", 15}, {"Tcp", "RetransSegs", 16}, {"Tcp", "InSegs", 17},
				{"Tcp", "InCsumErrors", 18}, {"Tcp", "ListenDrop", 19}, {"Tcp", "HcAdded", 20}, {"Tcp", "RcvAckTooOld", 21}},
			[]string{"ScSpurCookie", "SackRexmitsTso"}},
		// FreeBSD 15: two syncache counters and one SACK counter more in
		// the middle.
		{"FreeBSD 15 tcpstat", "net.inet.tcp.stats", fixture(1000,
			at{0, 8, 11}, at{640, 8, 22}, at{656, 8, 20}, at{984, 8, 21}),
			[]wantCounter{{"Tcp", "ActiveOpens", 11}, {"Tcp", "ScSpurCookie", 22}, {"Tcp", "HcAdded", 20},
				{"Tcp", "RcvAckTooOld", 21}}, nil},
		{"FreeBSD udpstat", "net.inet.udp.stats", fixture(112,
			at{0, 8, 1}, at{16, 8, 2}, at{24, 8, 4}, at{40, 8, 7}, at{56, 8, 3}, at{80, 8, 9}),
			[]wantCounter{{"Udp", "InDatagrams", 1}, {"Udp", "InCsumErrors", 2}, {"Udp", "NoSum", 4},
				{"Udp", "NoPorts", 7}, {"Udp", "RcvbufErrors", 3}, {"Udp", "OutDatagrams", 9}}, []string{"RcvSwCsum"}},
		{"FreeBSD icmpstat", "net.inet.icmp.stats", fixture(752,
			at{48, 8, 4}, at{360, 8, 1}, at{368, 8, 2}, at{392, 8, 5}, at{744, 8, 6}),
			[]wantCounter{{"IcmpMsg", "OutType3", 4}, {"Icmp", "OutMsgs", 4}, {"Icmp", "TooShort", 1},
				{"Icmp", "InCsumErrors", 2}, {"IcmpMsg", "InType0", 5}, {"Icmp", "InMsgs", 8}, {"Icmp", "NoRoute", 6}}, nil},
		{"FreeBSD ipstat", "net.inet.ip.stats", fixture(232, at{0, 8, 100}, at{112, 8, 90}, at{224, 8, 3}),
			[]wantCounter{{"Ip", "InReceives", 100}, {"Ip", "InDelivers", 90}, {"Ip", "BadAddr", 3}}, []string{"PktDropCntrl"}},
		{"FreeBSD ip6stat", "net.inet6.ip6.stats", fixture(3320, at{0, 8, 1724}, at{112, 8, 5}, at{2536, 8, 6}),
			[]wantCounter{{"Ip6", "InReceives", 1724}, {"Ip6", "AtomicFrags", 5}, {"Ip6", "TooManyHdr", 6}},
			[]string{"ForwardCacheHit"}},
		{"FreeBSD icmp6stat", "net.inet6.icmp6.stats", fixture(4632,
			at{2104, 8, 7}, at{2120 + 135*8, 8, 4}, at{4368, 8, 5}),
			[]wantCounter{{"Icmp6", "Dropped", 7}, {"Icmp6Msg", "InType135", 4}, {"Icmp6", "InvalidHopLimit", 5}},
			[]string{"BadPktTooBig"}},
	})
}

// testBSDCases decodes each case's struct, checks its counters and, for
// a newest layout, that the struct decodes the same with bytes appended
// (a newer system's). (An older layout with bytes appended reads as the
// newer one once it is as long.)
func testBSDCases(t *testing.T, decode func(string, []byte) ([]Counter, error), cases []bsdCase) {
	t.Helper()
	for _, c := range cases {
		extras := []int{0}
		if sizes := bsdSizes[c.sysctl]; len(c.b) == sizes[1] || len(c.b) == sizes[3] {
			extras = append(extras, 3, 64)
		}
		for _, extra := range extras {
			cs, err := decode(c.sysctl, append(c.b, make([]byte, extra)...))
			if err != nil {
				t.Fatalf("%s, %d bytes more: %v", c.what, extra, err)
			}
			snap := &Snapshot{Counters: cs}
			wantCounters(t, snap, c.want)
			for _, name := range c.absent {
				if _, ok := snap.Get(cs[0].Group, name); ok {
					t.Errorf("%s: has %s", c.what, name)
				}
			}
		}
	}
}

// Every struct of every layout: counters named, once each, with a name
// for people; a short struct is an error naming the sysctl and both
// lengths.
func TestBSDStructsDecode(t *testing.T) {
	for _, name := range bsdSysctls {
		for i, l := range bsdLayouts {
			decode, os := DecodeFreeBSDStats, "FreeBSD"
			if l&macOS != 0 {
				decode, os = DecodeDarwinStats, "macOS"
			}
			size := bsdSizes[name][i]
			b := make([]byte, size)
			for j := range b {
				b[j] = byte(j*7 + 1) // every counter and every message type moved
			}
			cs, err := decode(name, b)
			if err != nil {
				t.Fatalf("%s %s: %v", os, name, err)
			}
			seen := map[[2]string]bool{}
			for _, c := range cs {
				k := [2]string{c.Group, c.Name}
				if c.Group == "" || c.Name == "" || seen[k] {
					t.Errorf("%s %s: counter %+v empty or twice", os, name, c)
				}
				seen[k] = true
				if HumanName(c.Group, c.Name) == "" {
					t.Errorf("%s %s: no human name for %s", os, name, c.Name)
				}
			}
			oldest := bsdSizes[name][0]
			if os == "macOS" {
				oldest = bsdSizes[name][2]
			}
			_, err = decode(name, b[:oldest-1])
			if want := fmt.Sprintf("%s: %d bytes, want at least %d", name, oldest-1, oldest); err == nil || err.Error() != want {
				t.Errorf("%s short %s: error %v, want %q", os, name, err, want)
			}
		}
	}
	if _, err := DecodeDarwinStats("net.inet.sctp.stats", nil); err == nil || !strings.Contains(err.Error(), "net.inet.sctp.stats") {
		t.Errorf("an unknown sysctl: %v", err)
	}
}

// A 64-bit counter past the largest int64 is the largest int64, and so is
// a sum of message types past it.
func TestBSDLargeValues(t *testing.T) {
	b := fixture(752, at{0, 8, math.MaxUint64}, at{24, 8, math.MaxInt64}, at{32, 8, 5})
	cs, err := DecodeFreeBSDStats("net.inet.icmp.stats", b)
	if err != nil {
		t.Fatal(err)
	}
	wantCounters(t, &Snapshot{Counters: cs}, []wantCounter{{"Icmp", "ErrorCalls", math.MaxInt64},
		{"Icmp", "OutMsgs", math.MaxInt64}, {"IcmpMsg", "OutType1", 5}})
}

// readSysctls leaves out an IPv6 sysctl the kernel has not and names the
// sysctl that failed.
func TestReadSysctls(t *testing.T) {
	fake := func(missing string, fail error) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if name == missing {
				return nil, fail
			}
			s, _ := bsdStat(name)
			return make([]byte, s.size(macOS15)), nil
		}
	}
	noent := fmt.Errorf("no such sysctl: %w", fs.ErrNotExist)
	snap, err := readSysctls(fake("net.inet6.ip6.stats", noent), DecodeDarwinStats)
	if err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(snap.Groups(), ","); g != "Ip,Icmp,Tcp,Udp,Icmp6" {
		t.Errorf("groups %s, want IPv4's and Icmp6", g)
	}
	if snap.Time.IsZero() {
		t.Error("no time")
	}
	for _, c := range []struct {
		name string
		err  error
	}{{"net.inet.tcp.stats", noent}, {"net.inet6.icmp6.stats", errors.New("permission denied")}} {
		_, err := readSysctls(fake(c.name, c.err), DecodeDarwinStats)
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s failing: error %v, want one naming it", c.name, err)
		}
	}
	bad := func(name string) ([]byte, error) { return make([]byte, 8), nil }
	if _, err := readSysctls(bad, DecodeFreeBSDStats); err == nil || !strings.Contains(err.Error(), "net.inet.ip.stats: 8 bytes") {
		t.Errorf("every struct short: %v", err)
	}
	// One struct of a layout portwatch does not know: the others are
	// shown, with a warning naming it.
	oneShort := func(name string) ([]byte, error) {
		if name == "net.inet.tcp.stats" {
			return make([]byte, 100), nil
		}
		s, _ := bsdStat(name)
		return make([]byte, s.size(freeBSD14)), nil
	}
	snap, err = readSysctls(oneShort, DecodeFreeBSDStats)
	if err != nil || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "net.inet.tcp.stats: 100 bytes") {
		t.Fatalf("one short struct: %v, warnings %q", err, snap.Warnings)
	}
	if _, ok := snap.Get("Udp", "NoPorts"); !ok || slices.Contains(snap.Groups(), "Tcp") {
		t.Errorf("one short struct: groups %v", snap.Groups())
	}
}

// fuzzBSD decodes data as the struct sel picks.
func fuzzBSD(f *testing.F, decode func(string, []byte) ([]Counter, error), sizes int) {
	for i, name := range bsdSysctls {
		f.Add(uint8(i), make([]byte, bsdSizes[name][sizes]))
		f.Add(uint8(i), make([]byte, bsdSizes[name][sizes+1]+5))
	}
	f.Add(uint8(0), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		cs, err := decode(bsdSysctls[int(sel)%len(bsdSysctls)], data)
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.Group == "" || c.Name == "" || c.Value < 0 {
				t.Fatalf("a counter without a name or negative: %+v", c)
			}
		}
	})
}

func FuzzDecodeDarwinStats(f *testing.F) { fuzzBSD(f, DecodeDarwinStats, 2) }

func FuzzDecodeFreeBSDStats(f *testing.F) { fuzzBSD(f, DecodeFreeBSDStats, 0) }
