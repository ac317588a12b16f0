package collector

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/testenv"
)

// liveSock is a socket this test opened, as both sources must report it.
type liveSock struct {
	what          string
	p             Proto
	f             Family
	local, remote netip.AddrPort
	state         State
	inode         uint64
}

// sockInode returns the inode of a socket from its /proc/self/fd link.
func sockInode(t *testing.T, c syscall.Conn) uint64 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var link string
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		link, lerr = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	}); err != nil {
		t.Fatal(err)
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	return parseInodeLink(t, link)
}

func parseInodeLink(t *testing.T, link string) uint64 {
	t.Helper()
	digits, ok := strings.CutPrefix(link, "socket:[")
	digits, ok2 := strings.CutSuffix(digits, "]")
	ino, err := strconv.ParseUint(digits, 10, 64)
	if !ok || !ok2 || err != nil || ino == 0 {
		t.Fatalf("fd link %q is not a socket", link)
	}
	return ino
}

// addrPortOf returns a net.Addr's address and port, with IPv4 unmapped.
func addrPortOf(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		t.Fatalf("unexpected address %T", a)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

var liveTables = []struct {
	p Proto
	f Family
}{{ProtoTCP, FamilyIPv4}, {ProtoTCP, FamilyIPv6}, {ProtoUDP, FamilyIPv4}, {ProtoUDP, FamilyIPv6}}

// dumpNetlink reads every table over sock_diag.
func dumpNetlink(t *testing.T, d *sockDiag, filt *Filter) []Socket {
	t.Helper()
	var out []Socket
	for _, tb := range liveTables {
		var err error
		out, err = d.dump(tb.p, tb.f, filt, out, func(w string) { t.Errorf("netlink warning: %s", w) })
		if err != nil {
			t.Fatalf("dump %v %v: %v", tb.p, tb.f, err)
		}
	}
	return out
}

// dumpProcfs reads every table from /proc/net.
func dumpProcfs(t *testing.T, filt *Filter) []Socket {
	t.Helper()
	var out []Socket
	for _, tb := range liveTables {
		name := "/proc/net/" + tb.p.String()
		if tb.f == FamilyIPv6 {
			name += "6"
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = parseProcNet(data, tb.p, tb.f, name, filt, out, func(w string) { t.Errorf("procfs warning: %s", w) })
	}
	return out
}

func findSock(socks []Socket, p Proto, f Family, local, remote netip.AddrPort) *Socket {
	for i := range socks {
		s := &socks[i]
		if s.Proto == p && s.Family == f && s.Local == local && s.Remote == remote {
			return s
		}
	}
	return nil
}

func findInode(socks []Socket, inode uint64) *Socket {
	for i := range socks {
		if socks[i].Inode == inode {
			return &socks[i]
		}
	}
	return nil
}

// eventually retries cond until it holds or two seconds have passed.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openTestSockDiag(t *testing.T) *sockDiag {
	t.Helper()
	d, err := openSockDiag()
	if err != nil {
		t.Fatalf("openSockDiag: %v", err)
	}
	t.Cleanup(d.close)
	return d
}

// TestLiveSockDiagAndProcNet opens sockets on loopback and checks that the
// netlink and procfs sources both report each of them, identically.
func TestLiveSockDiagAndProcNet(t *testing.T) {
	lo4 := netip.MustParseAddr("127.0.0.1")
	lo6 := netip.MustParseAddr("::1")
	closeLater := func(c interface{ Close() error }) { t.Cleanup(func() { c.Close() }) }
	var want []liveSock

	// TCP: a listener and a connected pair per family.
	type tcpSet struct {
		ln             *net.TCPListener
		client, server *net.TCPConn
	}
	tcp := map[Family]*tcpSet{}
	for _, fam := range []struct {
		f       Family
		network string
		addr    string
		lo      netip.Addr
	}{{FamilyIPv4, "tcp4", "127.0.0.1:0", lo4}, {FamilyIPv6, "tcp6", "[::1]:0", lo6}} {
		l, err := net.Listen(fam.network, fam.addr)
		if err != nil {
			if fam.f == FamilyIPv6 {
				if testenv.Required() {
					t.Fatalf("%s=1, but no IPv6 loopback: %v", testenv.RequireEnv, err)
				}
				t.Logf("no IPv6 loopback, IPv6 TCP not checked: %v", err)
				continue
			}
			t.Fatal(err)
		}
		ln := l.(*net.TCPListener)
		closeLater(ln)
		c, err := net.Dial(fam.network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		closeLater(c)
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		closeLater(sc)
		lap := addrPortOf(t, ln.Addr())
		cp := addrPortOf(t, c.LocalAddr())
		if lap.Addr() != fam.lo || cp.Addr() != fam.lo {
			t.Fatalf("unexpected addresses %v %v", lap, cp)
		}
		zero := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
		if fam.f == FamilyIPv6 {
			zero = netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
		}
		tcp[fam.f] = &tcpSet{ln: ln, client: c.(*net.TCPConn), server: sc.(*net.TCPConn)}
		want = append(want,
			liveSock{fam.network + " listener", ProtoTCP, fam.f, lap, zero, StateListen, sockInode(t, ln)},
			liveSock{fam.network + " client", ProtoTCP, fam.f, cp, lap, StateEstablished, sockInode(t, c.(*net.TCPConn))},
			liveSock{fam.network + " server", ProtoTCP, fam.f, lap, cp, StateEstablished, sockInode(t, sc.(*net.TCPConn))},
		)
	}

	// UDP: a bound socket and a socket connected to it; a bound one on ::1.
	bound, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	closeLater(bound)
	conn, err := net.DialUDP("udp4", nil, bound.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	closeLater(conn)
	bap := addrPortOf(t, bound.LocalAddr())
	want = append(want,
		liveSock{"udp4 bound", ProtoUDP, FamilyIPv4, bap, netip.AddrPortFrom(netip.IPv4Unspecified(), 0), StateClose, sockInode(t, bound)},
		liveSock{"udp4 connected", ProtoUDP, FamilyIPv4, addrPortOf(t, conn.LocalAddr()), bap, StateEstablished, sockInode(t, conn)},
	)
	if bound6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
		if testenv.Required() {
			t.Fatalf("%s=1, but no IPv6 loopback: %v", testenv.RequireEnv, err)
		}
		t.Logf("no IPv6 loopback, IPv6 UDP not checked: %v", err)
	} else {
		closeLater(bound6)
		want = append(want, liveSock{"udp6 bound", ProtoUDP, FamilyIPv6, addrPortOf(t, bound6.LocalAddr()),
			netip.AddrPortFrom(netip.IPv6Unspecified(), 0), StateClose, sockInode(t, bound6)})
	}

	d := openTestSockDiag(t)
	uid := os.Getuid()
	nl := dumpNetlink(t, d, &Filter{})
	pf := dumpProcfs(t, &Filter{})
	for _, w := range want {
		for _, src := range []struct {
			name  string
			socks []Socket
		}{{"netlink", nl}, {"procfs", pf}} {
			s := findSock(src.socks, w.p, w.f, w.local, w.remote)
			if s == nil {
				t.Errorf("%s: %s %v -> %v not found", src.name, w.what, w.local, w.remote)
				continue
			}
			if s.State != w.state {
				t.Errorf("%s: %s: state %v, want %v", src.name, w.what, s.State, w.state)
			}
			if s.Inode == 0 || s.Inode != w.inode {
				t.Errorf("%s: %s: inode %d, want %d", src.name, w.what, s.Inode, w.inode)
			}
			if s.UID != uid {
				t.Errorf("%s: %s: uid %d, want %d", src.name, w.what, s.UID, uid)
			}
			if s.Owners != nil || s.OwnerUnknown != OwnerKnown {
				t.Errorf("%s: %s: owners filled: %+v", src.name, w.what, s)
			}
		}
		// Apart from a listener's send queue (see below), both sources
		// give the same record for an idle socket.
		n, p := findInode(nl, w.inode), findInode(pf, w.inode)
		if n != nil && p != nil && w.state != StateListen && !reflect.DeepEqual(*n, *p) {
			t.Errorf("%s: netlink and procfs differ:\nnetlink %+v\n procfs %+v", w.what, *n, *p)
		}
	}

	// Queues. A listener's Recv-Q is its accept backlog in both sources;
	// its Send-Q is the maximum backlog in netlink only.
	t4 := tcp[FamilyIPv4]
	lnInode := sockInode(t, t4.ln)
	if s := findInode(nl, lnInode); s == nil || s.SendQ == 0 || s.RecvQ != 0 {
		t.Errorf("netlink listener queues: %+v, want RecvQ 0 and SendQ (max backlog) > 0", s)
	} else if p := findInode(pf, lnInode); p != nil {
		t.Logf("listener Send-Q: netlink %d (max backlog), procfs %d", s.SendQ, p.SendQ)
	}
	pending, err := net.Dial("tcp4", t4.ln.Addr().String()) // never accepted
	if err != nil {
		t.Fatal(err)
	}
	defer pending.Close()
	if _, err := t4.client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	serverInode, boundInode := sockInode(t, t4.server), sockInode(t, bound)
	var lastNL, lastPF []Socket
	ok := eventually(func() bool {
		lastNL, lastPF = dumpNetlink(t, d, &Filter{}), dumpProcfs(t, &Filter{})
		for _, socks := range [][]Socket{lastNL, lastPF} {
			ln, srv, udp := findInode(socks, lnInode), findInode(socks, serverInode), findInode(socks, boundInode)
			if ln == nil || ln.RecvQ != 1 || srv == nil || srv.RecvQ != 5 || udp == nil || udp.RecvQ == 0 {
				return false
			}
		}
		return true
	})
	if ok {
		t.Logf("udp Recv-Q after a 3-byte datagram: netlink %d, procfs %d (memory, not payload)",
			findInode(lastNL, boundInode).RecvQ, findInode(lastPF, boundInode).RecvQ)
	} else {
		for _, src := range []struct {
			name  string
			socks []Socket
		}{{"netlink", lastNL}, {"procfs", lastPF}} {
			t.Errorf("%s: listener %+v\nserver %+v\nudp %+v, want Recv-Q 1, 5 and > 0", src.name,
				findInode(src.socks, lnInode), findInode(src.socks, serverInode), findInode(src.socks, boundInode))
		}
	}
}

// TestLiveSockDiagStateMask checks that the state mask is pushed into the
// kernel: with no user-space filter, a LISTEN-only mask still returns only
// listeners.
func TestLiveSockDiagStateMask(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	lnInode := sockInode(t, ln.(*net.TCPListener))
	cInode := sockInode(t, c.(*net.TCPConn))

	d := openTestSockDiag(t)
	tcp4 := diagTable{p: ProtoTCP, f: FamilyIPv4, family: afInet, protocol: ipprotoTCP}
	noWarn := func(w string) { t.Errorf("warning: %s", w) }

	// Control: every state.
	all, err := d.dumpTable(tcp4, kernelStateMask(ProtoTCP, 0), nil, nil, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	if s := findInode(all, cInode); s == nil || s.State != StateEstablished {
		t.Fatalf("all states: client socket %+v, want ESTABLISHED", s)
	}

	listenOnly := StateSet(0).With(StateListen)
	got, err := d.dumpTable(tcp4, kernelStateMask(ProtoTCP, listenOnly), nil, nil, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	if findInode(got, lnInode) == nil {
		t.Errorf("LISTEN mask: listener not dumped")
	}
	for _, s := range got {
		if s.State != StateListen {
			t.Errorf("LISTEN mask: kernel returned %+v", s)
		}
	}

	// Through dump, with the rest of the filter applied in user space.
	port := addrPortOf(t, ln.Addr()).Port()
	got, err = d.dump(ProtoTCP, FamilyIPv4, &Filter{States: listenOnly, LocalPort: port}, nil, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Inode != lnInode {
		t.Errorf("dump LISTEN on port %d: %+v, want only the listener", port, got)
	}
	got, err = d.dump(ProtoTCP, FamilyIPv4, &Filter{States: StateSet(0).With(StateEstablished), Port: port}, nil, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || findInode(got, cInode) == nil {
		t.Errorf("dump ESTABLISHED on port %d: %+v, want the client and the server", port, got)
	}
	// No UDP socket is ever LISTEN.
	got, err = d.dump(ProtoUDP, FamilyIPv4, &Filter{States: listenOnly}, nil, noWarn)
	if err != nil || len(got) != 0 {
		t.Errorf("dump LISTEN of udp4: %+v, %v, want nothing", got, err)
	}
}

// TestLiveSockDiagBoundInactive checks that a TCP socket that is bound but
// neither listens nor connects is dumped only when asked for by name, and
// is reported as StateBoundInactive. /proc/net/tcp never lists it.
func TestLiveSockDiagBoundInactive(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		t.Fatal(err)
	}
	inode := parseInodeLink(t, link)

	d := openTestSockDiag(t)
	noWarn := func(w string) { t.Errorf("warning: %s", w) }
	got, err := d.dump(ProtoTCP, FamilyIPv4, &Filter{States: StateSet(0).With(StateBoundInactive)}, nil, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	s := findInode(got, inode)
	if s == nil {
		t.Fatalf("bound-inactive socket not dumped")
	}
	if s.State != StateBoundInactive || s.Local.Addr() != netip.MustParseAddr("127.0.0.1") || s.Local.Port() == 0 || s.UID != os.Getuid() {
		t.Errorf("bound-inactive socket: %+v", s)
	}
	for _, s := range got {
		if s.State != StateBoundInactive {
			t.Errorf("bound-inactive mask: kernel returned %+v", s)
		}
	}
	for _, filt := range []*Filter{{}, {States: StateSet(0).With(StateClose)}} {
		got, err = d.dump(ProtoTCP, FamilyIPv4, filt, nil, noWarn)
		if err != nil {
			t.Fatal(err)
		}
		if s := findInode(got, inode); s != nil {
			t.Errorf("states %#x: bound-inactive socket dumped: %+v", uint32(filt.States), s)
		}
	}
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	if s := findInode(parseProcNet(data, ProtoTCP, FamilyIPv4, "tcp", nil, nil, nil), inode); s != nil {
		t.Logf("/proc/net/tcp lists the bound-inactive socket: %+v", s)
	}
}

// TestLiveSockDiagKernelError checks that an error from the kernel is
// reported with the table's name and leaves the socket usable.
func TestLiveSockDiagKernelError(t *testing.T) {
	d := openTestSockDiag(t)
	bogus := diagTable{p: ProtoTCP, f: FamilyIPv4, family: afInet, protocol: 253} // IPPROTO for experiments
	_, err := d.dumpTable(bogus, 1<<StateListen, nil, nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "netlink dump of tcp4: ") {
		t.Fatalf("dump of protocol 253: err = %v, want an error naming tcp4", err)
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		t.Errorf("error %v does not wrap an errno", err)
	}
	t.Logf("kernel error: %v", err)
	if _, err := d.dump(ProtoTCP, FamilyIPv4, &Filter{}, nil, nil); err != nil {
		t.Errorf("dump after an error: %v", err)
	}

	d.close()
	if _, err := d.dump(ProtoTCP, FamilyIPv4, &Filter{}, nil, nil); err == nil {
		t.Errorf("dump on a closed socket succeeded")
	}
	d.close() // idempotent
}

// fakeKernel plays the kernel's part for a sockDiag: for the n-th request
// (from 0) it answers with the datagrams script(n, seq) returns.
type fakeKernel struct {
	t        *testing.T
	script   func(n int, seq uint32) [][]byte
	requests [][]byte
	pending  [][]byte
}

func (k *fakeKernel) install(d *sockDiag) {
	d.send = func(req []byte) error {
		if len(req) != sockDiagRequestLen {
			k.t.Fatalf("request of %d bytes", len(req))
		}
		seq := binary.NativeEndian.Uint32(req[8:])
		k.pending = k.script(len(k.requests), seq)
		k.requests = append(k.requests, append([]byte(nil), req...))
		return nil
	}
	d.recv = func(buf []byte) (int, error) {
		if len(k.pending) == 0 {
			k.t.Fatalf("receive with nothing left to answer")
		}
		dg := k.pending[0]
		k.pending = k.pending[1:]
		return copy(buf, dg) + max(0, len(dg)-len(buf)), nil // like MSG_TRUNC
	}
}

// seqMsg is m as a message of the dump with sequence number seq.
func seqMsg(m diagMsg, flags uint16, seq uint32) []byte {
	return nlMessage(sockDiagByFamily, flags|nlmFMulti, seq, m.body())
}

func seqDone(seq uint32, errno int32) []byte {
	return nlMessage(nlmsgDone, nlmFMulti, seq, errnoPayload(errno))
}

func TestSockDiagRetries(t *testing.T) {
	short := func(seq uint32) []byte {
		return nlMessage(sockDiagByFamily, nlmFMulti, seq, make([]byte, 8))
	}
	prefix := []Socket{{Proto: ProtoUDP, Inode: 1}}
	filt := &Filter{States: StateSet(0).With(StateEstablished).With(StateListen)}
	cases := []struct {
		name      string
		script    func(n int, seq uint32) [][]byte
		want      []Socket // after prefix
		requests  int
		wantErr   string
		wantWarns int
	}{{
		name: "clean",
		script: func(n int, seq uint32) [][]byte {
			return [][]byte{cat(seqMsg(msgEstab4, 0, seq), seqMsg(msgListen4, 0, seq)), seqDone(seq, 0)}
		},
		want: []Socket{sockEstab4, sockListen4}, requests: 1,
	}, {
		name: "interrupted once",
		script: func(n int, seq uint32) [][]byte {
			if n == 0 {
				// Everything up to DONE is read before the retry, and the
				// first attempt's warning is dropped with its sockets.
				return [][]byte{cat(seqMsg(msgListen6, nlmFDumpIntr, seq), short(seq)),
					seqMsg(msgEstab4, 0, seq), seqDone(seq, 0)}
			}
			return [][]byte{cat(seqMsg(msgEstab4, 0, seq), short(seq)), seqMsg(msgListen4, 0, seq), seqDone(seq, 0)}
		},
		want: []Socket{sockEstab4, sockListen4}, requests: 2, wantWarns: 1,
	}, {
		name: "always interrupted",
		script: func(n int, seq uint32) [][]byte {
			return [][]byte{cat(seqMsg(msgEstab4, 0, seq), nlMessage(nlmsgDone, nlmFMulti|nlmFDumpIntr, seq, errnoPayload(0)))}
		},
		requests: sockDiagAttempts,
		wantErr:  "netlink dump of tcp4: dump interrupted by a change of the socket table (NLM_F_DUMP_INTR); gave up after 5 attempts",
	}, {
		name: "truncated datagram",
		script: func(n int, seq uint32) [][]byte {
			if n == 0 {
				big := seqMsg(msgEstab4, 0, seq)
				for len(big) <= sockDiagBufSize {
					big = append(big, seqMsg(msgEstab4, 0, seq)...)
				}
				return [][]byte{big}
			}
			return [][]byte{cat(seqMsg(msgListen4, 0, seq), seqDone(seq, 0))}
		},
		want: []Socket{sockListen4}, requests: 2,
	}, {
		name: "kernel error is not retried",
		script: func(n int, seq uint32) [][]byte {
			return [][]byte{seqMsg(msgEstab4, 0, seq), seqDone(seq, -int32(unix.ENOMEM))}
		},
		requests: 1, wantErr: "netlink dump of tcp4: netlink tcp4 message at offset 0: dump ended with ENOMEM",
	}, {
		name: "bad datagram",
		script: func(n int, seq uint32) [][]byte {
			return [][]byte{cat(seqMsg(msgEstab4, 0, seq), []byte{1, 2, 3})}
		},
		requests: 1, wantErr: "netlink dump of tcp4: netlink tcp4 message at offset 88: truncated header",
	}, {
		name: "stale replies are skipped",
		script: func(n int, seq uint32) [][]byte {
			return [][]byte{cat(seqMsg(msgListen6, 0, seq-1), seqDone(seq-1, 0)), seqMsg(msgEstab4, 0, seq), seqDone(seq, 0)}
		},
		want: []Socket{sockEstab4}, requests: 1,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := openTestSockDiag(t)
			k := &fakeKernel{t: t, script: tc.script}
			k.install(d)
			var warns []string
			out, err := d.dump(ProtoTCP, FamilyIPv4, filt, append([]Socket(nil), prefix...), func(w string) {
				warns = append(warns, w)
			})
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Errorf("err = %v", err)
			}
			if !reflect.DeepEqual(out[:1], prefix) {
				t.Fatalf("out lost its prefix: %+v", out)
			}
			got := out[1:]
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sockets:\n got %+v\nwant %+v", got, tc.want)
			}
			if len(k.requests) != tc.requests {
				t.Errorf("%d requests, want %d", len(k.requests), tc.requests)
			}
			if tc.name == "truncated datagram" && len(d.buf) <= sockDiagBufSize {
				t.Errorf("receive buffer not grown: %d bytes", len(d.buf))
			}
			if len(k.pending) != 0 {
				t.Errorf("%d datagrams left unread", len(k.pending))
			}
			if len(warns) != tc.wantWarns {
				t.Errorf("warnings %q, want %d", warns, tc.wantWarns)
			}
			for i, req := range k.requests {
				want := appendSockDiagRequest(nil, afInet, ipprotoTCP, 1<<1|1<<10, binary.NativeEndian.Uint32(req[8:]), nil)
				if !bytes.Equal(req, want) {
					t.Errorf("request %d = %x, want %x", i, req, want)
				}
				if i > 0 && binary.NativeEndian.Uint32(req[8:]) == binary.NativeEndian.Uint32(k.requests[i-1][8:]) {
					t.Errorf("request %d reuses the sequence number", i)
				}
			}
		})
	}
}

// TestKernelPortBytecode checks that the port filter runs in the kernel: the
// dump is read with no user-space filter at all.
func TestKernelPortBytecode(t *testing.T) {
	ln1, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln1.Close()
	ln2, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	c, err := net.Dial("tcp4", ln1.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := ln1.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	p1 := addrPortOf(t, ln1.Addr()).Port()
	p2 := addrPortOf(t, ln2.Addr()).Port()
	cport := addrPortOf(t, c.LocalAddr()).Port()

	d := openTestSockDiag(t)
	noWarn := func(w string) { t.Errorf("warning: %s", w) }
	dump := func(f Filter) []Socket {
		t.Helper()
		tcp4 := diagTable{p: ProtoTCP, f: FamilyIPv4, family: afInet, protocol: ipprotoTCP,
			bytecode: appendPortBytecode(nil, &f)}
		got, err := d.dumpTable(tcp4, kernelStateMask(ProtoTCP, 0), nil, nil, noWarn)
		if err != nil {
			t.Fatalf("filter %+v: %v", f, err)
		}
		return got
	}
	type end struct{ local, remote uint16 }
	ends := func(socks []Socket) map[end]bool {
		m := map[end]bool{}
		for _, s := range socks {
			m[end{s.Local.Port(), s.Remote.Port()}] = true
		}
		return m
	}
	cases := []struct {
		name string
		f    Filter
		want map[end]bool
	}{
		{"sport", Filter{LocalPort: p1}, map[end]bool{{p1, 0}: true, {p1, cport}: true}},
		{"dport", Filter{RemotePort: p1}, map[end]bool{{cport, p1}: true}},
		{"port", Filter{Port: p1}, map[end]bool{{p1, 0}: true, {p1, cport}: true, {cport, p1}: true}},
		{"sport and dport", Filter{LocalPort: cport, RemotePort: p1}, map[end]bool{{cport, p1}: true}},
		{"sport and port", Filter{LocalPort: p1, Port: cport}, map[end]bool{{p1, cport}: true}},
		{"other listener", Filter{Port: p2}, map[end]bool{{p2, 0}: true}},
		{"nothing matches", Filter{LocalPort: p2, RemotePort: p1}, map[end]bool{}},
	}
	for _, c := range cases {
		got := ends(dump(c.f))
		if len(got) != len(c.want) {
			t.Errorf("%s: kernel returned %v, want %v", c.name, got, c.want)
			continue
		}
		for e := range c.want {
			if !got[e] {
				t.Errorf("%s: kernel returned %v, want %v", c.name, got, c.want)
			}
		}
	}
}

// The one-walk TCP dump (TCPDIAG_GETSOCK) reports what the two
// per-family dumps report: this test's listeners, connected pairs and
// bound-inactive sockets of both families, each once, with the same
// fields, and nothing the filter excludes.
func TestLiveTCPDiagBothFamilies(t *testing.T) {
	type opened struct {
		f     Family
		inode uint64
		bound bool // bound, neither listening nor connecting
	}
	var ours []opened
	var port4 uint16
	for _, fam := range loopbackTCP {
		l := listenLoopback(t, fam.network, fam.addr)
		c, sc := dialAccept(t, l)
		for _, s := range []syscall.Conn{l.(*net.TCPListener), c, sc} {
			ours = append(ours, opened{fam.f, sockInode(t, s), false})
		}
		if fam.f == FamilyIPv4 {
			port4 = uint16(l.Addr().(*net.TCPAddr).Port)
		}

		// A socket bound but neither listening nor connecting.
		domain, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		if fam.f == FamilyIPv6 {
			domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
		}
		fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Bind(fd, sa); err != nil {
			t.Fatal(err)
		}
		link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err != nil {
			t.Fatal(err)
		}
		ours = append(ours, opened{fam.f, parseInodeLink(t, link), true})
	}

	d := openTestSockDiag(t)
	noWarn := func(w string) { t.Errorf("warning: %s", w) }
	listen := StateSet(0).With(StateListen)
	for _, filt := range []*Filter{
		nil,
		{},
		{States: listen},
		{States: StateSet(0).With(StateBoundInactive)},
		{States: StateSet(0).With(StateEstablished), Port: port4},
		{LocalPort: port4},
	} {
		both, err := d.dumpTCP(filt, nil, noWarn)
		if err != nil {
			t.Fatalf("filter %+v: one-walk dump: %v", filt, err)
		}
		var each []Socket
		for _, f := range []Family{FamilyIPv4, FamilyIPv6} {
			if each, err = d.dump(ProtoTCP, f, filt, each, noWarn); err != nil {
				t.Fatalf("filter %+v: dump of %v: %v", filt, f, err)
			}
		}
		seen := map[uint64]bool{}
		for i := range both {
			s := &both[i]
			if s.Proto != ProtoTCP || (s.Family != FamilyIPv4 && s.Family != FamilyIPv6) {
				t.Errorf("filter %+v: one-walk dump gave %+v", filt, *s)
			}
			if filt != nil && !filt.Match(s) {
				t.Errorf("filter %+v: one-walk dump gave %+v, which it excludes", filt, *s)
			}
			if s.Inode != 0 && seen[s.Inode] {
				t.Errorf("filter %+v: inode %d twice", filt, s.Inode)
			}
			seen[s.Inode] = true
		}
		for _, o := range ours {
			want := findInode(each, o.inode)
			got := findInode(both, o.inode)
			switch {
			case want == nil && got != nil:
				t.Errorf("filter %+v: one-walk dump has %+v, the %v dump has not", filt, *got, o.f)
			case want != nil && got == nil:
				t.Errorf("filter %+v: one-walk dump lacks %+v", filt, *want)
			case want != nil && !reflect.DeepEqual(*got, *want):
				t.Errorf("filter %+v: one-walk dump has %+v, the %v dump %+v", filt, *got, o.f, *want)
			}
		}
		// Without a filter every socket but the bound ones is there; asked
		// for by name, the bound ones are.
		boundOnly := filt != nil && filt.States == StateSet(0).With(StateBoundInactive)
		if filt == nil || boundOnly {
			for _, o := range ours {
				if o.bound == boundOnly && findInode(both, o.inode) == nil {
					t.Errorf("filter %+v: one-walk dump lacks inode %d (%v, bound %v)", filt, o.inode, o.f, o.bound)
				}
			}
		}
	}
}

// A kernel that refuses the one-walk TCP request (as one without
// inet_diag's compatibility handler answers: EOPNOTSUPP) is asked per
// family instead, and the collection is the same. The refusal is played
// here; the per-family dumps go to the real kernel.
func TestTCPDiagRefusedFallsBack(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	inode := sockInode(t, l.(*net.TCPListener))

	d := openTestSockDiag(t)
	var types []uint16
	refused := false
	d.send = func(req []byte) error {
		typ := binary.NativeEndian.Uint16(req[4:])
		types = append(types, typ)
		if typ == tcpDiagGetSock {
			refused = true
			return nil
		}
		return d.sendKernel(req)
	}
	d.recv = func(buf []byte) (int, error) {
		if refused {
			refused = false
			// NLMSG_ERROR with -EOPNOTSUPP, then the request's header.
			seq := d.seq
			msg := binary.NativeEndian.AppendUint32(nil, nlmsgHdrLen+4+nlmsgHdrLen)
			msg = binary.NativeEndian.AppendUint16(msg, nlmsgError)
			msg = binary.NativeEndian.AppendUint16(msg, 0)
			msg = binary.NativeEndian.AppendUint32(msg, seq)
			msg = binary.NativeEndian.AppendUint32(msg, 0)
			errno := -int32(unix.EOPNOTSUPP)
			msg = binary.NativeEndian.AppendUint32(msg, uint32(errno))
			msg = append(msg, make([]byte, nlmsgHdrLen)...)
			return copy(buf, msg), nil
		}
		return d.recvKernel(buf)
	}
	c := &linuxCollector{opts: Options{Protos: []Proto{ProtoTCP}, Filter: Filter{States: StateSet(0).With(StateListen)}}}
	var warns []string
	got, err := c.dumpNetlink(d, func(w string) { warns = append(warns, w) })
	if err != nil {
		t.Fatalf("after a refused one-walk dump: %v", err)
	}
	if want := []uint16{tcpDiagGetSock, sockDiagByFamily, sockDiagByFamily}; !reflect.DeepEqual(types, want) {
		t.Errorf("request types %v, want %v (one-walk, then tcp4 and tcp6)", types, want)
	}
	if s := findInode(got, inode); s == nil || s.State != StateListen || s.Family != FamilyIPv4 {
		t.Errorf("listener inode %d: %+v in %+v", inode, s, got)
	}
	if len(warns) != 0 {
		t.Errorf("warnings %q, want none", warns)
	}
}

// A dump sizes its output from each datagram before decoding it: a
// datagram that does not fit what is left of the capacity grows the output
// by its records, and when the dump goes on past it, asks grow once for
// the whole table. A datagram that fits, or a dump that ends in it, does
// not ask.
func TestSockDiagGrowAskedOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cap      int
		records  int  // in the first datagram, each a pair of sockets
		oneGram  bool // the records and NLMSG_DONE in one datagram
		answered int
		asked    int
		minCap   int
		maxCap   int
	}{
		{name: "no room, a big table, more to come", cap: 0, records: 150, answered: 5000, asked: 1, minCap: 5000, maxCap: 6000},
		{name: "no room, a small table", cap: 1, records: 20, answered: 5000, asked: 0, minCap: 40, maxCap: 64},
		{name: "room to spare", cap: 1000, records: 150, answered: 5000, asked: 0, minCap: 1000, maxCap: 1000},
		{name: "the whole dump in one datagram", cap: 0, records: 150, oneGram: true, answered: 5000, asked: 0, minCap: 300, maxCap: 400},
	} {
		script := func(n int, seq uint32) [][]byte {
			var recs []byte
			for range tc.records {
				recs = cat(recs, seqMsg(msgEstab4, 0, seq), seqMsg(msgListen4, 0, seq))
			}
			if tc.oneGram {
				return [][]byte{cat(recs, seqDone(seq, 0))}
			}
			return [][]byte{recs, seqDone(seq, 0)}
		}
		d := openTestSockDiag(t)
		k := &fakeKernel{t: t, script: script}
		k.install(d)
		asked := 0
		d.grow = func() int { asked++; return tc.answered }
		out, err := d.dump(ProtoTCP, FamilyIPv4, nil, make([]Socket, 0, tc.cap), nil)
		if err != nil {
			t.Fatal(err)
		}
		if big := 2*tc.records > growFromKernelAbove; big != (tc.records == 150) {
			t.Fatalf("%s: %d sockets: a big table is %v", tc.name, 2*tc.records, big)
		}
		if len(out) != 2*tc.records || asked != tc.asked || cap(out) < tc.minCap || cap(out) > tc.maxCap {
			t.Errorf("%s: %d sockets, grow asked %d times, capacity %d; want %d, %d, %d to %d",
				tc.name, len(out), asked, cap(out), 2*tc.records, tc.asked, tc.minCap, tc.maxCap)
		}
		// Asked once per read, not per dump.
		if tc.asked == 0 {
			continue
		}
		if _, err := d.dump(ProtoTCP, FamilyIPv4, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if asked != 1 {
			t.Errorf("%s: grow asked again by the second dump: %d times", tc.name, asked)
		}
	}
}

// TestLiveDumpManyDatagrams reads a table that the kernel sends in several
// datagrams: every connection the test opened is in it once, the read
// grows its table once from the first datagram and /proc/net/sockstat,
// and the whole read equals /proc/net's.
func TestLiveDumpManyDatagrams(t *testing.T) {
	const pairs = 400 // 800 connected sockets a family: well over one datagram
	ours := map[uint64]Family{}
	for _, fam := range loopbackTCP {
		l := listenLoopback(t, fam.network, fam.addr)
		for range pairs {
			c, sc := dialAccept(t, l)
			ours[sockInode(t, c)] = fam.f
			ours[sockInode(t, sc)] = fam.f
		}
	}

	c := &linuxCollector{opts: Options{Protos: []Proto{ProtoTCP}}}
	d := openTestSockDiag(t)
	datagrams, asked := 0, 0
	recv := d.recv
	d.recv = func(buf []byte) (int, error) { datagrams++; return recv(buf) }
	d.grow = func() int { asked++; return c.sizeHint() }
	got, err := c.dumpNetlink(d, func(w string) { t.Errorf("warning: %s", w) })
	if err != nil {
		t.Fatal(err)
	}
	if datagrams < 3 || asked != 1 {
		t.Errorf("%d sockets in %d datagrams, the table's size asked %d times; want several datagrams, asked once",
			len(got), datagrams, asked)
	}
	seen := map[uint64]int{}
	for i := range got {
		if f, ok := ours[got[i].Inode]; ok {
			seen[got[i].Inode]++
			if got[i].Family != f || got[i].State != StateEstablished {
				t.Errorf("inode %d: %v %v, want %v established", got[i].Inode, got[i].Family, got[i].State, f)
			}
		}
	}
	for inode := range ours {
		if seen[inode] != 1 {
			t.Errorf("inode %d read %d times, want once", inode, seen[inode])
		}
	}

	// The same read from /proc/net: every socket of ours, the same fields.
	procfs, err := c.readProcfs("/proc/net", 0, func(w string) { t.Errorf("procfs warning: %s", w) })
	if err != nil {
		t.Fatal(err)
	}
	byInode := map[uint64]Socket{}
	for _, s := range got {
		byInode[s.Inode] = s
	}
	for _, s := range procfs {
		if _, ok := ours[s.Inode]; !ok {
			continue
		}
		if n := byInode[s.Inode]; n.Local != s.Local || n.Remote != s.Remote || n.State != s.State {
			t.Errorf("inode %d: netlink %v %v %v, /proc/net %v %v %v", s.Inode, n.Local, n.Remote, n.State, s.Local, s.Remote, s.State)
		}
	}
}

// loopbackTCP is where the live tests listen, a family each.
var loopbackTCP = []struct {
	f       Family
	network string
	addr    string
}{{FamilyIPv4, "tcp4", "127.0.0.1:0"}, {FamilyIPv6, "tcp6", "[::1]:0"}}

// listenLoopback listens on network's loopback address addr until the
// test ends; a family this host lacks skips the test, or fails it where
// the environment requires every family.
func listenLoopback(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		testenv.SkipOrFail(t, "no %s loopback: %v", network, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// dialAccept connects to l and returns both ends, open until the test ends.
func dialAccept(t *testing.T, l net.Listener) (client, server *net.TCPConn) {
	t.Helper()
	c, err := net.Dial(l.Addr().Network(), l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return c.(*net.TCPConn), sc.(*net.TCPConn)
}
