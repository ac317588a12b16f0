package process

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/portwatch/portwatch/internal/procfile"
)

// The bounds of the /proc files read besides the command line (CmdlineMax):
// each is far above what the kernel writes for an ordinary process, and
// keeps a hostile or odd one (a status with 65536 groups) from costing
// more.
const (
	statMax     = 8 << 10  // /proc/<pid>/stat: one line of about 50 numbers
	statusMax   = 64 << 10 // the uid lines come early; Groups may be long
	cgroupMax   = 64 << 10 // a line per hierarchy, each a path
	auxvMax     = 4 << 10  // a few dozen pairs of words
	procStatMax = 1 << 20  // /proc/stat: btime comes after a line per CPU and intr
)

// readBounded reads at most limit bytes of the file at path, and says
// whether there was more. When there was and sep is not 0, the data ends
// after the last sep in it (nothing when there is none), so that a record
// cut in the middle is dropped rather than parsed as if it were whole: a
// uid, a start time or a cgroup path cut short would be wrong, not
// missing.
func readBounded(path string, limit int, sep byte) (data []byte, truncated bool, err error) {
	data, err = procfile.Read(path, limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(data) <= limit {
		return data, false, nil
	}
	data = data[:limit]
	if sep != 0 {
		data = data[:bytes.LastIndexByte(data, sep)+1]
	}
	return data, true, nil
}

// cutErr is the Info.Missing reason of a file cut at limit bytes.
func cutErr(limit int) error {
	return fmt.Errorf("longer than %d bytes: cut there", limit)
}

// deletedSuffix is what the kernel appends to the path of an unlinked
// executable in /proc/<pid>/exe.
const deletedSuffix = " (deleted)"

// lookup reads pid: everything when full, else only stat and status (for
// Parents). It also returns the start time in ticks, 0 when unknown.
func (r *Reader) lookup(pid int, full bool) (Info, uint64, error) {
	if pid <= 0 {
		return Info{}, 0, notFound(pid)
	}
	dir := filepath.Join(r.root, strconv.Itoa(pid))
	info := Info{PID: pid, UID: -1, RealUID: -1}
	var ticks uint64

	// A read that fails because a file is not there may mean the process
	// is gone (or never was): then the whole lookup is ErrNotFound.
	exited := false
	failed := func(field string, err error) {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			exited = true
		}
		info.miss(field, err)
	}

	if data, _, err := readBounded(filepath.Join(dir, "stat"), statMax, ' '); err != nil {
		if _, derr := os.Lstat(dir); errors.Is(derr, fs.ErrNotExist) {
			return Info{}, 0, notFound(pid)
		}
		for _, f := range [...]string{"name", "ppid", "start"} {
			failed(f, err)
		}
	} else if st, err := parseStat(data); err != nil {
		for _, f := range [...]string{"name", "ppid", "start"} {
			info.miss(f, err)
		}
	} else {
		info.Name, info.PPID, ticks = st.comm, st.ppid, st.startTicks
		if boot, hz, err := r.clock(); err != nil {
			info.miss("start", err)
		} else {
			info.Start = startTime(boot, ticks, hz)
		}
	}

	if data, _, err := readBounded(filepath.Join(dir, "status"), statusMax, '\n'); err != nil {
		failed("uid", err)
	} else if ruid, euid, err := parseStatus(data); err != nil {
		info.miss("uid", err)
	} else {
		info.RealUID, info.UID = ruid, euid
	}

	if full {
		// The start of a longer command line is kept, its last argument
		// cut: what a reader needs is at the start.
		if data, cut, err := readBounded(filepath.Join(dir, "cmdline"), CmdlineMax, 0); err != nil {
			failed("cmdline", err)
		} else {
			info.Cmdline, info.CmdlineTruncated = parseCmdline(data), cut
			if cut {
				info.miss("cmdline", cutErr(CmdlineMax))
			}
		}

		r.readExe(dir, &info, failed)

		if data, cut, err := readBounded(filepath.Join(dir, "cgroup"), cgroupMax, '\n'); err != nil {
			failed("cgroup", err)
		} else if v2, systemd, err := parseCgroup(data); err != nil {
			info.miss("cgroup", err)
		} else {
			// Of a longer file only the whole lines before the cut are
			// used: the v2 line, last on a hybrid system, may be lost.
			if cut {
				info.miss("cgroup", cutErr(cgroupMax))
			}
			info.Cgroup = chooseCgroup(v2, systemd)
			info.Unit, info.UserUnit, info.Container = UnitAndContainer(info.Cgroup)
		}
	}

	if exited {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			return Info{}, 0, fmt.Errorf("pid %d exited during the lookup: %w", pid, ErrNotFound)
		}
	}
	return info, ticks, nil
}

// readExe fills Exe and ExeStatus from dir/exe.
//
// The link's text is the executable's path, with " (deleted)" appended
// when the file was unlinked, which includes being replaced by a rename
// (how package managers upgrade). stat of the link itself reaches the
// running file, whatever became of its name; that file is compared with
// what is at the path now, looked up under dir/root so that a process in
// another mount namespace (a container) has its path resolved in its own
// file system. When dir/root cannot be used (a procfs fixture) the path is
// looked up as it is.
func (r *Reader) readExe(dir string, info *Info, failed func(string, error)) {
	link, err := os.Readlink(filepath.Join(dir, "exe"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Kernel threads and zombies have no executable; a process
			// that exited has no directory, which lookup then checks.
			failed("exe", errors.New("none (kernel thread, zombie, or exited)"))
			return
		}
		failed("exe", err)
		return
	}
	running, err := os.Stat(filepath.Join(dir, "exe"))
	if err != nil {
		info.Exe = strings.TrimSuffix(link, deletedSuffix)
		failed("exestatus", err)
		return
	}
	at := func(path string) (fs.FileInfo, error) {
		if !filepath.IsAbs(path) {
			return nil, fs.ErrNotExist // not a path: nothing is there
		}
		root := filepath.Join(dir, "root")
		if _, err := os.Lstat(root); err == nil {
			path = root + path
		}
		return os.Stat(path)
	}

	path := link
	if stripped, ok := strings.CutSuffix(link, deletedSuffix); ok {
		// Either an unlinked file, or one whose name really ends in
		// " (deleted)": the latter is still at the link's path.
		if fi, err := at(link); err == nil && os.SameFile(fi, running) {
			info.Exe, info.ExeStatus = link, ExeOK
			return
		}
		path = stripped
	}
	info.Exe = path
	fi, err := at(path)
	switch {
	case err == nil && os.SameFile(fi, running):
		info.ExeStatus = ExeOK
	case err == nil:
		info.ExeStatus = ExeReplaced
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		info.ExeStatus = ExeDeleted
	default:
		info.miss("exestatus", err)
	}
}

// clock returns the boot time and the clock tick rate, read once.
func (r *Reader) clock() (bootTime, hz int64, err error) {
	r.clockOnce.Do(func() {
		r.hz = defaultHz
		if auxv, _, err := readBounded(filepath.Join(r.root, "self", "auxv"), auxvMax, 0); err == nil {
			if n, err := parseAuxvClockTicks(auxv, strconv.IntSize/8, binary.NativeEndian); err == nil {
				r.hz = n
			}
		}
		data, _, err := readBounded(filepath.Join(r.root, "stat"), procStatMax, '\n')
		if err != nil {
			r.bootErr = fmt.Errorf("boot time: %w", err)
			return
		}
		r.bootTime, r.bootErr = parseBootTime(data)
	})
	return r.bootTime, r.hz, r.bootErr
}

// ContainerOf reads only the cgroup of pid and returns the container it
// places the process in (Runtime "" for none), for callers that want a
// socket owner's container without the rest of Lookup.
func (r *Reader) ContainerOf(pid int) (Container, error) {
	if pid <= 0 {
		return Container{}, notFound(pid)
	}
	data, _, err := readBounded(filepath.Join(r.root, strconv.Itoa(pid), "cgroup"), cgroupMax, '\n')
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return Container{}, notFound(pid)
		}
		return Container{}, err
	}
	v2, systemd, err := parseCgroup(data)
	if err != nil {
		return Container{}, err
	}
	_, _, c := UnitAndContainer(chooseCgroup(v2, systemd))
	return c, nil
}
