package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The Windows build of portwatch, run under Wine on this Linux machine.
// make test-windows cross-compiles portwatch.exe, prepares a Wine prefix
// and runs this test with:
//
//	PORTWATCH_WINDOWS_EXE  the portwatch.exe to run (the test skips without it)
//	WINEPREFIX             the Wine prefix (with the ProcessPrng stand-in
//	                       when Wine lacks bcryptprimitives.dll)
//	PORTWATCH_WINE         the wine64 loader (default: wine64 on PATH, then
//	                       Debian's /usr/lib/wine/wine64)
//
// Wine 8 implements GetExtendedTcpTable over the host's sockets, so a
// listener this Linux test process holds shows up in the Windows binary's
// table.
const windowsExeEnv = "PORTWATCH_WINDOWS_EXE"

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
	cmd.Env = os.Environ()
	if os.Getenv("WINEDEBUG") == "" {
		cmd.Env = append(cmd.Env, "WINEDEBUG=-all")
	}
	if os.Getenv("WINEDLLOVERRIDES") == "" {
		// No Mono or Gecko installer dialogs and no menu entries in the
		// user's home if Wine updates the prefix.
		cmd.Env = append(cmd.Env, "WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d")
	}
	r := runCmd(t, cmd)
	if ctx.Err() != nil {
		t.Fatalf("portwatch.exe %v under Wine: %v; stderr %q", args, ctx.Err(), r.stderr)
	}
	return r
}

func TestWindowsBinaryUnderWine(t *testing.T) {
	exe := os.Getenv(windowsExeEnv)
	if exe == "" {
		t.Skipf("%s is not set: run make test-windows to test the Windows build under Wine", windowsExeEnv)
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatal(err)
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
		r := wineRun(t, exe, "-ano", "--json")
		if r.code != 0 {
			t.Fatalf("-ano --json: exit %d, stderr %q", r.code, r.stderr)
		}
		var snap jsonSnapshot
		if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, r.stdout)
		}
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
			t.Fatalf("no LISTEN socket on %s in:\n%s", local, r.stdout)
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
}
