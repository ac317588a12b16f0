package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// ssSocket is one socket as `ss -tuanpeH` prints it.
type ssSocket struct {
	key  string // proto family local remote state inode
	pids []int
}

// ssStates maps ss's state names to portwatch's.
var ssStates = map[string]string{
	"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
	"FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT",
	"CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN",
	"CLOSING": "CLOSING", "UNCONN": "UNCONN",
}

var (
	ssInode = regexp.MustCompile(`\bino:(\d+)`)
	ssPID   = regexp.MustCompile(`pid=(\d+),fd=\d+\)`)
)

// parseSSAddr turns ss's "127.0.0.1:22", "[::1]:22", "127.0.0.53%lo:53",
// "0.0.0.0:*" or "*:22" into "family address port".
func parseSSAddr(s string) (string, bool) {
	host, port, ok := cutLast(s, ":")
	if !ok {
		return "", false
	}
	ipv6 := strings.HasPrefix(host, "[")
	host = strings.Trim(host, "[]")
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	if host == "*" {
		// ss prints a dual-stack IPv6 socket bound to :: as "*".
		host, ipv6 = "::", true
	}
	if port == "*" {
		port = "0"
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "", false
	}
	fam := "ipv4"
	if ipv6 {
		fam = "ipv6"
	}
	return fam + " " + a.Unmap().String() + " " + port, true
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+len(sep):], true
}

// ssSnapshot runs ss and returns its sockets by key.
func ssSnapshot(t *testing.T) map[string]ssSocket {
	t.Helper()
	return ssSnapshotOf(t)
}

// ssSnapshotOf runs `ss -tuanpeH` behind the command prefix (nsenter or
// ip netns exec, to run it in another namespace) and returns its sockets
// by key.
func ssSnapshotOf(t *testing.T, prefix ...string) map[string]ssSocket {
	t.Helper()
	argv := append(slices.Clone(prefix), "ss", "-tuanpeH")
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	socks := map[string]ssSocket{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		state, ok := ssStates[f[1]]
		if !ok {
			t.Fatalf("ss printed an unknown state %q in %q", f[1], line)
		}
		local, ok1 := parseSSAddr(f[4])
		remote, ok2 := parseSSAddr(f[5])
		if !ok1 || !ok2 {
			t.Fatalf("cannot parse ss addresses in %q", line)
		}
		if f[0] == "tcp" && state == "UNCONN" {
			state = "CLOSE"
		}
		ino := "0"
		if m := ssInode.FindStringSubmatch(line); m != nil {
			ino = m[1]
		}
		fam, localAddr, _ := strings.Cut(local, " ")
		_, remoteAddr, _ := strings.Cut(remote, " ")
		s := ssSocket{key: strings.Join([]string{f[0], fam, localAddr, remoteAddr, state, ino}, " ")}
		for _, m := range ssPID.FindAllStringSubmatch(line, -1) {
			pid, _ := strconv.Atoi(m[1])
			if !slices.Contains(s.pids, pid) {
				s.pids = append(s.pids, pid)
			}
		}
		sort.Ints(s.pids)
		socks[s.key] = s
	}
	return socks
}

// pwKey is the same key for a portwatch JSON socket.
func pwKey(s jsonSocket) string {
	unmap := func(a string) string {
		if ip, err := netip.ParseAddr(a); err == nil {
			return ip.Unmap().String()
		}
		return a
	}
	return fmt.Sprintf("%s %s %s %d %s %d %s %d", s.Proto, s.Family, unmap(s.LocalAddr), s.LocalPort,
		unmap(s.RemoteAddr), s.RemotePort, s.State, s.Inode)
}

// compareStable checks that the sockets ss reported identically before and
// after portwatch ran are exactly portwatch's, with the same owners; and that
// portwatch reported nothing ss saw in neither run.
func compareStable(before, after map[string]ssSocket, pw jsonSnapshot, withOwners bool) []string {
	got := map[string]jsonSocket{}
	for _, s := range pw.Sockets {
		got[pwKey(s)] = s
	}
	var problems []string
	stable := 0
	for k, b := range before {
		a, ok := after[k]
		if !ok || !slices.Equal(a.pids, b.pids) {
			continue // changed while the test ran
		}
		stable++
		s, ok := got[k]
		if !ok {
			problems = append(problems, "ss lists, portwatch misses: "+k)
			continue
		}
		if withOwners && !slices.Equal(ownerPIDs(s), b.pids) && len(b.pids) > 0 {
			problems = append(problems, fmt.Sprintf("%s: owners %v, ss says %v", k, ownerPIDs(s), b.pids))
		}
	}
	for k, s := range got {
		_, inBefore := before[k]
		_, inAfter := after[k]
		if !inBefore && !inAfter && s.State != "TIME_WAIT" && s.State != "SYN_RECV" && s.State != "SYN_SENT" {
			problems = append(problems, "portwatch lists, ss never saw: "+k)
		}
	}
	if stable == 0 {
		problems = append(problems, "no stable sockets to compare")
	}
	return problems
}

// openMixedLoad opens a varied socket population on loopback: listeners on
// both families, connections, half-closed ones, UDP, and a listener held by
// two child processes.
func openMixedLoad(t *testing.T) {
	openStates(t, "127.0.0.1")
	openStates(t, "::1")
	f, _ := listenerFile(t, "[::1]:0")
	holdSocket(t, f, "diff-a")
	holdSocket(t, f, "diff-b")
	f.Close()
	// An IPv4 client of a dual-stack listener: IPv4-mapped addresses.
	ln, err := net.Listen("tcp", "[::]:0")
	if err != nil {
		testenv.SkipOrFail(t, "no dual-stack listener here: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
}

func TestDifferentialAgainstSS(t *testing.T) {
	testenv.NeedProgram(t, "ss", "iproute2")
	// As another user ss and portwatch each show the owners of that
	// user's processes only: the owners are compared as root.
	withOwners := os.Geteuid() == 0
	if !withOwners {
		if testenv.Required() {
			t.Fatalf("%s=1, but not root: the owners cannot be compared with ss's", testenv.RequireEnv)
		}
		t.Log("not root: the owners are not compared")
	}
	openMixedLoad(t)
	eventually(t, "portwatch -a -o versus ss -tuanpe", func() []string {
		before := ssSnapshot(t)
		pw := snapshotJSON(t, "-a", "-o")
		after := ssSnapshot(t)
		return compareStable(before, after, pw, withOwners)
	})
	eventually(t, "portwatch --source procfs versus ss -tuanpe", func() []string {
		before := ssSnapshot(t)
		pw := snapshotJSON(t, "-a", "-o", "--source", "procfs")
		after := ssSnapshot(t)
		return compareStable(before, after, pw, withOwners)
	})
}

func TestNetlinkAndProcfsAgree(t *testing.T) {
	openMixedLoad(t)
	eventually(t, "netlink versus procfs", func() []string {
		keys := func(snap jsonSnapshot) map[string]bool {
			m := map[string]bool{}
			for _, s := range snap.Sockets {
				m[pwKey(s)+" uid="+strconv.Itoa(s.UID)] = true
			}
			return m
		}
		n1 := keys(snapshotJSON(t, "-a", "--source", "netlink"))
		p := keys(snapshotJSON(t, "-a", "--source", "procfs"))
		n2 := keys(snapshotJSON(t, "-a", "--source", "netlink"))
		var problems []string
		for k := range n1 {
			if n2[k] && !p[k] {
				problems = append(problems, "netlink only: "+k)
			}
		}
		for k := range p {
			if !n1[k] && !n2[k] && !strings.Contains(k, "TIME_WAIT") {
				problems = append(problems, "procfs only: "+k)
			}
		}
		if len(n1) == 0 {
			problems = append(problems, "netlink listed nothing")
		}
		return problems
	})
}
