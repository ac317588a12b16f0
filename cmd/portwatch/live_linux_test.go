package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// holdSocket starts a child process that holds f (as its fd 3) until the
// test ends, and returns its PID. The test keeps its own copy of f.
func holdSocket(t *testing.T, f *os.File, comm string) int {
	t.Helper()
	return startChild(t, []string{os.Args[0]}, []string{"PORTWATCH_TEST_COMM=" + comm}, f).pid
}

// child is a helper process started by startChild.
type child struct {
	pid  int
	stop func() // ends the child and waits for it; safe to call twice
}

// startChild runs argv (this test binary, a copy of it, perhaps behind
// setpriv) as a helper that holds files as fds 3, 4, ... until stop or the
// end of the test, and waits until it says it is ready.
func startChild(t *testing.T, argv, env []string, files ...*os.File) *child {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), childRoleEnv+"=hold"), env...)
	cmd.ExtraFiles = files
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
		t.Fatalf("starting %v: %v", argv, err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child %v did not start: %q %v", argv, line, err)
	}
	return &child{pid: cmd.Process.Pid, stop: stop}
}

// listenerFile opens a TCP listener on addr and returns it as a file that a
// child can inherit; the test's own listener is closed.
func listenerFile(t *testing.T, addr string) (*os.File, int) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	t.Cleanup(func() { f.Close() })
	return f, port
}

// socketInode returns the inode of a socket's file.
func socketInode(t *testing.T, c interface{ File() (*os.File, error) }) uint64 {
	t.Helper()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	var ino uint64
	if _, err := fmt.Sscanf(target, "socket:[%d]", &ino); err != nil {
		t.Fatalf("fd link %q: %v", target, err)
	}
	return ino
}

// want is one socket the test expects portwatch to report.
type want struct {
	key        string
	state      string
	inode      uint64 // 0: do not check
	ownerPIDs  []int  // nil: expect owner_unknown instead
	ownerWhy   string
	familyWant string
}

func tcpKey(local, remote net.Addr) string {
	return "tcp " + local.String() + " " + remote.String()
}

// openStates opens, on host (127.0.0.1 or ::1), a socket in every TCP state
// a test can hold still plus UDP bound and connected ones, and returns what
// portwatch should report for them.
func openStates(t *testing.T, host string) []want {
	t.Helper()
	me := []int{os.Getpid()}
	family := "ipv4"
	if strings.Contains(host, ":") {
		family = "ipv6"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	pair := func() (*net.TCPConn, *net.TCPConn) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(); s.Close() })
		return c.(*net.TCPConn), s.(*net.TCPConn)
	}
	unspec := "0.0.0.0:0"
	if family == "ipv6" {
		unspec = "[::]:0"
	}
	wants := []want{{key: "tcp " + ln.Addr().String() + " " + unspec, state: "LISTEN",
		inode: socketInode(t, ln.(*net.TCPListener)), ownerPIDs: me, familyWant: family}}

	c1, s1 := pair() // ESTABLISHED both ways
	wants = append(wants,
		want{key: tcpKey(c1.LocalAddr(), c1.RemoteAddr()), state: "ESTABLISHED", inode: socketInode(t, c1), ownerPIDs: me, familyWant: family},
		want{key: tcpKey(s1.LocalAddr(), s1.RemoteAddr()), state: "ESTABLISHED", inode: socketInode(t, s1), ownerPIDs: me, familyWant: family})

	c2, s2 := pair() // half-closed: FIN_WAIT2 on the closer, CLOSE_WAIT on the peer
	if err := c2.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	wants = append(wants,
		want{key: tcpKey(c2.LocalAddr(), c2.RemoteAddr()), state: "FIN_WAIT2", inode: socketInode(t, c2), ownerPIDs: me, familyWant: family},
		want{key: tcpKey(s2.LocalAddr(), s2.RemoteAddr()), state: "CLOSE_WAIT", inode: socketInode(t, s2), ownerPIDs: me, familyWant: family})

	c3, s3 := pair() // TIME_WAIT on the side that closes first
	twKey := tcpKey(c3.LocalAddr(), c3.RemoteAddr())
	c3.Close()
	buf := make([]byte, 1)
	s3.Read(buf) // wait for the FIN
	s3.Close()
	wants = append(wants, want{key: twKey, state: "TIME_WAIT", ownerWhy: "kernel", familyWant: family})

	udpNet := "udp4"
	if family == "ipv6" {
		udpNet = "udp6"
	}
	u1, err := net.ListenUDP(udpNet, &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u1.Close() })
	u2, err := net.DialUDP(udpNet, nil, u1.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u2.Close() })
	wants = append(wants,
		want{key: "udp " + u1.LocalAddr().String() + " " + unspec, state: "UNCONN", inode: socketInode(t, u1), ownerPIDs: me, familyWant: family},
		want{key: "udp " + u2.LocalAddr().String() + " " + u2.RemoteAddr().String(), state: "ESTABLISHED", inode: socketInode(t, u2), ownerPIDs: me, familyWant: family})
	return wants
}

func ownerPIDs(s jsonSocket) []int {
	var pids []int
	for _, o := range s.Owners {
		if !slices.Contains(pids, o.PID) {
			pids = append(pids, o.PID)
		}
	}
	return pids
}

// checkWants asserts that snap reports every wanted socket as expected, and
// returns the problems found.
func checkWants(snap jsonSnapshot, wants []want) []string {
	byKey := map[string]jsonSocket{}
	for _, s := range snap.Sockets {
		byKey[s.key()] = s
	}
	var problems []string
	for _, w := range wants {
		s, ok := byKey[w.key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: missing (want %s)", w.key, w.state))
			continue
		case s.State != w.state:
			problems = append(problems, fmt.Sprintf("%s: state %s, want %s", w.key, s.State, w.state))
		case s.Family != w.familyWant:
			problems = append(problems, fmt.Sprintf("%s: family %s, want %s", w.key, s.Family, w.familyWant))
		case w.inode != 0 && s.Inode != w.inode:
			problems = append(problems, fmt.Sprintf("%s: inode %d, want %d", w.key, s.Inode, w.inode))
		case w.ownerPIDs != nil && !slices.Equal(ownerPIDs(s), w.ownerPIDs):
			problems = append(problems, fmt.Sprintf("%s: owners %v, want %v", w.key, ownerPIDs(s), w.ownerPIDs))
		case w.ownerPIDs != nil && s.PID != w.ownerPIDs[0]:
			problems = append(problems, fmt.Sprintf("%s: pid %d, want %d", w.key, s.PID, w.ownerPIDs[0]))
		case w.ownerPIDs == nil && (len(s.Owners) != 0 || s.OwnerUnknown != w.ownerWhy):
			problems = append(problems, fmt.Sprintf("%s: owners %v (%q), want none (%q)", w.key, s.Owners, s.OwnerUnknown, w.ownerWhy))
		}
	}
	return problems
}

// eventually retries check until it reports no problems or 3 s pass: TCP
// state changes on loopback take a moment after the syscall returns.
func eventually(t *testing.T, what string, check func() []string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		problems := check()
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s:\n  %s", what, strings.Join(problems, "\n  "))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLiveStatesAndOwners(t *testing.T) {
	wants := append(openStates(t, "127.0.0.1"), openStates(t, "::1")...)
	for _, source := range []string{"netlink", "procfs"} {
		eventually(t, "portwatch -a -o --source "+source, func() []string {
			return checkWants(snapshotJSON(t, "-a", "-o", "--source", source), wants)
		})
	}
	// The owner walk happens only when owners are asked for.
	snap := snapshotJSON(t, "-a")
	for _, s := range snap.Sockets {
		if len(s.Owners) != 0 || s.PID != 0 {
			t.Fatalf("owners reported without -o: %+v", s)
		}
	}
}

func TestNetstatHabits(t *testing.T) {
	wants := openStates(t, "127.0.0.1")
	listen, est := wants[0], wants[1]
	_, lport, _ := net.SplitHostPort(strings.Fields(listen.key)[1])
	me := strconv.Itoa(os.Getpid())

	eventually(t, "-tulpn shows the listener with its program, no established", func() []string {
		r := portwatch(t, "-tulpn")
		var p []string
		if r.code != 0 {
			p = append(p, fmt.Sprintf("exit %d: %s", r.code, r.stderr))
		}
		if !strings.Contains(r.stdout, "127.0.0.1:"+lport) || !strings.Contains(r.stdout, me+"/") {
			p = append(p, "listener or its PID/program missing:\n"+r.stdout)
		}
		if strings.Contains(r.stdout, "ESTABLISHED") {
			p = append(p, "-l shows an established socket:\n"+r.stdout)
		}
		return p
	})
	eventually(t, "-ano shows listener and connection with PIDs", func() []string {
		r := portwatch(t, "-ano", "--sport", lport)
		var p []string
		for _, w := range []string{"LISTEN", "ESTABLISHED", "PID/Program", me + "/"} {
			if !strings.Contains(r.stdout, w) {
				p = append(p, fmt.Sprintf("no %q in:\n%s", w, r.stdout))
			}
		}
		return p
	})
	// netstat's default: no listeners without -a.
	r := portwatch(t, "-tn", "--sport", lport)
	if strings.Contains(r.stdout, "LISTEN") || !strings.Contains(r.stdout, "ESTABLISHED") {
		t.Errorf("-tn without -a should show connections only:\n%s", r.stdout)
	}
	// --state and --dport filters.
	snap := snapshotJSON(t, "-a", "--state", "established", "--dport", lport)
	if len(snap.Sockets) == 0 {
		t.Fatalf("--dport %s --state established found nothing", lport)
	}
	for _, s := range snap.Sockets {
		if s.State != "ESTABLISHED" || strconv.Itoa(s.RemotePort) != lport {
			t.Errorf("filter leaked %s %s", s.key(), s.State)
		}
	}
	_ = est
	// CSV has a header and the same columns as JSON.
	r = portwatch(t, "-a", "--format", "csv", "--sport", lport, "--state", "listen")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "proto,family,local_addr,local_port,") {
		t.Errorf("csv: %q", r.stdout)
	}
	r = portwatch(t, "-a", "--format", "csv", "--no-header", "--sport", lport, "--state", "listen")
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 || strings.Contains(r.stdout, "local_addr") {
		t.Errorf("csv --no-header: %q", r.stdout)
	}
	// -s counts.
	r = portwatch(t, "-s")
	if r.code != 0 || !strings.Contains(r.stdout, "LISTEN") || !strings.Contains(strings.ToLower(r.stdout), "total") {
		t.Errorf("-s: exit %d\n%s", r.code, r.stdout)
	}
}

func TestSharedListenerListsEveryHolder(t *testing.T) {
	f, port := listenerFile(t, "127.0.0.1:0")
	a := holdSocket(t, f, "prefork-a")
	b := holdSocket(t, f, "prefork-b")
	f.Close() // only the children hold it now
	p := strconv.Itoa(port)

	snap := snapshotJSON(t, "-lt", "-o", "--sport", p)
	if len(snap.Sockets) != 1 {
		t.Fatalf("want one listener on %s, got %+v", p, snap.Sockets)
	}
	s := snap.Sockets[0]
	wantPIDs := []int{min(a, b), max(a, b)}
	if !slices.Equal(ownerPIDs(s), wantPIDs) || s.PID != wantPIDs[0] {
		t.Errorf("owners %+v (pid %d), want %v", s.Owners, s.PID, wantPIDs)
	}
	for _, o := range s.Owners {
		if (o.PID == a && o.Process != "prefork-a") || (o.PID == b && o.Process != "prefork-b") || o.FD != 3 {
			t.Errorf("owner %+v: wrong name or fd (want fd 3)", o)
		}
	}
	r := portwatch(t, "-tlnp", "--sport", p)
	for _, w := range []string{fmt.Sprintf("%d/prefork-a", a), fmt.Sprintf("%d/prefork-b", b)} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q:\n%s", w, r.stdout)
		}
	}
	// Filters on owners.
	snap = snapshotJSON(t, "-lt", "--pid", strconv.Itoa(b), "--sport", p)
	if len(snap.Sockets) != 1 {
		t.Errorf("--pid %d: %d sockets, want the shared listener", b, len(snap.Sockets))
	}
	snap = snapshotJSON(t, "-lt", "--process", "prefork-a")
	if len(snap.Sockets) != 1 || snap.Sockets[0].LocalPort != port {
		t.Errorf("--process prefork-a: %+v", snap.Sockets)
	}
	snap = snapshotJSON(t, "-lt", "--process", "no-such-process-here")
	if len(snap.Sockets) != 0 {
		t.Errorf("--process no-such-process-here matched %+v", snap.Sockets)
	}
}

func TestHostileProcessNameCannotForgeRows(t *testing.T) {
	const evil = "ev\n\x1b[31mil\r\x07" // 14 bytes: fits in comm
	f, port := listenerFile(t, "127.0.0.1:0")
	pid := holdSocket(t, f, evil)
	f.Close()
	p := strconv.Itoa(port)

	r := portwatch(t, "-tlp", "--sport", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Errorf("want a header and one row, got %d lines:\n%q", len(lines), r.stdout)
	}
	for i := 0; i < len(r.stdout); i++ {
		if c := r.stdout[i]; (c < 0x20 && c != '\n') || c == 0x7f {
			t.Fatalf("raw control byte %#x in table output %q", c, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, strconv.Itoa(pid)+`/ev\n\x1b[31mil\r\a`) &&
		!strings.Contains(r.stdout, strconv.Itoa(pid)+`/ev\n\x1b[31mil\r\x07`) {
		t.Errorf("escaped name not shown readably:\n%s", r.stdout)
	}
	// JSON keeps the exact bytes, validly escaped.
	snap := snapshotJSON(t, "-lt", "-o", "--sport", p)
	if len(snap.Sockets) != 1 || snap.Sockets[0].Process != evil {
		t.Errorf("JSON process = %+v, want %q", snap.Sockets, evil)
	}
	// CSV is sanitized as well.
	r = portwatch(t, "-lt", "-o", "--sport", p, "--format", "csv", "--no-header")
	if strings.Count(r.stdout, "\n") != 1 || strings.ContainsAny(r.stdout, "\x1b\r\x07") {
		t.Errorf("csv row not one safe line: %q", r.stdout)
	}
}

func TestBrokenPipeIsQuiet(t *testing.T) {
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rd.Close() // every write now fails with EPIPE
	cmd := exec.Command(binPath, "-a")
	cmd.Stdout = wr
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	wr.Close()
	if err != nil || stderr.Len() != 0 {
		t.Errorf("writing to a closed pipe: %v, stderr %q; want exit 0 and silence", err, stderr.String())
	}
	// And the everyday form of it, through a shell.
	bash := testenv.NeedProgram(t, "bash", "bash")
	testenv.NeedProgram(t, "head", "coreutils")
	r := runCmd(t, exec.Command(bash, "-o", "pipefail", "-c", binPath+" -a -e | head -1"))
	if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("portwatch -a | head -1: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestUnprivilegedUser(t *testing.T) {
	testenv.NeedRoot(t, "switch to an unprivileged user with setpriv")
	testenv.NeedProgram(t, "setpriv", "util-linux")
	ln, err := net.Listen("tcp", "127.0.0.1:0") // held by root: hidden from nobody
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	as := func(args ...string) result {
		return runCmd(t, exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", binPath}, args...)...))
	}
	r := as("-a", "-o")
	if r.code != 0 {
		t.Fatalf("as nobody: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("as nobody, root's listener on %d is not listed:\n%s", port, r.stdout)
	}
	if strings.Count(r.stderr, "hidden") != 1 || !strings.Contains(r.stderr, "root") {
		t.Errorf("as nobody, want one note about hidden owners naming root, got %q", r.stderr)
	}
	r = as("-a", "-o", "--json", "--sport", strconv.Itoa(port))
	if r.code != 0 || !strings.Contains(r.stdout, `"owner_unknown":"permission"`) {
		t.Errorf("as nobody, JSON should say permission for root's listener: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Without owners there is nothing hidden to talk about.
	r = as("-a")
	if r.code != 0 || strings.Contains(r.stderr, "hidden") {
		t.Errorf("as nobody without -o: exit %d, stderr %q", r.code, r.stderr)
	}
}
