package collector

import (
	"context"
	"net/netip"
	"strings"
)

// Match reports whether s passes the filter's table fields: states, ports
// and address. The owner fields are MatchOwners'.
func (f *Filter) Match(s *Socket) bool {
	if !f.States.Has(s.State) {
		return false
	}
	if f.LocalPort != 0 && s.Local.Port() != f.LocalPort {
		return false
	}
	if f.RemotePort != 0 && s.Remote.Port() != f.RemotePort {
		return false
	}
	if f.Port == 0 && !f.Addr.IsValid() {
		return true
	}
	return f.matchEnd(s.Local, f.AddrWildcard) || f.matchEnd(s.Remote, false)
}

// matchEnd reports whether one end of a socket has the filter's Port and
// Addr (each when set). With wildcard, an end bound to every address of a
// family that includes Addr has Addr too: 0.0.0.0 for IPv4, and :: for
// both, since an IPv6 socket is dual-stack unless it is IPv6-only.
func (f *Filter) matchEnd(end netip.AddrPort, wildcard bool) bool {
	if f.Port != 0 && end.Port() != f.Port {
		return false
	}
	if !f.Addr.IsValid() {
		return true
	}
	want, got := f.Addr.Unmap(), end.Addr().Unmap()
	if got == want {
		return true
	}
	return wildcard && got.IsUnspecified() && (got.Is6() || want.Is4())
}

// commLen is the length of a Linux process name (comm, TASK_COMM_LEN
// less the NUL): longer names are cut to it.
const commLen = 15

// MatchOwners reports whether a process the filter names (PIDs or
// Processes) holds s; true when the filter names none. A name matches an
// owner's process name exactly, or, when that name is commLen bytes long,
// a longer name it is the start of, as the kernel cuts comm.
func (f *Filter) MatchOwners(s *Socket) bool {
	if !f.OwnerFiltered() {
		return true
	}
	for i := range s.Owners {
		if f.matchOwner(&s.Owners[i]) {
			return true
		}
	}
	return false
}

func (f *Filter) matchOwner(o *Owner) bool {
	for _, p := range f.PIDs {
		if o.PID == p {
			return true
		}
	}
	for _, n := range f.Processes {
		if o.Process == n || len(o.Process) == commLen && strings.HasPrefix(n, o.Process) {
			return true
		}
	}
	return false
}

// KeepOwned removes from socks, in place, the sockets MatchOwners rejects,
// and returns what is left.
func (f *Filter) KeepOwned(socks []Socket) []Socket {
	if !f.OwnerFiltered() {
		return socks
	}
	kept := socks[:0]
	for i := range socks {
		if f.MatchOwners(&socks[i]) {
			kept = append(kept, socks[i])
		}
	}
	clear(socks[len(kept):])
	return socks[:len(kept)]
}

// ownerFilterCollector applies a filter's owner fields to what an OS
// collector found, so every OS filters on owners the same way.
type ownerFilterCollector struct {
	c      Collector
	filter Filter
}

// Collect implements Collector.
func (o *ownerFilterCollector) Collect(ctx context.Context) (*Snapshot, error) {
	snap, err := o.c.Collect(ctx)
	if err != nil {
		return nil, err
	}
	snap.Sockets = o.filter.KeepOwned(snap.Sockets)
	return snap, nil
}
