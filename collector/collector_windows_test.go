//go:build windows

package collector

// These tests read the real socket table through iphlpapi.dll. CI runs them
// on Linux under Wine (make test-windows), where Wine's iphlpapi reports the
// Linux host's sockets, so they use only loopback sockets this test opens.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/portwatch/portwatch/internal/testenv"
)

// loopback is the set of sockets a test opens on loopback.
type loopback struct {
	ln4, ln6       net.Listener   // ln6 is nil when IPv6 loopback is not available
	client, server net.Conn       // a connection to ln4, both ends
	udp            netip.AddrPort // a UDP socket bound on 127.0.0.1
	noV6           string         // why ln6 is nil
}

func openLoopback(t *testing.T) *loopback {
	t.Helper()
	lb := &loopback{}
	var err error
	if lb.ln4, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.ln4.Close() })
	if lb.ln6, err = net.Listen("tcp6", "[::1]:0"); err != nil {
		lb.ln6, lb.noV6 = nil, err.Error()
	} else {
		t.Cleanup(func() { lb.ln6.Close() })
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := lb.ln4.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	if lb.client, err = net.Dial("tcp4", lb.ln4.Addr().String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.client.Close() })
	var ok bool
	if lb.server, ok = <-accepted; !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { lb.server.Close() })
	lb.udp = bindUDP4(t)
	return lb
}

// bindUDP4 binds a UDP socket on 127.0.0.1 with Winsock itself: Go's net
// package sets SIO_UDP_NETRESET on every UDP socket, which Wine 8 rejects
// (WSAEOPNOTSUPP), so net.ListenPacket fails there.
func bindUDP4(t *testing.T) netip.AddrPort {
	t.Helper()
	h, err := windows.Socket(windows.AF_INET, windows.SOCK_DGRAM, windows.IPPROTO_UDP)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { windows.Closesocket(h) })
	if err := windows.Bind(h, &windows.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	sa, err := windows.Getsockname(h)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	in4, ok := sa.(*windows.SockaddrInet4)
	if !ok {
		t.Fatalf("getsockname: %T", sa)
	}
	return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port))
}

func addrPort(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// find returns the socket of proto with these endpoints, or nil.
func find(snap *Snapshot, p Proto, local, remote netip.AddrPort) *Socket {
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if s.Proto == p && s.Local == local && s.Remote == remote {
			return s
		}
	}
	return nil
}

func collectOrFail(t *testing.T, opts Options) *Snapshot {
	t.Helper()
	snap := mustSnapshot(t, opts)
	if snap.Source != SourceIPHelper {
		t.Errorf("source %q, want %q", snap.Source, SourceIPHelper)
	}
	for _, w := range snap.Warnings {
		t.Logf("warning: %s", w)
	}
	return snap
}

func TestCollectLoopbackSockets(t *testing.T) {
	lb := openLoopback(t)
	snap := collectOrFail(t, Options{Owners: true, Filter: Filter{States: AllStates}})
	t.Logf("%d sockets (running under Wine: %v)", len(snap.Sockets), underWine())

	any4 := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	any6 := netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
	type want struct {
		name          string
		p             Proto
		f             Family
		local, remote netip.AddrPort
		state         State
		// winePID: Wine 8 too supplies this socket's PID (it finds the
		// connecting end among its own processes' descriptors).
		winePID bool
	}
	wants := []want{
		{"tcp4 listener", ProtoTCP, FamilyIPv4, addrPort(t, lb.ln4.Addr()), any4, StateListen, false},
		{"client end", ProtoTCP, FamilyIPv4, addrPort(t, lb.client.LocalAddr()), addrPort(t, lb.client.RemoteAddr()), StateEstablished, true},
		{"server end", ProtoTCP, FamilyIPv4, addrPort(t, lb.server.LocalAddr()), addrPort(t, lb.server.RemoteAddr()), StateEstablished, false},
		{"udp4 socket", ProtoUDP, FamilyIPv4, lb.udp, any4, StateClose, false},
	}
	if lb.ln6 != nil {
		wants = append(wants, want{"tcp6 listener", ProtoTCP, FamilyIPv6, addrPort(t, lb.ln6.Addr()), any6, StateListen, false})
	} else {
		if testenv.Required() {
			t.Fatalf("%s=1, but no IPv6 loopback listener: %s", testenv.RequireEnv, lb.noV6)
		}
		t.Logf("no IPv6 loopback listener here (%s): the tcp6 table is not checked", lb.noV6)
	}

	exe, _ := os.Executable()
	pidsSeen := 0
	for _, w := range wants {
		s := find(snap, w.p, w.local, w.remote)
		if s == nil {
			t.Errorf("%s %v %v -> %v not in the snapshot", w.name, w.p, w.local, w.remote)
			continue
		}
		t.Logf("%s: %v %v -> %v %s owners %+v %q", w.name, s.Proto, s.Local, s.Remote, s.StateName(), s.Owners, s.OwnerUnknown)
		if s.Family != w.f || s.State != w.state || s.UID != -1 || s.Inode != 0 {
			t.Errorf("%s: %+v, want family %v, state %v, uid -1, inode 0", w.name, *s, w.f, w.state)
		}
		// Owners: Windows names the PID of every socket a process holds.
		// Wine 8 reports PID 0 for most sockets, this process's too (here
		// only the connecting end came with a PID; the listeners, the
		// accepted end and the UDP socket came with 0). So the PID and
		// name are checked only where the platform supplied a PID;
		// otherwise the socket must say why it has none, and only Wine
		// may leave it out.
		switch {
		case len(s.Owners) == 1:
			pidsSeen++
			o := s.Owners[0]
			if o.PID != os.Getpid() || o.FD != -1 {
				t.Errorf("%s: owner %+v, want PID %d (this test) and FD -1", w.name, o, os.Getpid())
			}
			if exe != "" && !strings.EqualFold(o.Process, filepath.Base(exe)) {
				t.Errorf("%s: process %q, want %q", w.name, o.Process, filepath.Base(exe))
			}
			if s.OwnerUnknown != OwnerKnown {
				t.Errorf("%s: owner and a reason %q", w.name, s.OwnerUnknown)
			}
		case len(s.Owners) == 0:
			switch {
			case !underWine():
				t.Errorf("%s: Windows reported no owner (%q) for a socket this process holds", w.name, s.OwnerUnknown)
			case w.winePID:
				t.Errorf("%s: no owner (%q), but Wine supplies this socket's PID", w.name, s.OwnerUnknown)
			case s.OwnerUnknown != OwnerUnsupported:
				// Wine's PID 0 is its own limit, not a kernel socket.
				t.Errorf("%s: no owner under Wine and reason %q, want %q", w.name, s.OwnerUnknown, OwnerUnsupported)
			}
		default:
			t.Errorf("%s: %d owners, want 1", w.name, len(s.Owners))
		}
	}
	t.Logf("%d of %d sockets came with this process's PID", pidsSeen, len(wants))
}

func TestCollectOptions(t *testing.T) {
	lb := openLoopback(t)
	ln4 := addrPort(t, lb.ln4.Addr())
	udp := lb.udp

	// Protocols and families select the tables.
	snap := collectOrFail(t, Options{Protos: []Proto{ProtoUDP}, Families: []Family{FamilyIPv4}})
	for _, s := range snap.Sockets {
		if s.Proto != ProtoUDP || s.Family != FamilyIPv4 {
			t.Fatalf("udp4 only, got %v %v %v", s.Proto, s.Family, s.Local)
		}
		if s.Owners != nil || s.OwnerUnknown != OwnerKnown {
			t.Fatalf("owners without Options.Owners: %+v", s)
		}
	}
	if find(snap, ProtoUDP, udp, netip.AddrPortFrom(netip.IPv4Unspecified(), 0)) == nil {
		t.Errorf("udp4 socket %v missing", udp)
	}
	if lb.ln6 != nil {
		snap = collectOrFail(t, Options{Protos: []Proto{ProtoTCP}, Families: []Family{FamilyIPv6}, Filter: Filter{States: AllStates}})
		for _, s := range snap.Sockets {
			if s.Proto != ProtoTCP || s.Family != FamilyIPv6 {
				t.Fatalf("tcp6 only, got %v %v %v", s.Proto, s.Family, s.Local)
			}
		}
		if find(snap, ProtoTCP, addrPort(t, lb.ln6.Addr()), netip.AddrPortFrom(netip.IPv6Unspecified(), 0)) == nil {
			t.Errorf("tcp6 listener %v missing", lb.ln6.Addr())
		}
	}

	// The filter applies to the decoded rows.
	snap = collectOrFail(t, Options{Filter: Filter{LocalPort: ln4.Port()}})
	if len(snap.Sockets) != 2 {
		t.Errorf("local port %d: %d sockets, want the listener and the server end: %+v", ln4.Port(), len(snap.Sockets), snap.Sockets)
	}
	snap = collectOrFail(t, Options{Filter: Filter{LocalPort: ln4.Port(), States: 1 << StateListen}})
	if len(snap.Sockets) != 1 || snap.Sockets[0].State != StateListen || snap.Sockets[0].Local != ln4 {
		t.Errorf("local port %d, LISTEN: %+v, want the listener", ln4.Port(), snap.Sockets)
	}
	snap = collectOrFail(t, Options{Filter: Filter{Port: ln4.Port(), States: 1 << StateEstablished}})
	if len(snap.Sockets) != 2 {
		t.Errorf("port %d, ESTABLISHED: %+v, want both ends", ln4.Port(), snap.Sockets)
	}
	for _, s := range snap.Sockets {
		if s.State != StateEstablished {
			t.Errorf("state filter let through %v", s.State)
		}
	}
}

func TestCollectGrowsTheBuffer(t *testing.T) {
	openLoopback(t)
	c := &windowsCollector{opts: Options{Filter: Filter{States: AllStates}}}
	// A buffer too small for any table: every read must grow it.
	c.buf = make([]byte, 4)
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.buf) <= 4 {
		t.Errorf("buffer still %d bytes", len(c.buf))
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings: %q", snap.Warnings)
	}
	if len(snap.Sockets) < 4 {
		t.Errorf("%d sockets after growing the buffer, want at least this test's 4", len(snap.Sockets))
	}
	// Reused: the next Collect allocates no new buffer.
	before := &c.buf[0]
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if &c.buf[0] != before {
		t.Error("the buffer was not reused")
	}
}

func TestNewCollectorSources(t *testing.T) {
	for _, src := range []Source{SourceAuto, SourceIPHelper} {
		if _, err := New(Options{Source: src}); err != nil {
			t.Errorf("source %q: %v", src, err)
		}
	}
	for _, src := range []Source{SourceNetlink, SourceProcfs, SourceSysctl} {
		_, err := New(Options{Source: src})
		if err == nil || !strings.Contains(err.Error(), string(SourceIPHelper)) {
			t.Errorf("source %q: %v, want an error naming %s", src, err, SourceIPHelper)
		}
		if errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("source %q: %v wraps ErrUnsupported, which means no collector at all", src, err)
		}
	}
}

func TestCollectCanceled(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Collect(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Collect: %v", err)
	}
}

// ownersOnlyForConnectingEnds reports whether the platform names the
// owner of a connection's connecting end only: Wine 8 does.
func ownersOnlyForConnectingEnds() bool { return underWine() }
