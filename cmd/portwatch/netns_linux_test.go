package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// testNetns is a network namespace made by a test.
type testNetns struct {
	name   string   // its /run/netns name, "" for an unnamed one
	inode  uint64   // its nsfs inode
	pid    int      // a process inside, 0 for none
	ssArgv []string // the prefix that runs a command inside it
}

// addNamedNetns makes a named namespace with ip netns add, brings its
// loopback up and deletes it at the end of the test.
func addNamedNetns(t *testing.T, name string) testNetns {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		testenv.SkipOrFail(t, "ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s link set lo up: %v: %s", name, err, out)
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/run/netns/"+name, &st); err != nil {
		t.Fatal(err)
	}
	return testNetns{name: name, inode: st.Ino, ssArgv: []string{"ip", "netns", "exec", name}}
}

// netnsOfPID reads the inode of a process's network namespace.
func netnsOfPID(t *testing.T, pid int) uint64 {
	t.Helper()
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		t.Fatal(err)
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]"), 10, 64)
	if err != nil {
		t.Fatalf("namespace link %q: %v", link, err)
	}
	return ino
}

// netnsFixture makes the namespaces of the tests: a named one with a
// process inside holding sockets of every kind, an unnamed one (unshare)
// with such a process, and a named one with no process whose only socket
// is a TIME_WAIT connection.
func netnsFixture(t *testing.T) (named, unnamed, empty testNetns) {
	testenv.NeedRoot(t, "create network namespaces")
	testenv.NeedProgram(t, "ip", "iproute2")
	testenv.NeedProgram(t, "ss", "iproute2")
	testenv.NeedProgram(t, "unshare", "util-linux")
	testenv.NeedProgram(t, "nsenter", "util-linux")
	tag := strconv.Itoa(os.Getpid())

	named = addNamedNetns(t, "pwtest-a-"+tag)
	named.pid = startChild(t, []string{"ip", "netns", "exec", named.name, os.Args[0]}, []string{childRoleEnv + "=netns-load"}).pid

	u := startChild(t, []string{"unshare", "--net", "sh", "-c", `ip link set lo up && exec "$0"`, os.Args[0]},
		[]string{childRoleEnv + "=netns-load"})
	unnamed = testNetns{pid: u.pid, inode: netnsOfPID(t, u.pid)}
	unnamed.ssArgv = []string{"nsenter", "--net=/proc/" + strconv.Itoa(u.pid) + "/ns/net"}
	if unnamed.inode == netnsOfPID(t, os.Getpid()) {
		t.Fatal("unshare --net left the helper in this namespace")
	}

	empty = addNamedNetns(t, "pwtest-c-"+tag)
	tw := exec.Command("ip", "netns", "exec", empty.name, os.Args[0])
	tw.Env = append(os.Environ(), childRoleEnv+"=time-wait")
	if out, err := tw.CombinedOutput(); err != nil {
		t.Fatalf("time-wait helper in %s: %v: %s", empty.name, err, out)
	}
	return named, unnamed, empty
}

// pwNetnsJSON runs portwatch with args and --json and decodes the output.
func pwNetnsJSON(t *testing.T, args ...string) jsonSnapshot {
	t.Helper()
	r := runCmd(t, exec.Command(binPath, append(args, "--json")...))
	if r.code != 0 {
		t.Fatalf("portwatch %v: exit %d: %s", args, r.code, r.stderr)
	}
	var snap jsonSnapshot
	if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil {
		t.Fatalf("portwatch %v: %v\n%s", args, err, r.stdout)
	}
	return snap
}

// inNetns keeps the sockets of snap in the namespace of inode ino.
func inNetns(snap jsonSnapshot, ino uint64) jsonSnapshot {
	out := snap
	out.Sockets = nil
	for _, s := range snap.Sockets {
		if s.Netns == ino {
			out.Sockets = append(out.Sockets, s)
		}
	}
	return out
}

// TestNetnsAllAgainstSS: with --netns all, every namespace's sockets, with
// their inodes and owners, are those ss shows inside that namespace; each
// socket names its namespace, and the namespace without a process is
// read too.
func TestNetnsAllAgainstSS(t *testing.T) {
	named, unnamed, empty := netnsFixture(t)
	for _, ns := range []testNetns{named, unnamed, empty} {
		label := ns.name
		if label == "" {
			label = fmt.Sprintf("unnamed namespace of pid %d", ns.pid)
		}
		eventually(t, "portwatch --netns all versus ss in "+label, func() []string {
			before := ssSnapshotOf(t, ns.ssArgv...)
			pw := pwNetnsJSON(t, "-tuanp", "--netns", "all")
			after := ssSnapshotOf(t, ns.ssArgv...)
			var problems []string
			found := false
			for _, n := range pw.Namespaces {
				if n.Netns == ns.inode {
					found = true
					if n.NetnsName != ns.name {
						problems = append(problems, fmt.Sprintf("namespace %d named %q, want %q", ns.inode, n.NetnsName, ns.name))
					}
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("namespace %d is not in the namespaces list %+v", ns.inode, pw.Namespaces))
			}
			mine := inNetns(pw, ns.inode)
			for _, s := range mine.Sockets {
				if s.NetnsName != ns.name {
					problems = append(problems, fmt.Sprintf("%s: netns_name %q, want %q", pwKey(s), s.NetnsName, ns.name))
				}
			}
			return append(problems, compareStable(before, after, mine, true)...)
		})
	}
	// Each helper's own sockets are in its namespace, owned by it.
	for _, ns := range []testNetns{named, unnamed} {
		owned := 0
		for _, s := range inNetns(pwNetnsJSON(t, "-tuanp", "--netns", "all"), ns.inode).Sockets {
			if s.PID == ns.pid {
				owned++
			}
		}
		if owned < 6 {
			t.Errorf("namespace %d: %d sockets held by the helper %d, want its 6", ns.inode, owned, ns.pid)
		}
	}
	tw := 0
	for _, s := range inNetns(pwNetnsJSON(t, "-tan", "--netns", "all"), empty.inode).Sockets {
		if s.State == "TIME_WAIT" {
			tw++
		}
	}
	if tw == 0 {
		t.Errorf("the namespace %s without a process: no TIME_WAIT socket listed", empty.name)
	}
}

// TestNetnsOne: --netns NAME, PATH and PID read just that namespace; the
// table has no Netns column for one namespace and has one, with the name,
// for several.
func TestNetnsOne(t *testing.T) {
	named, unnamed, _ := netnsFixture(t)
	for _, tc := range []struct {
		spec string
		ns   testNetns
	}{
		{named.name, named},
		{"/run/netns/" + named.name, named},
		{strconv.Itoa(unnamed.pid), unnamed},
	} {
		pw := pwNetnsJSON(t, "-tuanp", "--netns", tc.spec)
		if len(pw.Sockets) == 0 {
			t.Errorf("--netns %s: no sockets", tc.spec)
		}
		for _, s := range pw.Sockets {
			if s.Netns != tc.ns.inode {
				t.Errorf("--netns %s: %s is in namespace %d, want %d", tc.spec, pwKey(s), s.Netns, tc.ns.inode)
			}
		}
		if len(pw.Namespaces) != 1 || pw.Namespaces[0].Netns != tc.ns.inode {
			t.Errorf("--netns %s: namespaces %+v, want just %d", tc.spec, pw.Namespaces, tc.ns.inode)
		}
		r := runCmd(t, exec.Command(binPath, "-tln", "--netns", tc.spec))
		if r.code != 0 || strings.HasPrefix(r.stdout, "Netns") {
			t.Errorf("--netns %s table: exit %d, want no Netns column for one namespace:\n%s%s", tc.spec, r.code, r.stdout, r.stderr)
		}
	}
	r := runCmd(t, exec.Command(binPath, "-tln", "--netns", "all"))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Netns ") || !strings.Contains(r.stdout, "\n"+named.name+" ") {
		t.Errorf("--netns all table: exit %d, want a Netns column naming %s:\n%s%s", r.code, named.name, r.stdout, r.stderr)
	}
	// The caller's namespace by PID is the plain list, with its namespace.
	pw := pwNetnsJSON(t, "-tuan", "--netns", strconv.Itoa(os.Getpid()))
	if len(pw.Namespaces) != 1 || pw.Namespaces[0].Netns != netnsOfPID(t, os.Getpid()) {
		t.Errorf("--netns of this process: namespaces %+v", pw.Namespaces)
	}
	// who finds a port in another namespace with --netns.
	var port int
	for _, s := range inNetns(pwNetnsJSON(t, "-tlnp", "--netns", named.name), named.inode).Sockets {
		if s.PID == named.pid && s.Family == "ipv4" {
			port = s.LocalPort
		}
	}
	if port == 0 {
		t.Fatalf("no IPv4 listener of the helper in %s", named.name)
	}
	r = runCmd(t, exec.Command(binPath, "who", strconv.Itoa(port), "--netns", named.name))
	if r.code != 0 || !strings.Contains(r.stdout, strconv.Itoa(named.pid)) {
		t.Errorf("who %d --netns %s: exit %d, want the helper %d:\n%s%s", port, named.name, r.code, named.pid, r.stdout, r.stderr)
	}
}

// TestNetnsBadValues: a value that names no namespace exits 2 with one
// line naming it; --netns with --replay is refused.
func TestNetnsBadValues(t *testing.T) {
	for _, spec := range []string{"no-such-namespace-here", "/etc/hostname", "999999999", "..", ""} {
		r := runCmd(t, exec.Command(binPath, "-tan", "--netns", spec))
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, fmt.Sprintf("%q", spec)) {
			t.Errorf("--netns %q: exit %d, stderr %q; want exit 2 and one line naming it", spec, r.code, r.stderr)
		}
	}
	r := runCmd(t, exec.Command(binPath, "-tan", "--netns", "all", "--replay", "/dev/null"))
	if r.code != 2 || !strings.Contains(r.stderr, "--replay") {
		t.Errorf("--netns with --replay: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestNetnsUnprivileged: a normal user with --netns all gets exit 0, the
// sockets of its own namespace, and one line for each namespace it cannot
// read: the named one without a process by name.
func TestNetnsUnprivileged(t *testing.T) {
	_, _, empty := netnsFixture(t)
	testenv.NeedProgram(t, "setpriv", "util-linux")
	r := runCmd(t, exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binPath, "-tuan", "--netns", "all"))
	if r.code != 0 {
		t.Fatalf("as nobody: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "LISTEN") {
		t.Errorf("as nobody: the own namespace's listeners are missing:\n%s", r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	named := 0
	for _, l := range lines {
		if strings.Contains(l, empty.name) {
			named++
			if !strings.Contains(l, "cannot") {
				t.Errorf("as nobody, the line on %s gives no reason: %q", empty.name, l)
			}
		}
	}
	if named != 1 {
		t.Errorf("as nobody, want one line naming %s, got:\n%s", empty.name, r.stderr)
	}
}

// TestNetnsAudit: the audit of every namespace judges a listener on
// 0.0.0.0 inside a namespace by that namespace: exposure "namespace",
// named, and no finding that a database listens on every address of the
// host; the same port on the host would be one.
func TestNetnsAudit(t *testing.T) {
	named, _, _ := netnsFixture(t)
	r := runCmd(t, exec.Command(binPath, "audit", "--netns", "all", "--json", "--fail-on", "none"))
	if r.code != 0 {
		t.Fatalf("audit --netns all: exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			ID    string `json:"id"`
			Port  int    `json:"port"`
			Netns string `json:"netns"`
		} `json:"findings"`
		Listeners []struct {
			Port     int    `json:"port"`
			Exposure string `json:"exposure"`
			Netns    string `json:"netns"`
			Owners   []struct {
				PID int `json:"pid"`
			} `json:"owners"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	found := false
	for _, l := range rep.Listeners {
		if l.Port == 6379 && len(l.Owners) > 0 && l.Owners[0].PID == named.pid {
			found = true
			if l.Exposure != "namespace" || l.Netns != named.name {
				t.Errorf("the helper's 0.0.0.0:6379 in %s: exposure %q, netns %q; want namespace, %s", named.name, l.Exposure, l.Netns, named.name)
			}
		}
	}
	if !found {
		t.Fatalf("the helper's listener on 6379 in %s is not in the audit:\n%s", named.name, r.stdout)
	}
	for _, f := range rep.Findings {
		if f.ID == "database-exposed" && f.Netns != "" {
			t.Errorf("a database inside namespace %q is reported as exposed on every address", f.Netns)
		}
	}
	// The text names the namespace beside the listener.
	r = runCmd(t, exec.Command(binPath, "audit", "--netns", "all", "--fail-on", "none"))
	if r.code != 0 || !strings.Contains(r.stdout, "Inside other network namespaces") || !strings.Contains(r.stdout, named.name) {
		t.Errorf("audit text: exit %d, want the namespace group naming %s:\n%s", r.code, named.name, r.stdout)
	}
}
