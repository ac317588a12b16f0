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

	started bool
	prev    []collector.Socket
	gone    []Row // closed sockets still shown
	marks   map[Key]Row
	rows    []Row
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
				r := Row{Mark: Updated, Changed: ev.Changed, OldState: ev.OldState, OldOwners: ev.OldOwners}
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

	rows := make([]Row, 0, len(cur)+len(gone))
	for i := range cur {
		r := Row{Socket: cur[i]}
		if len(marks) == 0 {
			rows = append(rows, r)
			continue
		}
		if m, ok := marks[KeyOf(&cur[i])]; ok {
			m.Socket = cur[i]
			r = m
		}
		rows = append(rows, r)
	}
	rows = append(rows, gone...)

	t.prev, t.gone, t.marks, t.rows = cur, gone, marks, rows
	return events
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
