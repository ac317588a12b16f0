package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// binPath is the portwatch binary built once for the end-to-end tests.
var binPath string

// childRoleEnv makes the test binary act as a helper process (see runChild).
const childRoleEnv = "PORTWATCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childRoleEnv); role != "" {
		runChild(role)
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "portwatch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by every user: one test runs the binary as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "portwatch")
	build := exec.Command(goTool(), "build", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building portwatch: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// portwatch runs the binary with args.
func portwatch(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(binPath, args...))
}

func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running %v: %v", cmd.Args, err)
		}
		code = ee.ExitCode()
	}
	return result{stdout.String(), stderr.String(), code}
}

// The JSON schema, version 1, as a user of `portwatch --json` reads it.
type jsonSnapshot struct {
	Version  int          `json:"version"`
	Time     time.Time    `json:"time"`
	Host     string       `json:"host"`
	Source   string       `json:"source"`
	Sockets  []jsonSocket `json:"sockets"`
	Warnings []string     `json:"warnings"`
}

type jsonSocket struct {
	Proto         string      `json:"proto"`
	Family        string      `json:"family"`
	LocalAddr     string      `json:"local_addr"`
	LocalPort     int         `json:"local_port"`
	RemoteAddr    string      `json:"remote_addr"`
	RemotePort    int         `json:"remote_port"`
	State         string      `json:"state"`
	UID           int         `json:"uid"`
	User          string      `json:"user"`
	Inode         uint64      `json:"inode"`
	RecvQ         uint32      `json:"recv_q"`
	SendQ         uint32      `json:"send_q"`
	LocalService  string      `json:"local_service"`
	RemoteService string      `json:"remote_service"`
	PID           int         `json:"pid"`
	Process       string      `json:"process"`
	Owners        []jsonOwner `json:"owners"`
	OwnerUnknown  string      `json:"owner_unknown"`
}

type jsonOwner struct {
	PID     int    `json:"pid"`
	Process string `json:"process"`
	FD      int    `json:"fd"`
}

// key identifies a socket by protocol and endpoints.
func (s jsonSocket) key() string {
	return fmt.Sprintf("%s %s %s", s.Proto, joinHostPort(s.LocalAddr, s.LocalPort), joinHostPort(s.RemoteAddr, s.RemotePort))
}

func joinHostPort(addr string, port int) string {
	if strings.Contains(addr, ":") {
		return fmt.Sprintf("[%s]:%d", addr, port)
	}
	return fmt.Sprintf("%s:%d", addr, port)
}

// snapshotJSON runs portwatch with args plus --json and decodes the result.
func snapshotJSON(t *testing.T, args ...string) jsonSnapshot {
	t.Helper()
	r := portwatch(t, append(args, "--json")...)
	if r.code != 0 {
		t.Fatalf("portwatch %v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	var snap jsonSnapshot
	if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil {
		t.Fatalf("portwatch %v --json: invalid JSON: %v\n%s", args, err, r.stdout)
	}
	if snap.Version != 1 {
		t.Fatalf("schema version %d, want 1", snap.Version)
	}
	return snap
}

func TestVersionAndHelp(t *testing.T) {
	r := portwatch(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "portwatch ") || !strings.Contains(r.stdout, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
	r = portwatch(t, "--help")
	if r.code != 0 {
		t.Fatalf("--help: exit %d", r.code)
	}
	for _, want := range []string{"portwatch -ano", "portwatch -tulpn", "--state", "--sport", "--dport", "--format", "--no-header", "service"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestBadInputExits2WithOneLine(t *testing.T) {
	cases := []struct {
		args []string
		want []string // every one of these in the single line
	}{
		{[]string{"--port", "70000"}, []string{`"70000"`, "1 to 65535"}},
		{[]string{"--sport", "http"}, []string{`"http"`, "1 to 65535"}},
		{[]string{"--state", "bogus"}, []string{`"bogus"`, "established"}},
		{[]string{"--format", "xml"}, []string{`"xml"`, "table, json, csv"}},
		{[]string{"--source", "carrier-pigeon"}, []string{`"carrier-pigeon"`, "netlink, procfs"}},
		{[]string{"--sort", "color"}, []string{`"color"`, "proto"}},
		{[]string{"--pid", "-3"}, []string{`"-3"`, "process ids"}},
		{[]string{"--frobnicate"}, []string{"--frobnicate"}},
		{[]string{"-z"}, []string{"'z'"}},
		{[]string{"lsit"}, []string{`"lsit"`}},
		{[]string{"--json", "--format", "csv"}, []string{"--json", "csv"}},
		{[]string{"service", "99999"}, []string{`"99999"`, "1 to 65535"}},
		{[]string{"service", "53/sctp"}, []string{`"sctp"`, "tcp, udp"}},
		{[]string{"service"}, []string{"1 arg"}},
	}
	for _, c := range cases {
		r := portwatch(t, c.args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, r.code, r.stderr)
			continue
		}
		if r.stdout != "" {
			t.Errorf("%v: wrote to stdout: %q", c.args, r.stdout)
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if len(lines) != 1 {
			t.Errorf("%v: %d lines on stderr, want 1: %q", c.args, len(lines), r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr %q does not name %q", c.args, r.stderr, w)
			}
		}
	}
}

func TestRuntimeErrorsExit1(t *testing.T) {
	r := portwatch(t, "--replay", filepath.Join(t.TempDir(), "missing.json"))
	if r.code != 1 || !strings.Contains(r.stderr, "missing.json") {
		t.Errorf("missing replay file: exit %d, stderr %q; want 1 naming the file", r.code, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"version":9,"sockets":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = portwatch(t, "--replay", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "version") {
		t.Errorf("replay of version 9: exit %d, stderr %q; want 1 naming the version", r.code, r.stderr)
	}
	r = portwatch(t, "--services", filepath.Join(t.TempDir(), "nope"))
	if r.code != 1 || !strings.Contains(r.stderr, "nope") {
		t.Errorf("missing --services file: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestServiceCommand(t *testing.T) {
	r := portwatch(t, "service", "22/tcp")
	if r.code != 0 || !strings.Contains(r.stdout, "22/tcp") || !strings.Contains(r.stdout, "ssh") || !strings.Contains(r.stdout, "iana") {
		t.Errorf("service 22/tcp: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = portwatch(t, "service", "3389")
	if r.code != 0 || !strings.Contains(r.stdout, "3389/tcp") || !strings.Contains(r.stdout, "3389/udp") || !strings.Contains(r.stdout, "risk:") {
		t.Errorf("service 3389 should show tcp and udp and a risk note: exit %d\n%s", r.code, r.stdout)
	}
	r = portwatch(t, "service", ":6881/tcp", "--json")
	var infos []struct {
		Name  string   `json:"name"`
		Names []string `json:"names"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &infos); err != nil || len(infos) != 1 || infos[0].Name != "bittorrent" {
		t.Errorf("service :6881/tcp --json = %q (%v), want bittorrent", r.stdout, err)
	}

	user := filepath.Join(t.TempDir(), "services")
	if err := os.WriteFile(user, []byte("myapp 4711/tcp my-app-alias # ours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = portwatch(t, "service", "4711/tcp", "--services", user)
	if r.code != 0 || !strings.Contains(r.stdout, "4711/tcp  myapp") || !strings.Contains(r.stdout, "my-app-alias") {
		t.Errorf("user services file not used: %q %q", r.stdout, r.stderr)
	}
}
