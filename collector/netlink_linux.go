package collector

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	errnoError = func(errno int64) error {
		e := unix.Errno(errno)
		if name := unix.ErrnoName(e); name != "" {
			return fmt.Errorf("%s (%w, errno %d)", name, e, errno)
		}
		return fmt.Errorf("%w (errno %d)", e, errno)
	}
}

const (
	// sockDiagBufSize is the receive buffer. The kernel sizes dump
	// datagrams after the reader's buffer but no larger than about 32 KiB,
	// so 64 KiB is never truncated in practice; a truncated datagram is
	// still detected (MSG_TRUNC) and handled.
	sockDiagBufSize = 64 << 10
	// sockDiagMaxBufSize bounds how far the buffer grows after a truncated
	// datagram.
	sockDiagMaxBufSize = 4 << 20
	// sockDiagAttempts is how many times a dump is tried when the kernel
	// reports it inconsistent (NLM_F_DUMP_INTR) or a datagram was truncated.
	sockDiagAttempts = 5
	// sockDiagTimeout bounds each wait for the kernel, so that a reply that
	// never comes is an error rather than a hang.
	sockDiagTimeout = 10 * time.Second
)

// errRetryDump is returned by dumpOnce when the dump must be started again
// on a fresh socket because a datagram was larger than the buffer.
var errRetryDump = errors.New("a datagram was larger than the receive buffer")

// sockDiag is a NETLINK_SOCK_DIAG socket that dumps inet_diag tables.
type sockDiag struct {
	fd  int
	seq uint32
	buf []byte // receive buffer, reused by every dump
	req []byte // request buffer, reused by every dump

	// send and recv do the socket's I/O (sendKernel and recvKernel); tests
	// replace them to play the kernel's part. recv returns the datagram's
	// real length, which exceeds len(buf) when it was truncated.
	send func(req []byte) error
	recv func(buf []byte) (int, error)

	// grow, when set, tells how many sockets the whole read will hold. It
	// is asked once, when a datagram that does not fit in what is left of
	// the output's capacity is not the dump's last and the table would
	// pass growFromKernelAbove sockets, and the output is grown to it.
	grow func() int

	// ext is the extension attributes each dump asks for (idiag_ext):
	// internalsExt with Options.Info, else none.
	ext uint8
	// cookies keeps each socket's cookie (Options.Cookies).
	cookies bool
	// slab is the internals allocated ahead for the sockets to come.
	slab []Internals
}

// diagTable is one table to dump: the Proto and Family it is reported as,
// and the kernel's numbers for them. Family 0 (and family 0) is TCP of
// both families in one TCPDIAG_GETSOCK dump.
type diagTable struct {
	p        Proto
	f        Family
	family   uint8  // AF_INET or AF_INET6; 0 with f 0
	protocol uint8  // IPPROTO_TCP or IPPROTO_UDP
	bytecode []byte // kernel filter for the ports, nil for none
}

func openSockDiag() (*sockDiag, error) {
	fd, err := openSockDiagFD()
	if err != nil {
		return nil, err
	}
	d := &sockDiag{
		fd:  fd,
		seq: uint32(time.Now().UnixNano()),
		buf: make([]byte, sockDiagBufSize),
		req: make([]byte, 0, sockDiagRequestLen),
	}
	d.send, d.recv = d.sendKernel, d.recvKernel
	return d, nil
}

func openSockDiagFD() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return -1, fmt.Errorf("netlink sock_diag socket: %w", err)
	}
	tv := unix.NsecToTimeval(int64(sockDiagTimeout))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("netlink sock_diag socket: SO_RCVTIMEO: %w", err)
	}
	return fd, nil
}

func (d *sockDiag) close() {
	if d != nil && d.fd >= 0 {
		unix.Close(d.fd)
		d.fd = -1
	}
}

// dump appends to out the sockets of table (p, f) that filt matches. The
// filter's states are pushed into the kernel; the rest of the filter is
// applied in user space.
func (d *sockDiag) dump(p Proto, f Family, filt *Filter, out []Socket, warn func(string)) ([]Socket, error) {
	family, protocol, ok := diagFamilyProto(p, f)
	if !ok {
		return out, fmt.Errorf("netlink dump of %s: no such table", tableName(p, f))
	}
	var states StateSet
	if filt != nil {
		states = filt.States
	}
	t := diagTable{p: p, f: f, family: family, protocol: protocol, bytecode: appendPortBytecode(nil, filt)}
	return d.dumpTable(t, kernelStateMask(p, states), filt, out, warn)
}

// dumpTCP appends to out the TCP sockets of both families that filt
// matches, from one walk of the kernel's TCP tables (TCPDIAG_GETSOCK)
// instead of one per family. A kernel that refuses the request answers
// with an errno (errors.As finds a unix.Errno): the caller then dumps
// each family instead.
func (d *sockDiag) dumpTCP(filt *Filter, out []Socket, warn func(string)) ([]Socket, error) {
	var states StateSet
	if filt != nil {
		states = filt.States
	}
	t := diagTable{p: ProtoTCP, protocol: ipprotoTCP, bytecode: appendPortBytecode(nil, filt)}
	return d.dumpTable(t, kernelStateMask(ProtoTCP, states), filt, out, warn)
}

// dumpTable dumps one table with the kernel state mask given. It starts the
// dump again, dropping what it had read, when the kernel flags it as
// interrupted. Warnings of a dropped attempt are dropped with it.
func (d *sockDiag) dumpTable(t diagTable, mask uint32, filt *Filter, out []Socket, warn func(string)) ([]Socket, error) {
	name := tableName(t.p, t.f)
	if mask == 0 {
		return out, nil // no state the kernel could report was asked for
	}
	start := len(out)
	var pending []string
	collect := func(msg string) { pending = append(pending, msg) }
	var err error
	for attempt := 1; attempt <= sockDiagAttempts; attempt++ {
		pending = pending[:0]
		out, err = d.dumpOnce(t, mask, filt, out[:start], collect)
		if err == nil {
			if warn != nil {
				for _, msg := range pending {
					warn(msg)
				}
			}
			return out, nil
		}
		if !errors.Is(err, errDumpInterrupted) && !errors.Is(err, errRetryDump) {
			break
		}
		if errors.Is(err, errRetryDump) {
			// The rest of the truncated dump is still queued on the socket;
			// a new socket is the simplest way to be rid of it.
			fd, oerr := openSockDiagFD()
			if oerr != nil {
				return out[:start], fmt.Errorf("netlink dump of %s: %w", name, oerr)
			}
			unix.Close(d.fd)
			d.fd = fd
		}
	}
	if errors.Is(err, errDumpInterrupted) || errors.Is(err, errRetryDump) {
		err = fmt.Errorf("%w; gave up after %d attempts", err, sockDiagAttempts)
	}
	return out[:start], fmt.Errorf("netlink dump of %s: %w", name, err)
}

// dumpOnce sends one dump request and reads its replies until the kernel
// ends the dump. When a message is flagged NLM_F_DUMP_INTR it still reads to
// the end, so that the socket is clean for the next attempt, then returns
// errDumpInterrupted.
func (d *sockDiag) dumpOnce(t diagTable, mask uint32, filt *Filter, out []Socket, warn func(string)) ([]Socket, error) {
	if d == nil || d.fd < 0 {
		return out, errors.New("the sock_diag socket is closed")
	}
	d.seq++
	seq := d.seq
	if t.f == 0 {
		d.req = appendTCPDiagRequestExt(d.req[:0], d.ext, mask, seq, t.bytecode)
	} else {
		d.req = appendSockDiagRequestExt(d.req[:0], t.family, t.protocol, d.ext, mask, seq, t.bytecode)
	}
	if err := d.send(d.req); err != nil {
		return out, err
	}
	interrupted, truncated := false, false
	for {
		n, err := d.recv(d.buf)
		if err != nil {
			return out, err
		}
		if n > len(d.buf) {
			// MSG_TRUNC reported the datagram's real size: the excess is
			// lost, and with it perhaps the end of the dump. Grow the buffer
			// and let the caller start over on a new socket.
			if n > sockDiagMaxBufSize {
				return out, fmt.Errorf("a datagram of %d bytes is larger than any the kernel sends", n)
			}
			truncated = true
			d.buf = make([]byte, (n+4095)&^4095)
			break
		}
		// Room for this datagram's records, and when the dump goes on
		// past it, once, for the whole table: each record is decoded
		// straight into its final place, with no first guess to copy
		// from. A small table grows as it is read (growFromKernelAbove).
		if records, last := countDatagram(d.buf[:n]); cap(out)-len(out) < records {
			want := len(out) + records
			if d.grow != nil && !last && want > growFromKernelAbove {
				want = max(want, d.grow())
				d.grow = nil
			}
			out = slices.Grow(out, want-len(out))
		}
		var done bool
		out, done, err = parseSockDiagExt(d.buf[:n], t.p, t.f, seq, filt, diagExtras{internals: d.ext != 0, cookie: d.cookies, slab: &d.slab}, out, warn)
		if errors.Is(err, errDumpInterrupted) {
			interrupted, err = true, nil
		}
		if err != nil {
			return out, err
		}
		if done {
			break
		}
	}
	switch {
	case truncated:
		return out, errRetryDump
	case interrupted:
		return out, errDumpInterrupted
	}
	return out, nil
}

// sendKernel sends a request to the kernel.
func (d *sockDiag) sendKernel(req []byte) error {
	for {
		err := rawSendtoKernel(d.fd, req)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("send request: %w", err)
		}
		return nil
	}
}

// recvKernel receives the next datagram from the kernel into buf and
// returns its real length (MSG_TRUNC), ignoring datagrams from elsewhere.
func (d *sockDiag) recvKernel(buf []byte) (int, error) {
	for {
		n, from, err := unix.Recvfrom(d.fd, buf, unix.MSG_TRUNC)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, fmt.Errorf("no reply from the kernel within %v", sockDiagTimeout)
		case err != nil:
			return 0, fmt.Errorf("receive: %w", err)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		return n, nil
	}
}

// rawSendtoKernel sends req to the kernel (nl_pid 0) on the netlink socket
// fd as a raw system call, without telling the Go scheduler: the kernel
// answers a dump request by starting the dump inside sendto, which takes
// about a millisecond and a half on a large hash table even when it is
// nearly empty, and a scheduler told of a system call that long hands the
// goroutine's processor to a new thread and back, which costs more than
// the call itself. The call never waits on anything but the kernel's own
// work.
func rawSendtoKernel(fd int, req []byte) error {
	sa := unix.RawSockaddrNetlink{Family: unix.AF_NETLINK}
	var p unsafe.Pointer
	if len(req) > 0 {
		p = unsafe.Pointer(&req[0])
	}
	_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(p), uintptr(len(req)), 0,
		uintptr(unsafe.Pointer(&sa)), unix.SizeofSockaddrNetlink)
	if errno != 0 {
		return errno
	}
	return nil
}
