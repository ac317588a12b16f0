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

// Key identifies a socket across refreshes: its network namespace (0
// when only the caller's was read), protocol, both ends and the kernel's
// inode (0 for sockets without a file, such as TIME_WAIT). It is never the
// PID: a socket that changes hands is the same socket.
type Key struct {
	Netns  uint64
	Proto  collector.Proto
	Local  netip.AddrPort
	Remote netip.AddrPort
	Inode  uint64
}

// KeyOf returns the identity of s.
func KeyOf(s *collector.Socket) Key {
	return Key{Netns: s.Netns, Proto: s.Proto, Local: s.Local, Remote: s.Remote, Inode: s.Inode}
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
	// TrafficChange: the connection's byte counters moved. Only sockets
	// read with their internals (collector.Options.Info) have them, so
	// only then is traffic an event.
	TrafficChange
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
	// Sent and Received are the bytes the connection sent (acknowledged
	// by the peer where the kernel does not count bytes sent) and
	// received since the previous snapshot (TrafficChange only). A
	// counter that went backwards counts 0: the rate starts again.
	Sent, Received uint64
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
	p := &pairing{prev: prev, used: make([]bool, len(prev))}
	var pending []int // events Added for a socket without an inode that may have had one
	for i := range cur {
		s := &cur[i]
		j, ok := p.match(s)
		if !ok {
			if s.Inode == 0 && s.Remote.Port() != 0 {
				pending = append(pending, len(events))
			}
			events = append(events, Event{Kind: Added, Time: now, Socket: *s})
			continue
		}
		if ch := compare(&prev[j], s); ch != 0 {
			events = append(events, changed(&prev[j], s, ch, now))
		}
	}
	if len(pending) > 0 {
		p.pairSuccessors(events, pending, now)
	}
	for j := range prev {
		if !p.used[j] {
			events = append(events, Event{Kind: Removed, Time: now, Socket: prev[j]})
		}
	}
	return events
}

// changed is the Changed event from old to s.
func changed(old, s *collector.Socket, ch Change, now time.Time) Event {
	ev := Event{Kind: Changed, Time: now, Socket: *s, Changed: ch, OldState: old.State, OldOwners: old.Owners}
	if ch&TrafficChange != 0 {
		oldSent, oldRecv, _ := bytesOf(old)
		sent, recv, _ := bytesOf(s)
		ev.Sent, ev.Received = since(oldSent, sent), since(oldRecv, recv)
	}
	return ev
}

// bytesOf returns the byte counters of s's tcp_info: sent (acked where
// the kernel does not count sent) and received; ok is false when s has
// none.
func bytesOf(s *collector.Socket) (sent, recv uint64, ok bool) {
	in := s.Internals
	if in == nil || !in.HasTCP || !in.TCP.Has(collector.TCPBytesReceived) {
		return 0, 0, false
	}
	t := &in.TCP
	switch {
	case t.Has(collector.TCPBytesSent):
		sent = t.BytesSent
	case t.Has(collector.TCPBytesAcked):
		sent = t.BytesAcked
	default:
		return 0, 0, false
	}
	return sent, t.BytesReceived, true
}

// since is how far a counter moved from old to cur, 0 when it went back.
func since(old, cur uint64) uint64 {
	if cur < old {
		return 0
	}
	return cur - old
}

// ends is a Key without the inode: namespace, protocol and both ends.
func ends(s *collector.Socket) Key {
	return Key{Netns: s.Netns, Proto: s.Proto, Local: s.Local, Remote: s.Remote}
}

// pairing finds, for each socket of a new snapshot, its match in the old
// one; each old socket matches at most once. Two snapshots of a steady
// host list most sockets in the same order, so it first tries the old
// socket after the last match and builds its indexes only when that
// fails; the main index is on the inode, a number, which is far cheaper to
// hash than a whole Key.
type pairing struct {
	prev    []collector.Socket
	used    []bool
	next    int              // the old socket after the last match
	byInode map[uint64]int32 // old sockets with an inode; built on first need
	noInode map[Key]int32    // old sockets without an inode, by ends
}

// sameKey reports whether a and b are the same socket.
func sameKey(a, b *collector.Socket) bool {
	return a.Inode == b.Inode && a.Netns == b.Netns && a.Proto == b.Proto && a.Local == b.Local && a.Remote == b.Remote
}

// index builds the lookup maps over the old sockets.
func (p *pairing) index() {
	p.byInode = make(map[uint64]int32, len(p.prev))
	p.noInode = make(map[Key]int32)
	for j := range p.prev {
		s := &p.prev[j]
		if s.Inode != 0 {
			if _, dup := p.byInode[s.Inode]; !dup {
				p.byInode[s.Inode] = int32(j)
			}
		} else if _, dup := p.noInode[ends(s)]; !dup {
			p.noInode[ends(s)] = int32(j)
		}
	}
}

// match returns the index of s's old self: the same Key, or, for a
// socket with an inode, an old socket without one at the same ends (a
// request socket that became a connection).
func (p *pairing) match(s *collector.Socket) (int, bool) {
	if j := p.next; j < len(p.prev) && !p.used[j] && sameKey(&p.prev[j], s) {
		return p.take(j), true
	}
	if p.byInode == nil {
		p.index()
	}
	var j int32
	var ok bool
	if s.Inode != 0 {
		j, ok = p.byInode[s.Inode]
		if !ok || !sameKey(&p.prev[j], s) {
			// Not itself; maybe its request socket.
			j, ok = p.noInode[ends(s)]
			ok = ok && s.Remote.Port() != 0
		}
	} else {
		j, ok = p.noInode[ends(s)]
	}
	if !ok || p.used[j] {
		return 0, false
	}
	return p.take(int(j)), true
}

// take marks old socket j as matched.
func (p *pairing) take(j int) int {
	p.used[j] = true
	p.next = j + 1
	return j
}

// pairSuccessors turns the pending Added events of new sockets without an
// inode (TIME_WAIT) into Changed events of the unmatched old connections
// at the same ends, which the kernel replaced by them.
func (p *pairing) pairSuccessors(events []Event, pending []int, now time.Time) {
	want := make(map[Key]int, len(pending))
	for _, e := range pending {
		want[ends(&events[e].Socket)] = e
	}
	for j := range p.prev {
		old := &p.prev[j]
		if p.used[j] || old.Inode == 0 || old.Remote.Port() == 0 {
			continue
		}
		e, ok := want[ends(old)]
		if !ok {
			continue
		}
		delete(want, ends(old))
		p.used[j] = true
		s := events[e].Socket
		events[e] = changed(old, &s, compare(old, &s), now)
	}
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
	as, ar, aok := bytesOf(a)
	bs, br, bok := bytesOf(b)
	if aok && bok && (as != bs || ar != br) {
		ch |= TrafficChange
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
