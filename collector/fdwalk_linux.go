package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The owner walk: /proc/<pid>/fd of every process, each socket link's inode
// looked up among the wanted sockets. One implementation serves the one-shot
// lookup (findOwners) and the cached one of watch mode (ownerCache), which
// passes a policy saying which links it may take from its cache instead of
// reading them.

// procFDs is one process of a walk, and, for the cache, what its fd table
// held the last time it was read.
type procFDs struct {
	pid    int
	dirIno uint64    // inode of /proc/<pid>: a recycled PID gets a new one
	fds    []fdEntry // sorted by fd; kept only by the cache
	listed bool      // fds holds a listing of the fd directory
	denied bool      // the fd table, or some of its links, could not be read
	gone   bool      // the process exited
}

// fdEntry is what one fd refers to.
type fdEntry struct {
	fd   int32
	kind fdKind
	ino  uint64 // socket inode when kind is fdSocket
}

type fdKind uint8

const (
	fdOther  fdKind = iota // not a socket
	fdSocket               // a socket; ino is its inode
	fdDenied               // the link could not be read
)

// walkPolicy is what the cache decides for a walk; the one-shot walk has
// none.
type walkPolicy interface {
	// reuse may take p's whole fd table from the cache without listing its
	// fd directory, recording its hits with w.hitCached; it reports
	// whether it did.
	reuse(w *fdWalker, p *procFDs) bool
	// trust reports whether the cached entry e for an fd that is still
	// open may be used without reading its link again.
	trust(e fdEntry) bool
}

// fdWalk is one pass over a list of processes.
type fdWalk struct {
	procRoot string
	wanted   map[uint64]int32 // socket inode -> index into the socket slice
	nsocks   int
	policy   walkPolicy // nil: read every link, keep nothing
	// stopEarly ends the walk once every wanted socket has one owner (the
	// one-shot lookup of connections only).
	stopEarly bool
	found     []atomic.Bool // per socket index, with stopEarly
	remaining atomic.Int64  // wanted sockets without an owner, with stopEarly
}

// walkResult is what a pass found.
type walkResult struct {
	hits      []ownerHit
	found     []bool // per socket index
	comm      map[int]string
	stats     walkStats
	warnings  []string
	readlinks int
	trusted   int   // links taken from the cache
	skipped   []int // PIDs whose fd tables were taken from the cache unlisted
}

// done reports whether the walk may stop.
func (w *fdWalk) done() bool { return w.stopEarly && w.remaining.Load() == 0 }

// run walks procs with a small worker pool. Each worker owns the procFDs
// it is given, so the cache needs no lock.
func (w *fdWalk) run(ctx context.Context, procs []*procFDs) (*walkResult, error) {
	if w.stopEarly {
		w.found = make([]atomic.Bool, w.nsocks)
		w.remaining.Store(int64(len(w.wanted)))
	}
	// More workers than CPUs: the per-fd work is in the kernel, and a few
	// extra walkers keep both CPUs busy when process sizes are uneven
	// (measured: 2 workers 0.52-0.59 s, 6 workers 0.45-0.51 s for 120k fds
	// on 2 CPUs).
	workers := min(2*max(runtime.NumCPU(), 2), 8, max(len(procs), 1))
	walkers := make([]fdWalker, workers)
	jobs := make(chan *procFDs)
	var wg sync.WaitGroup
	for i := range walkers {
		wk := &walkers[i]
		wk.walk = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				wk.walkProc(p)
			}
		}()
	}
feed:
	for _, p := range procs {
		if w.done() {
			break
		}
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &walkResult{comm: make(map[int]string), found: make([]bool, w.nsocks)}
	n := 0
	for i := range walkers {
		n += len(walkers[i].res.hits)
	}
	res.hits = make([]ownerHit, 0, n)
	for i := range walkers {
		r := &walkers[i].res
		res.hits = append(res.hits, r.hits...)
		for pid, name := range r.comm {
			res.comm[pid] = name
		}
		res.stats.denied += r.stats.denied
		res.stats.exited += r.stats.exited
		res.warnings = append(res.warnings, r.warnings...)
		res.readlinks += r.readlinks
		res.trusted += r.trusted
		res.skipped = append(res.skipped, r.skipped...)
	}
	for _, h := range res.hits {
		res.found[h.sock] = true
	}
	return res, nil
}

// fdWalker is one worker of a walk: reusable buffers and its findings.
type fdWalker struct {
	walk  *fdWalk
	dents []byte
	link  []byte
	name  []byte
	fresh []fdEntry
	res   walkResult
}

// walkProc reads the fd table of one process.
func (wk *fdWalker) walkProc(p *procFDs) {
	if wk.dents == nil {
		wk.dents = make([]byte, 32<<10)
		wk.link = make([]byte, 64)
	}
	w := wk.walk
	if w.policy != nil && w.policy.reuse(wk, p) {
		return
	}
	dir := w.procRoot + "/" + strconv.Itoa(p.pid) + "/fd"
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		wk.failed(p, dir, err)
		return
	}
	defer unix.Close(dfd)

	old := p.fds
	keep := w.policy != nil
	wk.fresh = wk.fresh[:0]
	denied, found := false, false
	j, last := 0, int32(-1)
	// An early stop comes between batches of the listing, so a process's
	// fds that share a batch are all seen: one holder's every fd is listed.
	for !w.done() {
		n, err := unix.Getdents(dfd, wk.dents)
		if err != nil {
			wk.failed(p, dir, err)
			return
		}
		if n <= 0 {
			break
		}
		eachDirent(wk.dents[:n], func(name []byte) {
			fd := parseFD(name[:len(name)-1])
			if fd < 0 {
				return
			}
			// procfs lists fds in order, so the cached entry is found by
			// walking old along; other file systems (tests) may not.
			if fd < last {
				j = 0
			}
			last = fd
			for j < len(old) && old[j].fd < fd {
				j++
			}
			var e fdEntry
			cached := keep && j < len(old) && old[j].fd == fd && w.policy.trust(old[j])
			if cached {
				e = old[j]
				wk.res.trusted++
			} else {
				e = wk.readEntry(dfd, fd, name)
			}
			switch e.kind {
			case fdDenied:
				denied = true
			case fdSocket:
				if idx, ok := w.wanted[e.ino]; ok {
					wk.hit(idx, p.pid, fd, cached)
					found = true
				}
			}
			if keep {
				wk.fresh = append(wk.fresh, e)
			}
		})
	}
	if keep {
		fresh := slices.Clone(wk.fresh)
		if !slices.IsSortedFunc(fresh, compareFD) {
			slices.SortFunc(fresh, compareFD)
		}
		p.fds, p.listed = fresh, true
	}
	p.denied = denied
	if denied {
		// Root too can be refused a process's fd links (a process that is
		// not dumpable, or a security module's policy).
		wk.res.stats.denied++
	}
	if found {
		wk.noteComm(p.pid)
	}
}

func compareFD(a, b fdEntry) int { return int(a.fd - b.fd) }

// failed sorts an error opening or listing p's fd directory: a process
// that exited, one this user may not look into, or something to warn of.
func (wk *fdWalker) failed(p *procFDs, dir string, err error) {
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		wk.res.stats.denied++
		p.denied, p.fds, p.listed = true, nil, false
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
		wk.res.stats.exited++
		p.gone = true
	default:
		wk.res.warnings = append(wk.res.warnings, fmt.Sprintf("cannot read %s: %v", dir, err))
		p.fds, p.listed = nil, false
	}
}

// hit records that fd of pid holds the wanted socket idx; cached says the
// link was taken from the cache rather than read.
func (wk *fdWalker) hit(idx int32, pid int, fd int32, cached bool) {
	wk.res.hits = append(wk.res.hits, ownerHit{sock: idx, pid: int32(pid), fd: fd, cached: cached})
	if w := wk.walk; w.stopEarly && !w.found[idx].Swap(true) {
		w.remaining.Add(-1)
	}
}

// noteComm records the name of a process that holds a wanted socket.
func (wk *fdWalker) noteComm(pid int) {
	if _, ok := wk.res.comm[pid]; ok {
		return
	}
	if wk.res.comm == nil {
		wk.res.comm = make(map[int]string)
	}
	if name := readComm(wk.walk.procRoot, pid); name != "" {
		wk.res.comm[pid] = name
	}
}

// readEntry reads the link of fd, named by the NUL-terminated nameWithNUL
// in directory dfd, without allocating.
func (wk *fdWalker) readEntry(dfd int, fd int32, nameWithNUL []byte) fdEntry {
	wk.res.readlinks++
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dfd),
		uintptr(unsafe.Pointer(&nameWithNUL[0])),
		uintptr(unsafe.Pointer(&wk.link[0])), uintptr(len(wk.link)), 0, 0)
	switch {
	case errno == unix.EACCES || errno == unix.EPERM:
		return fdEntry{fd: fd, kind: fdDenied}
	case errno != 0:
		return fdEntry{fd: fd, kind: fdOther} // closed since the listing
	}
	if ino, ok := parseSocketLink(wk.link[:n]); ok {
		return fdEntry{fd: fd, kind: fdSocket, ino: ino}
	}
	return fdEntry{fd: fd, kind: fdOther}
}

// readEntryAt reads the link of fd in the fd directory open as dfd.
func (wk *fdWalker) readEntryAt(dfd int, fd int32) fdEntry {
	wk.name = append(strconv.AppendInt(wk.name[:0], int64(fd), 10), 0)
	return wk.readEntry(dfd, fd, wk.name)
}

// parseFD parses the decimal name of an fd link; -1 if it is not one.
func parseFD(name []byte) int32 {
	if len(name) == 0 || len(name) > 9 {
		return -1
	}
	var fd int32
	for _, c := range name {
		if c < '0' || c > '9' {
			return -1
		}
		fd = fd*10 + int32(c-'0')
	}
	return fd
}

// eachDirent calls fn with the NUL-terminated name of every linux_dirent64
// record in buf, skipping "." and "..".
func eachDirent(buf []byte, fn func(nameWithNUL []byte)) {
	eachDirentIno(buf, func(_ uint64, name []byte) { fn(name) })
}

// eachDirentIno calls fn with the inode and NUL-terminated name of every
// linux_dirent64 record in buf, skipping "." and "..".
func eachDirentIno(buf []byte, fn func(ino uint64, nameWithNUL []byte)) {
	const nameOff = 19 // d_ino(8) d_off(8) d_reclen(2) d_type(1)
	for len(buf) >= nameOff {
		reclen := int(*(*uint16)(unsafe.Pointer(&buf[16])))
		if reclen < nameOff || reclen > len(buf) {
			return
		}
		name := buf[nameOff:reclen]
		if end := bytes.IndexByte(name, 0); end >= 0 {
			name = name[:end+1]
			if name[0] != '.' {
				fn(*(*uint64)(unsafe.Pointer(&buf[0])), name)
			}
		}
		buf = buf[reclen:]
	}
}

// procDirent is one process directory of /proc.
type procDirent struct {
	pid int
	ino uint64
}

// listProcs lists the process directories of procRoot with their inodes.
func listProcs(procRoot string) ([]procDirent, error) {
	dfd, err := unix.Open(procRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	buf := make([]byte, 32<<10)
	var out []procDirent
	for {
		n, err := unix.Getdents(dfd, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		eachDirentIno(buf[:n], func(ino uint64, name []byte) {
			if fd := parseFD(name[:len(name)-1]); fd >= 0 {
				out = append(out, procDirent{pid: int(fd), ino: ino})
			}
		})
	}
}

// commMax bounds the read of /proc/<pid>/comm: the kernel's limit is 16
// bytes with the newline; a larger file is not procfs.
const commMax = 64

// readComm returns the process name of pid, or "" when it exited.
func readComm(procRoot string, pid int) string {
	fd, err := unix.Open(procRoot+"/"+strconv.Itoa(pid)+"/comm", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	var buf [commMax]byte
	n, err := unix.Read(fd, buf[:])
	if err != nil || n <= 0 {
		return ""
	}
	return string(bytes.TrimSuffix(buf[:n], []byte("\n")))
}
