package watch

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/collector"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func sock(local, remote string, st collector.State, ino uint64, pids ...int) collector.Socket {
	s := collector.Socket{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv4,
		Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote),
		State: st, Inode: ino, UID: 0,
	}
	for _, p := range pids {
		s.Owners = append(s.Owners, collector.Owner{PID: p, Process: fmt.Sprint("p", p), FD: 3})
	}
	return s
}

// summary is a compact, comparable form of events.
func summary(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s %s>%s %s", ev.Kind, ev.Socket.Local, ev.Socket.Remote, ev.Socket.StateName())
		if ev.Kind == Changed {
			if ev.Changed&StateChange != 0 {
				fmt.Fprintf(&b, " state %s", collector.StateName(ev.Socket.Proto, ev.OldState))
			}
			if ev.Changed&OwnerChange != 0 {
				fmt.Fprintf(&b, " owners %d->%d", len(ev.OldOwners), len(ev.Socket.Owners))
			}
		}
		b.WriteString("; ")
	}
	return b.String()
}

const (
	lnAddr = "127.0.0.1:8080"
	any4   = "0.0.0.0:0"
	cli    = "127.0.0.1:40000"
)

func TestDiff(t *testing.T) {
	listener := sock(lnAddr, any4, collector.StateListen, 10, 100)
	for _, tc := range []struct {
		name      string
		prev, cur []collector.Socket
		want      string
	}{
		{"first refresh adds everything", nil, []collector.Socket{listener},
			"added 127.0.0.1:8080>0.0.0.0:0 LISTEN; "},
		{"nothing changed", []collector.Socket{listener}, []collector.Socket{listener}, ""},
		{"queues are not changes", []collector.Socket{listener},
			[]collector.Socket{func() collector.Socket { s := listener; s.RecvQ = 5; s.Owners[0].FD = 9; return s }()}, ""},
		{"added and removed",
			[]collector.Socket{listener, sock(cli, lnAddr, collector.StateEstablished, 11, 200)},
			[]collector.Socket{listener, sock("127.0.0.1:40001", lnAddr, collector.StateEstablished, 12, 200)},
			"added 127.0.0.1:40001>127.0.0.1:8080 ESTABLISHED; removed 127.0.0.1:40000>127.0.0.1:8080 ESTABLISHED; "},
		{"state change",
			[]collector.Socket{sock(cli, lnAddr, collector.StateSynSent, 11, 200)},
			[]collector.Socket{sock(cli, lnAddr, collector.StateEstablished, 11, 200)},
			"changed 127.0.0.1:40000>127.0.0.1:8080 ESTABLISHED state SYN_SENT; "},
		{"new owner is a change, not remove and add",
			[]collector.Socket{listener},
			[]collector.Socket{sock(lnAddr, any4, collector.StateListen, 10, 100, 101)},
			"changed 127.0.0.1:8080>0.0.0.0:0 LISTEN owners 1->2; "},
		{"owner handed over: same socket, other PID",
			[]collector.Socket{listener},
			[]collector.Socket{sock(lnAddr, any4, collector.StateListen, 10, 300)},
			"changed 127.0.0.1:8080>0.0.0.0:0 LISTEN owners 1->1; "},
		{"same ends, new inode: a new socket",
			[]collector.Socket{listener},
			[]collector.Socket{sock(lnAddr, any4, collector.StateListen, 99, 100)},
			"added 127.0.0.1:8080>0.0.0.0:0 LISTEN; removed 127.0.0.1:8080>0.0.0.0:0 LISTEN; "},
		{"established becomes TIME_WAIT (inode to 0)",
			[]collector.Socket{sock(cli, lnAddr, collector.StateEstablished, 11, 200)},
			[]collector.Socket{sock(cli, lnAddr, collector.StateTimeWait, 0)},
			"changed 127.0.0.1:40000>127.0.0.1:8080 TIME_WAIT state ESTABLISHED owners 1->0; "},
		{"request socket becomes established (inode from 0)",
			[]collector.Socket{sock(lnAddr, cli, collector.StateSynRecv, 0)},
			[]collector.Socket{sock(lnAddr, cli, collector.StateEstablished, 13, 100)},
			"changed 127.0.0.1:8080>127.0.0.1:40000 ESTABLISHED state SYN_RECV owners 0->1; "},
		{"two reuseport listeners are two sockets",
			[]collector.Socket{listener},
			[]collector.Socket{listener, sock(lnAddr, any4, collector.StateListen, 14, 101)},
			"added 127.0.0.1:8080>0.0.0.0:0 LISTEN; "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := Diff(tc.prev, tc.cur, t0)
			if got := summary(evs); got != tc.want {
				t.Errorf("events:\n got %s\nwant %s", got, tc.want)
			}
			for _, ev := range evs {
				if !ev.Time.Equal(t0) {
					t.Errorf("event time %v, want %v", ev.Time, t0)
				}
			}
		})
	}
}

func rowsSummary(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s%d %s %s; ", r.Mark.Symbol(), r.Age, r.Socket.Local, r.Socket.StateName())
	}
	return b.String()
}

func TestTrackerMarksLinger(t *testing.T) {
	tr := &Tracker{Linger: 2}
	listener := sock(lnAddr, any4, collector.StateListen, 10, 100)
	conn := sock(cli, lnAddr, collector.StateSynSent, 11, 200)
	snap := func(socks ...collector.Socket) *collector.Snapshot {
		return &collector.Snapshot{Time: t0, Sockets: socks}
	}
	steps := []struct {
		snap       *collector.Snapshot
		rows       string
		eventCount int
	}{
		{snap(listener), " 0 127.0.0.1:8080 LISTEN; ", 1},
		{snap(listener, conn), " 0 127.0.0.1:8080 LISTEN; +0 127.0.0.1:40000 SYN_SENT; ", 1},
		{snap(listener, conn), " 0 127.0.0.1:8080 LISTEN; +1 127.0.0.1:40000 SYN_SENT; ", 0},
		{snap(listener, conn), " 0 127.0.0.1:8080 LISTEN;  0 127.0.0.1:40000 SYN_SENT; ", 0},
		{snap(listener, sock(cli, lnAddr, collector.StateEstablished, 11, 200)),
			" 0 127.0.0.1:8080 LISTEN; ~0 127.0.0.1:40000 ESTABLISHED; ", 1},
		{snap(listener), " 0 127.0.0.1:8080 LISTEN; -0 127.0.0.1:40000 ESTABLISHED; ", 1},
		{snap(listener), " 0 127.0.0.1:8080 LISTEN; -1 127.0.0.1:40000 ESTABLISHED; ", 0},
		{snap(listener), " 0 127.0.0.1:8080 LISTEN; ", 0},
		// Changed while still new: stays new.
		{snap(listener, conn), " 0 127.0.0.1:8080 LISTEN; +0 127.0.0.1:40000 SYN_SENT; ", 1},
		{snap(listener, sock(cli, lnAddr, collector.StateEstablished, 11, 200)),
			" 0 127.0.0.1:8080 LISTEN; +1 127.0.0.1:40000 ESTABLISHED; ", 1},
		// Gone, then back before the mark expired.
		{snap(listener), " 0 127.0.0.1:8080 LISTEN; -0 127.0.0.1:40000 ESTABLISHED; ", 1},
		{snap(listener, conn), " 0 127.0.0.1:8080 LISTEN; +0 127.0.0.1:40000 SYN_SENT; ", 1},
	}
	for i, st := range steps {
		evs := tr.Update(st.snap)
		if got := rowsSummary(tr.Rows()); got != st.rows {
			t.Errorf("step %d rows:\n got %s\nwant %s", i, got, st.rows)
		}
		if len(evs) != st.eventCount {
			t.Errorf("step %d: %d events (%s), want %d", i, len(evs), summary(evs), st.eventCount)
		}
	}
}

func TestTrackerUpdatedRowKeepsOldValues(t *testing.T) {
	var tr Tracker
	tr.Update(&collector.Snapshot{Sockets: []collector.Socket{sock(cli, lnAddr, collector.StateSynSent, 11, 200)}})
	tr.Update(&collector.Snapshot{Sockets: []collector.Socket{sock(cli, lnAddr, collector.StateEstablished, 11, 201)}})
	r := tr.Rows()[0]
	if r.Mark != Updated || r.Changed != StateChange|OwnerChange || r.OldState != collector.StateSynSent ||
		len(r.OldOwners) != 1 || r.OldOwners[0].PID != 200 || r.Socket.Owners[0].PID != 201 {
		t.Errorf("updated row %+v", r)
	}
	if tr.Update(nil) == nil || len(tr.Rows()) != 1 || tr.Rows()[0].Mark != Gone {
		t.Errorf("a nil snapshot closes every socket: rows %s", rowsSummary(tr.Rows()))
	}
}

func TestDiffOrderDoesNotMatter(t *testing.T) {
	var prev []collector.Socket
	for i := range 200 {
		prev = append(prev, sock(fmt.Sprintf("127.0.0.1:%d", 10000+i), lnAddr, collector.StateEstablished, uint64(1000+i), 100))
	}
	prev = append(prev, sock(cli, lnAddr, collector.StateTimeWait, 0))
	// The same sockets in another order, one gone, one new, one changed.
	cur := make([]collector.Socket, 0, len(prev))
	for i := len(prev) - 1; i >= 0; i-- {
		if i != 7 {
			cur = append(cur, prev[i])
		}
	}
	cur[3].State = collector.StateCloseWait
	cur = append(cur[:50], append([]collector.Socket{sock("127.0.0.1:9999", lnAddr, collector.StateSynSent, 5, 100)}, cur[50:]...)...)
	got := summary(Diff(prev, cur, t0))
	want := "changed 127.0.0.1:10197>127.0.0.1:8080 CLOSE_WAIT state ESTABLISHED; " +
		"added 127.0.0.1:9999>127.0.0.1:8080 SYN_SENT; removed 127.0.0.1:10007>127.0.0.1:8080 ESTABLISHED; "
	if got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	if evs := Diff(prev, prev, t0); len(evs) != 0 {
		t.Errorf("a snapshot against itself: %s", summary(evs))
	}
}

// BenchmarkDiffSteady is one refresh of a large, quiet host: the same
// sockets, a few changed.
func BenchmarkDiffSteady(b *testing.B) {
	prev := make([]collector.Socket, 120000)
	for i := range prev {
		prev[i] = sock(fmt.Sprintf("127.0.0.1:%d", 1024+i%60000), fmt.Sprintf("127.0.0.1:%d", 20000+i/60000), collector.StateEstablished, uint64(i+1), 100)
	}
	cur := append([]collector.Socket(nil), prev...)
	cur[500].State = collector.StateCloseWait
	cur = append(cur[:1000], cur[1001:]...)
	b.ResetTimer()
	for b.Loop() {
		Diff(prev, cur, t0)
	}
}

// withBytes gives s a tcp_info with its byte counters (a 4.19+ kernel's).
func withBytes(s collector.Socket, sent, recv uint64) collector.Socket {
	s.Internals = &collector.Internals{HasTCP: true, TCP: collector.TCPInfo{BytesSent: sent, BytesAcked: sent, BytesReceived: recv, Size: 232}}
	return s
}

// Counters that moved are a traffic change with their deltas; counters
// that went back count 0; sockets without internals never change by
// traffic; an older kernel's counts bytes acknowledged.
func TestDiffTraffic(t *testing.T) {
	c := sock("127.0.0.1:40000", "127.0.0.1:80", collector.StateEstablished, 7, 10)
	now := time.Unix(100, 0)
	evs := Diff([]collector.Socket{withBytes(c, 100, 50)}, []collector.Socket{withBytes(c, 1100, 60)}, now)
	if len(evs) != 1 || evs[0].Changed != TrafficChange || evs[0].Sent != 1000 || evs[0].Received != 10 {
		t.Errorf("moved: %+v", evs)
	}
	evs = Diff([]collector.Socket{withBytes(c, 5000, 60)}, []collector.Socket{withBytes(c, 10, 70)}, now)
	if len(evs) != 1 || evs[0].Sent != 0 || evs[0].Received != 10 {
		t.Errorf("sent went back: %+v", evs)
	}
	if evs := Diff([]collector.Socket{withBytes(c, 1, 1)}, []collector.Socket{withBytes(c, 1, 1)}, now); len(evs) != 0 {
		t.Errorf("nothing moved: %+v", evs)
	}
	if evs := Diff([]collector.Socket{c}, []collector.Socket{withBytes(c, 9, 9)}, now); len(evs) != 0 {
		t.Errorf("internals only now: %+v", evs)
	}
	old := withBytes(c, 0, 0)
	old.Internals.TCP.Size = 160
	cur := withBytes(c, 0, 0)
	cur.Internals.TCP.Size, cur.Internals.TCP.BytesAcked = 160, 300
	if evs := Diff([]collector.Socket{old}, []collector.Socket{cur}, now); len(evs) != 1 || evs[0].Sent != 300 {
		t.Errorf("an older kernel's acked bytes: %+v", evs)
	}
}
