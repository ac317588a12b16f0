package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/counters"
)

// The Windows build of portwatch, run under Wine on this Linux machine.
// make test-windows cross-compiles portwatch.exe, prepares a Wine prefix
// and runs this test with:
//
//	PORTWATCH_WINDOWS_EXE  the portwatch.exe to run (the test skips without it)
//	PORTWATCH_WINDOWS_HELPER
//	                       the Windows build of this test binary, run under
//	                       Wine as a process holding a connection (required
//	                       with PORTWATCH_WINDOWS_EXE)
//	WINEPREFIX             the Wine prefix (with the ProcessPrng stand-in
//	                       when Wine lacks bcryptprimitives.dll)
//	PORTWATCH_WINE         the wine64 loader (default: wine64 on PATH, then
//	                       Debian's /usr/lib/wine/wine64)
//
// Wine 8 implements GetExtendedTcpTable over the host's sockets, so a
// listener this Linux test process holds shows up in the Windows binary's
// table. Wine 8 names the owning process of only some sockets of Wine
// processes: of a TCP connection a Wine process opened, the connecting end
// (seen with Wine 8.0: the listener and accepted end of a Wine process come
// with PID 0 too, see collector/collector_windows_test.go). A socket of a
// Linux process never has an owner there.
const (
	windowsExeEnv    = "PORTWATCH_WINDOWS_EXE"
	windowsHelperEnv = "PORTWATCH_WINDOWS_HELPER"
)

// wineLoader finds the wine64 loader.
func wineLoader(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PORTWATCH_WINE"); p != "" {
		return p
	}
	if p, err := exec.LookPath("wine64"); err == nil {
		return p
	}
	const debian = "/usr/lib/wine/wine64"
	if _, err := os.Stat(debian); err == nil {
		return debian
	}
	t.Fatalf("%s is set but there is no wine64 (set PORTWATCH_WINE, or run make test-windows)", windowsExeEnv)
	return ""
}

// wineRun runs portwatch.exe with args under Wine.
func wineRun(t *testing.T, exe string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wineLoader(t), append([]string{exe}, args...)...)
	cmd.Env = wineEnv()
	r := runCmd(t, cmd)
	if ctx.Err() != nil {
		t.Fatalf("portwatch.exe %v under Wine: %v; stderr %q", args, ctx.Err(), r.stderr)
	}
	return r
}

// wineJSON runs portwatch.exe under Wine with args, which ask for JSON,
// and decodes its output; a non-zero exit or invalid JSON fails the test.
func wineJSON(t *testing.T, exe string, args ...string) jsonSnapshot {
	t.Helper()
	r := wineRun(t, exe, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	var snap jsonSnapshot
	if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil {
		t.Fatalf("%v: invalid JSON: %v\n%s", args, err, r.stdout)
	}
	return snap
}

// wineEnv is this process's environment, quiet for Wine.
func wineEnv() []string {
	env := os.Environ()
	if os.Getenv("WINEDEBUG") == "" {
		env = append(env, "WINEDEBUG=-all")
	}
	if os.Getenv("WINEDLLOVERRIDES") == "" {
		// No Mono or Gecko installer dialogs and no menu entries in the
		// user's home if Wine updates the prefix.
		env = append(env, "WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d")
	}
	return env
}

// wineConnect starts helper (the Windows build of this test binary) under
// Wine as a "connect" child (see runChild) that opens a TCP connection to
// addr and holds it until the test ends. It returns the helper's Windows
// PID and the connection's local address.
func wineConnect(t *testing.T, helper, addr string) (pid int, local string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, wineLoader(t), helper)
	cmd.Env = append(wineEnv(), childRoleEnv+"=connect", childAddrEnv+"="+addr)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s under Wine: %v", helper, err)
	}
	t.Cleanup(func() {
		stdin.Close() // the helper exits when its stdin closes
		cmd.Wait()
		cancel()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "ready" {
		t.Fatalf("helper %s under Wine did not connect to %s: said %q, %v", helper, addr, line, err)
	}
	if pid, err = strconv.Atoi(f[1]); err != nil || pid <= 0 {
		t.Fatalf("helper %s under Wine: PID %q in %q", helper, f[1], line)
	}
	return pid, f[2]
}

// findSocket returns the TCP socket of snap with these endpoints, or nil.
func findSocket(snap *jsonSnapshot, local, remote string) *jsonSocket {
	for i, s := range snap.Sockets {
		if s.Proto == "tcp" && joinHostPort(s.LocalAddr, s.LocalPort) == local && joinHostPort(s.RemoteAddr, s.RemotePort) == remote {
			return &snap.Sockets[i]
		}
	}
	return nil
}

func TestWindowsBinaryUnderWine(t *testing.T) {
	exe := os.Getenv(windowsExeEnv)
	if exe == "" {
		// make test-windows sets it, and fails when this test skips.
		t.Skipf("%s is not set: run make test-windows to test the Windows build under Wine", windowsExeEnv)
	}
	helper := os.Getenv(windowsHelperEnv)
	if helper == "" {
		t.Fatalf("%s is set but %s is not: run make test-windows", windowsExeEnv, windowsHelperEnv)
	}
	for _, name := range []string{windowsExeEnv, windowsHelperEnv} {
		if _, err := os.Stat(os.Getenv(name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	t.Run("help", func(t *testing.T) {
		r := wineRun(t, exe, "--help")
		if r.code != 0 {
			t.Fatalf("--help: exit %d, stderr %q", r.code, r.stderr)
		}
		for _, want := range []string{"portwatch -ano", "--state", "--json"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("--help lacks %q:\n%s", want, r.stdout)
			}
		}
	})

	t.Run("bad flag exits 2 with one line", func(t *testing.T) {
		r := wineRun(t, exe, "--frobnicate")
		if r.code != 2 {
			t.Fatalf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("wrote to stdout: %q", r.stdout)
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "--frobnicate") {
			t.Errorf("stderr %q, want one line naming --frobnicate", r.stderr)
		}
	})

	// Wine's iphlpapi has no GetPerTcpConnectionEStats: the one line
	// that says so, and the table.
	t.Run("-i is not available", func(t *testing.T) {
		r := wineRun(t, exe, "-ani")
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "GetPerTcpConnectionEStats") || !strings.Contains(r.stdout, "Proto") {
			t.Errorf("-ani: exit %d, want the table and one line saying internals are not available:\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("stats", func(t *testing.T) {
		// Wine's IP Helper counts what the Linux kernel counts: its
		// Tcp ActiveOpens lies between two reads of /proc/net/snmp.
		linux := func() *counters.Snapshot {
			data, err := os.ReadFile("/proc/net/snmp")
			if err != nil {
				t.Fatal(err)
			}
			cs, err := counters.ParseSNMP(data, "/proc/net/snmp")
			if err != nil {
				t.Fatal(err)
			}
			return &counters.Snapshot{Counters: cs}
		}
		pre := linux()
		r := wineRun(t, exe, "stats", "--json")
		post := linux()
		before, _ := pre.Get("Tcp", "ActiveOpens")
		after, _ := post.Get("Tcp", "ActiveOpens")
		var doc struct{ Counters map[string]map[string]int64 }
		if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil {
			t.Fatalf("stats --json: exit %d, %v:\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		if v, ok := doc.Counters["Tcp"]["ActiveOpens"]; !ok || v < before || v > after {
			t.Errorf("Tcp ActiveOpens under Wine %d (%v), Linux says %d before and %d after", v, ok, before, after)
		}
		icmpBefore, _ := pre.Get("Icmp", "InMsgs")
		icmpAfter, _ := post.Get("Icmp", "InMsgs")
		if v, ok := doc.Counters["Icmp"]["InMsgs"]; !ok || v < icmpBefore || v > icmpAfter {
			t.Errorf("Icmp InMsgs under Wine %d (%v), Linux says %d before and %d after", v, ok, icmpBefore, icmpAfter)
		}
		if _, ok := doc.Counters["Udp"]["NoPorts"]; !ok {
			t.Errorf("no Udp NoPorts: %v", doc.Counters)
		}
		if r := wineRun(t, exe, "stats"); r.code != 0 || !strings.Contains(r.stdout, "active connection openings") {
			t.Errorf("stats: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("interfaces", func(t *testing.T) {
		// Wine's GetIfTable2 lists the Linux kernel's interfaces: the
		// same names and MTUs, and lo's counters between two reads of
		// its sysfs counter.
		loRx := func() uint64 {
			data, err := os.ReadFile("/sys/class/net/lo/statistics/rx_packets")
			if err != nil {
				t.Fatal(err)
			}
			v, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
			return v
		}
		before := loRx()
		r := wineRun(t, exe, "interfaces", "--json")
		after := loRx()
		var doc struct {
			Interfaces []struct {
				Name  string
				MTU   int
				Stats map[string]uint64
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil {
			t.Fatalf("interfaces --json: exit %d, %v:\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		linux, err := net.Interfaces()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range linux {
			found := false
			for _, got := range doc.Interfaces {
				if got.Name == want.Name {
					found = true
					if got.MTU != want.MTU {
						t.Errorf("%s: MTU %d under Wine, %d on Linux", want.Name, got.MTU, want.MTU)
					}
					if want.Name == "lo" && (got.Stats["rx_packets"] < before || got.Stats["rx_packets"] > after) {
						t.Errorf("lo rx_packets %d under Wine, Linux says %d before and %d after", got.Stats["rx_packets"], before, after)
					}
				}
			}
			if !found {
				t.Errorf("%s is not in portwatch.exe interfaces:\n%s", want.Name, r.stdout)
			}
		}
	})

	t.Run("routes", func(t *testing.T) {
		// Wine's GetIpForwardTable2 gives the Linux kernel's IPv4 main
		// table: every route ip shows, with its gateway and interface.
		out, err := exec.Command("ip", "-4", "-N", "-j", "route", "show", "table", "main").Output()
		if err != nil {
			t.Fatalf("ip -4 -j route: %v", err)
		}
		var want []struct{ Dst, Gateway, Dev string }
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		r := wineRun(t, exe, "routes", "-4", "--json")
		var doc struct {
			Routes []struct{ Dst, Gateway, Interface string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil {
			t.Fatalf("routes -4 --json: exit %d, %v:\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		for _, w := range want {
			dst := w.Dst
			if dst == "default" {
				dst = "0.0.0.0/0"
			}
			found := false
			for _, g := range doc.Routes {
				found = found || g.Dst == dst && g.Gateway == w.Gateway && g.Interface == w.Dev
			}
			if !found {
				t.Errorf("ip's %s via %q dev %s is not in portwatch.exe routes:\n%s", dst, w.Gateway, w.Dev, r.stdout)
			}
		}
		if len(want) == 0 {
			t.Error("ip shows no IPv4 route to compare with")
		}
	})

	// A listener held by this Linux process.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	local := fmt.Sprintf("127.0.0.1:%d", port)

	t.Run("listener in -ano", func(t *testing.T) {
		r := wineRun(t, exe, "-ano")
		if r.code != 0 {
			t.Fatalf("-ano: exit %d, stderr %q", r.code, r.stderr)
		}
		lines := strings.Split(r.stdout, "\n")
		if !strings.HasPrefix(lines[0], "Proto") {
			t.Errorf("no header: %q", lines[0])
		}
		found := false
		for _, line := range lines[1:] {
			f := strings.Fields(line)
			if len(f) >= 4 && f[0] == "tcp" && f[1] == local {
				found = true
				if f[2] != "0.0.0.0:*" || f[3] != "LISTEN" {
					t.Errorf("listener row %q, want foreign 0.0.0.0:* and LISTEN", line)
				}
			}
		}
		if !found {
			t.Errorf("listener %s not in -ano output:\n%s\nstderr: %s", local, r.stdout, r.stderr)
		}
	})

	t.Run("listener in -ano --json", func(t *testing.T) {
		snap := wineJSON(t, exe, "-ano", "--json")
		if snap.Version != 1 || snap.Source != "iphlpapi" {
			t.Errorf("version %d, source %q, want 1 and iphlpapi", snap.Version, snap.Source)
		}
		var got *jsonSocket
		for i, s := range snap.Sockets {
			if s.Proto == "tcp" && s.LocalAddr == "127.0.0.1" && s.LocalPort == port && s.State == "LISTEN" {
				got = &snap.Sockets[i]
			}
		}
		if got == nil {
			t.Fatalf("no LISTEN socket on %s in:\n%+v", local, snap.Sockets)
		}
		if got.Family != "ipv4" || got.RemoteAddr != "0.0.0.0" || got.RemotePort != 0 || got.UID != -1 {
			t.Errorf("listener %+v, want ipv4, remote 0.0.0.0:0, uid -1", *got)
		}
		// Wine ties no socket of a Linux process to a Windows process: the
		// owner is unsupported, not the kernel.
		if len(got.Owners) != 0 || got.OwnerUnknown != "unsupported" {
			t.Errorf("listener of a Linux process: owners %+v, reason %q, want none and unsupported", got.Owners, got.OwnerUnknown)
		}
	})

	// A connection a Wine process opened to that listener: Wine names the
	// connecting end's owner, and portwatch must show it; the accepted end
	// is this Linux process's and has none.
	t.Run("connection of a Wine process has its PID", func(t *testing.T) {
		pid, client := wineConnect(t, helper, local)
		name := filepath.Base(helper)
		accepted, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer accepted.Close()

		snap := wineJSON(t, exe, "-ano", "--json")
		got := findSocket(&snap, client, local)
		switch {
		case got == nil:
			t.Errorf("the helper's connection %s -> %s is not in:\n%+v", client, local, snap.Sockets)
		case got.State != "ESTABLISHED" || len(got.Owners) != 1 || got.OwnerUnknown != "" ||
			got.Owners[0].PID != pid || !strings.EqualFold(got.Owners[0].Process, name) || got.Owners[0].FD != -1 ||
			got.PID != pid || !strings.EqualFold(got.Process, name):
			t.Errorf("connecting end of Wine process %d (%s): %+v, want ESTABLISHED, pid %d, process %s, the one owner {%d %s -1}",
				pid, name, *got, pid, name, pid, name)
		}
		if srv := findSocket(&snap, local, client); srv == nil {
			t.Errorf("the accepted end %s -> %s is not in:\n%+v", local, client, snap.Sockets)
		} else if len(srv.Owners) != 0 || srv.OwnerUnknown != "unsupported" {
			t.Errorf("accepted end, held by this Linux process: owners %+v, reason %q, want none and unsupported", srv.Owners, srv.OwnerUnknown)
		}

		// The table's PID/Program column.
		r := wineRun(t, exe, "-ano")
		row := ""
		for _, line := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(line); len(f) >= 5 && f[0] == "tcp" && f[1] == client && f[2] == local {
				row = line
				if want := fmt.Sprintf("%d/", pid); !strings.HasPrefix(f[4], want) || !strings.EqualFold(strings.TrimPrefix(f[4], want), name) {
					t.Errorf("row %q: owner %q, want %d/%s", line, f[4], pid, name)
				}
			}
		}
		if row == "" {
			t.Errorf("the helper's connection %s -> %s is not in -ano:\n%s", client, local, r.stdout)
		}

		// --pid keeps that connection alone.
		snap = wineJSON(t, exe, "-an", "--pid", strconv.Itoa(pid), "--json")
		if len(snap.Sockets) != 1 || findSocket(&snap, client, local) == nil {
			t.Errorf("--pid %d: %+v, want the helper's connection %s -> %s alone", pid, snap.Sockets, client, local)
		}

		// who on the helper's port: its details as Windows gives them
		// (gopsutil): the executable and command line are the helper's.
		_, clientPort, _ := net.SplitHostPort(client)
		r = wineRun(t, exe, "who", clientPort+"/tcp")
		if r.code != 0 {
			t.Errorf("who %s: exit %d:\n%s%s", clientPort, r.code, r.stdout, r.stderr)
		}
		exeLine, cmdLine := "", ""
		for _, l := range strings.Split(r.stdout, "\n") {
			f := strings.Fields(l)
			if len(f) >= 2 && f[0] == "executable" {
				exeLine = l
			}
			if len(f) >= 2 && f[0] == "command" {
				cmdLine = l
			}
		}
		if !strings.Contains(strings.ToLower(exeLine), strings.ToLower(name)) || !strings.Contains(strings.ToLower(cmdLine), strings.ToLower(name)) ||
			!strings.Contains(r.stdout, "\n  user       ") || !strings.Contains(r.stdout, "\n  started    ") || strings.Contains(r.stdout, "unreadable") {
			t.Errorf("who %s under Wine: want the helper's executable and command line (%s):\n%s%s", clientPort, name, r.stdout, r.stderr)
		}
		t.Logf("who under Wine:\n%s", r.stdout)

		// close: --dry-run lists the connection; with --yes, SetTcpEntry
		// answers success under Wine and changes nothing, which close
		// finds in the table afterwards and reports: exit 1, the
		// connection still open.
		r = wineRun(t, exe, "close", client, "--dry-run")
		if r.code != 0 || !strings.Contains(r.stdout, client) || !strings.Contains(r.stderr, "would be closed") {
			t.Errorf("close %s --dry-run: exit %d:\n%s%s", client, r.code, r.stdout, r.stderr)
		}
		r = wineRun(t, exe, "close", client, "--yes")
		if r.code != 1 || !strings.Contains(r.stdout, "failed  tcp "+client) || !strings.Contains(r.stderr, "still open") ||
			!strings.Contains(r.stderr, "Wine") {
			t.Errorf("close %s --yes under Wine: exit %d, want 1 saying the connection is still open:\n%s%s", client, r.code, r.stdout, r.stderr)
		}
		if _, err := accepted.Write([]byte("x")); err != nil {
			t.Errorf("the connection after close under Wine: %v, want it open", err)
		}
		snap = wineJSON(t, exe, "-an", "--json")
		if got := findSocket(&snap, client, local); got == nil || got.State != "ESTABLISHED" {
			t.Errorf("after close under Wine the connection is %+v, want ESTABLISHED", got)
		}
	})
}
