package collector

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"

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
//
// A process can also let go of a socket that lives on in another holder
// (dup2 over its fd, or close and reopen under the same number): nothing
// in the listing changes. A socket whose holders are only known through
// one (pid, fd) is gone when that fd lets go of it, unless its other
// holder is out of sight, so the cache rereads the cached links of every
// socket it finds in more than one place, each refresh; and, for holders
// out of sight, a rotating share (1/auditPeriod) of every other cached
// socket link, so that no cached owner outlives its fd by more than
// auditPeriod refreshes.
type ownerCache struct {
	procs        map[int]*procFDs
	lastWanted   map[uint64]int32 // the previous refresh's wanted sockets
	unresolvable map[uint64]struct{}
	generation   uint64 // refreshes so far; picks the audited share
}

// auditPeriod is how many refreshes the rotating recheck of cached socket
// links takes to cover all of them.
const auditPeriod = 64

// refreshStats says what one refresh of the cache did.
type refreshStats struct {
	readlinks  int   // links read
	fullPasses int   // passes that reread every link (0 or 1)
	relists    int   // passes that listed every process again (0 or 1)
	skipped    []int // PIDs taken from the cache without listing their fds
	rechecked  int   // cached links reread to check their holder
	dropped    int   // cached holders that had let go of their socket
}

// find fills the owners of socks like findOwners, reusing and updating
// the cache.
func (c *ownerCache) find(ctx context.Context, procRoot string, socks []Socket, warn func(string)) error {
	_, err := c.refresh(ctx, procRoot, socks, warn)
	return err
}

// refresh is find, saying what it did.
func (c *ownerCache) refresh(ctx context.Context, procRoot string, socks []Socket, warn func(string)) (refreshStats, error) {
	var st refreshStats
	wanted := make(map[uint64]int32, len(socks))
	for i := range socks {
		if socks[i].Inode != 0 {
			wanted[socks[i].Inode] = int32(i)
		}
	}
	dirs, err := listProcs(procRoot)
	if err != nil {
		return st, fmt.Errorf("cannot list processes in %s: %w", procRoot, err)
	}
	if c.procs == nil {
		c.procs = make(map[int]*procFDs)
	}
	next := make(map[int]*procFDs, len(dirs))
	procs := make([]*procFDs, 0, len(dirs))
	for _, d := range dirs {
		p := c.procs[d.pid]
		if p == nil || p.dirIno != d.ino {
			p = &procFDs{pid: d.pid, dirIno: d.ino}
		}
		next[d.pid] = p
		procs = append(procs, p)
	}
	c.procs = next
	c.generation++

	policy := &cachePolicy{procRoot: procRoot, wanted: wanted, lastWanted: c.lastWanted}
	walk := &fdWalk{procRoot: procRoot, nsocks: len(socks), wanted: wanted, policy: policy}
	pass := func() (*walkResult, error) {
		res, err := walk.run(ctx, procs)
		if err != nil {
			return nil, err
		}
		st.readlinks += res.readlinks
		c.recheck(procRoot, wanted, res, &st)
		return res, nil
	}
	res, err := pass()
	if err != nil {
		return st, err
	}
	st.skipped = res.skipped
	if len(res.skipped) > 0 && c.needFullPass(socks, res) {
		// A new socket in a process whose fd count did not change (a
		// file closed and a socket opened): list every process.
		st.relists++
		policy.relist = true
		if res, err = pass(); err != nil {
			return st, err
		}
	}
	readAll := res.trusted == 0
	if !readAll && c.needFullPass(socks, res) {
		st.fullPasses++
		policy.full = true
		if res, err = pass(); err != nil {
			return st, err
		}
		readAll = true
	}

	// Remember the sockets nobody could be found for after reading every
	// link, so that they do not force a full pass again.
	unresolvable := make(map[uint64]struct{})
	for ino, idx := range wanted {
		if res.found[idx] {
			continue
		}
		if _, known := c.unresolvable[ino]; known || readAll {
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
	return st, nil
}

// needFullPass reports whether a wanted socket is still without an owner
// for a reason a full pass could remove: it is new, and it is not another
// user's socket that a normal user cannot see the holder of anyway.
func (c *ownerCache) needFullPass(socks []Socket, res *walkResult) bool {
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

// recheck rereads the links that res took from the cache for sockets
// found in more than one place, and for this refresh's share of the
// others, and drops the holders that no longer hold their socket (fixing
// their cache entries, and recording what the fd holds now).
func (c *ownerCache) recheck(procRoot string, wanted map[uint64]int32, res *walkResult, st *refreshStats) {
	places := make(map[int32]int32) // socket index -> hits, for sockets with a cached hit
	for _, h := range res.hits {
		if h.cached {
			places[h.sock] = 0
		}
	}
	if len(places) == 0 {
		return
	}
	for _, h := range res.hits {
		if n, ok := places[h.sock]; ok {
			places[h.sock] = n + 1
		}
	}
	var rd fdWalker
	rd.link = make([]byte, 64)
	dirs := make(map[int]int) // pid -> open fd directory, or -1
	defer func() {
		for _, dfd := range dirs {
			if dfd >= 0 {
				unix.Close(dfd)
			}
		}
	}()
	kept := res.hits[:0]
	var moved []ownerHit
	for _, h := range res.hits {
		if !h.cached || (places[h.sock] < 2 && !c.dueForAudit(h)) {
			kept = append(kept, h)
			continue
		}
		dfd, ok := dirs[int(h.pid)]
		if !ok {
			dfd, _ = unix.Open(procRoot+"/"+strconv.Itoa(int(h.pid))+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if dfd < 0 {
				dfd = -1
			}
			dirs[int(h.pid)] = dfd
		}
		if dfd < 0 {
			kept = append(kept, h) // exited or hidden since the pass: keep what it said
			continue
		}
		st.rechecked++
		e := rd.readEntryAt(dfd, h.fd)
		if e.kind == fdSocket {
			if idx, ok := wanted[e.ino]; ok && idx == h.sock {
				kept = append(kept, h)
				continue
			}
		}
		st.dropped++
		if p := c.procs[int(h.pid)]; p != nil {
			if i, ok := slices.BinarySearchFunc(p.fds, h.fd, func(e fdEntry, fd int32) int { return int(e.fd - fd) }); ok {
				p.fds[i] = e
			}
		}
		if e.kind == fdSocket {
			if idx, ok := wanted[e.ino]; ok {
				moved = append(moved, ownerHit{sock: idx, pid: h.pid, fd: h.fd})
			}
		}
	}
	st.readlinks += rd.res.readlinks
	res.hits = append(kept, moved...)
	clear(res.found)
	for _, h := range res.hits {
		res.found[h.sock] = true
	}
}

// dueForAudit reports whether this refresh rechecks the cached hit h
// although its socket has no other known holder: a rotating share of
// them, spread by socket index, PID and fd.
func (c *ownerCache) dueForAudit(h ownerHit) bool {
	return (uint64(h.sock)+uint64(h.pid)*31+uint64(h.fd)*7+c.generation)%auditPeriod == 0
}

// cachePolicy is the cache's walkPolicy for one refresh.
type cachePolicy struct {
	procRoot   string
	wanted     map[uint64]int32
	lastWanted map[uint64]int32
	relist     bool // list every process's fds, even those that look unchanged
	full       bool // reread every link
}

// reuse takes p's fds from the cache without listing its fd directory,
// when that is safe enough: the directory's size, which procfs reports as
// the number of open fds (Linux 6.2 and later; 0 before, which never
// matches), is unchanged, and none of p's sockets that were wanted last
// time has gone. A process that swaps a file for a socket under the same
// number keeps its count; its new socket then has no owner after the quick
// pass, and find lists every process again.
func (cp *cachePolicy) reuse(wk *fdWalker, p *procFDs) bool {
	if cp.relist || cp.full || !p.listed || p.denied {
		return false
	}
	var st unix.Stat_t
	if unix.Stat(cp.procRoot+"/"+strconv.Itoa(p.pid)+"/fd", &st) != nil || st.Size != int64(len(p.fds)) {
		return false
	}
	mark := len(wk.res.hits)
	found := false
	for _, e := range p.fds {
		if e.kind != fdSocket {
			continue
		}
		if idx, ok := cp.wanted[e.ino]; ok {
			wk.hit(idx, p.pid, e.fd, true)
			found = true
		} else if _, was := cp.lastWanted[e.ino]; was {
			wk.res.hits = wk.res.hits[:mark] // closed: its number may hold a new socket
			return false
		}
	}
	wk.res.trusted += len(p.fds)
	wk.res.skipped = append(wk.res.skipped, p.pid)
	if found {
		wk.noteComm(p.pid)
	}
	return true
}

// trust reports whether a cached entry for an fd number that is still open
// may be used without reading the link again.
func (cp *cachePolicy) trust(e fdEntry) bool {
	switch {
	case cp.full:
		return false
	case e.kind != fdSocket:
		return true
	}
	if _, ok := cp.wanted[e.ino]; ok {
		return true
	}
	// A socket wanted last time and not now has closed (or left the
	// filter): its fd number may hold a new socket.
	_, wasWanted := cp.lastWanted[e.ino]
	return !wasWanted
}
