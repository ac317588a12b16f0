package collector

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// The caller's namespace is listed first, once, as Current, with this
// process inside; its inode is what /proc/self/ns/net names.
func TestListNetnsHasOwn(t *testing.T) {
	list, err := ListNetns("", "")
	if err != nil {
		t.Fatal(err)
	}
	self, err := netnsOfLink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Namespaces) == 0 || !list.Namespaces[0].Current || list.Namespaces[0].Inode != self {
		t.Fatalf("first namespace %+v, want the current one, %d", list.Namespaces, self)
	}
	seen := map[uint64]bool{}
	for _, n := range list.Namespaces {
		if seen[n.Inode] {
			t.Errorf("namespace %d listed twice", n.Inode)
		}
		seen[n.Inode] = true
		if n.Current != (n.Inode == self) {
			t.Errorf("namespace %+v: Current is wrong", n)
		}
	}
	n, err := ResolveNetns(strconv.Itoa(os.Getpid()), "", "")
	if err != nil || n.Inode != self || !n.Current {
		t.Errorf("ResolveNetns(own pid) = %+v, %v", n, err)
	}
	var bad *BadNetnsError
	for _, spec := range []string{"", "no-such-ns-anywhere", "/proc/self/status", "0", "../x"} {
		if _, err := ResolveNetns(spec, "", ""); !errors.As(err, &bad) {
			t.Errorf("ResolveNetns(%q): %v, want a BadNetnsError", spec, err)
		}
	}
}

// Reading the caller's namespace through Namespaces gives the same
// sockets as the plain read, each marked with the namespace; a listener
// this test opens is among them.
func TestCollectOwnNamespace(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	n, err := ResolveNetns(strconv.Itoa(os.Getpid()), "", "")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Protos: []Proto{ProtoTCP}, Filter: Filter{States: AllStates, LocalPort: port}}
	opts.Namespaces = []Netns{n}
	snap := mustSnapshot(t, opts)
	if len(snap.Sockets) != 1 || snap.Sockets[0].Netns != n.Inode || snap.Sockets[0].Local.Port() != port {
		t.Errorf("sockets %+v, want the listener on %d in namespace %d", snap.Sockets, port, n.Inode)
	}
	if len(snap.Namespaces) != 1 || snap.Namespaces[0].Inode != n.Inode {
		t.Errorf("namespaces %+v", snap.Namespaces)
	}
}

// Another namespace is entered for its sock_diag socket, and read through
// /proc/<pid>/net with --source procfs: both give its listener, and this
// thread is back in its own namespace afterwards.
func TestCollectOtherNamespace(t *testing.T) {
	testenv.NeedRoot(t, "create a network namespace")
	testenv.NeedProgram(t, "unshare", "util-linux")
	testenv.NeedProgram(t, "ip", "iproute2")
	// This test binary's listening helper, in a namespace of its own.
	cmd := exec.Command("unshare", "--net", "sh", "-c", `ip link set lo up && exec "$0" -test.run=^TestHelperListen$`, os.Args[0])
	cmd.Env = append(os.Environ(), "PORTWATCH_COLLECTOR_HELPER=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	buf := make([]byte, 64)
	k, err := stdout.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(string(buf[:k-1]))
	if err != nil {
		t.Fatalf("helper said %q", buf[:k])
	}
	pid := cmd.Process.Pid
	ns, err := ResolveNetns(strconv.Itoa(pid), "", "")
	if err != nil || ns.Current {
		t.Fatalf("ResolveNetns(%d) = %+v, %v; want another namespace", pid, ns, err)
	}
	home, _ := netnsOfLink("/proc/thread-self/ns/net")
	for _, src := range []Source{SourceNetlink, SourceProcfs} {
		opts := Options{Source: src, Protos: []Proto{ProtoTCP}, Filter: Filter{States: AllStates}, Owners: true, Namespaces: []Netns{ns}}
		c, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := c.Collect(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		found := false
		for _, s := range snap.Sockets {
			if s.Netns != ns.Inode {
				t.Errorf("%s: socket %+v not in namespace %d", src, s, ns.Inode)
			}
			if s.Local.Port() == uint16(port) && s.State == StateListen {
				found = len(s.Owners) > 0 && s.Owners[0].PID == pid
			}
		}
		if !found || snap.Source != src {
			t.Errorf("%s: the helper's listener on %d, owned by %d, not found (source %s): %+v", src, port, pid, snap.Source, snap.Sockets)
		}
		if again, _ := netnsOfLink("/proc/thread-self/ns/net"); again != home {
			t.Errorf("%s: this thread is left in namespace %d, not %d", src, again, home)
		}
	}
}

// TestHelperListen is the helper of TestCollectOtherNamespace: it listens
// on 127.0.0.1, prints the port and waits for its stdin to close.
func TestHelperListen(t *testing.T) {
	if os.Getenv("PORTWATCH_COLLECTOR_HELPER") != "1" {
		t.Skip("a helper process of TestCollectOtherNamespace")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString(strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "\n")
	buf := make([]byte, 1)
	os.Stdin.Read(buf)
	ln.Close()
}
