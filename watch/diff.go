// Package watch compares socket snapshots taken one after another: which
// sockets appeared, which went away and which changed state or owner. Diff
// turns two snapshots into events for a change stream; Tracker keeps the
// rows of a live view with their change marks across refreshes. Nothing
// here reads the kernel, a clock or a terminal.
package watch

import (
	"net/netip"
	"slices"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// Key identifies a socket across refreshes: protocol, both ends and the
// kernel's inode (0 for sockets without a file, such as TIME_WAIT). It is
// never the PID: a socket that changes hands is the same socket.
type Key struct {
	Proto  collector.Proto
	Local  netip.AddrPort
	Remote netip.AddrPort
	Inode  uint64
}

// KeyOf returns the identity of s.
func KeyOf(s *collector.Socket) Key {
	return Key{Proto: s.Proto, Local: s.Local, Remote: s.Remote, Inode: s.Inode}
}

// Kind is what happened to a socket between two refreshes.
type Kind uint8

// Event kinds.
const (
	Added Kind = iota + 1
	Removed
	Changed
)

// String returns "added", "removed" or "changed", the names the change
// stream prints.
func (k Kind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Changed:
		return "changed"
	}
	return "unknown"
}

// Change is a set of the fields of a socket that changed.
type Change uint8

// Fields whose change makes a Changed event. Queue sizes and users change
// all the time, or never, and are not events.
const (
	StateChange Change = 1 << iota
	OwnerChange
)

// Event is one difference between two snapshots.
type Event struct {
	Kind Kind
	// Time is the time of the snapshot that showed the difference.
	Time time.Time
	// Socket is the socket as it is now; for Removed, as it was last seen.
	Socket collector.Socket
	// Changed says which fields changed (Changed events only).
	Changed Change
	// OldState and OldOwners are the values before the change (Changed
	// events only); Socket has the new ones.
	OldState  collector.State
	OldOwners []collector.Owner
}

// Diff returns the events that turn prev into cur, stamped with time now:
// Added and Changed in the order of cur, then Removed in the order of prev.
// A nil prev is an empty one, so every socket of cur is Added.
//
// Sockets are matched on Key. A socket that becomes a TIME_WAIT or a
// request socket becomes an established one changes its inode to or from
// 0 (the kernel makes a new object without a file); it is paired on its
// protocol and both ends when one of the two inodes is 0, so that it is a
// state change and not a remove and an add.
func Diff(prev, cur []collector.Socket, now time.Time) []Event {
	var events []Event
	pair := newPairing(prev)
	for i := range cur {
		s := &cur[i]
		j, ok := pair.match(s)
		if !ok {
			events = append(events, Event{Kind: Added, Time: now, Socket: *s})
			continue
		}
		if ch := compare(&prev[j], s); ch != 0 {
			events = append(events, Event{Kind: Changed, Time: now, Socket: *s, Changed: ch,
				OldState: prev[j].State, OldOwners: prev[j].Owners})
		}
	}
	for j := range prev {
		if !pair.used[j] {
			events = append(events, Event{Kind: Removed, Time: now, Socket: prev[j]})
		}
	}
	return events
}

// pairing finds, for each socket of a new snapshot, its match in the old
// one; each old socket matches at most once.
type pairing struct {
	prev   []collector.Socket
	byKey  map[Key]int
	byEnds map[Key]int // Key with Inode 0 -> old connected socket; built on first need
	used   []bool
}

func newPairing(prev []collector.Socket) *pairing {
	p := &pairing{prev: prev, byKey: make(map[Key]int, len(prev)), used: make([]bool, len(prev))}
	for j := range prev {
		k := KeyOf(&prev[j])
		if _, dup := p.byKey[k]; !dup {
			p.byKey[k] = j
		}
	}
	return p
}

// match returns the index of s's old self.
func (p *pairing) match(s *collector.Socket) (int, bool) {
	k := KeyOf(s)
	if j, ok := p.byKey[k]; ok && !p.used[j] {
		p.used[j] = true
		return j, true
	}
	if s.Remote.Port() == 0 {
		// Listeners and unconnected UDP sockets have no successor objects.
		return 0, false
	}
	if p.byEnds == nil {
		p.byEnds = make(map[Key]int)
		for j := range p.prev {
			if p.prev[j].Remote.Port() != 0 {
				e := KeyOf(&p.prev[j])
				e.Inode = 0
				if _, ok := p.byEnds[e]; !ok {
					p.byEnds[e] = j
				}
			}
		}
	}
	k.Inode = 0
	j, ok := p.byEnds[k]
	if !ok || p.used[j] || (s.Inode != 0 && p.prev[j].Inode != 0) {
		return 0, false
	}
	p.used[j] = true
	return j, true
}

// compare returns what changed from a to b.
func compare(a, b *collector.Socket) Change {
	var ch Change
	if a.State != b.State {
		ch |= StateChange
	}
	if !sameOwners(a.Owners, b.Owners) {
		ch |= OwnerChange
	}
	return ch
}

// sameOwners reports whether two owner lists name the same processes. File
// descriptor numbers do not count: a dup2 is not a new owner.
func sameOwners(a, b []collector.Owner) bool {
	return slices.EqualFunc(a, b, func(x, y collector.Owner) bool {
		return x.PID == y.PID && x.Process == y.Process
	})
}
