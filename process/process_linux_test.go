package process

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/testenv"
)

// nobodyEnv, set in the environment of this test binary, makes it look up
// the PID it holds and print the Info as JSON instead of running the tests:
// TestLookupAsNobody runs it so as another user.
const nobodyEnv = "PORTWATCH_PROCESS_LOOKUP"

// holdEnv, set in the environment of this test binary, makes it wait for
// its stdin to close instead of running the tests: TestLookupBoundsCmdline
// runs it so with long arguments.
const holdEnv = "PORTWATCH_PROCESS_HOLD"

func TestMain(m *testing.M) {
	if os.Getenv(holdEnv) != "" {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	if v := os.Getenv(nobodyEnv); v != "" {
		pid, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		info, err := NewReader("").Lookup(pid)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := json.NewEncoder(os.Stdout).Encode(info); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func requireRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "%s needs root (euid %d)", what, os.Geteuid())
	}
}

// start starts the command newCmd makes and kills and reaps it when the
// test ends. A program just written may fail to start with ETXTBSY while a
// process forked meanwhile still holds the file open for writing: that is
// retried.
func start(t *testing.T, newCmd func() *exec.Cmd) *exec.Cmd {
	t.Helper()
	for try := 0; ; try++ {
		cmd := newCmd()
		err := cmd.Start()
		if err == nil {
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			return cmd
		}
		if !errors.Is(err, syscall.ETXTBSY) || try == 50 {
			t.Fatalf("starting %q: %v", cmd.Args, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor looks pid up until ok says the Info is the one wanted (a child
// that has yet to exec), and returns the last Info read.
func waitFor(t *testing.T, r *Reader, pid int, ok func(Info) bool) Info {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := r.Lookup(pid)
		if err != nil {
			t.Fatalf("Lookup(%d): %v", pid, err)
		}
		if ok(info) || time.Now().After(deadline) {
			return info
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sleepPath is sleep's executable with symlinks resolved: what
// /proc/<pid>/exe shows for a running sleep.
func sleepPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sleep")
	if err != nil {
		testenv.SkipOrFail(t, "no sleep: %v", err)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

// copyExe copies sleep to dst, executable, and returns dst's real path.
func copyExe(t *testing.T, dst string) string {
	t.Helper()
	data, err := os.ReadFile(sleepPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(dst))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, filepath.Base(dst))
}

func TestLookupChild(t *testing.T) {
	exe := sleepPath(t)
	r := NewReader("")
	// Odd arguments sleep still accepts: an empty argv[0], a newline and
	// spaces (it skips leading white space in a number): 30 s in all.
	argv := []string{"", "\n 1", " 29"}
	before := time.Now()
	cmd := start(t, func() *exec.Cmd {
		c := exec.Command(exe)
		c.Args = argv
		return c
	})
	after := time.Now()
	pid := cmd.Process.Pid

	// Start returns once execve has closed the descriptors, before the
	// kernel has placed the new arguments: until then the command line
	// reads empty.
	info := waitFor(t, r, pid, func(i Info) bool { return len(i.Cmdline) > 0 })
	if info.PID != pid || info.PPID != os.Getpid() || info.Name != "sleep" {
		t.Errorf("PID, PPID, Name = %d, %d, %q; want %d, %d, sleep", info.PID, info.PPID, info.Name, pid, os.Getpid())
	}
	if !slices.Equal(info.Cmdline, argv) {
		t.Errorf("Cmdline = %q, want %q", info.Cmdline, argv)
	}
	if info.Exe != exe || info.ExeStatus != ExeOK {
		t.Errorf("Exe, ExeStatus = %q, %q; want %q, ok", info.Exe, info.ExeStatus, exe)
	}
	if info.UID != os.Geteuid() || info.RealUID != os.Getuid() {
		t.Errorf("UID, RealUID = %d, %d; want %d, %d", info.UID, info.RealUID, os.Geteuid(), os.Getuid())
	}
	_, hz, err := r.clock()
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Second / time.Duration(hz)
	// The boot time has whole seconds and the start time whole ticks, both
	// rounded down: Start may be up to a second and a tick early.
	if info.Start.Before(before.Add(-2*time.Second)) || info.Start.After(after.Add(tick)) {
		t.Errorf("Start = %v, want between %v and %v", info.Start, before.Add(-2*time.Second), after.Add(tick))
	}
	if len(info.Missing) != 0 {
		t.Errorf("Missing = %q, want none", info.Missing)
	}
	// The child is in this test's cgroup.
	self, err := r.Lookup(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if info.Cgroup == "" || info.Cgroup != self.Cgroup || info.Unit != self.Unit || info.Container != self.Container {
		t.Errorf("child's cgroup %q (unit %q, container %+v), want this process's %q (unit %q, container %+v)",
			info.Cgroup, info.Unit, info.Container, self.Cgroup, self.Unit, self.Container)
	}
	if self.Exe == "" || self.ExeStatus != ExeOK || self.Name == "" || len(self.Cmdline) == 0 || self.Cmdline[0] != os.Args[0] {
		t.Errorf("Lookup(self) = %+v", self)
	}
}

func TestLookupDeletedExe(t *testing.T) {
	path := copyExe(t, filepath.Join(t.TempDir(), "doomed"))
	cmd := start(t, func() *exec.Cmd { return exec.Command(path, "30") })
	r := NewReader("")
	info, err := r.Lookup(cmd.Process.Pid)
	if err != nil || info.Exe != path || info.ExeStatus != ExeOK || info.Name != "doomed" {
		t.Fatalf("before removal: Lookup = %+v, %v; want Exe %q ok, Name doomed", info, err, path)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	info, err = r.Lookup(cmd.Process.Pid)
	if err != nil || info.Exe != path || info.ExeStatus != ExeDeleted || len(info.Missing) != 0 {
		t.Errorf("after removal: Exe, ExeStatus, Missing = %q, %q, %q, %v; want %q, deleted, none", info.Exe, info.ExeStatus, info.Missing, err, path)
	}
}

func TestLookupReplacedExe(t *testing.T) {
	dir := t.TempDir()
	path := copyExe(t, filepath.Join(dir, "prog"))
	cmd := start(t, func() *exec.Cmd { return exec.Command(path, "30") })
	// An upgrade: the new file written beside, then renamed over the old.
	newer := copyExe(t, filepath.Join(dir, "prog.new"))
	if err := os.Rename(newer, path); err != nil {
		t.Fatal(err)
	}
	info, err := NewReader("").Lookup(cmd.Process.Pid)
	if err != nil || info.Exe != path || info.ExeStatus != ExeReplaced || len(info.Missing) != 0 {
		t.Errorf("Exe, ExeStatus, Missing = %q, %q, %q, %v; want %q, replaced, none", info.Exe, info.ExeStatus, info.Missing, err, path)
	}
}

// A file whose name really ends in " (deleted)" is told from an unlinked
// one.
func TestLookupExeNamedDeleted(t *testing.T) {
	path := copyExe(t, filepath.Join(t.TempDir(), "prog (deleted)"))
	cmd := start(t, func() *exec.Cmd { return exec.Command(path, "30") })
	r := NewReader("")
	info, err := r.Lookup(cmd.Process.Pid)
	if err != nil || info.Exe != path || info.ExeStatus != ExeOK {
		t.Errorf("Exe, ExeStatus = %q, %q, %v; want %q, ok", info.Exe, info.ExeStatus, err, path)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	info, err = r.Lookup(cmd.Process.Pid)
	if err != nil || info.Exe != path || info.ExeStatus != ExeDeleted {
		t.Errorf("after removal: Exe, ExeStatus = %q, %q, %v; want %q, deleted", info.Exe, info.ExeStatus, err, path)
	}
	// And an unlinked "prog" while a "prog (deleted)" sits beside it.
	dir := filepath.Dir(path)
	plain := copyExe(t, filepath.Join(dir, "prog"))
	cmd = start(t, func() *exec.Cmd { return exec.Command(plain, "30") })
	if err := os.Remove(plain); err != nil {
		t.Fatal(err)
	}
	copyExe(t, path)
	info, err = r.Lookup(cmd.Process.Pid)
	if err != nil || info.Exe != plain || info.ExeStatus != ExeDeleted {
		t.Errorf("prog unlinked beside a prog (deleted): Exe, ExeStatus = %q, %q, %v; want %q, deleted", info.Exe, info.ExeStatus, err, plain)
	}
}

// childrenOf returns the PIDs whose parent is pid.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	var out []int
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		for _, f := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	// Kernels without CONFIG_PROC_CHILDREN: every process's stat.
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			if st, err := parseStat(data); err == nil && st.ppid == pid {
				out = append(out, n)
			}
		}
	}
	return out
}

func TestParents(t *testing.T) {
	sh := start(t, func() *exec.Cmd { return exec.Command("sh", "-c", "sleep 30 & wait") })
	r := NewReader("")
	var sleeper int
	for deadline := time.Now().Add(5 * time.Second); sleeper == 0; {
		for _, c := range childrenOf(t, sh.Process.Pid) {
			if info, err := r.Lookup(c); err == nil && info.Name == "sleep" {
				sleeper = c
			}
		}
		if sleeper == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("sh %d started no sleep", sh.Process.Pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	chain, err := r.Parents(sleeper)
	if err != nil {
		t.Fatal(err)
	}
	var desc []string
	for _, p := range chain {
		desc = append(desc, fmt.Sprintf("%d(%s)<-%d", p.PID, p.Name, p.PPID))
	}
	t.Logf("parents of sleep %d: %s", sleeper, strings.Join(desc, " "))
	if len(chain) < 3 {
		t.Fatalf("chain %s: want sh, this process, ..., 1", desc)
	}
	if chain[0].PID != sh.Process.Pid || chain[0].Name != "sh" {
		t.Errorf("first parent %s, want sh %d", desc[0], sh.Process.Pid)
	}
	if self, _ := r.Lookup(os.Getpid()); chain[1].PID != os.Getpid() || chain[1].Name != self.Name {
		t.Errorf("second parent %s, want this process %d (%s)", desc[1], os.Getpid(), self.Name)
	}
	if last := chain[len(chain)-1]; last.PID != 1 || last.PPID != 0 {
		t.Errorf("chain ends at %s, want PID 1 with PPID 0", desc[len(desc)-1])
	}
	for i, p := range chain {
		if i+1 < len(chain) && p.PPID != chain[i+1].PID {
			t.Errorf("chain[%d] %s: PPID is not the next element", i, desc[i])
		}
		if p.Name == "" || p.UID < 0 || p.RealUID < 0 || p.Start.IsZero() || len(p.Missing) != 0 {
			t.Errorf("chain[%d] = %+v: want Name, UID, RealUID, Start and nothing missing", i, p)
		}
		if p.Cmdline != nil || p.Exe != "" || p.Cgroup != "" {
			t.Errorf("chain[%d] = %+v: a light read has no Cmdline, Exe or Cgroup", i, p)
		}
	}
	if chain, err := r.Parents(1); err != nil || len(chain) != 0 {
		t.Errorf("Parents(1) = %+v, %v; want none", chain, err)
	}
}

func TestLookupOtherUser(t *testing.T) {
	requireRoot(t, "running a child as nobody")
	if _, err := exec.LookPath("setpriv"); err != nil {
		testenv.SkipOrFail(t, "setpriv (util-linux) not installed")
	}
	exe := sleepPath(t)
	cmd := start(t, func() *exec.Cmd {
		return exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe, "30")
	})
	info := waitFor(t, NewReader(""), cmd.Process.Pid, func(i Info) bool { return i.Name == "sleep" })
	if info.Name != "sleep" || info.UID != 65534 || info.RealUID != 65534 || info.Exe != exe || info.ExeStatus != ExeOK {
		t.Errorf("Lookup = %+v; want sleep, uid 65534 (real and effective), Exe %q ok", info, exe)
	}
}

// TestLookupAsNobody looks a root process up as nobody, who may not read
// its executable: that is Missing, not an error, and the rest is there.
func TestLookupAsNobody(t *testing.T) {
	requireRoot(t, "running the lookup as nobody")
	if _, err := exec.LookPath("setpriv"); err != nil {
		testenv.SkipOrFail(t, "setpriv (util-linux) not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A copy of this test binary that nobody may run.
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "process.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}

	exe := sleepPath(t)
	target := start(t, func() *exec.Cmd { return exec.Command(exe, "30") })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stderr strings.Builder
	c := exec.CommandContext(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin)
	c.Env = append(os.Environ(), fmt.Sprintf("%s=%d", nobodyEnv, target.Process.Pid))
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("lookup as nobody: %v; stderr %q", err, stderr.String())
	}
	var info Info
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("lookup as nobody: %v; stdout %q, stderr %q", err, out, stderr.String())
	}
	if info.PID != target.Process.Pid || info.Name != "sleep" || !slices.Equal(info.Cmdline, []string{exe, "30"}) ||
		info.UID != os.Geteuid() || info.Start.IsZero() || info.Cgroup == "" {
		t.Errorf("as nobody: %+v; want the readable fields", info)
	}
	if info.Exe != "" || info.ExeStatus != ExeUnknown || !slices.Equal(info.Missing, []string{"exe: permission denied"}) {
		t.Errorf("as nobody: Exe, ExeStatus, Missing = %q, %q, %q; want \"\", unknown, [exe: permission denied]", info.Exe, info.ExeStatus, info.Missing)
	}
}

// cgroup2Dir returns a writable cgroup v2 hierarchy: the unified one of a
// hybrid system, or /sys/fs/cgroup on a v2-only one.
func cgroup2Dir(t *testing.T) string {
	t.Helper()
	requireRoot(t, "moving a process to another cgroup")
	for _, dir := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			return dir
		}
	}
	testenv.SkipOrFail(t, "no cgroup v2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup")
	return ""
}

// mkCgroup makes the cgroup dir (and its missing parents under root),
// removed when the test ends, after the processes it holds are reaped.
func mkCgroup(t *testing.T, root, rel string) string {
	t.Helper()
	var made []string
	p := root
	for c := range strings.SplitSeq(rel, "/") {
		p = filepath.Join(p, c)
		if err := os.Mkdir(p, 0o755); errors.Is(err, fs.ErrExist) {
			continue
		} else if err != nil {
			for _, d := range slices.Backward(made) {
				os.Remove(d)
			}
			testenv.SkipOrFail(t, "cannot make a cgroup: %v", err)
		}
		made = append(made, p)
	}
	t.Cleanup(func() {
		for _, d := range slices.Backward(made) {
			// A cgroup is busy until its last process is reaped.
			for try := 0; ; try++ {
				err := os.Remove(d)
				if err == nil || try == 100 {
					if err != nil {
						t.Errorf("removing cgroup: %v", err)
					}
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	return p
}

func TestLookupCgroup(t *testing.T) {
	root := cgroup2Dir(t)
	exe := sleepPath(t)
	r := NewReader("")
	run := func(rel string) Info {
		t.Helper()
		dir := mkCgroup(t, root, rel)
		cmd := start(t, func() *exec.Cmd { return exec.Command(exe, "30") })
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatalf("moving %d to %s: %v", cmd.Process.Pid, dir, err)
		}
		info, err := r.Lookup(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if info.Cgroup != "/"+rel {
			t.Errorf("Cgroup = %q, want /%s", info.Cgroup, rel)
		}
		return info
	}

	unit := fmt.Sprintf("portwatch-test-%d.service", os.Getpid())
	if info := run(unit); info.Unit != unit || info.UserUnit || info.Container != (Container{}) {
		t.Errorf("in %s: Unit, UserUnit, Container = %q, %v, %+v; want %q, false, none", unit, info.Unit, info.UserUnit, info.Container, unit)
	}

	id := make([]byte, 32)
	rand.Read(id)
	ctr := Container{Runtime: "docker", ID: hex.EncodeToString(id)}
	info := run("docker/" + ctr.ID)
	if info.Container != ctr || info.Unit != "" {
		t.Errorf("in docker/%s: Unit, Container = %q, %+v; want none, %+v", ctr.ID, info.Unit, info.Container, ctr)
	}
	// ContainerOf reads the same from the cgroup alone.
	if c, err := r.ContainerOf(info.PID); c != ctr || err != nil {
		t.Errorf("ContainerOf(%d) = %+v, %v; want %+v", info.PID, c, err, ctr)
	}
	if c, err := r.ContainerOf(os.Getpid()); err != nil || c.Runtime == "docker" && c.ID == ctr.ID {
		t.Errorf("ContainerOf(this test) = %+v, %v", c, err)
	}
	if _, err := r.ContainerOf(1 << 30); !errors.Is(err, ErrNotFound) {
		t.Errorf("ContainerOf(no such process): %v, want ErrNotFound", err)
	}
}

// The clock tick rate comes from this process's auxiliary vector, not the
// fallback.
func TestClockTicks(t *testing.T) {
	data, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		testenv.SkipOrFail(t, "no auxv: %v", err)
	}
	hz, err := parseAuxvClockTicks(data, strconv.IntSize/8, binary.NativeEndian)
	if err != nil || hz <= 0 {
		t.Fatalf("AT_CLKTCK of /proc/self/auxv: %d, %v", hz, err)
	}
	boot, got, err := NewReader("").clock()
	if err != nil || got != hz || boot <= 0 || time.Unix(boot, 0).After(time.Now()) {
		t.Errorf("clock() = %d, %d, %v; want a boot time in the past and %d Hz", boot, got, err, hz)
	}
}

func TestLookupNotFound(t *testing.T) {
	r := NewReader("")
	// A child that exited and was reaped.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		testenv.SkipOrFail(t, "true: %v", err)
	}
	pids := []int{-1, 0, cmd.Process.Pid}
	if data, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if pidMax, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			pids = append(pids, pidMax, pidMax+1) // PIDs go up to pid_max-1
		}
	}
	for _, pid := range pids {
		if info, err := r.Lookup(pid); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%d) = %+v, %v; want ErrNotFound", pid, info, err)
		}
		if chain, err := r.Parents(pid); !errors.Is(err, ErrNotFound) || chain != nil {
			t.Errorf("Parents(%d) = %+v, %v; want ErrNotFound", pid, chain, err)
		}
	}
}

// fixture is a fake procfs, for what a real one cannot be made to show.
type fixture struct {
	t    *testing.T
	root string
}

func newFixture(t *testing.T) fixture {
	f := fixture{t, t.TempDir()}
	f.write("stat", "cpu  1 2 3 4\nbtime 1700000000\nprocesses 9\n")
	return f
}

func (f fixture) write(rel, content string) {
	f.t.Helper()
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// proc writes the stat and status of a process.
func (f fixture) proc(pid int, comm string, ppid int, start uint64) {
	f.write(fmt.Sprintf("%d/stat", pid), statLine(pid, comm, ppid, start))
	f.write(fmt.Sprintf("%d/status", pid), fmt.Sprintf("Name:\t%s\nUid:\t1000\t33\t33\t33\n", comm))
}

func TestLookupFixture(t *testing.T) {
	f := newFixture(t)
	target := filepath.Join(f.root, "bin", "server")
	f.write("bin/server", "#!/bin/sh\n")
	symlink := func(old, new string) {
		if err := os.Symlink(old, filepath.Join(f.root, new)); err != nil {
			t.Fatal(err)
		}
	}

	// Everything readable.
	f.proc(100, "serv er)", 1, 250)
	f.write("100/cmdline", "server\x00--port\x008080\x00")
	f.write("100/cgroup", "1:name=systemd:/system.slice/server.service\n0::/system.slice/server.service\n")
	symlink(target, "100/exe")
	// An exe link to nothing: its file cannot be compared.
	f.proc(101, "gone", 1, 5)
	f.write("101/cmdline", "")
	f.write("101/cgroup", "0::/docker/"+hexA+"\n")
	symlink(filepath.Join(f.root, "bin", "nothing"), "101/exe")
	// An exe that is no link; an empty cmdline; no cgroup file.
	f.proc(102, "odd", 1, 5)
	f.write("102/cmdline", "")
	f.write("102/exe", "")
	// No exe at all (a kernel thread); garbage everywhere else.
	f.write("103/stat", "103 (kthread S 2")
	f.write("103/status", "Name:\tkthread\n")
	f.write("103/cgroup", "nonsense\n")

	r := NewReader(f.root)
	type want struct {
		Info
		missing []string // prefixes of Missing, in order
	}
	cases := map[int]want{
		100: {Info: Info{PID: 100, PPID: 1, Name: "serv er)", Cmdline: []string{"server", "--port", "8080"}, Exe: target, ExeStatus: ExeOK,
			UID: 33, RealUID: 1000, Start: time.Unix(1700000002, 500_000_000),
			Cgroup: "/system.slice/server.service", Unit: "server.service"}},
		101: {Info: Info{PID: 101, PPID: 1, Name: "gone", Exe: filepath.Join(f.root, "bin", "nothing"),
			UID: 33, RealUID: 1000, Start: time.Unix(1700000000, 50_000_000),
			Cgroup: "/docker/" + hexA, Container: Container{"docker", hexA}},
			missing: []string{"exestatus: stat "}},
		102: {Info: Info{PID: 102, PPID: 1, Name: "odd", UID: 33, RealUID: 1000, Start: time.Unix(1700000000, 50_000_000)},
			missing: []string{"exe: readlink ", "cgroup: open "}},
		103: {Info: Info{PID: 103, UID: -1, RealUID: -1},
			missing: []string{"name: stat ", "ppid: stat ", "start: stat ", "uid: status ", "cmdline: open ", "exe: none (kernel thread", `cgroup: cgroup line "nonsense"`}},
	}
	for pid, w := range cases {
		got, err := r.Lookup(pid)
		if err != nil {
			t.Errorf("Lookup(%d): %v", pid, err)
			continue
		}
		missing, start := got.Missing, got.Start
		got.Missing, got.Start, w.Start = nil, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, w.Info) || !start.Equal(cases[pid].Start) {
			t.Errorf("Lookup(%d) =\n %+v, start %v\nwant\n %+v, start %v", pid, got, start, w.Info, cases[pid].Start)
		}
		ok := len(missing) == len(w.missing)
		for i := 0; ok && i < len(missing); i++ {
			ok = strings.HasPrefix(missing[i], w.missing[i])
		}
		if !ok {
			t.Errorf("Lookup(%d).Missing = %q, want entries starting %q", pid, missing, w.missing)
		}
	}
	if _, err := r.Lookup(104); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of a PID with no directory: %v, want ErrNotFound", err)
	}
}

func TestParentsFixture(t *testing.T) {
	f := newFixture(t)
	// 200 <- 201 <- 202 <- 1.
	f.proc(1, "init", 0, 1)
	f.proc(202, "c", 1, 20)
	f.proc(201, "b", 202, 30)
	f.proc(200, "a", 201, 40)
	// A cycle: 300 <- 301 <- 302 <- 301, all started in the same tick.
	f.proc(300, "a", 301, 30)
	f.proc(301, "b", 302, 30)
	f.proc(302, "c", 301, 30)
	// A reused PID: 401 started after its "child".
	f.proc(400, "a", 401, 500)
	f.proc(401, "b", 1, 900)
	// A parent gone.
	f.proc(500, "a", 501, 10)
	// A parent unreadable: the chain includes it and ends there.
	f.proc(600, "a", 601, 10)
	f.write("601/stat", "garbage")
	// A chain longer than the cap.
	for pid := 1000; pid < 1100; pid++ {
		f.proc(pid, "deep", pid+1, uint64(2000-pid))
	}

	r := NewReader(f.root)
	pids := func(chain []Info) []int {
		var out []int
		for _, p := range chain {
			out = append(out, p.PID)
		}
		return out
	}
	for _, c := range []struct {
		pid  int
		want []int
	}{
		{200, []int{201, 202, 1}},
		{202, []int{1}},
		{1, nil},
		{300, []int{301, 302}},
		{302, []int{301}},
		{400, nil},
		{500, nil},
		{600, []int{601}},
	} {
		chain, err := r.Parents(c.pid)
		if err != nil || !slices.Equal(pids(chain), c.want) {
			t.Errorf("Parents(%d) = %v, %v; want %v", c.pid, pids(chain), err, c.want)
		}
	}
	chain, err := r.Parents(200)
	if err != nil || len(chain) != 3 || chain[0].Name != "b" || chain[0].PPID != 202 || chain[0].UID != 33 ||
		!chain[0].Start.Equal(time.Unix(1700000000, 300_000_000)) || chain[2].PPID != 0 {
		t.Errorf("Parents(200) = %+v, %v", chain, err)
	}
	chain, err = r.Parents(1000)
	if err != nil || len(chain) != maxParents || chain[0].PID != 1001 || chain[maxParents-1].PID != 1000+maxParents {
		t.Errorf("Parents(1000): %d elements from %v, %v; want the first %d", len(chain), pids(chain)[:min(3, len(chain))], err, maxParents)
	}
	if _, err := r.Parents(999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Parents(999) = %v, want ErrNotFound", err)
	}
}

// TestLookupBoundsCmdline looks up real processes, copies of this test
// binary with long arguments: a command line of exactly CmdlineMax bytes is
// read whole, a longer one is cut at CmdlineMax bytes and says so.
func TestLookupBoundsCmdline(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader("")
	for _, c := range []struct {
		name string
		size int // bytes of the command line, the NULs included
		cut  bool
	}{
		{"at the bound", CmdlineMax, false},
		{"over the bound", CmdlineMax + 150<<10, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Arguments of 100 KiB (a single one may not pass 128 KiB),
			// the last sized so that the whole is c.size bytes.
			argv := []string{exe, "bounded-cmdline"}
			size := len(exe) + 1 + len(argv[1]) + 1
			for i := 0; size < c.size; i++ {
				n := min(100<<10, c.size-size) - 1
				argv = append(argv, strings.Repeat(string(rune('a'+i)), n))
				size += n + 1
			}
			full := strings.Join(argv, "\x00") + "\x00"
			if len(full) != c.size {
				t.Fatalf("made a command line of %d bytes, want %d", len(full), c.size)
			}
			stdin, hold, err := os.Pipe() // the child lives until hold closes
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			defer hold.Close()
			cmd := start(t, func() *exec.Cmd {
				c := exec.Command(exe)
				c.Args, c.Stdin = argv, stdin
				c.Env = append(os.Environ(), holdEnv+"=1")
				return c
			})
			info := waitFor(t, r, cmd.Process.Pid, func(i Info) bool {
				return len(i.Cmdline) > 1 && i.Cmdline[1] == "bounded-cmdline"
			})
			want := full[:min(len(full), CmdlineMax)]
			if got := strings.Join(info.Cmdline, "\x00"); got != strings.TrimSuffix(want, "\x00") {
				t.Errorf("cmdline of %d arguments, %d bytes; want the first %d bytes of %d arguments",
					len(info.Cmdline), len(got), len(want), len(argv))
			}
			if info.CmdlineTruncated != c.cut {
				t.Errorf("CmdlineTruncated %v, want %v", info.CmdlineTruncated, c.cut)
			}
			said := slices.ContainsFunc(info.Missing, func(m string) bool {
				return m == fmt.Sprintf("cmdline: longer than %d bytes: cut there", CmdlineMax)
			})
			if said != c.cut {
				t.Errorf("Missing %q: says the command line was cut %v, want %v", info.Missing, said, c.cut)
			}
		})
	}
}

// TestLookupBoundsCgroup reads a cgroup file longer than cgroupMax, whose
// v2 line the bound cuts: the cut line is dropped, not taken for the
// process's cgroup, and Missing says the file was cut.
func TestLookupBoundsCgroup(t *testing.T) {
	f := newFixture(t)
	f.proc(110, "server", 1, 5)
	var b strings.Builder
	b.WriteString("1:name=systemd:/system.slice/server.service\n")
	// Lines of v1 hierarchies up to 30 bytes before the bound, the last
	// padded to end exactly there; then the v2 line, across the bound.
	const v2 = "0::/system.slice/server.service/a-sub-cgroup-the-bound-cuts\n"
	for i := 2; b.Len() < cgroupMax-30; i++ {
		prefix := fmt.Sprintf("%d:cpu:/", i)
		n := min(200, cgroupMax-30-b.Len()-len(prefix)-1)
		fmt.Fprintf(&b, "%s%s\n", prefix, strings.Repeat("x", max(n, 1)))
	}
	if b.Len() != cgroupMax-30 {
		t.Fatalf("made %d bytes before the v2 line, want %d", b.Len(), cgroupMax-30)
	}
	b.WriteString(v2)
	f.write("110/cgroup", b.String())
	info, err := NewReader(f.root).Lookup(110)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cgroup != "/system.slice/server.service" || info.Unit != "server.service" {
		t.Errorf("cgroup %q, unit %q; want the name=systemd path /system.slice/server.service and server.service", info.Cgroup, info.Unit)
	}
	if !slices.Contains(info.Missing, fmt.Sprintf("cgroup: longer than %d bytes: cut there", cgroupMax)) {
		t.Errorf("Missing %q does not say the cgroup file was cut", info.Missing)
	}
}

// TestReadBounded reads files around the bound: whole up to it, cut past
// it, and then cut back to the last separator when one is asked for.
func TestReadBounded(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		content string
		limit   int
		sep     byte
		want    string
		cut     bool
	}{
		{"ab\ncd\n", 6, '\n', "ab\ncd\n", false},
		{"ab\ncd\n", 5, '\n', "ab\n", true},
		{"ab\ncd\n", 5, 0, "ab\ncd", true},
		{"abcdef", 3, '\n', "", true},
		{"1 (x) S 1 2", 8, ' ', "1 (x) S ", true},
		{"", 0, 0, "", false},
		{"a", 0, 0, "", true},
	} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, cut, err := readBounded(p, c.limit, c.sep)
		if err != nil || string(got) != c.want || cut != c.cut {
			t.Errorf("readBounded(%q, %d, %q) = %q, %v, %v; want %q, %v", c.content, c.limit, c.sep, got, cut, err, c.want, c.cut)
		}
	}
	if _, _, err := readBounded(filepath.Join(dir, "none"), 10, 0); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "none") {
		t.Errorf("readBounded of a missing file: %v, want ErrNotExist naming it", err)
	}
}
