package main

import (
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// statsJSON runs portwatch stats --json and returns its counters.
func statsJSON(t *testing.T, args ...string) map[string]map[string]int64 {
	t.Helper()
	r := runCmd(t, exec.Command(binPath, args...))
	if r.code != 0 {
		t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
	var doc struct {
		Version  int
		Counters map[string]map[string]int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Version != 1 {
		t.Fatalf("%v: %v\n%s", args, err, r.stdout)
	}
	return doc.Counters
}

// nstatValues runs nstat for absolute counters, without touching its
// history, and returns them by nstat's names (group and name joined).
func nstatValues(t *testing.T, nstat string) map[string]int64 {
	t.Helper()
	out, err := exec.Command(nstat, "-asz").Output()
	if err != nil {
		t.Fatalf("nstat -asz: %v", err)
	}
	values := map[string]int64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				values[f[0]] = v
			}
		}
	}
	return values
}

// TestStats: datagrams to a closed UDP port and connections to a closed
// TCP port move the counters portwatch stats shows, which agree with
// nstat's read just after; --statistics is the same; the text names them.
func TestStats(t *testing.T) {
	nstat := testenv.NeedProgram(t, "nstat", "iproute2")
	before := statsJSON(t, "stats", "--json")

	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedUDP := u.LocalAddr()
	u.Close()
	// An unconnected sender: a connected one would get the ICMP error on
	// its next write instead of sending it.
	sender, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := sender.WriteTo([]byte("x"), closedUDP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	sender.Close()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedTCP := ln.Addr().String()
	ln.Close()
	for range 5 {
		if c, err := net.Dial("tcp4", closedTCP); err == nil {
			c.Close()
			t.Fatalf("%s accepted a connection", closedTCP)
		}
	}

	after := statsJSON(t, "--statistics", "--json")
	ns := nstatValues(t, nstat)
	for _, c := range []struct {
		group, name string
		moved       int64
	}{{"Udp", "NoPorts", 10}, {"Tcp", "ActiveOpens", 5}, {"Tcp", "AttemptFails", 5}} {
		b, a := before[c.group][c.name], after[c.group][c.name]
		if a-b < c.moved {
			t.Errorf("%s %s went from %d to %d, want at least +%d", c.group, c.name, b, a, c.moved)
		}
		n, ok := ns[c.group+c.name]
		if !ok || n < a || n-a > 1000 {
			t.Errorf("%s %s: portwatch %d, nstat just after %d (%v)", c.group, c.name, a, n, ok)
		}
	}
	// Every counter nstat shows (its own rates aside) is one of portwatch's.
	for name := range ns {
		if strings.HasPrefix(name, "#") {
			continue
		}
		found := false
		for group, cs := range after {
			if n, ok := strings.CutPrefix(name, group); ok {
				if _, ok := cs[n]; ok {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("nstat shows %s, which portwatch stats lacks", name)
		}
	}
	r := runCmd(t, exec.Command(binPath, "stats"))
	if r.code != 0 || !strings.Contains(r.stdout, "Tcp:\n") || !strings.Contains(r.stdout, "  failed connection attempts\n") {
		t.Errorf("stats: exit %d:\n%s", r.code, r.stdout)
	}
	if r := runCmd(t, exec.Command(binPath, "stats", "extra")); r.code != 2 {
		t.Errorf("stats extra: exit %d, want 2", r.code)
	}
}

// TestStatsRates: stats -c reports what moved per second: datagrams sent
// to a closed port while it runs show as a Udp NoPorts rate.
func TestStatsRates(t *testing.T) {
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := u.LocalAddr()
	u.Close()
	sender, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				sender.WriteTo([]byte("x"), closed)
			}
		}
	}()
	r := runCmd(t, exec.Command(binPath, "stats", "-c", "300ms", "--count", "3", "--json"))
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 {
		t.Fatalf("stats -c 300ms --count 3 --json: exit %d, %d lines:\n%s%s", r.code, len(lines), r.stdout, r.stderr)
	}
	seen := false
	for _, line := range lines {
		var doc struct {
			Interval float64 `json:"interval_seconds"`
			Rates    map[string]map[string]float64
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil || doc.Interval < 0.2 {
			t.Fatalf("line %q: %v", line, err)
		}
		if doc.Rates["Udp"]["NoPorts"] > 10 {
			seen = true
		}
	}
	if !seen {
		t.Errorf("no report shows the datagrams to a closed port as a Udp NoPorts rate:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"stats", "--count", "2"}, {"stats", "-c", "soon"}, {"stats", "-c", "1s", "--count", "-1"}} {
		if r := runCmd(t, exec.Command(binPath, args...)); r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %q", args, r.code, r.stderr)
		}
	}
}
