package counters

import (
	"strings"
	"testing"
	"time"
)

const snmpSample = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 2946568
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens
Tcp: 1 200 120000 -1 18446744073709551615
Udp: InDatagrams NoPorts
Udp: 10 3
`

func TestParseSNMP(t *testing.T) {
	cs, err := ParseSNMP([]byte(snmpSample), "snmp")
	if err != nil {
		t.Fatal(err)
	}
	snap := &Snapshot{Counters: cs}
	wantCounters(t, snap, []wantCounter{{"Ip", "InReceives", 2946568}, {"Tcp", "MaxConn", -1}, {"Tcp", "ActiveOpens", 1<<63 - 1}, {"Udp", "NoPorts", 3}})
	if g := strings.Join(snap.Groups(), ","); g != "Ip,Tcp,Udp" {
		t.Errorf("groups %s", g)
	}
	for _, bad := range []string{
		"Ip: A B\nIp: 1\n",       // a value short
		"Ip: A\nTcp: 1\n",        // another group's values
		"Ip: A\nIp: x\n",         // not a number
		"Ip: A\nIp: 1\nTcp: B\n", // names without values
		"no colon here\nIp: 1\n", // not a group
	} {
		if _, err := ParseSNMP([]byte(bad), "snmp"); err == nil || !strings.HasPrefix(err.Error(), "snmp: line ") {
			t.Errorf("%q: error %v, want one naming the file and line", bad, err)
		}
	}
}

func TestParseSNMP6(t *testing.T) {
	cs, err := ParseSNMP6([]byte("Ip6InReceives   \t1724\nIcmp6InMsgs 2\nUdpLite6InDatagrams 0\nUdp6NoPorts 5\n\n"), "snmp6")
	if err != nil {
		t.Fatal(err)
	}
	snap := &Snapshot{Counters: cs}
	if v, ok := snap.Get("UdpLite6", "InDatagrams"); !ok || v != 0 {
		t.Error("UdpLite6 InDatagrams missing")
	}
	if v, _ := snap.Get("Udp6", "NoPorts"); v != 5 {
		t.Errorf("Udp6 NoPorts = %d", v)
	}
	for _, bad := range []string{"Ip6InReceives\n", "Foo 1\n", "Ip6 1\n", "Ip6X y\n"} {
		if _, err := ParseSNMP6([]byte(bad), "snmp6"); err == nil || !strings.HasPrefix(err.Error(), "snmp6: line 1") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestHumanName(t *testing.T) {
	for _, c := range [][3]string{
		{"Tcp", "ActiveOpens", "active connection openings"},
		{"Udp6", "NoPorts", "packets to unknown ports received"},
		{"Icmp6", "InEchos", "echo requests received"},
		{"TcpExt", "TCPSackRecovery", "tcp sack recovery"},
		{"MPTcpExt", "MPCapableSYNRX", "mp capable synrx"},
		{"IcmpMsg", "InType3", "in type3"},
	} {
		if got := HumanName(c[0], c[1]); got != c[2] {
			t.Errorf("HumanName(%s, %s) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func FuzzParseSNMP(f *testing.F) {
	f.Add([]byte(snmpSample))
	f.Add([]byte("Ip: A\nIp: 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseSNMP(data, "fuzz")
		if err == nil {
			for _, c := range cs {
				if c.Group == "" || c.Name == "" {
					t.Fatalf("an empty name: %+v", c)
				}
			}
		}
	})
}

func FuzzParseSNMP6(f *testing.F) {
	f.Add([]byte("Ip6InReceives 1724\nUdpLite6InDatagrams 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseSNMP6(data, "fuzz")
		if err == nil {
			for _, c := range cs {
				if c.Group == "" || c.Name == "" {
					t.Fatalf("an empty name: %+v", c)
				}
			}
		}
	})
}

func TestRates(t *testing.T) {
	t0 := time.Unix(100, 0)
	prev := &Snapshot{Time: t0, Counters: []Counter{{"Tcp", "InSegs", 100}, {"Tcp", "CurrEstab", 5}, {"Udp", "NoPorts", 7}}}
	cur := &Snapshot{Time: t0.Add(2 * time.Second), Counters: []Counter{{"Tcp", "InSegs", 150}, {"Tcp", "CurrEstab", 4},
		{"Udp", "NoPorts", 7}, {"Udp", "New", 9}}}
	got := Rates(prev, cur)
	if len(got) != 1 || got[0] != (Rate{"Tcp", "InSegs", 25}) {
		t.Errorf("rates %+v, want Tcp InSegs 25/s alone (a counter down, one unchanged and one new left out)", got)
	}
	if Rates(cur, cur) != nil {
		t.Error("no time between: rates")
	}
}

// The IP Helper structs decode by Linux's names; MaxConn is signed.
func TestDecodeMIB(t *testing.T) {
	b := make([]byte, MIBSize(MIBTCP))
	for i := range len(b) / 4 {
		b[4*i] = byte(i + 1)
	}
	b[12], b[13], b[14], b[15] = 0xff, 0xff, 0xff, 0xff // MaxConn = -1
	cs, err := DecodeMIB(MIBTCP, "Tcp", b)
	if err != nil || len(cs) != 15 {
		t.Fatal(cs, err)
	}
	snap := &Snapshot{Counters: cs}
	if v, _ := snap.Get("Tcp", "ActiveOpens"); v != 5 {
		t.Errorf("ActiveOpens %d, want 5 (the fifth DWORD)", v)
	}
	if v, _ := snap.Get("Tcp", "MaxConn"); v != -1 {
		t.Errorf("MaxConn %d", v)
	}
	if HumanName("Tcp6", "ActiveOpens") != "active connection openings" {
		t.Error("Tcp6 names")
	}
	if _, err := DecodeMIB(MIBUDP, "Udp", b[:8]); err == nil {
		t.Error("a short struct decoded")
	}
	if MIBSize(MIBIP) != 23*4 || MIBSize(MIBUDP) != 5*4 {
		t.Error("sizes")
	}
}

// MIB_ICMP_EX: the message and error counts each way, and a counter per
// message type that moved.
func TestDecodeICMP(t *testing.T) {
	b := make([]byte, ICMPSize)
	b[0] = 7                  // InMsgs
	b[8+4*8] = 3              // InType8: echo requests
	b[icmpStatsLen+4] = 1     // OutErrors
	b[icmpStatsLen+8+4*0] = 2 // OutType0: echo replies
	cs, err := DecodeICMP("Icmp", "IcmpMsg", b)
	if err != nil {
		t.Fatal(err)
	}
	snap := &Snapshot{Counters: cs}
	wantCounters(t, snap, []wantCounter{{"Icmp", "InMsgs", 7}, {"Icmp", "OutErrors", 1}, {"IcmpMsg", "InType8", 3}, {"IcmpMsg", "OutType0", 2}})
	if len(cs) != 6 {
		t.Errorf("%d counters, want 4 and the 2 types that moved", len(cs))
	}
	if _, err := DecodeICMP("Icmp", "IcmpMsg", b[:100]); err == nil {
		t.Error("a short struct decoded")
	}
}

// wantCounter is a counter a test expects.
type wantCounter struct {
	group, name string
	want        int64
}

// wantCounters checks that snap has each of wants with its value.
func wantCounters(t *testing.T, snap *Snapshot, wants []wantCounter) {
	t.Helper()
	for _, c := range wants {
		if v, ok := snap.Get(c.group, c.name); !ok || v != c.want {
			t.Errorf("%s %s = %d, %v; want %d", c.group, c.name, v, ok, c.want)
		}
	}
}
