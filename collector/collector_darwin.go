package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// darwinReadTries bounds the reads of one table when the kernel's
// generation count keeps changing during the copy (or the table keeps
// outgrowing the size the kernel announced).
const darwinReadTries = 5

// darwinCollector reads the sysctls net.inet.{tcp,udp}.pcblist_n and, when
// owners are wanted, kern.proc.all for the process names. The decoding is in
// darwin_pcblist.go.
type darwinCollector struct {
	opts Options
	// slots is what the traffic counters of this kernel's xsockstat_n
	// count, from kern.osrelease (read when internals are wanted).
	slots darwinStatsSlots
}

// InternalsAvailable reports whether Options.Info gives internals here:
// on macOS always (the counters of the pcblist records).
func InternalsAvailable() bool { return true }

func newCollector(opts Options) (Collector, error) {
	switch opts.Source {
	case SourceAuto, SourceSysctl:
	default:
		return nil, fmt.Errorf("source %q is not available on darwin (accepted: sysctl)", opts.Source)
	}
	c := &darwinCollector{opts: opts, slots: darwinStatsDataFirst}
	if opts.Info {
		// Unreadable (never seen), it is taken as the current layout.
		release, _ := unix.Sysctl("kern.osrelease")
		c.slots = darwinStatsSlotsOf(release)
	}
	return c, nil
}

// Collect implements Collector.
func (c *darwinCollector) Collect(ctx context.Context) (*Snapshot, error) {
	snap, warn := c.opts.newSnapshot(SourceSysctl)

	var firstErr error
	read := 0
	for _, p := range []Proto{ProtoTCP, ProtoUDP} {
		if !c.opts.WantProto(p) || !(c.opts.WantFamily(FamilyIPv4) || c.opts.WantFamily(FamilyIPv6)) {
			continue
		}
		socks, err := c.readTable(ctx, p, snap.Sockets, warn)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			if firstErr == nil {
				firstErr = err
			}
			warn(fmt.Sprintf("cannot read the %s socket table: %v", p, err))
			continue
		}
		read++
		snap.Sockets = socks
	}
	if read == 0 && firstErr != nil {
		return nil, fmt.Errorf("cannot read the socket table: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.opts.Owners {
		names, err := darwinProcNames()
		if err != nil {
			warn(fmt.Sprintf("cannot read the process table (kern.proc.all): %v; owners shown without names", err))
		}
		nameDarwinOwners(snap.Sockets, names)
	}
	return snap, nil
}

// readTable reads and decodes one pcblist_n sysctl, appending its sockets
// to out. It reads again, a few times at most, while the table changes
// under the copy; the last read is kept with a warning when it never holds
// still.
func (c *darwinCollector) readTable(ctx context.Context, p Proto, out []Socket, warn func(string)) ([]Socket, error) {
	name := "net.inet." + p.String() + ".pcblist_n"
	for try := 1; ; try++ {
		buf, err := unix.SysctlRaw(name)
		if errors.Is(err, unix.ENOMEM) && try < darwinReadTries {
			continue // the table grew between the size query and the read
		}
		if err != nil {
			return out, fmt.Errorf("sysctl %s: %w", name, err)
		}
		list, err := decodeDarwinPcblist(buf, p, &c.opts, c.slots, out)
		if err != nil {
			return out, fmt.Errorf("sysctl %s: %w", name, err)
		}
		if !list.Consistent() && try < darwinReadTries {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			continue
		}
		if !list.Consistent() {
			warn(fmt.Sprintf("sysctl %s: the table kept changing during %d reads (generation %d, then %d); it may be inconsistent",
				name, try, list.Gen, list.TrailerGen))
		}
		if list.Skipped > 0 {
			warn(fmt.Sprintf("sysctl %s: %d sockets skipped; first: %v", name, list.Skipped, list.SkipErr))
		}
		return list.Sockets, nil
	}
}

// darwinProcNames maps every PID to its short name (p_comm, at most 16
// bytes) from one read of kern.proc.all.
func darwinProcNames() (map[int]string, error) {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, err
	}
	names := make(map[int]string, len(procs))
	for i := range procs {
		ep := &procs[i].Proc
		comm := ep.P_comm[:]
		if n := bytes.IndexByte(comm, 0); n >= 0 {
			comm = comm[:n]
		}
		names[int(ep.P_pid)] = string(comm)
	}
	return names, nil
}
