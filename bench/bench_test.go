//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the helper processes, as the bench binary does.
func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(helperMain(role))
	}
	os.Exit(m.Run())
}

func TestPlanLoad(t *testing.T) {
	o := loadOptions{Listeners: 20, UDP: 100, PerPort: 9000, MaxFDs: 19000}
	for _, size := range []int{122, 300, 2000, 20000, 120000, 1000000} {
		p, err := planLoad(size, o)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got := p.Total(); got != size && got != size-1 {
			t.Errorf("size %d: plan has %d sockets", size, got)
		}
		conns, accepted, dialed := 0, 0, 0
		for _, c := range p.PortConns {
			if c > o.PerPort {
				t.Errorf("size %d: %d connections on one port", size, c)
			}
			conns += c
		}
		seen := map[int]bool{}
		for i, s := range p.Servers {
			fds := s.UDP
			for _, j := range s.Listeners {
				if seen[j] {
					t.Errorf("size %d: listener %d in two servers", size, j)
				}
				seen[j] = true
				fds += 1 + p.PortConns[j]
				accepted += p.PortConns[j]
			}
			if fds > o.MaxFDs {
				t.Errorf("size %d: server %d holds %d sockets", size, i, fds)
			}
		}
		for i, c := range p.Clients {
			fds := 0
			for _, tg := range c.Targets {
				fds += tg.Count
			}
			if fds > o.MaxFDs {
				t.Errorf("size %d: client %d holds %d sockets", size, i, fds)
			}
			dialed += fds
		}
		if len(seen) != p.Listeners || conns != p.Pairs || accepted != p.Pairs || dialed != p.Pairs {
			t.Errorf("size %d: %d listeners placed of %d; %d pairs, %d per port, %d accepted, %d dialed",
				size, len(seen), p.Listeners, p.Pairs, conns, accepted, dialed)
		}
		if p.PortConns[0] == 0 || p.Servers[0].UDP != o.UDP {
			t.Errorf("size %d: listener 0 idle or UDP not in server 0: %+v", size, p)
		}
	}
	if _, err := planLoad(100, o); err == nil {
		t.Error("size 100 with 120 listeners and UDP sockets: no error")
	}
}

func TestParseProcNet(t *testing.T) {
	in := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1
`
	var got [][3]int
	err := parseProcNet(strings.NewReader(in), func(l, r, st int) { got = append(got, [3]int{l, r, st}) })
	want := [][3]int{{8080, 0, stListen}, {54321, 8080, stEstablished}}
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if err := parseProcNet(strings.NewReader("header\n 0: zz\n"), func(int, int, int) {}); err != nil {
		t.Errorf("short line: %v", err)
	}
	if err := parseProcNet(strings.NewReader("header\n 0: 1:XYZ 2:0 01\n"), func(int, int, int) {}); err == nil {
		t.Error("bad port: no error")
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int64{5, 1, 3}); got != 3 {
		t.Errorf("median of 5 1 3 = %d", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4 1 3 2 = %d", got)
	}
}

// syncWriter lets helpers' stderr and progress lines share a buffer.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
	// onWrite, if set, sees every write.
	onWrite func(string)
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.onWrite != nil {
		w.onWrite(string(p))
	}
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func tinyConfig(t *testing.T, progress *syncWriter) config {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed: the benchmark compares portwatch with it")
	}
	dir := t.TempDir()
	return config{
		Sizes: []int{300}, Rounds: 1, Warmup: 0,
		Load:        loadOptions{Listeners: 20, UDP: 100, PerPort: 9000, MaxFDs: 19000},
		Concurrency: 16, Timeout: 2 * time.Minute, SetupTimeout: time.Minute,
		Out: filepath.Join(dir, "latest.md"), JSONOut: filepath.Join(dir, "latest.json"),
		Stdout: &bytes.Buffer{}, Progress: progress,
	}
}

// checkGone fails unless every helper of s has exited and none of its
// sockets is left.
func checkGone(t *testing.T, s SizeResult) {
	t.Helper()
	if len(s.HelperPIDs) == 0 || len(s.TCPPorts) == 0 {
		t.Fatalf("no helpers or ports recorded: %+v", s)
	}
	for _, pid := range s.HelperPIDs {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("helper %d still exists (kill 0: %v)", pid, err)
		}
	}
	left, err := countLoad(s.TCPPorts, s.UDPPorts)
	if err != nil || left.Sockets() != 0 {
		t.Errorf("after the run /proc/net still has %s (%v)", left, err)
	}
}

// TestTinyBench runs the whole benchmark once at 300 sockets: it checks
// that the load was there, every scenario timed portwatch, the results
// were written, and nothing was left behind. It asserts no timings.
func TestTinyBench(t *testing.T) {
	progress := &syncWriter{}
	cfg := tinyConfig(t, progress)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := run(ctx, cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes in the report, want 1", len(rep.Sizes))
	}
	s := rep.Sizes[0]
	checkGone(t, s)
	want := LoadCount{ServerEstablished: 90, ClientEstablished: 90, Listening: 20, UDPConnected: 50, UDPUnconnected: 50}
	if s.Before != want || s.After != want {
		t.Errorf("load before timing: %s; after: %s; want %s", s.Before, s.After, want)
	}
	names := []string{"table without owners", "table with owners", "owner of one port", "JSON"}
	if len(s.Scenarios) != len(names) {
		t.Fatalf("%d scenarios, want %d", len(s.Scenarios), len(names))
	}
	for i, sc := range s.Scenarios {
		if sc.Name != names[i] {
			t.Errorf("scenario %d is %q, want %q", i, sc.Name, names[i])
		}
		pw := sc.Tools[0]
		if pw.Tool != "portwatch" || len(pw.Runs) != 1 || !pw.Runs[0].OK() || pw.Median <= 0 || pw.Failed != 0 {
			t.Errorf("%s: portwatch result %+v", sc.Name, pw)
		}
		for _, tr := range sc.Tools[1:] {
			if !tr.Missing && (len(tr.Runs) != 1 || tr.Failed != 0) {
				t.Errorf("%s: %s result %+v", sc.Name, tr.Tool, tr)
			}
		}
	}

	md, err := os.ReadFile(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append([]string{"# portwatch benchmark", "## 300 sockets", "| scenario | tool |", "| portwatch | `portwatch -tan`"}, names...) {
		if !bytes.Contains(md, []byte(w)) {
			t.Errorf("results file lacks %q:\n%s", w, md)
		}
	}
	var back Report
	if js, err := os.ReadFile(cfg.JSONOut); err != nil || json.Unmarshal(js, &back) != nil || len(back.Sizes) != 1 {
		t.Errorf("JSON results file unreadable: %v", err)
	}
	if out := cfg.Stdout.(*bytes.Buffer).String(); !strings.Contains(out, "SCENARIO") || !strings.Contains(out, "portwatch -tanp") {
		t.Errorf("stdout lacks the table:\n%s", out)
	}
}

// TestInterruptCleansUp cancels the run (as SIGINT does) during the first
// scenario and checks that the load is gone.
func TestInterruptCleansUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &syncWriter{onWrite: func(s string) {
		if strings.Contains(s, "round 1/") {
			cancel()
		}
	}}
	cfg := tinyConfig(t, progress)
	cfg.Out, cfg.JSONOut = "", ""
	rep, err := run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled\n%s", err, progress)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes in the report, want 1", len(rep.Sizes))
	}
	checkGone(t, rep.Sizes[0])
}

func TestRunnerReportsExitStatusAndLines(t *testing.T) {
	r, err := newRunner(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res := r.run(ctx, "/bin/sh", []string{"-c", "echo oops >&2; exit 3"}, false)
	if res.OK() || res.Exit != 3 || !strings.Contains(res.Error, "oops") {
		t.Errorf("failing command: %+v", res)
	}
	res = r.run(ctx, "/bin/sh", []string{"-c", "printf 'a\\nb\\n'"}, true)
	if !res.OK() || res.Lines != 2 || res.Wall <= 0 || res.MaxRSSKB <= 0 {
		t.Errorf("printing command: %+v", res)
	}
	res = r.run(ctx, "/nonexistent/tool", nil, false)
	if res.OK() || res.Error == "" {
		t.Errorf("missing command: %+v", res)
	}
}
