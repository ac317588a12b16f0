package watch

import (
	"time"

	"github.com/portwatch/portwatch/collector"
)

// Mark is how a row of the live view stands out.
type Mark uint8

// Row marks. A mark lasts Tracker.Linger refreshes.
const (
	Steady  Mark = iota // nothing recent
	New                 // appeared
	Gone                // closed; still shown so it can be seen
	Updated             // changed state or owner
)

// Symbol is the mark's one-character column, so the marks survive without
// colour: "+", "-", "~" or " ".
func (m Mark) Symbol() string {
	switch m {
	case New:
		return "+"
	case Gone:
		return "-"
	case Updated:
		return "~"
	}
	return " "
}

// Row is one line of the live view: a socket and its mark.
type Row struct {
	Socket collector.Socket
	Mark   Mark
	// Age is the number of refreshes since the mark was set: 0 on the
	// refresh that set it.
	Age int
	// Changed, OldState and OldOwners describe the change of an Updated
	// row.
	Changed   Change
	OldState  collector.State
	OldOwners []collector.Owner
	// Rates reports that SendRate and RecvRate are known: the socket is a
	// connection (not a listener) with byte counters (tcp_info, with
	// collector.Options.Info) and there was a refresh before this one to
	// measure from.
	Rates bool
	// SendRate and RecvRate are the bytes per second the connection sent
	// and received since the previous refresh; for a socket that appeared
	// since then, its counters over that time. A counter that went back
	// (a socket reusing an old one's identity) counts 0, never negative.
	SendRate, RecvRate float64
}

// DefaultLinger is how many refreshes a mark stays when Tracker.Linger is 0.
const DefaultLinger = 3

// Tracker keeps the rows of a live view across refreshes: every socket of
// the latest snapshot, plus closed ones for a few refreshes. The zero value
// is ready to use. The first snapshot marks nothing: what was there when
// the view started is not news.
type Tracker struct {
	// Linger is how many refreshes New, Gone and Updated marks last;
	// 0 means DefaultLinger.
	Linger int

	started  bool
	prevTime time.Time
	prev     []collector.Socket
	gone     []Row // closed sockets still shown
	marks    map[Key]Row
	rows     []Row
}

// Update takes the next snapshot and returns its events against the
// previous one (every socket Added for the first snapshot).
func (t *Tracker) Update(snap *collector.Snapshot) []Event {
	linger := t.Linger
	if linger <= 0 {
		linger = DefaultLinger
	}
	var now time.Time
	var cur []collector.Socket
	if snap != nil {
		now, cur = snap.Time, snap.Sockets
	}
	events := Diff(t.prev, cur, now)
	first := !t.started
	t.started = true

	// Age the marks that were set before, and drop the expired ones.
	marks := make(map[Key]Row, len(t.marks)+len(events))
	for k, r := range t.marks {
		r.Age++
		if r.Age < linger {
			marks[k] = r
		}
	}
	gone := t.gone[:0:0]
	for _, r := range t.gone {
		r.Age++
		if r.Age < linger {
			gone = append(gone, r)
		}
	}
	if !first {
		for _, ev := range events {
			k := KeyOf(&ev.Socket)
			switch ev.Kind {
			case Added:
				marks[k] = Row{Mark: New}
			case Changed:
				if ev.Changed&^TrafficChange == 0 {
					// Bytes moving are what a connection does, not news:
					// they show as its rates.
					continue
				}
				r := Row{Mark: Updated, Changed: ev.Changed &^ TrafficChange, OldState: ev.OldState, OldOwners: ev.OldOwners}
				if old, ok := marks[k]; ok && old.Mark == New {
					// Still new: keep it green, but remember the change.
					r.Mark, r.Age = New, old.Age
				}
				marks[k] = r
			case Removed:
				delete(marks, k)
				gone = append(gone, Row{Socket: ev.Socket, Mark: Gone})
			}
		}
	}
	// A socket that came back (an Added event with a gone row's Key) is
	// no longer gone. Events are few; the snapshot may be large.
	if len(gone) > 0 {
		added := make(map[Key]struct{})
		for i := range events {
			if events[i].Kind == Added {
				added[KeyOf(&events[i].Socket)] = struct{}{}
			}
		}
		kept := gone[:0]
		for _, r := range gone {
			if _, back := added[KeyOf(&r.Socket)]; !back {
				kept = append(kept, r)
			}
		}
		gone = kept
	}

	var moved map[Key][2]uint64
	elapsed := now.Sub(t.prevTime).Seconds()
	measure := !first && elapsed > 0
	if measure {
		moved = bytesMoved(events)
	}
	rows := make([]Row, 0, len(cur)+len(gone))
	for i := range cur {
		r := Row{Socket: cur[i]}
		var k Key
		if len(marks) > 0 || len(moved) > 0 {
			k = KeyOf(&cur[i])
		}
		if len(marks) > 0 {
			if m, ok := marks[k]; ok {
				m.Socket = cur[i]
				r = m
			}
		}
		if measure && cur[i].State != collector.StateListen && hasBytes(&cur[i]) {
			r.Rates = true
			if d, ok := moved[k]; ok {
				r.SendRate, r.RecvRate = float64(d[0])/elapsed, float64(d[1])/elapsed
			}
		}
		rows = append(rows, r)
	}
	rows = append(rows, gone...)

	t.prev, t.prevTime, t.gone, t.marks, t.rows = cur, now, gone, marks, rows
	return events
}

// bytesMoved returns, by socket, the bytes sent and received since the
// previous snapshot: a changed connection's deltas and a new socket's
// counters (all it moved happened since then). Sockets that did not move
// are not in it.
func bytesMoved(events []Event) map[Key][2]uint64 {
	var moved map[Key][2]uint64
	for i := range events {
		ev := &events[i]
		var d [2]uint64
		switch {
		case ev.Kind == Changed && ev.Changed&TrafficChange != 0:
			d = [2]uint64{ev.Sent, ev.Received}
		case ev.Kind == Added:
			sent, recv, ok := bytesOf(&ev.Socket)
			if !ok {
				continue
			}
			d = [2]uint64{sent, recv}
		default:
			continue
		}
		if d == ([2]uint64{}) {
			continue
		}
		if moved == nil {
			moved = make(map[Key][2]uint64)
		}
		moved[KeyOf(&ev.Socket)] = d
	}
	return moved
}

// hasBytes reports whether s carries tcp_info byte counters.
func hasBytes(s *collector.Socket) bool {
	_, _, ok := bytesOf(s)
	return ok
}

// Rows returns the rows to show: the sockets of the latest snapshot in its
// order, then the closed sockets that still linger. The slice is the
// tracker's; it is replaced, not modified, by the next Update.
func (t *Tracker) Rows() []Row { return t.rows }

// Reset forgets every snapshot, so that the next Update marks nothing, as
// the first one does. A view calls it when it starts collecting other
// fields (owners switched on), which is not a change of the sockets.
func (t *Tracker) Reset() {
	linger := t.Linger
	*t = Tracker{Linger: linger}
}
