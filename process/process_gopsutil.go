//go:build windows || darwin || freebsd

package process

// Process details on Windows, macOS and FreeBSD, through gopsutil's
// process package, which reads them the way each system offers (the
// process's PEB and token on Windows, sysctl KERN_PROC on the BSDs).
// Linux has its own /proc reader, which also finds deleted executables
// and cgroups.

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	gp "github.com/shirou/gopsutil/v4/process"
)

// lookup reads pid's details; full adds the command line and executable.
// The uint64 is the start time in milliseconds since the epoch, which
// Parents compares to tell a reused parent PID.
func (r *Reader) lookup(pid int, full bool) (Info, uint64, error) {
	info := Info{PID: pid, UID: -1, RealUID: -1}
	if pid <= 0 {
		return info, 0, notFound(pid)
	}
	p, err := gp.NewProcess(int32(pid))
	if err != nil {
		if errors.Is(err, gp.ErrorProcessNotRunning) {
			return info, 0, notFound(pid)
		}
		return info, 0, fmt.Errorf("process %d: %w", pid, err)
	}
	if name, err := p.Name(); err == nil {
		info.Name = name
	} else {
		info.miss("name", err)
	}
	if ppid, err := p.Ppid(); err == nil {
		info.PPID = int(ppid)
	} else {
		info.miss("ppid", err)
	}
	var started uint64
	if ms, err := p.CreateTime(); err == nil && ms > 0 {
		info.Start, started = time.UnixMilli(ms), uint64(ms)
	} else if err != nil {
		info.miss("start", err)
	}
	if runtime.GOOS == "windows" {
		// Windows has no numeric user ids: the account's name instead.
		if u, err := p.Username(); err == nil {
			info.UserName = u
		} else {
			info.miss("uid", err)
		}
	} else if uids, err := p.Uids(); err == nil && len(uids) >= 2 {
		info.RealUID, info.UID = int(uids[0]), int(uids[1])
	} else if err != nil {
		info.miss("uid", err)
	}
	if !full {
		return info, started, nil
	}
	if args, err := p.CmdlineSlice(); err == nil {
		info.Cmdline = capCmdline(args, &info)
	} else {
		info.miss("cmdline", err)
	}
	if exe, err := p.Exe(); err == nil {
		info.Exe = exe
	} else {
		info.miss("exe", err)
	}
	return info, started, nil
}

// capCmdline keeps the command line within CmdlineMax bytes, as the Linux
// reader does.
func capCmdline(args []string, info *Info) []string {
	n := 0
	for i, a := range args {
		n += len(a) + 1
		if n > CmdlineMax {
			info.CmdlineTruncated = true
			info.Missing = append(info.Missing, fmt.Sprintf("cmdline: longer than %d bytes: cut there", CmdlineMax))
			cut := len(a) - (n - CmdlineMax)
			return append(args[:i:i], a[:max(cut, 0)])
		}
	}
	if len(args) == 0 {
		return nil
	}
	return args
}

// ContainerOf has no implementation outside Linux: containers are Linux's
// cgroups.
func (r *Reader) ContainerOf(int) (Container, error) {
	return Container{}, fmt.Errorf("containers are found from Linux's cgroups, not on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
