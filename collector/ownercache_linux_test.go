package collector

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// ownersOf returns "pid/fd" for every owner of each socket.
func ownersOf(socks []Socket) [][]string {
	out := make([][]string, len(socks))
	for i, s := range socks {
		for _, o := range s.Owners {
			out[i] = append(out[i], strconv.Itoa(o.PID)+"/"+strconv.Itoa(o.FD))
		}
	}
	return out
}

func cacheFind(t *testing.T, c *ownerCache, root string, inodes ...uint64) ([]Socket, refreshStats) {
	t.Helper()
	socks := make([]Socket, len(inodes))
	for i, ino := range inodes {
		socks[i] = Socket{Inode: ino, UID: os.Geteuid(), Proto: ProtoTCP, State: StateEstablished}
	}
	st, err := c.refresh(context.Background(), root, socks, func(m string) { t.Errorf("warning: %s", m) })
	if err != nil {
		t.Fatal(err)
	}
	return socks, st
}

func relink(t *testing.T, root string, pid, fd int, target string) {
	t.Helper()
	path := filepath.Join(root, strconv.Itoa(pid), "fd", strconv.Itoa(fd))
	os.Remove(path)
	if target != "" {
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOwnerCacheReadsOnlyNewLinks(t *testing.T) {
	root := writeFakeProc(t, map[int]map[int]string{
		100: {0: "/dev/null", 3: "socket:[5001]", 4: "pipe:[9]"},
		101: {3: "socket:[5001]", 7: "socket:[5002]"},
	}, map[int]string{100: "nginx", 101: "worker"})
	c := &ownerCache{}

	socks, st := cacheFind(t, c, root, 5001, 5002)
	if got := ownersOf(socks); !slices.Equal(got[0], []string{"100/3", "101/3"}) || !slices.Equal(got[1], []string{"101/7"}) {
		t.Fatalf("first refresh owners %v", got)
	}
	if st.readlinks != 5 || st.fullPasses != 0 {
		t.Errorf("first refresh: %d readlinks, %d full passes; want 5, 0", st.readlinks, st.fullPasses)
	}

	// Nothing changed: no link is read again, but for the two holders of
	// the shared socket 5001, which are checked every refresh (and the
	// rotating recheck's share of the rest).
	socks, st = cacheFind(t, c, root, 5001, 5002)
	if got := ownersOf(socks); !slices.Equal(got[0], []string{"100/3", "101/3"}) || !slices.Equal(got[1], []string{"101/7"}) {
		t.Fatalf("steady refresh owners %v", got)
	}
	if st.readlinks-st.rechecked != 0 || st.rechecked < 2 || st.dropped != 0 {
		t.Errorf("steady refresh read %d links, %d of them rechecks, dropped %d holders; want only rechecks, at least 2, none dropped", st.readlinks, st.rechecked, st.dropped)
	}

	// A new fd: only it is read.
	relink(t, root, 100, 9, "socket:[5003]")
	socks, st = cacheFind(t, c, root, 5001, 5002, 5003)
	if got := ownersOf(socks); !slices.Equal(got[2], []string{"100/9"}) {
		t.Errorf("new socket owners %v, want 100/9", got[2])
	}
	if st.readlinks-st.rechecked != 1 || st.fullPasses != 0 {
		t.Errorf("new fd: %d readlinks (%d rechecks), %d full passes; want 1 besides rechecks, 0", st.readlinks, st.rechecked, st.fullPasses)
	}

	// A socket closed and its fd number reused by a new socket: the number
	// is reread because its old socket is gone.
	relink(t, root, 101, 7, "socket:[5004]")
	socks, st = cacheFind(t, c, root, 5001, 5003, 5004)
	if got := ownersOf(socks); !slices.Equal(got[2], []string{"101/7"}) {
		t.Errorf("reused fd owners %v, want 101/7", got[2])
	}
	if st.readlinks-st.rechecked != 1 || st.fullPasses != 0 {
		t.Errorf("reused socket fd: %d readlinks (%d rechecks), %d full passes; want 1 besides rechecks, 0", st.readlinks, st.rechecked, st.fullPasses)
	}

	// A file's fd number reused by a socket between refreshes: the quick
	// pass cannot see it, the full pass finds it.
	relink(t, root, 100, 4, "socket:[5005]")
	socks, st = cacheFind(t, c, root, 5001, 5003, 5004, 5005)
	if got := ownersOf(socks); !slices.Equal(got[3], []string{"100/4"}) {
		t.Errorf("file fd reused by a socket: owners %v, want 100/4", got[3])
	}
	if st.fullPasses != 1 {
		t.Errorf("file fd reused: %d full passes, want 1", st.fullPasses)
	}

	// A closed fd and an exited process leave the owner lists.
	relink(t, root, 100, 3, "")
	if err := os.RemoveAll(filepath.Join(root, "101")); err != nil {
		t.Fatal(err)
	}
	socks, st = cacheFind(t, c, root, 5001, 5005)
	if got := ownersOf(socks); len(got[0]) != 0 || !slices.Equal(got[1], []string{"100/4"}) {
		t.Errorf("after close and exit: owners %v, want none and 100/4", got)
	}
	if _, ok := c.procs[101]; ok {
		t.Error("exited process 101 is still cached")
	}
}

func TestOwnerCacheUnresolvableCostsOneFullPass(t *testing.T) {
	root := writeFakeProc(t, map[int]map[int]string{
		100: {3: "socket:[5001]"},
	}, map[int]string{100: "a"})
	c := &ownerCache{}
	cacheFind(t, c, root, 5001)
	// 6000 is held by nobody we can see (another PID namespace, say).
	relink(t, root, 100, 4, "/tmp/file")
	socks, st := cacheFind(t, c, root, 5001, 6000)
	if st.fullPasses != 1 || len(socks[1].Owners) != 0 {
		t.Fatalf("unplaceable socket: %d full passes, owners %v", st.fullPasses, socks[1].Owners)
	}
	for range 3 {
		_, more := cacheFind(t, c, root, 5001, 6000)
		st.fullPasses += more.fullPasses
	}
	if st.fullPasses != 1 {
		t.Errorf("an unplaceable socket forced %d full passes, want 1", st.fullPasses)
	}
}

func TestOwnerCacheRecycledPID(t *testing.T) {
	root := writeFakeProc(t, map[int]map[int]string{
		100: {3: "socket:[5001]"},
	}, map[int]string{100: "old"})
	c := &ownerCache{}
	cacheFind(t, c, root, 5001)

	// A new process with the same PID: a new /proc/<pid> directory (made
	// before the old one goes, so its inode differs), same fd number,
	// another socket.
	fresh := filepath.Join(root, "new100")
	if err := os.MkdirAll(filepath.Join(fresh, "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("socket:[5009]", filepath.Join(fresh, "fd", "3")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(fresh, "comm"), []byte("new\n"), 0o644)
	if err := os.RemoveAll(filepath.Join(root, "100")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fresh, filepath.Join(root, "100")); err != nil {
		t.Fatal(err)
	}
	socks, st := cacheFind(t, c, root, 5001, 5009)
	if len(socks[0].Owners) != 0 || len(socks[1].Owners) != 1 || socks[1].Owners[0].Process != "new" {
		t.Errorf("recycled PID: owners %+v / %+v, want none / the new process", socks[0].Owners, socks[1].Owners)
	}
	if st.fullPasses != 0 {
		t.Errorf("recycled PID needed %d full passes, want 0", st.fullPasses)
	}
}

// socketInode returns the inode of the socket behind a net.Conn or
// net.Listener.
func socketInode(t *testing.T, sc syscall.Conn) uint64 {
	t.Helper()
	raw, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ino uint64
	raw.Control(func(fd uintptr) {
		var st syscall.Stat_t
		if err := syscall.Fstat(int(fd), &st); err != nil {
			t.Fatal(err)
		}
		ino = st.Ino
	})
	return ino
}

// TestOwnerCacheLiveMatchesFullWalk opens, closes and reopens real sockets
// and files in this process between refreshes, reusing fd numbers, and
// checks that every refresh of the cache finds the same owners as a fresh
// walk of /proc.
func TestOwnerCacheLiveMatchesFullWalk(t *testing.T) {
	var open []net.Listener
	listen := func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, ln)
	}
	defer func() {
		for _, ln := range open {
			ln.Close()
		}
	}()
	c := &ownerCache{}
	check := func(step string) refreshStats {
		t.Helper()
		var inodes []uint64
		for _, ln := range open {
			inodes = append(inodes, socketInode(t, ln.(*net.TCPListener)))
		}
		got, st := cacheFind(t, c, "/proc", inodes...)
		want := make([]Socket, len(inodes))
		for i, ino := range inodes {
			want[i] = Socket{Inode: ino, UID: os.Geteuid(), Proto: ProtoTCP, State: StateListen}
		}
		if err := findOwners(context.Background(), "/proc", want, false, func(string) {}); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			g, w := ownersOf(got)[i], ownersOf(want)[i]
			if !slices.Equal(g, w) || len(g) == 0 {
				t.Errorf("%s: socket %d owners %v, a full walk says %v", step, inodes[i], g, w)
			}
		}
		return st
	}
	for range 3 {
		listen()
	}
	check("start")
	check("steady")

	// A process whose fd table stays still (unlike this one, whose walkers
	// open directories) is not listed again; only the links of the socket
	// it shares with this process are reread (a shared socket's holders
	// are checked every refresh).
	f, err := open[0].(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "60")
	sleeper.ExtraFiles = []*os.File{f}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	waitStill(t, sleeper.Process.Pid)
	check("a second holder")
	st := check("steady with a second holder")
	if p := c.procs[sleeper.Process.Pid]; p == nil || len(p.fds) < 4 {
		t.Errorf("steady refresh: the sleeping holder's cache entry %+v, want its fds", p)
	}
	if fdCountInStat(t) && !slices.Contains(st.skipped, sleeper.Process.Pid) {
		t.Errorf("steady refresh listed the sleeping holder again (skipped %v)", st.skipped)
	}
	if st.rechecked < 2 || st.dropped != 0 {
		t.Errorf("steady refresh rechecked %d cached links and dropped %d holders; want both holders of the shared socket rechecked, none dropped", st.rechecked, st.dropped)
	}

	// Close one and open another: the kernel hands out the freed number.
	open[1].Close()
	open = slices.Delete(open, 1, 2)
	listen()
	check("fd reused by a socket")

	// A file's number reused by a socket.
	file, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	check("file open")
	file.Close()
	listen()
	check("file fd reused by a socket")
}

// waitStill waits until pid is asleep with the same open fds on two looks
// 50ms apart: a new process's dynamic loader opens and closes files before
// main runs, which would make its first listing differ from the next.
func waitStill(t *testing.T, pid int) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	look := func() string {
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		ents, _ := os.ReadDir(dir)
		names := []string{}
		for _, e := range ents {
			names = append(names, e.Name())
		}
		state := ""
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
			state = string(stat[i+2])
		}
		return state + " " + strings.Join(names, ",")
	}
	prev := look()
	for range 100 {
		time.Sleep(50 * time.Millisecond)
		now := look()
		if now == prev && strings.HasPrefix(now, "S ") {
			return
		}
		prev = now
	}
	t.Fatalf("process %d never settled: %s", pid, prev)
}

// fdCountInStat reports whether this kernel gives the number of open fds
// as the size of /proc/<pid>/fd (Linux 6.2 and later), which the quick
// pass of the owner cache relies on.
func fdCountInStat(t *testing.T) bool {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/fd", &st); err != nil {
		t.Fatal(err)
	}
	return st.Size > 0
}

// TestOwnerCacheFileSwappedForSocket has a real process close a file and
// open a socket under the same fd number, keeping its fd count: the quick
// pass skips it, and the refresh must still find the new socket's owner.
func TestOwnerCacheFileSwappedForSocket(t *testing.T) {
	testenv.NeedProgram(t, "bash", "bash")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	sh := exec.Command("bash", "-c", `exec 5</dev/null; echo ready; read x; exec 5<&- 5<>/dev/tcp/127.0.0.1/`+port+`; echo swapped; read x`)
	stdin, _ := sh.StdinPipe()
	stdout, _ := sh.StdoutPipe()
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); sh.Process.Kill(); sh.Wait() }()
	buf := make([]byte, 64)
	readLine := func(want string) {
		t.Helper()
		n, err := stdout.Read(buf)
		if err != nil || !strings.Contains(string(buf[:n]), want) {
			t.Fatalf("bash said %q (%v), want %q", buf[:n], err, want)
		}
	}
	readLine("ready")
	lnIno := socketInode(t, ln.(*net.TCPListener))
	c := &ownerCache{}
	cacheFind(t, c, "/proc", lnIno)
	_, quick := cacheFind(t, c, "/proc", lnIno)
	pid := sh.Process.Pid
	if fdCountInStat(t) && !slices.Contains(quick.skipped, pid) {
		t.Errorf("an unchanged process was listed again (skipped %v)", quick.skipped)
	}

	stdin.Write([]byte("go\n"))
	readLine("swapped")
	target, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/5")
	if err != nil {
		t.Fatal(err)
	}
	sockIno, ok := parseSocketLink([]byte(target))
	if !ok {
		t.Fatalf("bash's fd 5 is %q, not a socket", target)
	}
	socks, st := cacheFind(t, c, "/proc", lnIno, sockIno)
	if got := ownersOf(socks)[1]; !slices.Equal(got, []string{strconv.Itoa(pid) + "/5"}) {
		t.Errorf("the swapped-in socket's owners %v, want %d/5", got, pid)
	}
	if fdCountInStat(t) && st.relists != 1 {
		t.Errorf("%d relists, want 1 (the quick pass skipped bash)", st.relists)
	}
}

// startDup2Child starts this test binary as a child holding f as fd 3,
// which it puts /dev/null over with dup2 when swap is called.
func startDup2Child(t *testing.T, f *os.File) (pid int, swap func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=dup2")
	cmd.ExtraFiles = []*os.File{f}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("dup2 child said %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
	}
	expect("ready")
	return cmd.Process.Pid, func() {
		t.Helper()
		if _, err := stdin.Write([]byte("swap\n")); err != nil {
			t.Fatal(err)
		}
		expect("swapped")
	}
}

// TestOwnerCacheDup2OverSharedSocket has two real processes hold one
// listener, then one of them put another file over its fd with dup2: its
// fd count does not change and the socket lives on in the other, and the
// next refresh must drop it from the owners.
func TestOwnerCacheDup2OverSharedSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ino := socketInode(t, ln.(*net.TCPListener))
	ln.Close() // the two children are the only holders
	a, swap := startDup2Child(t, f)
	sleeper := exec.Command("sleep", "60")
	sleeper.ExtraFiles = []*os.File{f}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	f.Close()
	b := sleeper.Process.Pid
	waitStill(t, a)
	waitStill(t, b)

	c := &ownerCache{}
	holders := func(step string) []int {
		t.Helper()
		socks, _ := cacheFind(t, c, "/proc", ino)
		var pids []int
		for _, o := range socks[0].Owners {
			pids = append(pids, o.PID)
		}
		return pids
	}
	if got := holders("start"); !slices.Equal(got, sortedPIDs(a, b)) {
		t.Fatalf("start: holders %v, want %v", got, sortedPIDs(a, b))
	}
	if got := holders("steady"); !slices.Equal(got, sortedPIDs(a, b)) {
		t.Fatalf("steady: holders %v, want %v", got, sortedPIDs(a, b))
	}
	swap()
	waitStill(t, a)
	target, err := os.Readlink("/proc/" + strconv.Itoa(a) + "/fd/3")
	if err != nil || target != "/dev/null" {
		t.Fatalf("the child's fd 3 is %q (%v), want /dev/null", target, err)
	}
	for _, step := range []string{"after dup2", "steady after dup2"} {
		if got := holders(step); !slices.Equal(got, []int{b}) {
			t.Errorf("%s: holders %v, want only %d (%d let go with dup2)", step, got, b, a)
		}
	}
}

func sortedPIDs(pids ...int) []int {
	slices.Sort(pids)
	return pids
}

// TestOwnerCacheRecheckEndsStaleSoleHolder: the only holder the cache can
// see lets go of a socket that lives on out of sight (another PID
// namespace, say). Nothing tells the cache; the rotating recheck must drop
// the stale owner within auditPeriod refreshes, and it must stay dropped.
func TestOwnerCacheRecheckEndsStaleSoleHolder(t *testing.T) {
	root := writeFakeProc(t, map[int]map[int]string{
		100: {3: "socket:[5001]", 4: "socket:[5002]"},
	}, map[int]string{100: "a"})
	c := &ownerCache{}
	if socks, _ := cacheFind(t, c, root, 5001, 5002); len(socks[0].Owners) != 1 {
		t.Fatalf("start: owners %v", socks[0].Owners)
	}
	relink(t, root, 100, 3, "/dev/null")
	gone := -1
	for i := range auditPeriod + 1 {
		socks, _ := cacheFind(t, c, root, 5001, 5002)
		if len(socks[0].Owners) == 0 {
			gone = i
			break
		}
	}
	if gone < 0 {
		t.Fatalf("the stale owner of 5001 outlived %d refreshes", auditPeriod+1)
	}
	for range 3 {
		socks, _ := cacheFind(t, c, root, 5001, 5002)
		if len(socks[0].Owners) != 0 || !slices.Equal(ownersOf(socks)[1], []string{"100/4"}) {
			t.Fatalf("after the recheck: owners %v, want none for 5001 and 100/4 for 5002", ownersOf(socks))
		}
	}
}
