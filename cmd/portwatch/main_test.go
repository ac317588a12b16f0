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
	Version    int          `json:"version"`
	Time       time.Time    `json:"time"`
	Host       string       `json:"host"`
	Source     string       `json:"source"`
	Sockets    []jsonSocket `json:"sockets"`
	Namespaces []jsonNetns  `json:"namespaces"`
	Warnings   []string     `json:"warnings"`
}

// jsonNetns is an entry of the namespaces list (--netns).
type jsonNetns struct {
	Netns     uint64 `json:"netns"`
	NetnsName string `json:"netns_name"`
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
	Netns         uint64      `json:"netns"`
	NetnsName     string      `json:"netns_name"`
	ForwardsTo    *struct {
		Netns     uint64        `json:"netns"`
		Addr      string        `json:"addr"`
		Port      int           `json:"port"`
		Container jsonContainer `json:"container"`
	} `json:"forwards_to"`
}

type jsonOwner struct {
	PID       int            `json:"pid"`
	Process   string         `json:"process"`
	FD        int            `json:"fd"`
	Container *jsonContainer `json:"container"`
}

// jsonContainer is an owner's container.
type jsonContainer struct {
	Runtime      string `json:"runtime"`
	ID           string `json:"id"`
	Name         string `json:"name"`
	Pod          string `json:"pod"`
	PodNamespace string `json:"pod_namespace"`
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
		{[]string{"service"}, []string{"service takes one port", "PORT[/PROTO]", "portwatch service 5432"}},
		{[]string{"service", "22", "80"}, []string{"service takes one port", "PORT[/PROTO]", "portwatch service 5432"}},
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
	r := portwatch(t, "--services", filepath.Join(t.TempDir(), "nope"))
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

// replaySocket is one socket of a snapshot file, in schema version 1.
func replaySocket(proto, family, local string, lport int, remote string, rport int, state string, pid int, process string) string {
	owners := "[]"
	if pid != 0 {
		owners = fmt.Sprintf(`[{"pid":%d,"process":%q,"fd":3}]`, pid, process)
	}
	return fmt.Sprintf(`{"proto":%q,"family":%q,"local_addr":%q,"local_port":%d,"remote_addr":%q,"remote_port":%d,`+
		`"state":%q,"uid":0,"inode":%d,"recv_q":0,"send_q":0,"owners":%s,"owner_unknown":""}`,
		proto, family, local, lport, remote, rport, state, 1000+lport, owners)
}

// replaySockets are the sockets of the snapshot files the tests replay.
var replaySockets = []string{
	replaySocket("tcp", "ipv4", "0.0.0.0", 22, "0.0.0.0", 0, "LISTEN", 10, "sshd"),
	replaySocket("tcp", "ipv6", "::", 22, "::", 0, "LISTEN", 10, "sshd"),
	replaySocket("tcp", "ipv4", "127.0.0.1", 5432, "127.0.0.1", 40000, "ESTABLISHED", 20, "postgres"),
	replaySocket("tcp", "ipv4", "127.0.0.1", 40001, "127.0.0.1", 5432, "TIME_WAIT", 0, ""),
	replaySocket("udp", "ipv4", "0.0.0.0", 53, "0.0.0.0", 0, "UNCONN", 30, "dnsmasq"),
}

// writeReplayFile writes a snapshot with sockets to a new file in dir and
// returns its path.
func writeReplayFile(t *testing.T, dir string, sockets ...string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "snapshot-*.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, `{"version":1,"time":"2026-11-21T12:00:00Z","host":"web1","source":"netlink","sockets":[%s],"warnings":[]}`+"\n",
		strings.Join(sockets, ",\n"))
	return f.Name()
}

// -s gives the summary in the format asked for: a table, one JSON object,
// or CSV rows of proto,family,state,count.
func TestSummaryFormats(t *testing.T) {
	snap := writeReplayFile(t, t.TempDir(), replaySockets...)
	r := portwatch(t, "-s", "--replay", snap)
	if r.code != 0 || !strings.Contains(r.stdout, "Total: 5 sockets") {
		t.Errorf("-s: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}

	r = portwatch(t, "-s", "--format", "csv", "--replay", snap)
	want := "proto,family,state,count\n" +
		"tcp,ipv4,ESTABLISHED,1\n" +
		"tcp,ipv4,TIME_WAIT,1\n" +
		"tcp,ipv4,LISTEN,1\n" +
		"tcp,ipv6,LISTEN,1\n" +
		"udp,ipv4,UNCONN,1\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("-s --format csv: exit %d, stderr %q\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	r = portwatch(t, "-s", "--format", "csv", "--no-header", "-t", "--replay", snap)
	if want := "tcp,ipv4,ESTABLISHED,1\ntcp,ipv4,TIME_WAIT,1\ntcp,ipv4,LISTEN,1\ntcp,ipv6,LISTEN,1\n"; r.code != 0 || r.stdout != want {
		t.Errorf("-s --format csv --no-header -t: exit %d, stderr %q\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}

	for _, args := range [][]string{{"-s", "--json"}, {"-s", "--format", "json"}} {
		r = portwatch(t, append(args, "--replay", snap)...)
		var sum struct {
			Version *int   `json:"portwatch_summary"`
			Host    string `json:"host"`
			Total   int    `json:"total"`
			Counts  []struct {
				Proto, Family, State string
				Count                int
			} `json:"counts"`
			Warnings []string `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &sum); r.code != 0 || err != nil {
			t.Errorf("%v: exit %d, %v, stderr %q\n%s", args, r.code, err, r.stderr, r.stdout)
			continue
		}
		var counts []string
		for _, c := range sum.Counts {
			counts = append(counts, fmt.Sprintf("%s,%s,%s,%d", c.Proto, c.Family, c.State, c.Count))
		}
		if got := strings.Join(counts, "\n") + "\n"; sum.Version == nil || *sum.Version != 1 || sum.Host != "web1" || sum.Total != 5 ||
			got != strings.TrimPrefix(want, "proto,family,state,count\n") || sum.Warnings == nil {
			t.Errorf("%v: %s", args, r.stdout)
		}
	}

	// The owner filter applies to the summary too: only sshd's two.
	r = portwatch(t, "-s", "--format", "csv", "--no-header", "--process", "sshd", "--replay", snap)
	if want := "tcp,ipv4,LISTEN,1\ntcp,ipv6,LISTEN,1\n"; r.code != 0 || r.stdout != want {
		t.Errorf("-s --process sshd: exit %d, stderr %q\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
}

// The owner filters of a replayed snapshot: PIDs, names, and sockets
// without an owner never match.
func TestReplayOwnerFilter(t *testing.T) {
	snap := writeReplayFile(t, t.TempDir(), replaySockets...)
	for _, c := range []struct {
		args []string
		want []int // local ports
	}{
		{[]string{"--pid", "10"}, []int{22, 22}},
		{[]string{"--pid", "20,30"}, []int{5432, 53}},
		{[]string{"--process", "postgres"}, []int{5432}},
		{[]string{"--process", "nobody-here"}, nil},
		{[]string{"-l", "--process", "sshd", "-6"}, []int{22}},
	} {
		got := snapshotJSON(t, append([]string{"-a", "--replay", snap}, c.args...)...)
		var ports []int
		for _, s := range got.Sockets {
			ports = append(ports, s.LocalPort)
		}
		if fmt.Sprint(ports) != fmt.Sprint(c.want) {
			t.Errorf("%v: local ports %v, want %v", c.args, ports, c.want)
		}
	}
}

// A --replay file that cannot be read as a snapshot exits 2 with one line
// naming the file and the problem, as a bad baseline does.
func TestBadReplayFileExits2(t *testing.T) {
	dir := t.TempDir()
	good := writeReplayFile(t, dir, replaySockets...)
	text, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, content string
		want          string // in the line besides the file's name
	}{
		{"empty", "", "empty"},
		{"truncated", string(text[:len(text)/2]), "truncated"},
		{"truncated at the sockets", `{"version":1,"sockets":[`, "truncated"},
		{"not JSON", "Proto Local Address\ntcp 0.0.0.0:22\n", "invalid character"},
		{"not an object", `["version", 1]`, "want an object"},
		{"other version", `{"version":9,"sockets":[]}`, "version 9"},
		{"no version", `{"sockets":[]}`, "version"},
		{"sockets of the wrong type", `{"version":1,"sockets":"none"}`, "sockets"},
		{"unknown protocol", `{"version":1,"sockets":[` + strings.Replace(replaySockets[0], `"tcp"`, `"sctp"`, 1) + `]}`, "sctp"},
		{"a summary", `{"portwatch_summary":1,"total":0,"counts":[]}`, "version"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"--replay", path}, {"-s", "--replay", path}, {"watch", "--json", "--count", "1", "--replay", path}} {
			r := portwatch(t, args...)
			if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
				!strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%s: %v: exit %d, stdout %q, stderr %q; want exit 2 and one line naming the file and %q",
					c.name, args[:len(args)-2], r.code, r.stdout, r.stderr, c.want)
			}
		}
	}
	missing := filepath.Join(dir, "missing.json")
	r := portwatch(t, "--replay", missing)
	if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, missing) {
		t.Errorf("missing --replay file: exit %d, stderr %q; want 2 and one line naming it", r.code, r.stderr)
	}
}

// A usage error points at the help of the command it was made in.
func TestUsageErrorsPointAtTheirCommandsHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		help string
	}{
		{[]string{"--bogus"}, "'portwatch --help'"},
		{[]string{"lsit"}, "'portwatch --help'"},
		{[]string{"who", "--bogus"}, "'portwatch who --help'"},
		{[]string{"who"}, "'portwatch who --help'"},
		{[]string{"watch", "--interval", "soon"}, "'portwatch watch --help'"},
		{[]string{"audit", "--fail-on", "purple"}, "'portwatch audit --help'"},
		{[]string{"service", "1", "2"}, "'portwatch service --help'"},
		{[]string{"version", "extra"}, "'portwatch version --help'"},
		{[]string{"completion", "bash", "--bogus"}, "'portwatch completion bash --help'"},
	} {
		r := portwatch(t, c.args...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "(see "+c.help+")") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line ending (see %s)", c.args, r.code, r.stderr, c.help)
		}
	}
}

// -c takes its interval as -c=INTERVAL, as pflag wants, and as the next
// word too, the way people write it.
func TestContinuousIntervalAsNextWord(t *testing.T) {
	snap := writeReplayFile(t, t.TempDir(), replaySockets...)
	// Two refreshes 1.5s apart take 1.5s, more than with the default 1s.
	t.Run("interval", func(t *testing.T) {
		for _, args := range [][]string{
			{"-c", "1500ms"},
			{"-c=1500ms"},
			{"--continuous", "1.5s"},
			{"-ac", "1.5"},
			{"-tc", "1500ms", "-u"},
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				r := portwatch(t, append(args, "--json", "--count", "2", "--replay", snap)...)
				took := time.Since(start)
				if r.code != 0 || !strings.Contains(r.stdout, `"event":"added"`) {
					t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
				}
				if took < 1500*time.Millisecond {
					t.Errorf("two refreshes took %v, want at least the 1.5s asked for", took)
				}
			})
		}
	})
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-c", "10ms"}, []string{`"10ms"`, "at least 50ms"}},
		{[]string{"-c", "soon"}, []string{`"soon"`, "a duration such as"}},
		{[]string{"-ac", "soon"}, []string{`"soon"`, "a duration such as"}},
	} {
		r := portwatch(t, append(c.args, "--replay", snap)...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", c.args, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr %q does not name %s", c.args, r.stderr, w)
			}
		}
	}
	// A value-taking flag's value is never taken for -c's: here "-c" is
	// the process name, and 300ms a stray word.
	r := portwatch(t, "--process", "-c", "300ms", "--replay", snap)
	if r.code != 2 || !strings.Contains(r.stderr, `"300ms"`) {
		t.Errorf("--process -c 300ms: exit %d, stderr %q; want 2 naming the stray word", r.code, r.stderr)
	}
}

// The README says what the binary does: the live view's sort order, the
// completion command, the -ano example.
func TestReadmeMatchesBinary(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	sorts := "(" + strings.Join(viewSorts, ", ") + ")"
	if !strings.Contains(text, sorts) {
		t.Errorf("README does not give the s key's order %s", sorts)
	}
	for _, want := range []string{"portwatch completion bash", "portwatch -ano # the same, numeric"} {
		if !strings.Contains(text, want) {
			t.Errorf("README lacks %q", want)
		}
	}
	r := portwatch(t, "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "portwatch") {
		t.Errorf("completion bash: exit %d, stderr %q", r.code, r.stderr)
	}
	r = portwatch(t, "--help")
	if !strings.Contains(r.stdout, "portwatch -ano             the same, numeric") {
		t.Errorf("--help lost the -ano example the README copies:\n%s", r.stdout)
	}
}

// A count of one is singular wherever the CLI prints counts.
func TestOneIsSingular(t *testing.T) {
	one := writeReplayFile(t, t.TempDir(), replaySockets[0])
	r := portwatch(t, "-s", "--replay", one)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Total: 1 socket\n") {
		t.Errorf("-s of one socket: exit %d\n%s", r.code, r.stdout)
	}
	for _, root := range []bool{false, true} {
		if note := hiddenOwnersNote(1, root); !strings.Contains(note, "1 socket has a hidden owner:") {
			t.Errorf("hiddenOwnersNote(1, %v) = %q", root, note)
		}
		if note := hiddenOwnersNote(2, root); !strings.Contains(note, "2 sockets have hidden owners:") {
			t.Errorf("hiddenOwnersNote(2, %v) = %q", root, note)
		}
	}
}
