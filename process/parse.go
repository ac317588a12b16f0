package process

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The parsers of procfs files. They are pure (no I/O, no OS dependency) so
// the tests and fuzzers can feed them anything; none panics, and their
// errors quote the part of the input they could not use.

// statFields are the fields portwatch uses of /proc/<pid>/stat.
type statFields struct {
	comm       string
	ppid       int
	startTicks uint64 // clock ticks after boot
}

// The 0-based index, counted from the first field after the comm's closing
// parenthesis (the state, field 3 in proc(5)), of the fields used.
const (
	statPPID      = 4 - 3
	statStartTime = 22 - 3
)

// parseStat parses /proc/<pid>/stat: "pid (comm) state ppid ... starttime
// ...". The comm may contain anything but NUL, spaces and parentheses
// included, so it runs from the first '(' to the last ')': no field after
// it can hold a parenthesis.
func parseStat(data []byte) (statFields, error) {
	open := bytes.IndexByte(data, '(')
	end := bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return statFields{}, fmt.Errorf("stat %q: no (comm)", clip(data))
	}
	if _, err := strconv.ParseUint(string(bytes.TrimSpace(data[:open])), 10, 64); err != nil {
		return statFields{}, fmt.Errorf("stat %q: pid %q is not a number", clip(data), clip(data[:open]))
	}
	s := statFields{comm: string(data[open+1 : end])}
	rest := strings.Fields(string(data[end+1:]))
	if len(rest) <= statStartTime {
		return statFields{}, fmt.Errorf("stat %q: %d fields after the comm, want at least %d", clip(data), len(rest), statStartTime+1)
	}
	ppid, err := strconv.ParseUint(rest[statPPID], 10, 31)
	if err != nil {
		return statFields{}, fmt.Errorf("stat %q: ppid %q is not a pid", clip(data), rest[statPPID])
	}
	s.ppid = int(ppid)
	s.startTicks, err = strconv.ParseUint(rest[statStartTime], 10, 64)
	if err != nil {
		return statFields{}, fmt.Errorf("stat %q: starttime %q is not a number", clip(data), rest[statStartTime])
	}
	return s, nil
}

// parseStatus returns the real and effective user ids of the "Uid:" line
// of /proc/<pid>/status ("Uid:\treal\teffective\tsaved\tfs").
func parseStatus(data []byte) (realUID, effectiveUID int, err error) {
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte("Uid:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) < 2 {
			return -1, -1, fmt.Errorf("status line %q: want real and effective uid", clip(line))
		}
		ids := [2]int{}
		for i := range ids {
			id, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil || id > math.MaxInt {
				return -1, -1, fmt.Errorf("status line %q: uid %q is not a number", clip(line), f[i])
			}
			ids[i] = int(id)
		}
		return ids[0], ids[1], nil
	}
	return -1, -1, fmt.Errorf("status %q: no Uid: line", clip(data))
}

// parseCgroup returns the cgroup v2 path (the "0::path" line) and the path
// in the v1 name=systemd hierarchy (an "N:name=systemd:path" line) of
// /proc/<pid>/cgroup; each is "" when its line is absent. The other v1
// hierarchies (cpu, memory, ...) are ignored. A path may contain ':'.
func parseCgroup(data []byte) (v2, systemd string, err error) {
	for line := range bytes.Lines(data) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) == 0 {
			continue
		}
		f := strings.SplitN(string(line), ":", 3)
		if len(f) < 3 {
			return "", "", fmt.Errorf("cgroup line %q: want hierarchy-id:controllers:path", clip(line))
		}
		if _, err := strconv.ParseUint(f[0], 10, 32); err != nil {
			return "", "", fmt.Errorf("cgroup line %q: hierarchy id %q is not a number", clip(line), f[0])
		}
		if f[0] == "0" && f[1] == "" {
			v2 = f[2]
			continue
		}
		for c := range strings.SplitSeq(f[1], ",") {
			if c == "name=systemd" {
				systemd = f[2]
			}
		}
	}
	return v2, systemd, nil
}

// chooseCgroup picks Info.Cgroup from the paths parseCgroup found: the v2
// path unless it is the root, in which case the name=systemd path (on a
// hybrid system systemd keeps its tree there), else the v2 root.
func chooseCgroup(v2, systemd string) string {
	if v2 != "" && v2 != "/" {
		return v2
	}
	if systemd != "" {
		return systemd
	}
	return v2
}

// parseBootTime returns the "btime" of /proc/stat: the boot time in
// seconds since the epoch.
func parseBootTime(data []byte) (int64, error) {
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte("btime "))
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("/proc/stat line %q: boot time is not a number", clip(line))
		}
		return n, nil
	}
	return 0, fmt.Errorf("/proc/stat %q: no btime line", clip(data))
}

// defaultHz is USER_HZ, the unit of the times in /proc/<pid>/stat: the
// kernel fixes it at 100 on every architecture it exposes to user space,
// whatever its internal HZ, and passes it in the auxiliary vector as
// AT_CLKTCK. It serves when the auxiliary vector cannot be read.
const defaultHz = 100

// atClkTck is the auxiliary vector key of the clock tick rate.
const atClkTck = 17

// parseAuxvClockTicks returns the AT_CLKTCK value of an auxiliary vector
// (/proc/self/auxv): pairs of native words, key then value, ending with
// the key AT_NULL (0). wordSize is 4 or 8.
func parseAuxvClockTicks(data []byte, wordSize int, order binary.ByteOrder) (int64, error) {
	if wordSize != 4 && wordSize != 8 {
		return 0, fmt.Errorf("auxv: word size %d, want 4 or 8", wordSize)
	}
	word := func(b []byte) uint64 {
		if wordSize == 4 {
			return uint64(order.Uint32(b))
		}
		return order.Uint64(b)
	}
	for off := 0; off+2*wordSize <= len(data); off += 2 * wordSize {
		key, val := word(data[off:]), word(data[off+wordSize:])
		switch {
		case key == 0:
			return 0, fmt.Errorf("auxv of %d bytes: no AT_CLKTCK", len(data))
		case key == atClkTck && (val == 0 || val > math.MaxInt32):
			return 0, fmt.Errorf("auxv: AT_CLKTCK is %d", val)
		case key == atClkTck:
			return int64(val), nil
		}
	}
	return 0, fmt.Errorf("auxv of %d bytes: no AT_CLKTCK before the end", len(data))
}

// parseCmdline splits /proc/<pid>/cmdline, the arguments each ended by a
// NUL, into argv; nil for an empty file. A process that rewrote its
// arguments may leave no final NUL: the last argument is then what follows
// the last NUL.
func parseCmdline(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	data = bytes.TrimSuffix(data, []byte{0})
	return strings.Split(string(data), "\x00")
}

// startTime converts a start time in clock ticks after boot to a time,
// without the overflow of ticks*time.Second for long uptimes.
func startTime(bootTime int64, ticks uint64, hz int64) time.Time {
	if hz <= 0 {
		return time.Time{}
	}
	h := uint64(hz)
	secs := ticks / h
	if secs > math.MaxInt64/2 || bootTime > math.MaxInt64/2 {
		return time.Time{}
	}
	return time.Unix(bootTime+int64(secs), int64((ticks%h)*uint64(time.Second)/h))
}

// clip shortens data for an error message.
func clip(data []byte) string {
	const limit = 120
	if len(data) > limit {
		return string(data[:limit]) + "..."
	}
	return string(data)
}
