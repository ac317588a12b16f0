package watch

import (
	"testing"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// The tracker's rates are the bytes moved over the time between two
// snapshots; a socket that came since then counts all its bytes; counters
// going back count 0; moving bytes marks nothing; without a refresh
// before, or without counters, there are no rates.
func TestTrackerRates(t *testing.T) {
	a := sock("127.0.0.1:40000", lnAddr, collector.StateEstablished, 7, 10)
	b := sock("127.0.0.1:40001", lnAddr, collector.StateEstablished, 8, 10)
	udp := sock("127.0.0.1:5353", "0.0.0.0:0", collector.StateClose, 9, 11)
	udp.Proto = collector.ProtoUDP
	snap := func(sec int, socks ...collector.Socket) *collector.Snapshot {
		return &collector.Snapshot{Time: t0.Add(time.Duration(sec) * time.Second), Sockets: socks}
	}
	byInode := func(tr *Tracker) map[uint64]Row {
		m := map[uint64]Row{}
		for _, r := range tr.Rows() {
			m[r.Socket.Inode] = r
		}
		return m
	}
	var tr Tracker
	tr.Update(snap(0, withBytes(a, 1000, 100), udp))
	for _, r := range tr.Rows() {
		if r.Rates {
			t.Errorf("first snapshot: rates without a refresh before: %+v", r)
		}
	}
	tr.Update(snap(2, withBytes(a, 5000, 300), withBytes(b, 600, 0), udp))
	rows := byInode(&tr)
	if r := rows[7]; !r.Rates || r.SendRate != 2000 || r.RecvRate != 100 || r.Mark != Steady {
		t.Errorf("4000 and 200 bytes in 2 s: %+v", r)
	}
	if r := rows[8]; !r.Rates || r.SendRate != 300 || r.RecvRate != 0 || r.Mark != New {
		t.Errorf("a new connection's 600 bytes in 2 s: %+v", r)
	}
	if r := rows[9]; r.Rates {
		t.Errorf("a UDP socket without counters has rates: %+v", r)
	}
	tr.Update(snap(3, withBytes(a, 10, 300), withBytes(b, 600, 0), udp))
	rows = byInode(&tr)
	if r := rows[7]; !r.Rates || r.SendRate != 0 || r.RecvRate != 0 {
		t.Errorf("a counter that went back: %+v", r)
	}
	if r := rows[8]; !r.Rates || r.SendRate != 0 || r.Mark != New {
		t.Errorf("an idle connection: %+v", r)
	}
	// A state change still marks the row, without the traffic in Changed.
	c := withBytes(a, 20, 400)
	c.State = collector.StateCloseWait
	tr.Update(snap(4, c))
	if r := byInode(&tr)[7]; r.Mark != Updated || r.Changed != StateChange || r.RecvRate != 100 {
		t.Errorf("state change with traffic: %+v", r)
	}
}

func TestProcessRates(t *testing.T) {
	rows := []Row{
		{Socket: sock("127.0.0.1:1", lnAddr, collector.StateEstablished, 1, 10), Rates: true, SendRate: 10, RecvRate: 5},
		{Socket: sock("127.0.0.1:2", lnAddr, collector.StateEstablished, 2, 10), Rates: true, SendRate: 1, RecvRate: 0},
		{Socket: sock("127.0.0.1:3", lnAddr, collector.StateEstablished, 3, 20, 21), Rates: true, SendRate: 100},
		{Socket: sock(lnAddr, "0.0.0.0:0", collector.StateListen, 4, 20, 21)},
		{Socket: sock("127.0.0.1:5", lnAddr, collector.StateEstablished, 5), Rates: true, RecvRate: 1},
		{Socket: sock("127.0.0.1:6", lnAddr, collector.StateEstablished, 6, 30), Mark: Gone, Rates: true, SendRate: 1e6},
		{Socket: sock("127.0.0.1:7", lnAddr, collector.StateEstablished, 7, 40)},
	}
	got := ProcessRates(rows, nil)
	want := []ProcessRate{
		{PID: 20, Process: "p20", Sockets: 2, Rates: true, SendRate: 100},
		{PID: 10, Process: "p10", Sockets: 2, Rates: true, SendRate: 11, RecvRate: 5},
		{PID: 0, Sockets: 1, Rates: true, RecvRate: 1},
		{PID: 40, Process: "p40", Sockets: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := ProcessRates(rows, []int{1, 6}); len(got) != 2 || got[0].PID != 10 || got[0].Sockets != 1 || got[1].PID != 40 {
		t.Errorf("rows 1 and 6 only: %+v", got)
	}
}
