package collector

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
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
	// Info asks for each socket's internals (Socket.Internals): TCP's
	// tcp_info, the congestion control algorithm and the socket's memory.
	// Linux's netlink source has them all; macOS and FreeBSD what their
	// socket lists carry; Linux's procfs source warns once; Windows has
	// none.
	Info bool
	// Cookies fills Socket.Cookie (Linux netlink only), which Destroy
	// needs.
	Cookies bool
	// Incremental keeps what the owner lookup learned from one Collect to
	// the next, for callers that collect again and again (watch mode):
	// each call then reads only the process file descriptors it has not
	// seen. Such a collector must not be used by two goroutines at once.
	Incremental bool
	// Namespaces, when set, are the network namespaces to read (ListNetns,
	// ResolveNetns), each entered in turn; every socket then carries its
	// namespace's inode, and a namespace that cannot be read is a
	// warning. Empty: the caller's namespace, as netstat and ss read it.
	// Linux only.
	Namespaces []Netns
	// AllNetns reads every network namespace on the host, listed anew by
	// each Collect (ListNetns), instead of Namespaces.
	AllNetns bool
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

// Filter selects sockets. Its table fields (states, ports, address) are
// what the socket table itself says, so that a collector applies them
// before looking for owners; its owner fields are applied after. A zero
// field matches everything. Match and MatchOwners (filter.go) apply it.
type Filter struct {
	States StateSet // states to keep; 0 keeps all
	// Port keeps sockets with this port at one end, local or remote; with
	// Addr, that end's address must be Addr (ADDR:PORT).
	Port       uint16
	LocalPort  uint16 // local (source) port
	RemotePort uint16 // remote (destination) port
	// Addr, when valid, keeps sockets whose local or remote address is Addr
	// (IPv4-mapped IPv6 addresses compare equal to their IPv4 form), at the
	// end that has Port when Port is set.
	Addr netip.Addr
	// AddrWildcard makes a socket bound to every address (0.0.0.0, or ::,
	// which may be dual-stack, for an IPv4 Addr too) count as bound to
	// Addr, since it answers on Addr: `portwatch who ADDR:PORT` shows the
	// listeners that accept connections to ADDR.
	AddrWildcard bool
	// PIDs and Processes, when either is set, keep only the sockets that a
	// process with one of these PIDs, or one of these names, holds. They
	// imply an owner lookup (New turns Options.Owners on) and are applied
	// after it, and the lookup then finds every holder of every socket,
	// not only the first, so that a connection shared after fork is kept
	// for each.
	PIDs      []int
	Processes []string
}

// OwnerFiltered reports whether the filter selects sockets by their owners.
func (f *Filter) OwnerFiltered() bool { return len(f.PIDs) > 0 || len(f.Processes) > 0 }

// New returns the collector for this operating system, or an error wrapping
// errors.ErrUnsupported where portwatch has none. When the filter selects
// by owner, the collector looks owners up and keeps only the sockets the
// filter's processes hold, whatever the OS.
func New(opts Options) (Collector, error) {
	switch opts.Source {
	case SourceAuto, SourceNetlink, SourceProcfs, SourceIPHelper, SourceSysctl:
	default:
		return nil, fmt.Errorf("unknown source %q (accepted: %s, %s, %s, %s)",
			opts.Source, SourceNetlink, SourceProcfs, SourceIPHelper, SourceSysctl)
	}
	if (opts.AllNetns || len(opts.Namespaces) > 0) && runtime.GOOS != "linux" {
		return nil, errNoNetnsHere()
	}
	if !opts.Filter.OwnerFiltered() {
		return newCollector(opts)
	}
	// The caller's slices are copied: the filter applies as it was given.
	opts.Filter.PIDs = slices.Clone(opts.Filter.PIDs)
	opts.Filter.Processes = slices.Clone(opts.Filter.Processes)
	opts.Owners = true
	c, err := newCollector(opts)
	if err != nil {
		return nil, err
	}
	return &ownerFilterCollector{c: c, filter: opts.Filter}, nil
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

// tableName names a table in messages: tcp4, tcp6, udp4, udp6, and tcp
// for both families at once (f 0).
func tableName(p Proto, f Family) string {
	switch f {
	case FamilyIPv4:
		return p.String() + "4"
	case FamilyIPv6:
		return p.String() + "6"
	case 0:
		return p.String()
	}
	return p.String() + "-" + f.String()
}

// unsupportedOS is the error of New on an operating system portwatch has
// no collector for; it wraps errors.ErrUnsupported.
func unsupportedOS(goos string) error {
	return fmt.Errorf("portwatch has no socket collector for %s (supported: linux, windows, darwin, freebsd): %w", goos, errors.ErrUnsupported)
}

// newSnapshot starts a snapshot of this host taken now from source, and
// returns it with the function that records a warning of something lost
// in it (marking it Incomplete) and passes the warning on to o.Warn.
func (o *Options) newSnapshot(source Source) (*Snapshot, func(string)) {
	snap := &Snapshot{Time: time.Now(), Source: source}
	snap.Host, _ = os.Hostname()
	warn := func(msg string) {
		snap.Incomplete = true
		o.notice(snap, msg)
	}
	return snap, warn
}

// notice records in snap a warning that loses nothing, such as how the
// table was read, and passes it on to o.Warn.
func (o *Options) notice(snap *Snapshot, msg string) {
	snap.Warnings = append(snap.Warnings, msg)
	if o.Warn != nil {
		o.Warn(msg)
	}
}
