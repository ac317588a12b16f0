package collector

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// Collector reads the socket table.
type Collector interface {
	// Collect returns the sockets that match the collector's options. It
	// returns an error only when no table could be read at all; partial
	// failures are Snapshot.Warnings.
	Collect(ctx context.Context) (*Snapshot, error)
}

// Options select what a collector reads. The zero value reads every TCP and
// UDP socket of both families, without owners.
type Options struct {
	// Source picks the Linux table source: SourceNetlink, SourceProcfs, or
	// SourceAuto (netlink, falling back to procfs when netlink fails).
	Source Source
	// Protos and Families select the tables to read; empty means all.
	Protos   []Proto
	Families []Family
	// Filter keeps only matching sockets. Collectors push what they can of
	// it into the kernel.
	Filter Filter
	// Owners asks for the owning processes of every kept socket.
	Owners bool
	// Incremental keeps what the owner lookup learned from one Collect to
	// the next, for callers that collect again and again (watch mode):
	// each call then reads only the process file descriptors it has not
	// seen. Such a collector must not be used by two goroutines at once.
	Incremental bool
	// ProcRoot is the root of procfs, "/proc" when empty.
	ProcRoot string
	// Warn, when set, receives each warning as it happens in addition to
	// Snapshot.Warnings.
	Warn func(string)
}

// WantProto reports whether the options select protocol p.
func (o *Options) WantProto(p Proto) bool { return wantAny(o.Protos, p) }

// WantFamily reports whether the options select family f.
func (o *Options) WantFamily(f Family) bool { return wantAny(o.Families, f) }

func wantAny[T comparable](list []T, v T) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (o *Options) procRoot() string {
	if o.ProcRoot == "" {
		return "/proc"
	}
	return o.ProcRoot
}

// Filter selects sockets by what the socket table itself says, so that a
// collector can apply it before looking for owners. A zero field matches
// everything.
type Filter struct {
	States     StateSet // states to keep; 0 keeps all
	Port       uint16   // local or remote port
	LocalPort  uint16   // local (source) port
	RemotePort uint16   // remote (destination) port
	// Addr, when valid, keeps sockets whose local or remote address is Addr
	// (IPv4-mapped IPv6 addresses compare equal to their IPv4 form).
	Addr netip.Addr
	// PIDs and Processes, when either is set, keep only the sockets that a
	// process with one of these PIDs, or one of these names, holds. They
	// are applied after the owner lookup (Options.Owners must be set), and
	// the lookup then finds every holder of every socket, not only the
	// first, so that a connection shared after fork is kept for each.
	PIDs      []int
	Processes []string
}

// OwnerFiltered reports whether the filter selects sockets by their owners.
func (f *Filter) OwnerFiltered() bool { return len(f.PIDs) > 0 || len(f.Processes) > 0 }

// Match reports whether s passes the filter.
func (f *Filter) Match(s *Socket) bool {
	if !f.States.Has(s.State) {
		return false
	}
	if f.Port != 0 && s.Local.Port() != f.Port && s.Remote.Port() != f.Port {
		return false
	}
	if f.LocalPort != 0 && s.Local.Port() != f.LocalPort {
		return false
	}
	if f.RemotePort != 0 && s.Remote.Port() != f.RemotePort {
		return false
	}
	if f.Addr.IsValid() {
		a := f.Addr.Unmap()
		if s.Local.Addr().Unmap() != a && s.Remote.Addr().Unmap() != a {
			return false
		}
	}
	return true
}

// New returns the collector for this operating system, or an error wrapping
// errors.ErrUnsupported where portwatch has none.
func New(opts Options) (Collector, error) {
	switch opts.Source {
	case SourceAuto, SourceNetlink, SourceProcfs, SourceIPHelper, SourceSysctl:
	default:
		return nil, fmt.Errorf("unknown source %q (accepted: netlink, procfs)", opts.Source)
	}
	return newCollector(opts)
}

// tables lists the (proto, family) tables the options select, in the order
// they are read.
func (o *Options) tables() [][2]uint8 {
	var out [][2]uint8
	for _, p := range []Proto{ProtoTCP, ProtoUDP} {
		for _, f := range []Family{FamilyIPv4, FamilyIPv6} {
			if o.WantProto(p) && o.WantFamily(f) {
				out = append(out, [2]uint8{uint8(p), uint8(f)})
			}
		}
	}
	return out
}

// tableName names a table in messages: tcp4, tcp6, udp4, udp6.
func tableName(p Proto, f Family) string {
	switch f {
	case FamilyIPv4:
		return p.String() + "4"
	case FamilyIPv6:
		return p.String() + "6"
	}
	return p.String() + "-" + f.String()
}

// unsupportedOS is the error of New on an operating system portwatch has
// no collector for; it wraps errors.ErrUnsupported.
func unsupportedOS(goos string) error {
	return fmt.Errorf("portwatch has no socket collector for %s (supported: linux, windows, darwin, freebsd): %w", goos, errors.ErrUnsupported)
}

// newSnapshot starts a snapshot of this host taken now from source, and
// returns it with the function that records a warning in it and passes the
// warning on to o.Warn.
func (o *Options) newSnapshot(source Source) (*Snapshot, func(string)) {
	snap := &Snapshot{Time: time.Now(), Source: source}
	snap.Host, _ = os.Hostname()
	warn := func(msg string) {
		snap.Warnings = append(snap.Warnings, msg)
		if o.Warn != nil {
			o.Warn(msg)
		}
	}
	return snap, warn
}
