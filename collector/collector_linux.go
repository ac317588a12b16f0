package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/portwatch/portwatch/internal/procfile"
	"golang.org/x/sys/unix"
)

// linuxCollector reads sock_diag over netlink, or /proc/net as a fallback,
// and owners from /proc/<pid>/fd.
type linuxCollector struct {
	opts   Options
	owners *ownerCache // Options.Incremental only
}

// InternalsAvailable reports whether Options.Info gives internals here:
// on Linux always (sock_diag's INET_DIAG_INFO; /proc/net has none, which the procfs source says).
func InternalsAvailable() bool { return true }

func newCollector(opts Options) (Collector, error) {
	switch opts.Source {
	case SourceAuto, SourceNetlink, SourceProcfs:
	default:
		return nil, fmt.Errorf("source %q is not available on linux (accepted: netlink, procfs)", opts.Source)
	}
	c := &linuxCollector{opts: opts}
	if opts.Incremental {
		c.owners = &ownerCache{}
	}
	return c, nil
}

// Collect implements Collector.
func (c *linuxCollector) Collect(ctx context.Context) (*Snapshot, error) {
	snap, warn := c.opts.newSnapshot(SourceAuto)

	var err error
	namespaces := c.opts.Namespaces
	if c.opts.AllNetns {
		list, err := ListNetns(c.opts.procRoot(), "")
		if err != nil {
			return nil, err
		}
		if list.Hidden > 0 {
			warn(hiddenNetnsWarning(list.Hidden, os.Geteuid() == 0))
		}
		namespaces = list.Namespaces
	}
	if len(namespaces) > 0 {
		snap.Sockets, err = c.readNamespaces(ctx, namespaces, snap, warn)
	} else {
		notice := func(msg string) { c.opts.notice(snap, msg) }
		snap.Sockets, snap.Source, err = c.readOwn(notice, warn)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.opts.Owners {
		var err error
		if c.owners != nil {
			err = c.owners.find(ctx, c.opts.procRoot(), snap.Sockets, warn)
		} else {
			err = findOwners(ctx, c.opts.procRoot(), snap.Sockets, c.opts.Filter.OwnerFiltered(), warn)
		}
		if err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// readOwn reads the caller's own namespace from the source of the
// options: netlink, procfs, or netlink falling back to procfs, which is
// told to notice.
func (c *linuxCollector) readOwn(notice, warn func(string)) ([]Socket, Source, error) {
	netDir := c.opts.procRoot() + "/net"
	switch c.opts.Source {
	case SourceNetlink:
		socks, err := c.readNetlink(warn)
		return socks, SourceNetlink, err
	case SourceProcfs:
		socks, err := c.readProcfs(netDir, c.sizeHint(), warn)
		return socks, SourceProcfs, err
	}
	socks, err := c.readNetlink(warn)
	if err == nil {
		return socks, SourceNetlink, nil
	}
	notice(fmt.Sprintf("netlink sock_diag unavailable (%v); reading /proc/net instead", err))
	socks, err = c.readProcfs(netDir, c.sizeHint(), warn)
	return socks, SourceProcfs, err
}

// infoNeedsNetlink is the warning of a read from /proc/net with
// Options.Info.
const infoNeedsNetlink = "socket internals (-i) come from netlink sock_diag; /proc/net has none, so none are shown"

// readNetlink dumps every selected table over one sock_diag socket. Any
// table that fails makes the whole read fail, so that the caller can fall
// back to procfs with a consistent source; the warnings of the tables
// read are given to warn only when the whole read succeeds.
func (c *linuxCollector) readNetlink(warn func(string)) ([]Socket, error) {
	d, err := openSockDiag()
	if err != nil {
		return nil, err
	}
	defer d.close()
	// A small table grows as it is read; once a dump that goes on passes
	// growFromKernelAbove sockets, it asks sizeHint (reading
	// /proc/net/sockstat, about a tenth of a millisecond) how far to
	// grow, once.
	d.grow = c.sizeHint
	return c.dumpNetlink(d, warn)
}

// dumpNetlink is readNetlink on the sock_diag socket d.
func (c *linuxCollector) dumpNetlink(d *sockDiag, warn func(string)) ([]Socket, error) {
	var err error
	var pending []string
	hold := func(msg string) { pending = append(pending, msg) }
	d.ext = 0
	if c.opts.Info {
		d.ext = internalsExt
	}
	d.cookies = c.opts.Cookies
	var socks []Socket // sized by dumpOnce from the first datagram
	tcpBoth := c.opts.WantProto(ProtoTCP) && c.opts.WantFamily(FamilyIPv4) && c.opts.WantFamily(FamilyIPv6)
	if tcpBoth {
		// One walk of the TCP tables for both families; a kernel that
		// refuses it is asked per family below.
		start := len(socks)
		socks, err = d.dumpTCP(&c.opts.Filter, socks, hold)
		var errno unix.Errno
		switch {
		case err == nil:
		case errors.As(err, &errno):
			tcpBoth, socks, pending = false, socks[:start], pending[:0]
		default:
			return nil, err
		}
	}
	for _, t := range c.opts.tables() {
		if tcpBoth && Proto(t[0]) == ProtoTCP {
			continue
		}
		socks, err = d.dump(Proto(t[0]), Family(t[1]), &c.opts.Filter, socks, hold)
		if err != nil {
			return nil, err
		}
	}
	for _, msg := range pending {
		warn(msg)
	}
	return socks, nil
}

// readProcfs reads {tcp,tcp6,udp,udp6} in netDir (/proc/net, or
// /proc/<pid>/net for the namespace of that process), into a table of
// capacity hint. A missing file (IPv6 disabled) is a warning; the read
// fails only when no file could be read.
func (c *linuxCollector) readProcfs(netDir string, hint int, warn func(string)) ([]Socket, error) {
	if c.opts.Info && warn != nil {
		warn(infoNeedsNetlink)
	}
	socks := make([]Socket, 0, hint)
	var firstErr error
	read := 0
	for _, t := range c.opts.tables() {
		p, f := Proto(t[0]), Family(t[1])
		path := netDir + "/" + procNetName(p, f)
		var err error
		socks, err = readProcNet(path, p, f, &c.opts.Filter, socks, warn)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if !errors.Is(err, os.ErrNotExist) {
				warn(fmt.Sprintf("cannot read %s: %v", path, err))
			}
			continue
		}
		read++
	}
	if read == 0 && firstErr != nil {
		return nil, fmt.Errorf("cannot read the socket table: %w", firstErr)
	}
	return socks, nil
}

// procNetChunk is the read buffer of a /proc/net table: the file is
// parsed a chunk of whole lines at a time, so memory follows the sockets
// kept, not the file's size.
const procNetChunk = 64 << 10

// readProcNet appends the sockets of the /proc/net table at path to socks.
// A line longer than procNetChunk (never written by the kernel) is skipped
// with a warning.
func readProcNet(path string, p Proto, f Family, filt *Filter, socks []Socket, warn func(string)) ([]Socket, error) {
	file, err := os.Open(path)
	if err != nil {
		return socks, err
	}
	defer file.Close()
	buf := make([]byte, procNetChunk)
	have, line, skipping := 0, 1, false
	for {
		n, err := file.Read(buf[have:])
		have += n
		eof := err == io.EOF
		if skipping {
			// The rest of an over-long line.
			i := bytes.IndexByte(buf[:have], '\n')
			if i < 0 {
				have = 0
				if eof {
					return socks, nil
				}
				continue
			}
			have = copy(buf, buf[i+1:have])
			line++
			skipping = false
		}
		end := bytes.LastIndexByte(buf[:have], '\n') + 1
		if eof {
			end = have
		}
		if end == 0 && have == len(buf) {
			warn(fmt.Sprintf("%s line %d: longer than %d bytes; skipped", path, line, procNetChunk))
			have, skipping = 0, true
			continue
		}
		socks = parseProcNetFrom(buf[:end], line, p, f, path, filt, socks, warn)
		line += bytes.Count(buf[:end], []byte{'\n'})
		have = copy(buf, buf[end:have])
		switch {
		case eof:
			return socks, nil
		case err != nil:
			return socks, err
		}
	}
}

// maxSizeHint bounds the table allocated up front (about 18 MiB of
// sockets); a larger table grows as it is read.
const maxSizeHint = 1 << 17

// sizeHint guesses how many sockets a read will return, from the kernel's
// per-namespace counters in /proc/net/sockstat{,6}, so that the table is
// allocated once instead of grown and copied. It guesses only when the
// filter keeps most sockets (connected ones, no port filter), errs on the
// large side, and never exceeds maxSizeHint.
func (c *linuxCollector) sizeHint() int {
	f := &c.opts.Filter
	if !f.States.Has(StateEstablished) || f.Port != 0 || f.LocalPort != 0 || f.RemotePort != 0 {
		return 0
	}
	var data []byte
	for _, name := range []string{"/net/sockstat", "/net/sockstat6"} {
		if b, err := procfile.Read(c.opts.procRoot()+name, 4<<10); err == nil {
			data = append(append(data, b...), '\n')
		}
	}
	tcp, udp := parseSockstat(data)
	n := 0
	if c.opts.WantProto(ProtoTCP) {
		n += tcp
	}
	if c.opts.WantProto(ProtoUDP) {
		n += udp
	}
	return min(n+n/16+16, maxSizeHint)
}

// procNetName is the /proc/net file of a table: tcp, tcp6, udp, udp6.
func procNetName(p Proto, f Family) string {
	name := p.String()
	if f == FamilyIPv6 {
		name += "6"
	}
	return name
}

// nsRead is what reading one namespace gave.
type nsRead struct {
	socks    []Socket
	source   Source
	notices  []string // how it was read; they lose nothing
	warnings []string // what was lost
}

// readNamespaces reads every namespace of list, a few at a time,
// and returns their sockets in the order of the namespaces, each marked
// with its namespace. The caller's own namespace is read as without
// namespaces; another is entered to open a sock_diag socket in it, and
// when that is refused (it takes CAP_SYS_ADMIN) its /proc/<pid>/net
// tables are read through a process inside. A namespace that cannot be
// read at all is a warning naming it and the reason, never an error.
func (c *linuxCollector) readNamespaces(ctx context.Context, list []Netns, snap *Snapshot, warn func(string)) ([]Socket, error) {
	reads := make([]nsRead, len(list))
	jobs := make(chan int)
	workers := min(len(list), max(runtime.GOMAXPROCS(0), 2))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				reads[i] = c.readNamespace(&list[i])
			}
		}()
	}
	for i := range list {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	n, sources := 0, map[Source]bool{}
	for i := range reads {
		n += len(reads[i].socks)
		if reads[i].source != SourceAuto {
			sources[reads[i].source] = true
		}
	}
	socks := make([]Socket, 0, n)
	for i := range reads {
		r := &reads[i]
		for _, msg := range r.notices {
			c.opts.notice(snap, msg)
		}
		for _, msg := range r.warnings {
			warn(msg)
		}
		if r.source != SourceAuto {
			snap.Namespaces = append(snap.Namespaces, list[i])
		}
		socks = append(socks, r.socks...)
	}
	if len(snap.Namespaces) == 0 {
		return nil, fmt.Errorf("no network namespace could be read (%d tried); run as root to enter them", len(list))
	}
	snap.Source = SourceNetlink
	if sources[SourceProcfs] && !sources[SourceNetlink] {
		snap.Source = SourceProcfs
	}
	return socks, nil
}

// readNamespace reads one namespace's tables.
func (c *linuxCollector) readNamespace(ns *Netns) nsRead {
	var r nsRead
	hold := func(msg string) { r.warnings = append(r.warnings, ns.Label()+": "+msg) }
	var err error
	if ns.Current {
		notice := func(msg string) { r.notices = append(r.notices, ns.Label()+": "+msg) }
		r.socks, r.source, err = c.readOwn(notice, hold)
	} else {
		r.socks, r.source, err = c.readOther(ns, &r, hold)
	}
	if err != nil {
		r.socks, r.source = nil, SourceAuto
		r.warnings = append(r.warnings, fmt.Sprintf("%s: cannot read its sockets: %v", ns.describe(), err))
		return r
	}
	for i := range r.socks {
		r.socks[i].Netns = ns.Inode
	}
	return r
}

// readOther reads a namespace other than the caller's: over a sock_diag
// socket opened inside it, else (with a process inside) from that
// process's /proc/<pid>/net, as the options' source allows.
func (c *linuxCollector) readOther(ns *Netns, r *nsRead, warn func(string)) ([]Socket, Source, error) {
	var enterErr error
	if c.opts.Source != SourceProcfs {
		d, err := openSockDiagIn(ns.Path)
		if err == nil {
			defer d.close()
			socks, err := c.dumpNetlink(d, warn)
			return socks, SourceNetlink, err
		}
		enterErr = err
		if c.opts.Source == SourceNetlink {
			return nil, SourceAuto, enterErr
		}
	}
	if ns.PID == 0 {
		if enterErr == nil {
			enterErr = errors.New("no process inside it to read /proc/<pid>/net through")
		}
		return nil, SourceAuto, enterErr
	}
	netDir := c.opts.procRoot() + "/" + strconv.Itoa(ns.PID) + "/net"
	socks, err := c.readProcfs(netDir, 0, warn)
	if err != nil {
		if enterErr != nil {
			err = fmt.Errorf("%v; and %w", enterErr, err)
		}
		return nil, SourceAuto, err
	}
	if enterErr != nil {
		r.notices = append(r.notices, fmt.Sprintf("%s: %v; read %s instead", ns.describe(), enterErr, netDir))
	}
	return socks, SourceProcfs, nil
}
