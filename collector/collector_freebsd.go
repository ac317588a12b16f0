package collector

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// freebsdCollector reads net.inet.{tcp,udp}.pcblist and, for owners, one
// kern.file and one kern.proc.proc. Everything it reads is decoded by
// freebsd_pcblist.go.
type freebsdCollector struct {
	opts Options
}

// freebsdTries bounds the reads of one sysctl: again when the table grew
// between sizing the buffer and filling it (ENOMEM), again when a pcblist's
// generation count changed during the copy.
const freebsdTries = 5

// InternalsAvailable reports whether Options.Info gives internals here:
// on FreeBSD always (the counters of the pcblist records).
func InternalsAvailable() bool { return true }

func newCollector(opts Options) (Collector, error) {
	switch opts.Source {
	case SourceAuto, SourceSysctl:
	default:
		return nil, fmt.Errorf("source %q is not available on freebsd (accepted: sysctl)", opts.Source)
	}
	// The decoders know the LP64 little-endian layouts (amd64).
	if strconv.IntSize != 64 || binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil, fmt.Errorf("portwatch reads the freebsd socket tables only on 64-bit little-endian machines: %w", errors.ErrUnsupported)
	}
	return &freebsdCollector{opts: opts}, nil
}

// Collect implements Collector.
func (c *freebsdCollector) Collect(ctx context.Context) (*Snapshot, error) {
	snap, warn := c.opts.newSnapshot(SourceSysctl)

	var pcbs []freebsdPcb
	var firstErr error
	read := 0
	for _, p := range []Proto{ProtoTCP, ProtoUDP} {
		if !c.opts.WantProto(p) || !(c.opts.WantFamily(FamilyIPv4) || c.opts.WantFamily(FamilyIPv6)) {
			continue
		}
		list, err := readFreeBSDPcblist(p, c.opts.Info, warn)
		if err != nil {
			warn(err.Error())
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		read++
		for i := range list.pcbs {
			pc := &list.pcbs[i]
			if c.opts.WantFamily(pc.Family) && c.opts.Filter.Match(&pc.Socket) {
				pcbs = append(pcbs, *pc)
			}
		}
	}
	if read == 0 && firstErr != nil {
		return nil, fmt.Errorf("cannot read the socket table: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !c.opts.Owners {
		snap.Sockets = freebsdSockets(pcbs)
		return snap, nil
	}

	buf, err := freebsdSysctl("kern.file")
	var files []freebsdXfile
	if err == nil {
		files, err = decodeFreeBSDXfiles(buf)
	}
	if err != nil {
		warn(fmt.Sprintf("cannot read the open files (kern.file): %v; owners unknown", err))
		snap.Sockets = freebsdSockets(pcbs)
		reason := OwnerUnsupported
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			reason = OwnerPermission
		}
		for i := range snap.Sockets {
			snap.Sockets[i].OwnerUnknown = reason
		}
		return snap, nil
	}
	buf, err = freebsdSysctl("kern.proc.proc")
	var names map[int]string
	if err == nil {
		names, err = decodeFreeBSDProcNames(buf)
	}
	if err != nil {
		warn(fmt.Sprintf("cannot read the process names (kern.proc.proc): %v", err))
	}
	snap.Sockets = joinFreeBSDOwners(pcbs, files, names, os.Geteuid())
	return snap, nil
}

// freebsdSysctl reads a sysctl, again when it grew between sizing and
// filling the buffer.
func freebsdSysctl(name string) ([]byte, error) {
	var err error
	for range freebsdTries {
		var buf []byte
		if buf, err = unix.SysctlRaw(name); !errors.Is(err, unix.ENOMEM) {
			return buf, err
		}
	}
	return nil, err
}

// readFreeBSDPcblist reads and decodes the pcblist of p (with each
// socket's internals when info is set), again when its
// generation count changed during the copy; after freebsdTries reads it
// keeps the last one and warns.
func readFreeBSDPcblist(p Proto, info bool, warn func(string)) (freebsdPcbList, error) {
	name := freebsdPcblistName(p)
	var list freebsdPcbList
	var notes []string
	for range freebsdTries {
		buf, err := freebsdSysctl(name)
		if err != nil {
			return list, fmt.Errorf("sysctl %s: %w", name, err)
		}
		notes = notes[:0]
		list, err = decodeFreeBSDPcblist(buf, p, info, func(w string) { notes = append(notes, w) })
		if err != nil {
			return list, err
		}
		if list.consistent() {
			break
		}
	}
	for _, w := range notes {
		warn(w)
	}
	if !list.consistent() {
		warn(fmt.Sprintf("%s changed during each of %d reads; showing the last", name, freebsdTries))
	}
	return list, nil
}
