package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/testenv"
)

// ipLink is what ip -j -s addr show says of a link.
type ipLink struct {
	Index     int    `json:"ifindex"`
	Name      string `json:"ifname"`
	MTU       int    `json:"mtu"`
	OperState string `json:"operstate"`
	Stats     struct {
		RX, TX struct{ Packets, Bytes, Errors, Dropped uint64 }
	} `json:"stats64"`
	Addrs []struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

// ipLinks runs ip -j -s addr show in namespace ns.
func ipLinks(t *testing.T, ns string) []ipLink {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-j", "-s", "addr", "show").Output()
	if err != nil {
		t.Fatalf("ip -n %s -j -s addr show: %v", ns, err)
	}
	var links []ipLink
	if err := json.Unmarshal(out, &links); err != nil {
		t.Fatal(err)
	}
	return links
}

// pwInterface is an interface of portwatch interfaces --json.
type pwInterface struct {
	Index     int
	Name      string
	MTU       int
	State     string
	Addresses []string
	Stats     map[string]uint64
}

// sendUDPIn sends n datagrams to addr from inside namespace ns: the
// socket is made on an OS thread moved into it, which is then moved back.
func sendUDPIn(t *testing.T, ns, addr string, n int) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	home, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer home.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			panic("cannot move the thread back: " + err.Error())
		}
	}()
	c, err := net.Dial("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range n {
		c.Write(make([]byte, 100))
	}
}

// TestInterfacesAgainstIP: in a namespace with a veth pair to a second
// one, after datagrams cross it, portwatch interfaces shows every link ip
// shows, with its MTU, state and addresses, and counters between ip's
// read before and after it.
func TestInterfacesAgainstIP(t *testing.T) {
	testenv.NeedRoot(t, "create network namespaces and a veth pair")
	testenv.NeedProgram(t, "ip", "iproute2")
	tag := strconv.Itoa(os.Getpid())
	a, b := addNamedNetns(t, "pwtest-ia-"+tag), addNamedNetns(t, "pwtest-ib-"+tag)
	for _, args := range [][]string{
		{"-n", a.name, "link", "add", "pwva", "type", "veth", "peer", "name", "pwvb", "netns", b.name},
		{"-n", a.name, "addr", "add", "10.97.0.1/30", "dev", "pwva"},
		{"-n", b.name, "addr", "add", "10.97.0.2/30", "dev", "pwvb"},
		{"-n", a.name, "link", "set", "pwva", "up"},
		{"-n", b.name, "link", "set", "pwvb", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	// A first few resolve the peer's address (the kernel queues only
	// three datagrams while ARP runs); then 25 that all go out.
	sendUDPIn(t, a.name, "10.97.0.2:9", 3)
	time.Sleep(300 * time.Millisecond)
	sendUDPIn(t, a.name, "10.97.0.2:9", 25)

	before := ipLinks(t, a.name)
	r := runCmd(t, exec.Command("ip", "netns", "exec", a.name, binPath, "interfaces", "--json"))
	after := ipLinks(t, a.name)
	if r.code != 0 {
		t.Fatalf("interfaces --json: exit %d: %s", r.code, r.stderr)
	}
	var doc struct{ Interfaces []pwInterface }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Interfaces) != len(after) {
		t.Errorf("portwatch shows %d links, ip %d", len(doc.Interfaces), len(after))
	}
	for i, want := range after {
		j := slices.IndexFunc(doc.Interfaces, func(g pwInterface) bool {
			return g.Index == want.Index
		})
		if j < 0 {
			t.Errorf("link %d %s is not shown", want.Index, want.Name)
			continue
		}
		got := doc.Interfaces[j]
		if got.Name != want.Name || got.MTU != want.MTU || got.State != want.OperState {
			t.Errorf("link %d: %s mtu %d %s, ip says %s mtu %d %s", want.Index, got.Name, got.MTU, got.State, want.Name, want.MTU, want.OperState)
		}
		var addrs []string
		for _, a := range want.Addrs {
			addrs = append(addrs, a.Local+"/"+strconv.Itoa(a.PrefixLen))
		}
		slices.Sort(addrs)
		gotAddrs := slices.Sorted(slices.Values(got.Addresses))
		if !slices.Equal(addrs, gotAddrs) {
			t.Errorf("%s: addresses %v, ip says %v", want.Name, gotAddrs, addrs)
		}
		for _, c := range []struct {
			name   string
			lo, hi uint64
		}{
			{"rx_packets", before[i].Stats.RX.Packets, want.Stats.RX.Packets},
			{"rx_bytes", before[i].Stats.RX.Bytes, want.Stats.RX.Bytes},
			{"tx_packets", before[i].Stats.TX.Packets, want.Stats.TX.Packets},
			{"tx_bytes", before[i].Stats.TX.Bytes, want.Stats.TX.Bytes},
			{"tx_dropped", before[i].Stats.TX.Dropped, want.Stats.TX.Dropped},
		} {
			if v := got.Stats[c.name]; v < c.lo || v > c.hi {
				t.Errorf("%s %s = %d, ip says %d before and %d after", want.Name, c.name, v, c.lo, c.hi)
			}
		}
		if want.Name == "pwva" && got.Stats["tx_packets"] < 25 {
			t.Errorf("pwva sent %d packets, want the 25 datagrams at least", got.Stats["tx_packets"])
		}
	}
	for _, args := range [][]string{{"interfaces", "--count", "1"}, {"interfaces", "-c", "never"}, {"interfaces", "eth0"}} {
		if r := runCmd(t, exec.Command(binPath, args...)); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
}
