package collector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ownerCache remembers between refreshes which socket every file descriptor
// of every process refers to, so that a refresh reads only the fd links it
// has not seen (Options.Incremental). A refresh skips a process whose fd
// count (the size procfs gives its fd directory) is unchanged and whose
// wanted sockets are all still there. It lists the fd directory (getdents)
// of the others, and reads a link (readlink, the expensive part) only for
// fd numbers that are new, and for fds whose socket was wanted last time
// but is not now (closed, so the number may have been reused).
//
// An fd number can be reused without the cache seeing the old one close:
// a file closed and a socket opened under the same number between two
// refreshes. The new socket then has no owner after the quick pass; the
// refresh lists every process again, and if that is not enough makes a
// full pass that rereads every link. A socket that even the full pass
// cannot place (its holder's fds are hidden, or it is in another PID
// namespace) is remembered, so it costs one full pass, not one per
// refresh; a normal user's walk does not try for other users' sockets.
type ownerCache struct {
	procs        map[int]*procFDs
	lastWanted   map[uint64]int32 // the previous refresh's wanted sockets
	unresolvable map[uint64]struct{}
	// readlinks counts the links read by the latest refresh (tests).
	readlinks int
	// fullPasses counts the refreshes that needed a full pass (tests).
	fullPasses int
	// relists counts the refreshes that listed every process again after
	// the quick pass (tests).
	relists int
	// skipped is the number of processes the latest quick pass did not
	// list (tests).
	skipped int
}

// procFDs is the cached fd table of one process.
type procFDs struct {
	pid     int
	dirIno  uint64    // inode of /proc/<pid>: a recycled PID gets a new one
	fds     []fdEntry // sorted by fd
	reads   int       // links read by the latest refresh
	listed  bool      // fds holds a listing of the fd directory
	skipped bool      // the latest refresh took fds from the cache unlisted
	denied  bool      // the fd table, or some of its links, could not be read
	gone    bool      // the process exited
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

// find fills the owners of socks like findOwners, reusing and updating
// the cache.
func (c *ownerCache) find(ctx context.Context, procRoot string, socks []Socket, warn func(string)) error {
	wanted := make(map[uint64]int32, len(socks))
	for i := range socks {
		if socks[i].Inode != 0 {
			wanted[socks[i].Inode] = int32(i)
		}
	}
	procs, err := listProcs(procRoot)
	if err != nil {
		return fmt.Errorf("cannot list processes in %s: %w", procRoot, err)
	}
	if c.procs == nil {
		c.procs = make(map[int]*procFDs)
	}
	next := make(map[int]*procFDs, len(procs))
	jobs := make([]*procFDs, 0, len(procs))
	for _, pd := range procs {
		p := c.procs[pd.pid]
		if p == nil || p.dirIno != pd.ino {
			p = &procFDs{pid: pd.pid, dirIno: pd.ino}
		}
		next[pd.pid] = p
		jobs = append(jobs, p)
	}
	c.procs = next

	pass := &cachePass{procRoot: procRoot, nsocks: len(socks), wanted: wanted, lastWanted: c.lastWanted}
	res, err := pass.run(ctx, jobs)
	if err != nil {
		return err
	}
	c.readlinks, c.skipped = res.readlinks, res.skipped
	if res.skipped > 0 && c.needFullPass(socks, res) {
		// A new socket in a process whose fd count did not change (a
		// file closed and a socket opened): list every process.
		c.relists++
		pass.relist = true
		if res, err = pass.run(ctx, jobs); err != nil {
			return err
		}
		c.readlinks += res.readlinks
	}
	if !res.readAll && c.needFullPass(socks, res) {
		c.fullPasses++
		pass.full = true
		if res, err = pass.run(ctx, jobs); err != nil {
			return err
		}
		c.readlinks += res.readlinks
	}

	// Remember the sockets nobody could be found for after reading every
	// link, so that they do not force a full pass again.
	unresolvable := make(map[uint64]struct{})
	for ino, idx := range wanted {
		if res.found[idx] {
			continue
		}
		if _, known := c.unresolvable[ino]; known || res.readAll || pass.full {
			unresolvable[ino] = struct{}{}
		}
	}
	c.unresolvable = unresolvable
	c.lastWanted = wanted
	for pid, p := range c.procs {
		if p.gone {
			delete(c.procs, pid)
		}
	}
	for _, msg := range res.warnings {
		warn(msg)
	}
	attachOwners(socks, res.hits, res.comm, res.stats, os.Geteuid())
	return nil
}

// needFullPass reports whether a wanted socket is still without an owner
// for a reason a full pass could remove: it is new, and it is not another
// user's socket that a normal user cannot see the holder of anyway.
func (c *ownerCache) needFullPass(socks []Socket, res *passResult) bool {
	euid := os.Geteuid()
	for i := range socks {
		s := &socks[i]
		if s.Inode == 0 || res.found[i] {
			continue
		}
		if _, known := c.unresolvable[s.Inode]; known {
			continue
		}
		if euid != 0 && s.UID >= 0 && s.UID != euid {
			continue
		}
		return true
	}
	return false
}

// cachePass is one walk over the cached processes.
type cachePass struct {
	procRoot   string
	nsocks     int
	wanted     map[uint64]int32
	lastWanted map[uint64]int32
	relist     bool // list every process's fds, even those that look unchanged
	full       bool // reread every link
}

// passResult is what a pass found.
type passResult struct {
	hits      []ownerHit
	found     []bool // per socket index
	comm      map[int]string
	stats     walkStats
	warnings  []string
	readlinks int
	readAll   bool // no link was taken from the cache
	skipped   int  // processes taken from the cache without listing their fds
}

// run walks procs with a small worker pool. Each worker owns the procFDs
// it is given, so the cache needs no lock.
func (pass *cachePass) run(ctx context.Context, procs []*procFDs) (*passResult, error) {
	workers := min(2*max(runtime.NumCPU(), 2), 8, max(len(procs), 1))
	walkers := make([]cacheWalker, workers)
	jobs := make(chan *procFDs)
	var wg sync.WaitGroup
	for w := range walkers {
		wk := &walkers[w]
		wk.pass = pass
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				wk.refresh(p)
			}
		}()
	}
feed:
	for _, p := range procs {
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

	res := &passResult{comm: make(map[int]string), readAll: true}
	n := 0
	for i := range walkers {
		n += len(walkers[i].hits)
	}
	res.hits = make([]ownerHit, 0, n)
	res.found = make([]bool, pass.nsocks)
	for i := range walkers {
		wk := &walkers[i]
		res.hits = append(res.hits, wk.hits...)
		for _, h := range wk.hits {
			res.found[h.sock] = true
		}
		for pid, name := range wk.comm {
			res.comm[pid] = name
		}
		res.stats.denied += wk.stats.denied
		res.stats.exited += wk.stats.exited
		res.warnings = append(res.warnings, wk.warnings...)
		res.readlinks += wk.readlinks
		res.skipped += wk.skipped
		if wk.trusted > 0 {
			res.readAll = false
		}
	}
	return res, nil
}

// cacheWalker is one worker of a cachePass.
type cacheWalker struct {
	pass      *cachePass
	dents     []byte
	link      []byte
	name      []byte
	fds       []int32
	hits      []ownerHit
	comm      map[int]string
	stats     walkStats
	warnings  []string
	readlinks int
	trusted   int
	skipped   int
}

// refresh lists the fds of p's process and brings p.fds up to date.
func (wk *cacheWalker) refresh(p *procFDs) {
	if wk.dents == nil {
		wk.dents = make([]byte, 32<<10)
		wk.link = make([]byte, 64)
	}
	dir := wk.pass.procRoot + "/" + strconv.Itoa(p.pid) + "/fd"
	if !wk.pass.relist && !wk.pass.full && wk.reuse(p, dir) {
		return
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		switch {
		case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
			wk.stats.denied++
			p.denied, p.fds = true, nil
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
			wk.stats.exited++
			p.gone = true
		default:
			wk.warnings = append(wk.warnings, fmt.Sprintf("cannot read %s: %v", dir, err))
		}
		return
	}
	defer unix.Close(dfd)

	// The fd numbers, sorted (procfs lists them in order; other file
	// systems, as in tests, may not).
	wk.fds = wk.fds[:0]
	for {
		n, err := unix.Getdents(dfd, wk.dents)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
				wk.stats.exited++
				p.gone = true
				return
			}
			if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
				wk.stats.denied++
				p.denied, p.fds = true, nil
				return
			}
			break
		}
		if n <= 0 {
			break
		}
		eachDirent(wk.dents[:n], func(name []byte) {
			if fd := parseFD(name[:len(name)-1]); fd >= 0 {
				wk.fds = append(wk.fds, fd)
			}
		})
	}
	if !slices.IsSorted(wk.fds) {
		slices.Sort(wk.fds)
	}

	// Merge the listing with the cached entries.
	old := p.fds
	readBefore := wk.readlinks
	fresh := make([]fdEntry, 0, len(wk.fds))
	denied, found := false, false
	j := 0
	for _, fd := range wk.fds {
		for j < len(old) && old[j].fd < fd {
			j++
		}
		e := fdEntry{fd: fd}
		if j < len(old) && old[j].fd == fd && wk.trust(old[j]) {
			e = old[j]
			wk.trusted++
		} else {
			e = wk.readEntry(dfd, fd)
		}
		switch e.kind {
		case fdDenied:
			denied = true
		case fdSocket:
			if idx, ok := wk.pass.wanted[e.ino]; ok {
				wk.hits = append(wk.hits, ownerHit{sock: idx, pid: int32(p.pid), fd: fd})
				found = true
			}
		}
		fresh = append(fresh, e)
	}
	p.fds, p.listed, p.skipped = fresh, true, false
	p.reads = wk.readlinks - readBefore
	p.denied = denied
	if denied {
		wk.stats.denied++
	}
	if found {
		if wk.comm == nil {
			wk.comm = make(map[int]string)
		}
		if name := readComm(wk.pass.procRoot, p.pid); name != "" {
			wk.comm[p.pid] = name
		}
	}
}

// reuse takes p's fds from the cache without listing its fd directory,
// when that is safe enough: the directory's size, which procfs reports as
// the number of open fds (Linux 6.2 and later; 0 before, which never
// matches), is unchanged, and none of p's sockets that were wanted last
// time has gone. A process that swaps a file for a socket under the same
// number keeps its count; its new socket then has no owner after the quick
// pass, and find lists every process again.
func (wk *cacheWalker) reuse(p *procFDs, dir string) bool {
	if !p.listed || p.denied {
		return false
	}
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil || st.Size != int64(len(p.fds)) {
		return false
	}
	mark := len(wk.hits)
	found := false
	for _, e := range p.fds {
		if e.kind != fdSocket {
			continue
		}
		if idx, ok := wk.pass.wanted[e.ino]; ok {
			wk.hits = append(wk.hits, ownerHit{sock: idx, pid: int32(p.pid), fd: e.fd})
			found = true
		} else if _, was := wk.pass.lastWanted[e.ino]; was {
			wk.hits = wk.hits[:mark] // closed: its number may hold a new socket
			return false
		}
	}
	p.reads, p.skipped = 0, true
	wk.trusted += len(p.fds)
	wk.skipped++
	if found {
		if wk.comm == nil {
			wk.comm = make(map[int]string)
		}
		if name := readComm(wk.pass.procRoot, p.pid); name != "" {
			wk.comm[p.pid] = name
		}
	}
	return true
}

// trust reports whether a cached entry for an fd number that is still open
// may be used without reading the link again.
func (wk *cacheWalker) trust(e fdEntry) bool {
	switch {
	case wk.pass.full:
		return false
	case e.kind != fdSocket:
		return true
	}
	if _, ok := wk.pass.wanted[e.ino]; ok {
		return true
	}
	// A socket wanted last time and not now has closed (or left the
	// filter): its fd number may hold a new socket.
	_, wasWanted := wk.pass.lastWanted[e.ino]
	return !wasWanted
}

// readEntry reads the link of one fd.
func (wk *cacheWalker) readEntry(dfd int, fd int32) fdEntry {
	wk.readlinks++
	wk.name = append(strconv.AppendInt(wk.name[:0], int64(fd), 10), 0)
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dfd),
		uintptr(unsafe.Pointer(&wk.name[0])),
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
