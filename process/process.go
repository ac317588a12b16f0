// Package process reads what portwatch shows about the process that owns a
// socket: its name, command line, executable (and whether that file was
// deleted or replaced since the process started), user, start time,
// ancestors, and the systemd unit or container its cgroup places it in.
//
// On Linux everything comes from procfs (/proc, or another root given to
// NewReader). Other systems have no implementation yet: Lookup and Parents
// return an error wrapping errors.ErrUnsupported there.
//
// Lookup reports a missing process as ErrNotFound and nothing else as an
// error: a part that cannot be read (another user's executable when not
// root, a kernel thread's, which has none) is left at its "unknown" value
// and named in Info.Missing.
package process

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"
)

// ExeStatus says whether the running executable still matches the file at
// its path.
type ExeStatus string

// The values of ExeStatus.
const (
	// ExeUnknown: the executable could not be read or compared
	// (permission, kernel thread, process exited).
	ExeUnknown ExeStatus = ""
	// ExeOK: the file at Info.Exe is the one running.
	ExeOK ExeStatus = "ok"
	// ExeDeleted: the running file was unlinked since the process
	// started (the kernel shows " (deleted)" after its name) and nothing
	// is at the path now.
	ExeDeleted ExeStatus = "deleted"
	// ExeReplaced: a different file now sits at the path (a package
	// upgrade, a binary swapped by rename).
	ExeReplaced ExeStatus = "replaced"
)

// Container names the container a process runs in, from its cgroup path.
type Container struct {
	// Runtime is "docker", "containerd", "cri-o", "podman", "lxc" or
	// "kubernetes" (a pod's container under the cgroupfs driver, where the
	// path does not name the runtime); "" when the process is in no
	// container portwatch recognises.
	Runtime string
	// ID is the container id: 64 hex digits for docker, containerd, cri-o,
	// podman and kubernetes, the container's name for lxc. "" exactly when
	// Runtime is "".
	ID string
}

// Info is what portwatch shows about one process.
type Info struct {
	// PID is the process id, in the PID namespace of the procfs read.
	PID int
	// PPID is the parent's process id: 0 when unknown, for PID 1, for
	// kernel threads' parent kthreadd, and for processes whose parent is
	// outside this PID namespace.
	PPID int
	// Name is the kernel's command name (comm, at most 15 bytes for most
	// processes), as in /proc/<pid>/stat; it may contain spaces and
	// parentheses.
	Name string
	// Cmdline is argv, exactly as the process has it now (a process may
	// rewrite its own); nil when unreadable or empty (kernel threads,
	// zombies).
	Cmdline []string
	// CmdlineTruncated says the command line was longer than CmdlineMax
	// bytes and Cmdline holds only its start, its last argument cut;
	// Missing then says so too ("cmdline: longer than ... bytes: cut
	// there"), which is how the who view and its JSON ("unreadable")
	// show it.
	CmdlineTruncated bool
	// Exe is the path of the executable, without the " (deleted)" the
	// kernel appends to an unlinked file's name; "" when unreadable. For a
	// process in another mount namespace (a container) the path is as
	// that process sees it.
	Exe string
	// ExeStatus says whether the file at Exe is still the one running.
	ExeStatus ExeStatus
	// UID is the effective user id, from /proc/<pid>/status; -1 when
	// unknown.
	UID int
	// RealUID is the real user id; -1 when unknown.
	RealUID int
	// UserName is the account's name where the system has no numeric user
	// ids (Windows: DOMAIN\\user); "" elsewhere, where UID names it.
	UserName string
	// Start is when the process started (boot time plus the start time in
	// clock ticks, so to within a second); the zero time when unknown.
	Start time.Time
	// Cgroup is the process's cgroup v2 path (the "0::" line of
	// /proc/<pid>/cgroup) when it is not the root "/", else the path of
	// the v1 name=systemd hierarchy, else the v2 path ("/" for a process
	// in the root cgroup); "" when neither line is there or the file
	// cannot be read.
	Cgroup string
	// Unit is the systemd unit holding the process, from Cgroup, as
	// UnitAndContainer finds it: e.g. "nginx.service", "session-3.scope",
	// "docker-<id>.scope"; "" when none. Escapes such as \x2d are kept as
	// the kernel shows them.
	Unit string
	// UserUnit says Unit belongs to a user's systemd instance (its cgroup
	// is under user@UID.service) rather than to the system's.
	UserUnit bool
	// Container is the container the process runs in, from Cgroup.
	Container Container
	// Missing lists the fields that could not be read, each as
	// "field: reason", with field the lower-case name of the Info field
	// ("uid" covers UID and RealUID, "cgroup" covers Unit and Container,
	// "exestatus" means Exe was read but could not be compared), e.g.
	// "exe: permission denied". A file longer than portwatch reads
	// ("cmdline", "cgroup") is named with "longer than N bytes: cut
	// there", its start used. Empty when everything was read.
	Missing []string
}

// CmdlineMax bounds the command line Lookup reads, in bytes with the NUL
// after each argument: 256 KiB, more than a shell passes to most commands
// (and the command line of a process may be up to a quarter of its stack
// limit, megabytes). A longer one is cut there (Info.CmdlineTruncated).
const CmdlineMax = 256 << 10

// ErrNotFound is the error (wrapped) of Lookup and Parents for a process
// that does not exist: never existed, exited (perhaps during the lookup),
// or is hidden from this user by procfs's hidepid option.
var ErrNotFound = errors.New("no such process")

// maxParents caps the chain Parents returns. Real chains are a handful
// long; the cap only matters if the walk goes wrong.
const maxParents = 64

// Reader reads process details. It caches the boot time and the kernel's
// clock tick rate, so one Reader should serve many lookups; it is safe for
// use by several goroutines at once. The zero value is not usable: use
// NewReader.
type Reader struct {
	root string

	clockOnce sync.Once
	bootTime  int64 // seconds since the epoch; valid when bootErr is nil
	bootErr   error
	hz        int64 // clock ticks per second
}

// NewReader returns a Reader of the procfs mounted at procRoot; "" means
// "/proc". Nothing is read until the first lookup.
func NewReader(procRoot string) *Reader {
	if procRoot == "" {
		procRoot = "/proc"
	}
	return &Reader{root: procRoot}
}

// Lookup returns what can be read about pid. It returns an error only when
// the process does not exist (errors.Is(err, ErrNotFound)), or, on systems
// portwatch has no process reader for, one wrapping errors.ErrUnsupported.
// Parts that cannot be read are named in Info.Missing instead.
func (r *Reader) Lookup(pid int) (Info, error) {
	info, _, err := r.lookup(pid, true)
	return info, err
}

// Parents returns the ancestors of pid, nearest first, ending at PID 1, or
// earlier at a process whose PPID is 0 (the top of a PID namespace, or a
// kernel thread's parent) or whose parent cannot be read (it exited during
// the walk). pid itself is not in the chain, so Parents(1) is empty. The
// error is that of Lookup for pid itself; a parent that cannot be read only
// ends the chain.
//
// Each element is a light read: PID, PPID, Name, Start, UID and RealUID
// (from /proc/<pid>/stat and status), with failures of those in Missing.
// The other fields are left at their zero or unknown values; call Lookup on
// an element for the rest.
//
// The walk stops at 64 processes, at a PID seen before (a cycle), and
// before a "parent" that started after its child: the parent exited and
// its PID was reused by an unrelated process.
func (r *Reader) Parents(pid int) ([]Info, error) {
	child, childStart, err := r.lookup(pid, false)
	if err != nil {
		return nil, err
	}
	var chain []Info
	seen := map[int]bool{pid: true}
	for child.PPID > 0 && len(chain) < maxParents && !seen[child.PPID] {
		parent, parentStart, err := r.lookup(child.PPID, false)
		if err != nil {
			break
		}
		if childStart != 0 && parentStart > childStart {
			break // PID reuse: this is not the parent
		}
		seen[parent.PID] = true
		chain = append(chain, parent)
		child, childStart = parent, parentStart
	}
	return chain, nil
}

// miss records that field could not be read, and why.
func (info *Info) miss(field string, err error) {
	info.Missing = append(info.Missing, field+": "+reason(err))
}

// reason is err said briefly for Info.Missing.
func reason(err error) string {
	if errors.Is(err, fs.ErrPermission) {
		return "permission denied"
	}
	return err.Error()
}

func notFound(pid int) error {
	return fmt.Errorf("pid %d: %w", pid, ErrNotFound)
}
