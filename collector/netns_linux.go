package collector

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RunNetnsDir is where ip netns keeps its named namespaces.
const RunNetnsDir = "/run/netns"

// NetnsList is what ListNetns found.
type NetnsList struct {
	Namespaces []Netns // the caller's first, then named ones, then the rest
	// Hidden counts the processes whose namespace this user may not see
	// (/proc/<pid>/ns/net is readable only to the process's owner and
	// root): their namespaces may be missing from Namespaces.
	Hidden int
}

// ListNetns finds every distinct network namespace on the host: those of
// every process (/proc/<pid>/ns/net) and the named ones in runDir
// (RunNetnsDir when empty), with or without a process in them. procRoot
// is "/proc" when empty.
func ListNetns(procRoot, runDir string) (NetnsList, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	if runDir == "" {
		runDir = RunNetnsDir
	}
	var out NetnsList
	self, err := netnsOfLink(procRoot + "/thread-self/ns/net")
	if err != nil {
		if self, err = netnsOfLink(procRoot + "/self/ns/net"); err != nil {
			return out, fmt.Errorf("cannot read this process's network namespace: %w", err)
		}
	}
	out.Namespaces = append(out.Namespaces, Netns{Inode: self, Path: procRoot + "/self/ns/net", PID: os.Getpid(), Current: true})

	if entries, err := os.ReadDir(runDir); err == nil {
		for _, e := range entries {
			path := runDir + "/" + e.Name()
			var st unix.Stat_t
			if unix.Stat(path, &st) != nil || st.Ino == 0 || !isNsfs(path) {
				// An entry whose namespace was deleted, or not yet bound.
				continue
			}
			out.Namespaces = mergeNetns(out.Namespaces, Netns{Inode: st.Ino, Name: e.Name(), Path: path})
		}
	}

	procs, err := listProcs(procRoot)
	if err != nil {
		return out, fmt.Errorf("cannot list processes in %s: %w", procRoot, err)
	}
	buf := make([]byte, 64)
	for _, p := range procs {
		link := procRoot + "/" + strconv.Itoa(p.pid) + "/ns/net"
		n, err := unix.Readlink(link, buf)
		if err != nil {
			if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
				out.Hidden++
			}
			continue
		}
		ino, ok := parseNetnsLink(buf[:n])
		if !ok {
			continue
		}
		out.Namespaces = mergeNetns(out.Namespaces, Netns{Inode: ino, Path: link, PID: p.pid})
	}
	sortNetns(out.Namespaces)
	return out, nil
}

// ResolveNetns finds the namespace a --netns value names: a name under
// runDir (RunNetnsDir when empty), a path to a namespace file (a
// /run/netns entry, /proc/<pid>/ns/net, a bind mount elsewhere) or a PID.
func ResolveNetns(spec, procRoot, runDir string) (Netns, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	if runDir == "" {
		runDir = RunNetnsDir
	}
	self, _ := netnsOfLink(procRoot + "/self/ns/net")
	var n Netns
	switch {
	case spec == "":
		return n, errNetnsSpec(spec, "empty")
	case strings.ContainsRune(spec, '/'):
		n.Path = spec
		if strings.HasPrefix(spec, runDir+"/") {
			n.Name = strings.TrimPrefix(spec, runDir+"/")
		}
	case isDecimal(spec):
		pid, err := strconv.Atoi(spec)
		if err != nil || pid <= 0 {
			return n, errNetnsSpec(spec, "not a process id")
		}
		n.PID, n.Path = pid, procRoot+"/"+spec+"/ns/net"
		ino, err := netnsOfLink(n.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return n, errNetnsSpec(spec, "no such process")
		case err != nil:
			return n, fmt.Errorf("netns %q: cannot read %s: %w (run as root or as the process's owner)", spec, n.Path, err)
		}
		n.Inode = ino
		n.Current = ino == self
		return n, nil
	default:
		if !validNetnsName(spec) {
			return n, errNetnsSpec(spec, "not a valid namespace name")
		}
		n.Name, n.Path = spec, runDir+"/"+spec
	}
	var st unix.Stat_t
	if err := unix.Stat(n.Path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			if n.Name != "" && !strings.ContainsRune(spec, '/') {
				return n, errNetnsSpec(spec, "no such namespace in "+runDir)
			}
			return n, errNetnsSpec(spec, "no such file")
		}
		return n, fmt.Errorf("netns %q: %w", spec, err)
	}
	if !isNsfs(n.Path) {
		return n, errNetnsSpec(spec, n.Path+" is not a namespace file")
	}
	n.Inode = st.Ino
	n.Current = st.Ino == self
	return n, nil
}

// netnsOfLink reads a /proc/<pid>/ns/net link and returns the inode of
// the namespace it names.
func netnsOfLink(path string) (uint64, error) {
	buf := make([]byte, 64)
	n, err := unix.Readlink(path, buf)
	if err != nil {
		return 0, &os.PathError{Op: "readlink", Path: path, Err: err}
	}
	ino, ok := parseNetnsLink(buf[:n])
	if !ok {
		return 0, fmt.Errorf("%s: %q is not a network namespace", path, buf[:n])
	}
	return ino, nil
}

// isNsfs reports whether path is a file of nsfs, the namespaces' file
// system (what /run/netns entries are bind mounts of).
func isNsfs(path string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(path, &fs) == nil && fs.Type == unix.NSFS_MAGIC
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// openSockDiagIn opens a sock_diag socket inside the namespace at path: a
// netlink socket belongs for good to the namespace of the thread that
// created it. The goroutine locks its thread, enters the namespace,
// creates the socket and goes back; a thread that cannot go back is never
// unlocked, so the runtime ends it with the goroutine rather than run Go
// code in the wrong namespace.
func openSockDiagIn(path string) (*sockDiag, error) {
	type result struct {
		d   *sockDiag
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cannot open %s: %w", path, err)}
			return
		}
		defer unix.Close(target)
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cannot open this thread's namespace: %w", err)}
			return
		}
		defer unix.Close(home)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cannot enter it: %w", err)}
			return
		}
		d, err := openSockDiag()
		if unix.Setns(home, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{d, err}
	}()
	r := <-ch
	return r.d, r.err
}
