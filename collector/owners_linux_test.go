package collector

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// writeFakeProc builds a /proc look-alike: each pid has fd links and a comm.
func writeFakeProc(t *testing.T, procs map[int]map[int]string, comm map[int]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, fds := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid), "fd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for fd, target := range fds {
			if err := os.Symlink(target, filepath.Join(dir, strconv.Itoa(fd))); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, strconv.Itoa(pid), "comm"), []byte(comm[pid]+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Entries that are not processes must be ignored.
	if err := os.MkdirAll(filepath.Join(root, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFindOwnersFixture(t *testing.T) {
	root := writeFakeProc(t, map[int]map[int]string{
		100: {0: "/dev/null", 3: "socket:[5001]", 4: "pipe:[9]"},
		101: {3: "socket:[5001]", 7: "socket:[5002]"},
		102: {5: "socket:[9999]"},
	}, map[int]string{100: "nginx", 101: "nginx: worker", 102: "other"})

	// A process that exited between listing /proc and reading its fds.
	if err := os.Mkdir(filepath.Join(root, "103"), 0o755); err != nil {
		t.Fatal(err)
	}

	socks := []Socket{{Inode: 5001}, {Inode: 5002}, {Inode: 0}, {Inode: 5003, UID: os.Geteuid()}}
	if err := findOwners(context.Background(), root, socks, false, func(m string) { t.Errorf("warning: %s", m) }); err != nil {
		t.Fatal(err)
	}
	if got := socks[0].Owners; len(got) != 2 || got[0] != (Owner{100, "nginx", 3}) || got[1] != (Owner{101, "nginx: worker", 3}) {
		t.Errorf("inode 5001 owners = %+v", got)
	}
	if got := socks[1].Owners; len(got) != 1 || got[0] != (Owner{101, "nginx: worker", 7}) {
		t.Errorf("inode 5002 owners = %+v", got)
	}
	if socks[2].OwnerUnknown != OwnerKernel || len(socks[2].Owners) != 0 {
		t.Errorf("inode 0: %+v, want no owners, kernel", socks[2])
	}
	// Nobody holds 5003 and a process exited mid-walk: not an error, and
	// for root (who may read every fd table) the reason is "exited".
	if len(socks[3].Owners) != 0 || socks[3].OwnerUnknown == OwnerKnown {
		t.Errorf("inode 5003 held by nobody: %+v, want a reason", socks[3])
	}
	if os.Geteuid() == 0 && socks[3].OwnerUnknown != OwnerExited {
		t.Errorf("inode 5003 as root: reason %q, want exited", socks[3].OwnerUnknown)
	}
}

func TestFindOwnersLive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File() // a second fd on the same socket
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	ino, ok := parseSocketLink([]byte(target))
	if !ok {
		t.Fatalf("fd link %q is not a socket", target)
	}
	socks := []Socket{{Inode: ino, UID: os.Geteuid()}}
	if err := findOwners(context.Background(), "/proc", socks, false, func(string) {}); err != nil {
		t.Fatal(err)
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	var fds []int
	for _, o := range socks[0].Owners {
		if o.PID != os.Getpid() || o.Process != strings.TrimSpace(string(comm)) {
			t.Errorf("unexpected owner %+v (want pid %d)", o, os.Getpid())
		}
		fds = append(fds, o.FD)
	}
	if len(fds) != 2 || (fds[0] != int(f.Fd()) && fds[1] != int(f.Fd())) {
		t.Errorf("owner fds = %v, want the listener's fd and %d", fds, f.Fd())
	}
}

func TestFindOwnersListsEverySharedListenerHolder(t *testing.T) {
	// Many processes, the listener held by three of them: the walk must not
	// stop at the first holder.
	procs := map[int]map[int]string{}
	comm := map[int]string{}
	for pid := 200; pid < 240; pid++ {
		procs[pid] = map[int]string{0: "/dev/null", 1: "socket:[" + strconv.Itoa(9000+pid) + "]"}
		comm[pid] = "other"
	}
	for _, pid := range []int{203, 217, 238} {
		procs[pid][5] = "socket:[7777]"
		comm[pid] = "prefork"
	}
	root := writeFakeProc(t, procs, comm)
	socks := []Socket{{Inode: 7777, State: StateListen, Proto: ProtoTCP}, {Inode: 9205, State: StateEstablished, Proto: ProtoTCP}}
	if err := findOwners(context.Background(), root, socks, false, func(m string) { t.Errorf("warning: %s", m) }); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, o := range socks[0].Owners {
		pids = append(pids, o.PID)
	}
	if len(pids) != 3 || pids[0] != 203 || pids[1] != 217 || pids[2] != 238 {
		t.Errorf("listener owners %v, want [203 217 238]", pids)
	}
	if o := socks[1].Owners; len(o) != 1 || o[0].PID != 205 {
		t.Errorf("connection owners %+v, want pid 205", o)
	}
}

func TestWalkStopsEarlyOnlyWhenAsked(t *testing.T) {
	w := &fdWalk{nsocks: 3, stopEarly: true, found: make([]atomic.Bool, 3)}
	w.remaining.Store(2)
	wk := &fdWalker{walk: w}
	wk.hit(0, 100, 3, false)
	wk.hit(0, 101, 3, false) // a second holder of the same socket counts once
	if w.done() {
		t.Fatal("done with one of two sockets found")
	}
	wk.hit(2, 100, 4, false)
	if !w.done() {
		t.Fatal("not done with every socket found")
	}
	w.stopEarly = false // a listener is wanted, or every holder: walk everything
	if w.done() {
		t.Fatal("done although the whole walk was asked for")
	}
}

// TestFindOwnersEveryHolderOfASharedConnection holds one end of a real
// connection in this process and in a child started after it (a
// connection shared after fork): a lookup that filters on owners asks for
// every holder and must get both, whichever the walk meets first.
func TestFindOwnersEveryHolderOfASharedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	f, err := conn.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sleep", "60")
	child.ExtraFiles = []*os.File{f}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	f.Close()
	waitStill(t, child.Process.Pid)

	ino := socketInode(t, conn.(*net.TCPConn))
	for range 5 {
		socks := []Socket{{Inode: ino, Proto: ProtoTCP, State: StateEstablished, UID: os.Geteuid()}}
		if err := findOwners(context.Background(), "/proc", socks, true, func(m string) { t.Errorf("warning: %s", m) }); err != nil {
			t.Fatal(err)
		}
		pids := map[int]bool{}
		for _, o := range socks[0].Owners {
			pids[o.PID] = true
		}
		if !pids[os.Getpid()] || !pids[child.Process.Pid] {
			t.Fatalf("holders %+v, want this process (%d) and the child (%d)", socks[0].Owners, os.Getpid(), child.Process.Pid)
		}
	}
}
