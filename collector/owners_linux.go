package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// findOwners walks /proc/<pid>/fd of every process and records which
// processes hold the sockets in socks. Processes that exit during the walk
// and fd tables this user may not read are counted, not errors.
//
// The walk stops as soon as every socket has an owner, unless one of them
// is listening: a listener (or an unconnected UDP socket) is often shared
// by several processes (a pre-fork server's workers), and all of them are
// listed, which takes the whole walk. A connection is held by one process
// in practice, so for connections alone the first holder found ends the
// search for that socket.
func findOwners(ctx context.Context, procRoot string, socks []Socket, warn func(string)) error {
	shared := &walkShared{wanted: make(map[uint64]int32, len(socks)), stopEarly: true}
	for i := range socks {
		if socks[i].Inode != 0 {
			shared.wanted[socks[i].Inode] = int32(i)
			if socks[i].Listening() {
				shared.stopEarly = false
			}
		}
	}
	wanted := shared.wanted
	shared.found = make([]atomic.Bool, len(socks))
	shared.remaining.Store(int64(len(wanted)))
	if len(wanted) == 0 {
		attachOwners(socks, nil, nil, walkStats{}, os.Geteuid())
		return nil
	}

	pids, err := listPIDs(procRoot)
	if err != nil {
		return fmt.Errorf("cannot list processes in %s: %w", procRoot, err)
	}

	// More workers than CPUs: the per-fd work is in the kernel, and a few
	// extra walkers keep both CPUs busy when process sizes are uneven
	// (measured: 2 workers 0.52-0.59 s, 6 workers 0.45-0.51 s for 120k fds
	// on 2 CPUs).
	workers := min(2*max(runtime.NumCPU(), 2), 8, len(pids))
	jobs := make(chan int)
	results := make([]ownerWalker, workers)
	var wg sync.WaitGroup
	for w := range results {
		wk := &results[w]
		wk.procRoot = procRoot
		wk.shared = shared
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pid := range jobs {
				wk.walkPID(pid)
			}
		}()
	}
feed:
	for _, pid := range pids {
		if shared.done() {
			break
		}
		select {
		case jobs <- pid:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	n := 0
	for i := range results {
		n += len(results[i].hits)
	}
	hits := make([]ownerHit, 0, n)
	comm := make(map[int]string)
	var st walkStats
	for i := range results {
		wk := &results[i]
		hits = append(hits, wk.hits...)
		wk.hits = nil
		for pid, name := range wk.comm {
			comm[pid] = name
		}
		st.denied += wk.stats.denied
		st.exited += wk.stats.exited
		for _, msg := range wk.warnings {
			warn(msg)
		}
	}
	attachOwners(socks, hits, comm, st, os.Geteuid())
	return nil
}

// listPIDs returns the numeric entries of procRoot.
func listPIDs(procRoot string) ([]int, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// walkShared is what the workers of one walk share.
type walkShared struct {
	wanted    map[uint64]int32 // socket inode -> index; read only
	found     []atomic.Bool    // per socket index: an owner was found
	remaining atomic.Int64     // wanted sockets without an owner yet
	stopEarly bool             // stop when remaining reaches 0
}

// done reports whether the walk may stop.
func (sh *walkShared) done() bool { return sh.stopEarly && sh.remaining.Load() == 0 }

// hit records that socket idx has an owner.
func (sh *walkShared) hit(idx int32) {
	if !sh.found[idx].Swap(true) {
		sh.remaining.Add(-1)
	}
}

// ownerWalker is one worker's state: reusable buffers and its findings.
type ownerWalker struct {
	procRoot string
	shared   *walkShared
	dents    []byte
	link     []byte
	hits     []ownerHit
	comm     map[int]string
	stats    walkStats
	warnings []string
}

// walkPID reads the fd table of one process.
func (wk *ownerWalker) walkPID(pid int) {
	if wk.dents == nil {
		wk.dents = make([]byte, 32<<10)
		wk.link = make([]byte, 64)
	}
	dir := wk.procRoot + "/" + strconv.Itoa(pid) + "/fd"
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		switch {
		case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
			wk.stats.denied++
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
			wk.stats.exited++
		default:
			wk.warnings = append(wk.warnings, fmt.Sprintf("cannot read %s: %v", dir, err))
		}
		return
	}
	defer unix.Close(dfd)

	found, denied := false, false
	for !wk.shared.done() {
		n, err := unix.Getdents(dfd, wk.dents)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
				wk.stats.exited++
			} else if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
				wk.stats.denied++
			}
			break
		}
		if n <= 0 {
			break
		}
		eachDirent(wk.dents[:n], func(name []byte) {
			ino, ok, errno := wk.readSocketLink(dfd, name)
			if errno == unix.EACCES || errno == unix.EPERM {
				denied = true
			}
			if !ok {
				return
			}
			if idx, ok := wk.shared.wanted[ino]; ok {
				wk.hits = append(wk.hits, ownerHit{sock: idx, pid: int32(pid), fd: parseFD(name[:len(name)-1])})
				wk.shared.hit(idx)
				found = true
			}
		})
	}
	if denied {
		// Root too can be refused a process's fd links (a process that is
		// not dumpable, or a security module's policy).
		wk.stats.denied++
	}
	if found {
		if wk.comm == nil {
			wk.comm = make(map[int]string)
		}
		wk.comm[pid] = readComm(wk.procRoot, pid)
	}
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

// readSocketLink reads the link named by the NUL-terminated nameWithNUL in
// directory dfd without allocating, and returns its socket inode.
func (wk *ownerWalker) readSocketLink(dfd int, nameWithNUL []byte) (uint64, bool, unix.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dfd),
		uintptr(unsafe.Pointer(&nameWithNUL[0])),
		uintptr(unsafe.Pointer(&wk.link[0])), uintptr(len(wk.link)), 0, 0)
	if errno != 0 {
		return 0, false, errno
	}
	ino, ok := parseSocketLink(wk.link[:n])
	return ino, ok, 0
}

// readComm returns the process name of pid, or "" when it exited.
func readComm(procRoot string, pid int) string {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSuffix(b, []byte("\n")))
}
