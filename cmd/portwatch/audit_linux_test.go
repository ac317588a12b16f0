package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/audit"
	"github.com/portwatch/portwatch/internal/testenv"
	"github.com/portwatch/portwatch/services"
)

// holder is a child process holding listening sockets.
type holder struct {
	*child
	exe string
}

// startHolder runs argv as a child that holds files as fds 3, 4, ...; the
// test's own copies are closed, so the sockets live exactly as long as
// the child.
func startHolder(t *testing.T, exe string, argv []string, files ...*os.File) *holder {
	t.Helper()
	c := startChild(t, argv, nil, files...)
	for _, f := range files {
		f.Close()
	}
	return &holder{child: c, exe: exe}
}

// listen opens a TCP listener on addr and returns it as a file for a child
// to inherit, with its port.
func listen(t *testing.T, network, addr string) (*os.File, int) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	return f, ln.Addr().(*net.TCPAddr).Port
}

// listenFirstFree listens on the first port of ports that is free on host.
func listenFirstFree(t *testing.T, host string, ports []int) (*os.File, int) {
	t.Helper()
	for _, p := range ports {
		ln, err := net.Listen("tcp4", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			continue
		}
		f, err := ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		return f, p
	}
	t.Fatalf("no free port among %v on %s", ports, host)
	return nil, 0
}

// copyExe copies this test binary into dir, executable by every user.
func copyExe(t *testing.T, dir, name string) string {
	t.Helper()
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(dir, name)
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tempDirUnder makes a directory under parent (0755, so nobody can run
// what is in it) removed when the test ends.
func tempDirUnder(t *testing.T, parent string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "portwatch-test-")
	if err != nil {
		t.Fatalf("need a directory under %s: %v", parent, err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// auditHost is the set of listeners the who and audit tests look at.
type auditHost struct {
	normal, tmp, deleted, nobody *holder
	loopback, all4, all6, high   int // held by normal
	cache                        int // a database/cache port on 0.0.0.0, held by normal
	tmpPort, deletedPort         int
	privileged                   int // held by nobody after root bound it
}

// startAuditHost starts the processes: a server run from a root-owned
// directory, one run from /tmp, one whose executable is deleted after it
// started, and one that runs as nobody holding a privileged port that root
// bound for it.
func startAuditHost(t *testing.T) *auditHost {
	testenv.NeedRoot(t, "bind a privileged port and switch user with setpriv")
	testenv.NeedProgram(t, "setpriv", "util-linux")
	// A place that is not world-writable, even when the checkout and
	// TMPDIR are under /tmp.
	safe := ""
	for _, parent := range []string{"/run", "/var/lib"} {
		if st, err := os.Stat(parent); err == nil && st.Mode().Perm()&0o002 == 0 {
			safe = tempDirUnder(t, parent)
			break
		}
	}
	if safe == "" {
		t.Fatal("found neither /run nor /var/lib to run a test server from")
	}
	h := &auditHost{}
	reg := services.Default()
	reg.LoadFile("/etc/services", "/etc/services")

	normalExe := copyExe(t, safe, "pw-audit-server")
	var files []*os.File
	var f *os.File
	f, h.loopback = listen(t, "tcp4", "127.0.0.1:0")
	files = append(files, f)
	f, h.all4 = listen(t, "tcp4", "0.0.0.0:0")
	files = append(files, f)
	f, h.all6 = listen(t, "tcp6", "[::]:0")
	files = append(files, f)
	var high []int
	for p := 49152; p < 65000 && len(high) < 200; p += 97 {
		if reg.Name("tcp", uint16(p)) == "" {
			high = append(high, p)
		}
	}
	f, h.high = listenFirstFree(t, "127.0.0.1", high)
	files = append(files, f)
	f, h.cache = listenFirstFree(t, "0.0.0.0", []int{11211, 6379, 27017, 5432, 3306, 9200})
	files = append(files, f)
	h.normal = startHolder(t, normalExe, []string{normalExe, "serve", "--name", "audit test"}, files...)

	tmpExe := copyExe(t, tempDirUnder(t, "/tmp"), "pw-audit-tmp")
	f, h.tmpPort = listen(t, "tcp4", "127.0.0.1:0")
	h.tmp = startHolder(t, tmpExe, []string{tmpExe}, f)

	delExe := copyExe(t, safe, "pw-audit-deleted")
	f, h.deletedPort = listen(t, "tcp4", "127.0.0.1:0")
	h.deleted = startHolder(t, delExe, []string{delExe}, f)
	if err := os.Remove(delExe); err != nil {
		t.Fatal(err)
	}

	privPorts := make([]int, 0, 100)
	for p := 900; p < 1000; p++ {
		privPorts = append(privPorts, p)
	}
	f, h.privileged = listenFirstFree(t, "127.0.0.1", privPorts)
	h.nobody = startHolder(t, normalExe, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", normalExe}, f)
	return h
}

// moveToCgroup moves pid into a new cgroup v2 group called name, and back
// to the root group when the test ends. Without a cgroup v2 hierarchy it
// returns false, or fails when PORTWATCH_REQUIRE_ROOT=1.
func moveToCgroup(t *testing.T, pid int, name string) bool {
	t.Helper()
	root := ""
	for _, dir := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var fs unix.Statfs_t
		if unix.Statfs(dir, &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC {
			root = dir
			break
		}
	}
	if root == "" {
		if testenv.Required() {
			t.Fatal("no cgroup v2 hierarchy mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified")
		}
		t.Log("no cgroup v2 hierarchy: systemd units not checked")
		return false
	}
	group := filepath.Join(root, name)
	if err := os.Mkdir(group, 0o755); err != nil {
		t.Fatalf("cannot make a test cgroup: %v", err)
	}
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(root, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
		if err := os.Remove(group); err != nil {
			t.Errorf("removing test cgroup: %v", err)
		}
	})
	if err := os.WriteFile(filepath.Join(group, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatalf("moving %d into %s: %v", pid, group, err)
	}
	return true
}

// The JSON of portwatch who, as a user reads it.
type whoOutput struct {
	Query    string `json:"query"`
	Port     int    `json:"port"`
	Services []struct {
		Proto string `json:"proto"`
		Name  string `json:"name"`
	} `json:"services"`
	Sockets   []jsonSocket `json:"sockets"`
	Processes []struct {
		PID       int       `json:"pid"`
		PPID      int       `json:"ppid"`
		Name      string    `json:"name"`
		Cmdline   []string  `json:"cmdline"`
		Exe       string    `json:"exe"`
		ExeStatus string    `json:"exe_status"`
		UID       int       `json:"uid"`
		User      string    `json:"user"`
		Start     time.Time `json:"start"`
		Unit      string    `json:"unit"`
		Parents   []struct {
			PID  int    `json:"pid"`
			Name string `json:"name"`
		} `json:"parents"`
	} `json:"processes"`
}

func who(t *testing.T, args ...string) (whoOutput, result) {
	t.Helper()
	r := portwatch(t, append([]string{"who", "--json"}, args...)...)
	var out whoOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("portwatch who %v --json: exit %d, invalid JSON %v:\n%s\n%s", args, r.code, err, r.stdout, r.stderr)
	}
	return out, r
}

func TestWhoLive(t *testing.T) {
	h := startAuditHost(t)
	started := time.Now()

	out, r := who(t, strconv.Itoa(h.loopback))
	if r.code != 0 || len(out.Sockets) != 1 || len(out.Processes) != 1 {
		t.Fatalf("who %d: exit %d, %d sockets, %d processes (want 0, 1, 1)\n%s", h.loopback, r.code, len(out.Sockets), len(out.Processes), r.stdout)
	}
	s, p := out.Sockets[0], out.Processes[0]
	if s.State != "LISTEN" || s.LocalAddr != "127.0.0.1" || s.PID != h.normal.pid {
		t.Errorf("who %d: socket %+v", h.loopback, s)
	}
	if p.PID != h.normal.pid || p.Exe != h.normal.exe || p.ExeStatus != "ok" ||
		!slices.Equal(p.Cmdline, []string{h.normal.exe, "serve", "--name", "audit test"}) ||
		p.UID != 0 || p.User != "root" || p.PPID != os.Getpid() {
		t.Errorf("who %d: process %+v", h.loopback, p)
	}
	if age := started.Sub(p.Start); age < -time.Second || age > time.Minute {
		t.Errorf("who %d: start time %v, test started %v", h.loopback, p.Start, started)
	}
	if len(p.Parents) < 2 || p.Parents[0].PID != os.Getpid() || p.Parents[len(p.Parents)-1].PID != 1 {
		t.Errorf("who %d: parents %+v, want this test (%d) first and PID 1 last", h.loopback, p.Parents, os.Getpid())
	}
	if len(out.Services) != 2 {
		t.Errorf("who PORT without a protocol: registry entries %+v, want tcp and udp", out.Services)
	}

	// The systemd unit comes from the process's cgroup: put the server in
	// a cgroup named like a unit.
	unit := fmt.Sprintf("portwatch-who-%d.service", os.Getpid())
	if moveToCgroup(t, h.normal.pid, unit) {
		out, _ := who(t, strconv.Itoa(h.loopback))
		if len(out.Processes) != 1 || out.Processes[0].Unit != unit {
			t.Errorf("who %d after moving its owner into cgroup %s: processes %+v", h.loopback, unit, out.Processes)
		}
	}

	// The text form says the same for people.
	r = portwatch(t, "who", strconv.Itoa(h.deletedPort))
	for _, want := range []string{
		fmt.Sprintf("127.0.0.1:%d", h.deletedPort),
		fmt.Sprintf("PID %d", h.deleted.pid),
		"executable " + h.deleted.exe + "  (deleted since it started)",
		"user       root (uid 0)",
		"parents    1 ",
	} {
		if !strings.Contains(r.stdout, want) || r.code != 0 {
			t.Errorf("who %d: exit %d, output lacks %q:\n%s", h.deletedPort, r.code, want, r.stdout)
		}
	}

	// A non-root process on a privileged port that root bound for it.
	out, _ = who(t, strconv.Itoa(h.privileged)+"/tcp")
	if len(out.Processes) != 1 || out.Processes[0].UID != 65534 || out.Processes[0].PID != h.nobody.pid ||
		len(out.Sockets) != 1 || out.Sockets[0].UID != 0 {
		t.Errorf("who %d/tcp: want one socket created by root, owned by nobody's process %d: %+v", h.privileged, h.nobody.pid, out)
	}
	if len(out.Services) != 1 || out.Services[0].Proto != "tcp" {
		t.Errorf("who PORT/tcp: registry entries %+v, want tcp only", out.Services)
	}

	// ADDR:PORT: the address itself, and a wildcard listener answers for it.
	// Only the helper's sockets are counted: another process's connection
	// may have the same port number as its local end (":PORT" is every
	// address), as the machine's own services now and then do.
	for _, q := range []struct {
		arg  string
		want int
	}{
		{fmt.Sprintf("127.0.0.1:%d", h.loopback), 1},
		{fmt.Sprintf("127.0.0.2:%d", h.loopback), 0},
		{fmt.Sprintf("127.0.0.1:%d", h.all4), 1},
		{fmt.Sprintf("[::1]:%d", h.all6), 1},
		{fmt.Sprintf(":%d", h.all6), 1},
	} {
		out, r := who(t, q.arg)
		ours := 0
		for _, s := range out.Sockets {
			if s.PID == h.normal.pid {
				ours++
			}
		}
		if ours != q.want || (q.want == 0) != (r.code == 3) {
			t.Errorf("who %s: exit %d, %d of the helper's sockets (%d in all), want %d", q.arg, r.code, ours, len(out.Sockets), q.want)
		}
	}

	// Nothing there: exit 3 and one line, so `who PORT || start` works.
	r = portwatch(t, "who", strconv.Itoa(h.loopback)+"/udp")
	if r.code != 3 || r.stdout != "" || r.stderr != fmt.Sprintf("portwatch: nothing is on port %d/udp\n", h.loopback) {
		t.Errorf("who %d/udp: exit %d, stdout %q, stderr %q; want 3 and one line", h.loopback, r.code, r.stdout, r.stderr)
	}
	// A normal user sees root's sockets and is told why their owners are
	// hidden and what to do.
	asNobody := func(args ...string) result {
		return runCmd(t, exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", binPath}, args...)...))
	}
	r = asNobody("who", strconv.Itoa(h.loopback))
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("127.0.0.1:%d", h.loopback)) ||
		!strings.Contains(r.stdout, "-(permission)") || !strings.Contains(r.stdout, "run as root") {
		t.Errorf("who %d as nobody: exit %d, want the socket, -(permission) and advice:\n%s%s", h.loopback, r.code, r.stdout, r.stderr)
	}
	r = asNobody("audit", "--fail-on", "none")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("127.0.0.1:%d", h.loopback)) || !strings.Contains(r.stderr, "run as root") {
		t.Errorf("audit as nobody: exit %d, want root's listeners and a note on hidden owners:\n%s%s", r.code, r.stdout, r.stderr)
	}

	for _, bad := range [][]string{{"0"}, {"70000"}, {"80/sctp"}, {"localhost:80"}, {"1.2.3.4"}, {"::1:80"}, {""}, {}, {"80", "443"}} {
		r := portwatch(t, append([]string{"who"}, bad...)...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "accepted") {
			t.Errorf("who %q: exit %d, stderr %q; want 2 and one line saying what is accepted", bad, r.code, r.stderr)
		}
	}
}

// The JSON of portwatch audit, as a user reads it.
type auditOutput struct {
	Failed    bool               `json:"failed"`
	Summary   map[string]int     `json:"summary"`
	Findings  []auditFindingOut  `json:"findings"`
	Listeners []auditListenerOut `json:"listeners"`
}

type auditFindingOut struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Port     int    `json:"port"`
	PID      int    `json:"pid"`
	Change   string `json:"change"`
}

type auditListenerOut struct {
	Proto     string `json:"proto"`
	LocalAddr string `json:"local_addr"`
	Port      int    `json:"port"`
	Exposure  string `json:"exposure"`
	Owners    []struct {
		PID       int    `json:"pid"`
		Exe       string `json:"exe"`
		ExeStatus string `json:"exe_status"`
		UID       int    `json:"uid"`
	} `json:"owners"`
	Change   string   `json:"change"`
	Findings []string `json:"findings"`
}

func runAuditJSON(t *testing.T, args ...string) (auditOutput, result) {
	t.Helper()
	r := portwatch(t, append([]string{"audit", "--json"}, args...)...)
	var out auditOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("portwatch audit %v --json: exit %d, invalid JSON %v:\n%s\n%s", args, r.code, err, r.stdout, r.stderr)
	}
	return out, r
}

func TestAuditLive(t *testing.T) {
	h := startAuditHost(t)
	out, r := runAuditJSON(t, "--fail-on", "none")
	if r.code != 0 || out.Failed {
		t.Fatalf("audit --fail-on none: exit %d, failed %v; stderr %q", r.code, out.Failed, r.stderr)
	}
	type want struct {
		addr     string
		exposure string
		pid      int
		has      []string
		hasNot   []string
	}
	wants := map[int]want{
		h.loopback:    {"127.0.0.1", "loopback", h.normal.pid, nil, []string{"exe-world-writable", "exe-deleted", "privileged-port-non-root", "database-exposed"}},
		h.all4:        {"0.0.0.0", "all", h.normal.pid, nil, []string{"exe-world-writable", "exe-deleted"}},
		h.all6:        {"::", "all", h.normal.pid, nil, []string{"exe-world-writable", "exe-deleted"}},
		h.high:        {"127.0.0.1", "loopback", h.normal.pid, []string{"unknown-port"}, []string{"exe-world-writable"}},
		h.cache:       {"0.0.0.0", "all", h.normal.pid, []string{"database-exposed"}, []string{"unknown-port"}},
		h.tmpPort:     {"127.0.0.1", "loopback", h.tmp.pid, []string{"exe-world-writable"}, []string{"exe-deleted"}},
		h.deletedPort: {"127.0.0.1", "loopback", h.deleted.pid, []string{"exe-deleted"}, []string{"exe-world-writable"}},
		h.privileged:  {"127.0.0.1", "loopback", h.nobody.pid, []string{"privileged-port-non-root"}, []string{"exe-deleted"}},
	}
	for port, w := range wants {
		i := slices.IndexFunc(out.Listeners, func(l auditListenerOut) bool {
			return l.Proto == "tcp" && l.Port == port
		})
		if i < 0 {
			t.Errorf("audit: no listener on tcp port %d", port)
			continue
		}
		l := out.Listeners[i]
		if l.LocalAddr != w.addr || l.Exposure != w.exposure || len(l.Owners) != 1 || l.Owners[0].PID != w.pid {
			t.Errorf("audit: port %d: %s %s owners %+v; want %s %s pid %d", port, l.LocalAddr, l.Exposure, l.Owners, w.addr, w.exposure, w.pid)
		}
		for _, id := range w.has {
			if !slices.Contains(l.Findings, id) {
				t.Errorf("audit: port %d: findings %v lack %s", port, l.Findings, id)
			}
		}
		for _, id := range w.hasNot {
			if slices.Contains(l.Findings, id) {
				t.Errorf("audit: port %d: findings %v include %s", port, l.Findings, id)
			}
		}
	}

	// By default a high finding fails the audit: exit 3, and the table
	// groups listeners by exposure and marks what fails.
	r = portwatch(t, "audit")
	if r.code != 3 {
		t.Errorf("audit with a database on every address: exit %d, want 3", r.code)
	}
	for _, s := range []string{"HIGH", "! database-exposed", "Every address:", "Loopback only:", "fix: "} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("audit table lacks %q:\n%s", s, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("audit table has colour codes when stdout is not a terminal")
	}
}

func TestAuditBaselineRoundTrip(t *testing.T) {
	h := startAuditHost(t)
	base := filepath.Join(t.TempDir(), "baseline.json")
	if r := portwatch(t, "audit", "--save", base, "--fail-on", "none"); r.code != 0 || !strings.Contains(r.stderr, "baseline of") {
		t.Fatalf("audit --save: exit %d, stderr %q", r.code, r.stderr)
	}
	saved, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(saved), `"pid"`) || !strings.Contains(string(saved), h.normal.exe) {
		t.Errorf("baseline should key on executables, never PIDs:\n%s", saved)
	}

	// Nothing changed: no differences, exit 0 under the default policy
	// as far as baseline changes go.
	out, _ := runAuditJSON(t, "--baseline", base, "--fail-on", "new,changed,missing")
	if out.Summary["new"]+out.Summary["changed"]+out.Summary["missing"] != 0 {
		t.Fatalf("audit against its own baseline: %v", out.Summary)
	}

	// Start a new listener, stop an old one.
	f, newPort := listen(t, "tcp4", "127.0.0.1:0")
	added := startHolder(t, h.normal.exe, []string{h.normal.exe}, f)
	h.tmp.stop()

	out, r := runAuditJSON(t, "--baseline", base)
	if r.code != 3 || !out.Failed {
		t.Errorf("a new listener fails the audit by default: exit %d, failed %v", r.code, out.Failed)
	}
	var diffs []string
	for _, l := range out.Listeners {
		if l.Change != "" {
			diffs = append(diffs, fmt.Sprintf("%s %s %d", l.Change, l.Proto, l.Port))
		}
	}
	slices.Sort(diffs)
	want := []string{fmt.Sprintf("missing tcp %d", h.tmpPort), fmt.Sprintf("new tcp %d", newPort)}
	if !slices.Equal(diffs, want) {
		t.Errorf("differences from the baseline %v, want exactly %v", diffs, want)
	}
	if out.Summary["new"] != 1 || out.Summary["missing"] != 1 || out.Summary["changed"] != 0 {
		t.Errorf("summary %v", out.Summary)
	}
	if !slices.ContainsFunc(out.Findings, func(f auditFindingOut) bool {
		return f.ID == "new-listener" && f.Port == newPort && f.PID == added.pid
	}) {
		t.Errorf("no new-listener finding for port %d: %+v", newPort, out.Findings)
	}
	if _, r := runAuditJSON(t, "--baseline", base, "--fail-on", "none"); r.code != 0 {
		t.Errorf("--fail-on none: exit %d", r.code)
	}
	if now, _ := os.ReadFile(base); string(now) != string(saved) {
		t.Error("audit --baseline changed the baseline file")
	}
}

func TestAuditBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := portwatch(t, "audit", "--save", filepath.Join(dir, "good.json"), "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("audit --save: exit %d, %s", r.code, r.stderr)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "good.json"))
	snapshot := portwatch(t, "-l", "--json").stdout
	baselines := map[string]struct{ data, want string }{
		"truncated":     {string(good[:len(good)/2]), "truncated"},
		"wrong version": {strings.Replace(string(good), `"portwatch_baseline":1`, `"portwatch_baseline":99`, 1), "version 99 is not supported"},
		"a snapshot":    {snapshot, "not a portwatch baseline"},
		"wrong types":   {`{"portwatch_baseline": 1, "listeners": [{"proto": "tcp", "port": "ssh"}]}`, "listeners.port: expected uint16"},
		"empty":         {"", "empty file"},
	}
	for name, c := range baselines {
		p := write(strings.ReplaceAll(name, " ", "-")+".json", c.data)
		r := portwatch(t, "audit", "--baseline", p)
		if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
			!strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, p) {
			t.Errorf("baseline %s: exit %d, stdout %q, stderr %q; want 2 and one line naming %s and %q", name, r.code, r.stdout, r.stderr, p, c.want)
		}
		if now, _ := os.ReadFile(p); string(now) != c.data {
			t.Errorf("baseline %s: the file was changed", name)
		}
	}
	rules := map[string]struct{ data, want string }{
		"truncated":     {`{"portwatch_audit_rules": 1, "rules": [{"id": "x"`, "truncated"},
		"wrong version": {`{"portwatch_audit_rules": 3, "rules": []}`, "version 3 is not supported"},
		"wrong types":   {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": 3}]}`, "rules.severity: expected string, found a JSON number"},
		"a baseline":    {string(good), `unknown field "portwatch_baseline"`},
		"bad value":     {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "low", "title": "t", "when": {"exposure": ["internet"]}}]}`, `unknown exposure "internet"`},
	}
	for name, c := range rules {
		p := write("rules-"+strings.ReplaceAll(name, " ", "-")+".json", c.data)
		r := portwatch(t, "audit", "--rules", p)
		if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("rules %s: exit %d, stdout %q, stderr %q; want 2 and one line with %q", name, r.code, r.stdout, r.stderr, c.want)
		}
	}
	for _, args := range [][]string{{"--fail-on", "urgent"}, {"--baseline", filepath.Join(dir, "absent.json")}, {"--rules", filepath.Join(dir, "absent.json")}} {
		r := portwatch(t, append([]string{"audit"}, args...)...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("audit %v: exit %d, stderr %q; want 2 and one line", args, r.code, r.stderr)
		}
	}

	// A user's rules file amends the built-in rules; --print-rules shows
	// the result as a valid rules file.
	amend := write("amend.json", `{"portwatch_audit_rules": 1, "rules": [{"id": "unknown-port", "disabled": true}, {"id": "database-exposed", "severity": "low"}]}`)
	r = portwatch(t, "audit", "--rules", amend, "--print-rules")
	if r.code != 0 || strings.Contains(r.stdout, `"unknown-port"`) || !strings.Contains(r.stdout, `"portwatch_audit_rules": 1`) {
		t.Errorf("--print-rules with an amending file: exit %d\n%s", r.code, r.stdout)
	}
	printed := write("printed.json", r.stdout)
	if r := portwatch(t, "audit", "--rules", printed, "--fail-on", "none"); r.code != 0 {
		t.Errorf("printed rules do not load back: exit %d, %s", r.code, r.stderr)
	}
}

// needStrace returns the path of a strace that can trace here.
func needStrace(t *testing.T) string {
	t.Helper()
	path := testenv.NeedProgram(t, "strace", "strace")
	if out, err := exec.Command(path, "-qq", "-o", "/dev/null", "true").CombinedOutput(); err != nil {
		testenv.SkipOrFail(t, "strace cannot trace here (is ptrace refused?): %v %s", err, out)
	}
	return path
}

// dirHolds fails unless dir holds exactly the names given: a temporary
// file left behind shows.
func dirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want exactly %q", dir, got, names)
	}
}

// stderrLine is the line of stderr that contains want, or "".
func stderrLine(stderr, want string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, want) {
			return line
		}
	}
	return ""
}

// An incomplete collection is not saved as a baseline unless asked: the
// listeners it could not read would be missing from the baseline, and
// the next audit would call them new. strace makes the kernel answer the
// owner walk's open of one process's fd directory with EIO, as a failing
// /proc would: the collection warns, and that process's listener loses
// its owner.
func TestAuditSaveIncomplete(t *testing.T) {
	strace := needStrace(t)
	f, port := listen(t, "tcp4", "127.0.0.1:0")
	h := startHolder(t, os.Args[0], []string{os.Args[0]}, f)
	fdDir := fmt.Sprintf("/proc/%d/fd", h.pid)
	unreadable := func(args ...string) result {
		return runCmd(t, exec.Command(strace, append([]string{"-f", "-qq", "-o", "/dev/null", "-P", fdDir,
			"-e", "trace=openat", "-e", "inject=openat:error=EIO", binPath, "audit", "--fail-on", "none"}, args...)...))
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(base, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	warning := "cannot read " + fdDir + ": input/output error"

	r := unreadable("--save", base)
	if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
		!strings.Contains(r.stderr, "not saving the baseline to "+base+": the collection was incomplete") ||
		!strings.Contains(r.stderr, warning) || !strings.Contains(r.stderr, "--allow-partial") {
		t.Errorf("audit --save after an unreadable fd directory: exit %d, stdout %q, stderr %q; want 1 and one line naming %s, the warning %q and --allow-partial",
			r.code, r.stdout, r.stderr, base, warning)
	}
	if data, _ := os.ReadFile(base); string(data) != "old\n" {
		t.Errorf("a refused --save changed the file: %q", data)
	}
	dirHolds(t, dir, "baseline.json")

	// --allow-partial saves it, says so, and the baseline shows what was
	// lost: the listener without its executable.
	entry := func() *audit.Entry {
		data, err := os.ReadFile(base)
		if err != nil {
			t.Fatal(err)
		}
		b, err := audit.ParseBaseline(data)
		if err != nil {
			t.Fatalf("saved baseline: %v", err)
		}
		i := slices.IndexFunc(b.Listeners, func(e audit.Entry) bool { return e.Proto == "tcp" && e.Port == uint16(port) })
		if i < 0 {
			t.Fatalf("the baseline lacks tcp port %d", port)
		}
		return &b.Listeners[i]
	}
	r = unreadable("--save", base, "--allow-partial")
	if r.code != 0 || !strings.Contains(r.stderr, "portwatch: warning: "+warning) ||
		!strings.Contains(r.stderr, "written to "+base+" (incomplete: the collection had 1 warning, above)") {
		t.Errorf("audit --save --allow-partial: exit %d, stderr %q; want 0, the warning, and the baseline said to be incomplete", r.code, r.stderr)
	}
	if e := entry(); e.Exe != "" {
		t.Errorf("with its owner unreadable, port %d was saved with executable %q", port, e.Exe)
	}
	// Read in full, the same listener has its executable.
	if r := portwatch(t, "audit", "--fail-on", "none", "--save", base); r.code != 0 || strings.Contains(r.stderr, "incomplete") {
		t.Fatalf("audit --save: exit %d, stderr %q", r.code, r.stderr)
	}
	if e := entry(); e.Exe == "" {
		t.Errorf("read in full, port %d has no executable in the baseline", port)
	}

	r = portwatch(t, "audit", "--allow-partial")
	if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "--save") {
		t.Errorf("audit --allow-partial without --save: exit %d, stderr %q; want 2 and one line", r.code, r.stderr)
	}
}

// --save writes atomically: a new file gets 0644 less the umask, an
// existing file keeps its mode, a symbolic link stays a link and the file
// it points to is replaced, and no temporary file is left, whether the
// write works or fails.
func TestAuditSaveFile(t *testing.T) {
	sh := testenv.NeedProgram(t, "sh", "a POSIX shell")
	// save runs audit --save path after the shell command setup.
	save := func(setup, path string) result {
		return runCmd(t, exec.Command(sh, "-c", setup+` && exec "$0" "$@"`, binPath, "audit", "--fail-on", "none", "--save", path))
	}
	mode := func(path string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	isBaseline := func(path string) bool {
		data, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		_, err = audit.ParseBaseline(data)
		return err == nil
	}
	dir := t.TempDir()

	for umask, want := range map[string]os.FileMode{"022": 0o644, "077": 0o600} {
		path := filepath.Join(dir, "new-"+umask+".json")
		if r := save("umask "+umask, path); r.code != 0 || !isBaseline(path) || mode(path) != want {
			t.Errorf("a new baseline under umask %s: exit %d, mode %v, want %v; stderr %q", umask, r.code, mode(path), want, r.stderr)
		}
	}

	kept := filepath.Join(dir, "kept.json")
	if err := os.WriteFile(kept, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := save("umask 022", kept); r.code != 0 || !isBaseline(kept) || mode(kept) != 0o600 {
		t.Errorf("--save over a 0600 file: exit %d, mode %v, want 0600 kept; stderr %q", r.code, mode(kept), r.stderr)
	}
	dirHolds(t, dir, "kept.json", "new-022.json", "new-077.json")

	// /etc-like directory with a link into a /var-like one.
	links, real := filepath.Join(dir, "etc"), filepath.Join(dir, "var")
	for _, d := range []string{links, real} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link, target := filepath.Join(links, "baseline.json"), filepath.Join(real, "baseline.json")
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../var/baseline.json", link); err != nil {
		t.Fatal(err)
	}
	r := save("true", link)
	if dest, err := os.Readlink(link); r.code != 0 || err != nil || dest != "../var/baseline.json" {
		t.Errorf("--save through a link: exit %d, readlink %q %v; want the link kept; stderr %q", r.code, dest, err, r.stderr)
	}
	if !isBaseline(target) || mode(target) != 0o640 {
		t.Errorf("--save through a link: the target is a baseline %v, mode %v; want a baseline with 0640 kept", isBaseline(target), mode(target))
	}
	dirHolds(t, links, "baseline.json")
	dirHolds(t, real, "baseline.json")

	// A write that fails (a file size limit of 0: EFBIG) leaves the old
	// file and nothing else.
	before, _ := os.ReadFile(kept)
	r = save("ulimit -f 0", kept)
	if line := stderrLine(r.stderr, "cannot write the baseline to "+kept); r.code != 1 || !strings.Contains(line, "file too large") {
		t.Errorf("--save with no room to write: exit %d, stderr %q; want 1 and a line naming %s and the cause", r.code, r.stderr, kept)
	}
	if after, _ := os.ReadFile(kept); !slices.Equal(before, after) {
		t.Error("a failed --save changed the file")
	}
	dirHolds(t, dir, "etc", "kept.json", "new-022.json", "new-077.json", "var")

	t.Run("fsync", func(t *testing.T) {
		// The order of the system calls: the temporary file is synced
		// before it is renamed over the baseline, the directory after.
		strace := needStrace(t)
		sdir := t.TempDir()
		realDir, err := filepath.EvalSymlinks(sdir)
		if err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(t.TempDir(), "strace.log")
		path := filepath.Join(sdir, "baseline.json")
		r := runCmd(t, exec.Command(strace, "-f", "-qq", "-y", "-o", log, "-e", "signal=none", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2",
			binPath, "audit", "--fail-on", "none", "--save", path))
		data, err := os.ReadFile(log)
		if r.code != 0 || err != nil {
			t.Fatalf("audit --save under strace: exit %d, %v; stderr %q", r.code, err, r.stderr)
		}
		lines := strings.Split(string(data), "\n")
		at := func(match func(string) bool) int { return slices.IndexFunc(lines, match) }
		tmpPrefix := realDir + "/.baseline.json.tmp"
		syncTemp := at(func(l string) bool { return strings.Contains(l, "fsync(") && strings.Contains(l, "<"+tmpPrefix) })
		rename := at(func(l string) bool {
			return strings.Contains(l, "rename") && strings.Contains(l, "/.baseline.json.tmp") && strings.Contains(l, `/baseline.json"`)
		})
		syncDir := at(func(l string) bool { return strings.Contains(l, "fsync(") && strings.Contains(l, "<"+realDir+">") })
		if syncTemp < 0 || rename < 0 || syncDir < 0 || !(syncTemp < rename && rename < syncDir) {
			t.Errorf("want fsync of the temporary file (line %d), then the rename (line %d), then fsync of %s (line %d):\n%s",
				syncTemp+1, rename+1, realDir, syncDir+1, data)
		}
	})
}

// listenInNewNetns listens on a TCP port of every address in a network
// namespace of its own, which holds nothing else, and returns the
// listener, the namespace and the port.
func listenInNewNetns(t *testing.T) (ln, ns *os.File, port int) {
	t.Helper()
	testenv.NeedRoot(t, "make a network namespace")
	type made struct {
		ln, ns *os.File
		port   int
		err    error
	}
	ch := make(chan made)
	go func() {
		// The thread stays locked, so it ends with this goroutine and no
		// other goroutine runs in the new namespace.
		runtime.LockOSThread()
		var m made
		defer func() { ch <- m }()
		if m.err = unix.Unshare(unix.CLONE_NEWNET); m.err != nil {
			return
		}
		if m.ns, m.err = os.Open("/proc/thread-self/ns/net"); m.err != nil {
			return
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if m.err = err; err != nil {
			return
		}
		m.ln = os.NewFile(uintptr(fd), "listener")
		if m.err = unix.Bind(fd, &unix.SockaddrInet4{}); m.err != nil {
			return
		}
		if m.err = unix.Listen(fd, 1); m.err != nil {
			return
		}
		sa, err := unix.Getsockname(fd)
		if m.err = err; err == nil {
			m.port = sa.(*unix.SockaddrInet4).Port
		}
	}()
	m := <-ch
	for _, f := range []*os.File{m.ln, m.ns} {
		if f != nil {
			t.Cleanup(func() { f.Close() })
		}
	}
	if m.err != nil {
		t.Fatalf("a listener in a new network namespace: %v", m.err)
	}
	return m.ln, m.ns, m.port
}

// Counts read right: a host with one listener has "1 listener".
func TestAuditSingular(t *testing.T) {
	nsenter := testenv.NeedProgram(t, "nsenter", "util-linux")
	_, ns, port := listenInNewNetns(t)
	base := filepath.Join(t.TempDir(), "baseline.json")
	cmd := exec.Command(nsenter, "--net=/proc/self/fd/3", binPath, "audit", "--fail-on", "none", "--save", base)
	cmd.ExtraFiles = []*os.File{ns}
	r := runCmd(t, cmd)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "portwatch audit: 1 listener, ") ||
		!strings.Contains(r.stdout, fmt.Sprintf("0.0.0.0:%d", port)) {
		t.Errorf("audit of a namespace with one listener: exit %d, want the first line to say \"1 listener\":\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "portwatch: baseline of 1 listener written to "+base+"\n") {
		t.Errorf("audit --save of one listener: stderr %q, want \"baseline of 1 listener written\"", r.stderr)
	}
}

// A warning that loses nothing does not stop --save: strace makes every
// socket(2) fail as on a kernel without sock_diag, portwatch says it reads
// /proc/net instead, and the baseline is written in full, not called
// incomplete.
func TestAuditSaveAfterProcfsFallback(t *testing.T) {
	strace := needStrace(t)
	f, port := listen(t, "tcp4", "127.0.0.1:0")
	startHolder(t, os.Args[0], []string{os.Args[0]}, f)
	base := filepath.Join(t.TempDir(), "baseline.json")
	r := runCmd(t, exec.Command(strace, "-f", "-qq", "-o", "/dev/null",
		"-e", "trace=socket", "-e", "inject=socket:error=EPROTONOSUPPORT",
		binPath, "audit", "--fail-on", "none", "--save", base))
	if r.code != 0 || !strings.Contains(r.stderr, "portwatch: warning: netlink sock_diag unavailable") ||
		!strings.Contains(r.stderr, "reading /proc/net instead") ||
		!strings.Contains(r.stderr, "written to "+base+"\n") || strings.Contains(r.stderr, "incomplete") {
		t.Fatalf("audit --save with sock_diag refused: exit %d, stderr %q; want 0, the fallback warning and the baseline written in full", r.code, r.stderr)
	}
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := audit.ParseBaseline(data)
	if err != nil {
		t.Fatalf("saved baseline: %v", err)
	}
	i := slices.IndexFunc(b.Listeners, func(e audit.Entry) bool { return e.Proto == "tcp" && e.Port == uint16(port) })
	if i < 0 || b.Listeners[i].Exe == "" {
		t.Errorf("baseline read from /proc/net: %+v; want tcp port %d with its executable", b.Listeners, port)
	}
}
