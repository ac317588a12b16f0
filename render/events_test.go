package render

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// The recorded watch sequence in testdata/watch is read in name order, one
// snapshot per refresh. The files are written by hand in JSON schema
// version 1, like testdata/*.json:
//
//   - 1-start.json: listeners (sshd v4 and v6, nginx shared by two
//     workers, redis, dhclient, avahi), an ssh session, curl in SYN_SENT,
//     a java connection to redis and an IPv6 https connection;
//   - 2-listener-opens.json: python3 starts listening on 8000 and the java
//     connection closes;
//   - 3-state-and-owner.json: curl's connection is established and nginx
//     gets a third worker (an owner change);
//   - 4-close-and-hostile.json: curl's connection goes to TIME_WAIT (new
//     state, no inode, no owner), python3 stops listening and a process
//     whose name holds a newline, escape sequences, BEL and CR listens.

// watchSnapshots reads the recorded sequence.
func watchSnapshots(t testing.TB) []*collector.Snapshot {
	t.Helper()
	files, err := filepath.Glob("testdata/watch/*.json")
	if err != nil || len(files) < 3 {
		t.Fatalf("no watch sequence in testdata/watch: %v", err)
	}
	snaps := make([]*collector.Snapshot, len(files))
	for i, f := range files {
		snaps[i] = readTestSnapshot(t, f)
	}
	return snaps
}

// watchEvents runs the recorded sequence through a Tracker and returns
// every event, those of the first snapshot (all added) included.
func watchEvents(t testing.TB) []watch.Event {
	t.Helper()
	var tr watch.Tracker
	var events []watch.Event
	for _, snap := range watchSnapshots(t) {
		events = append(events, tr.Update(snap)...)
	}
	return events
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./render -run 'Frame|Event' -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test ./render -update and review the diff)\ngot:\n%s\nwant:\n%s",
			golden, got, want)
	}
}

// eventViews are the event renderings with goldens. columns is the number
// of table columns a text line has: Proto, Local Address, Foreign Address,
// State, then Service (unless numeric), PID/Program (with owners) and
// User, Inode, Recv-Q, Send-Q (extended).
var eventViews = []struct {
	name    string
	render  func(io.Writer, *watch.Event, Options) error
	opts    Options
	columns int
}{
	{"events.ndjson", EventJSON, Options{Owners: true}, 0},
	{"events.txt", EventText, Options{Owners: true}, 6},
	{"events-numeric.txt", EventText, Options{Numeric: true}, 4},
	{"events-extended.txt", EventText, Options{Owners: true, Extended: true}, 10},
}

func TestEventGolden(t *testing.T) {
	events := watchEvents(t)
	kinds := map[watch.Kind]int{}
	changes := map[watch.Change]int{}
	for _, ev := range events {
		kinds[ev.Kind]++
		changes[ev.Changed]++
	}
	// The sequence must cover what the goldens are meant to show.
	if kinds[watch.Added] == 0 || kinds[watch.Removed] == 0 || kinds[watch.Changed] == 0 ||
		changes[watch.StateChange] == 0 || changes[watch.OwnerChange] == 0 ||
		changes[watch.StateChange|watch.OwnerChange] == 0 {
		t.Fatalf("the recorded sequence lacks a kind of event: %v %v", kinds, changes)
	}
	for _, v := range eventViews {
		t.Run(v.name, func(t *testing.T) {
			var buf bytes.Buffer
			for i := range events {
				if err := v.render(&buf, &events[i], withTestNames(v.opts)); err != nil {
					t.Fatal(err)
				}
			}
			out := buf.Bytes()
			checkTerminalSafe(t, out)
			if got := bytes.Count(out, []byte("\n")); got != len(events) {
				t.Errorf("%d lines for %d events:\n%s", got, len(events), out)
			}
			checkGolden(t, v.name, out)
		})
	}
}

// wireEvent is an EventJSON line, decoded.
type wireEvent struct {
	Event   string          `json:"event"`
	Time    string          `json:"time"`
	Socket  json.RawMessage `json:"socket"`
	Changes *struct {
		State  []string      `json:"state"`
		Owners [][]wireOwner `json:"owners"`
	} `json:"changes"`
}

// wireSocketV1 is every field of a schema v1 socket, derived ones included.
type wireSocketV1 struct {
	wireSocket
	User          string `json:"user"`
	LocalService  string `json:"local_service"`
	RemoteService string `json:"remote_service"`
	PID           int    `json:"pid"`
	Process       string `json:"process"`
}

// TestEventJSONParses checks every line of the recorded sequence's events:
// it is valid JSON with the fields in order, its socket is the object JSON
// writes for that socket and decodes to it, and its changes are right.
func TestEventJSONParses(t *testing.T) {
	opts := withTestNames(Options{Owners: true})
	for i, ev := range watchEvents(t) {
		var buf bytes.Buffer
		if err := EventJSON(&buf, &ev, opts); err != nil {
			t.Fatal(err)
		}
		line := buf.Bytes()
		if bytes.IndexByte(line, '\n') != len(line)-1 {
			t.Fatalf("event %d is not one line: %q", i, line)
		}
		var we wireEvent
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&we); err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, line)
		}
		if we.Event != ev.Kind.String() {
			t.Errorf("event %d: event %q, want %q", i, we.Event, ev.Kind)
		}
		if tm, err := time.Parse(time.RFC3339Nano, we.Time); err != nil || !tm.Equal(ev.Time) {
			t.Errorf("event %d: time %q (%v), want %v", i, we.Time, err, ev.Time)
		}
		prefix := `{"event":"` + ev.Kind.String() + `","time":"` + we.Time + `","socket":{`
		if !bytes.HasPrefix(line, []byte(prefix)) {
			t.Errorf("event %d: fields out of order: %s", i, line)
		}

		// The socket object is exactly what JSON writes for it.
		var snapBuf bytes.Buffer
		snap := &collector.Snapshot{Sockets: []collector.Socket{ev.Socket}}
		if err := JSON(&snapBuf, snap, opts); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(strings.Split(snapBuf.String(), "\n")[1], ",")
		if string(we.Socket) != want {
			t.Errorf("event %d: socket\n%s\nJSON writes\n%s", i, we.Socket, want)
		}
		var ws wireSocketV1
		sdec := json.NewDecoder(bytes.NewReader(we.Socket))
		sdec.DisallowUnknownFields()
		if err := sdec.Decode(&ws); err != nil {
			t.Fatalf("event %d: socket: %v", i, err)
		}
		var back collector.Socket
		if err := ws.decode(&back); err != nil {
			t.Fatalf("event %d: socket: %v", i, err)
		}
		if !reflect.DeepEqual(back, ev.Socket) {
			t.Errorf("event %d: socket round trip:\ngot  %+v\nwant %+v", i, back, ev.Socket)
		}

		switch {
		case ev.Kind != watch.Changed:
			if we.Changes != nil || bytes.Contains(line, []byte(`"changes"`)) {
				t.Errorf("event %d: %s event with changes: %s", i, ev.Kind, line)
			}
		case we.Changes == nil:
			t.Errorf("event %d: changed event without changes: %s", i, line)
		default:
			c := we.Changes
			if ev.Changed&watch.StateChange != 0 {
				want := []string{collector.StateName(ev.Socket.Proto, ev.OldState), ev.Socket.StateName()}
				if !reflect.DeepEqual(c.State, want) {
					t.Errorf("event %d: state change %q, want %q", i, c.State, want)
				}
			} else if c.State != nil {
				t.Errorf("event %d: unchanged state in changes: %s", i, line)
			}
			if ev.Changed&watch.OwnerChange != 0 {
				if len(c.Owners) != 2 || !sameWireOwners(c.Owners[0], ev.OldOwners) ||
					!sameWireOwners(c.Owners[1], ev.Socket.Owners) {
					t.Errorf("event %d: owners change %+v, want %+v -> %+v", i, c.Owners, ev.OldOwners, ev.Socket.Owners)
				}
			} else if c.Owners != nil {
				t.Errorf("event %d: unchanged owners in changes: %s", i, line)
			}
		}
	}
}

func sameWireOwners(w []wireOwner, owners []collector.Owner) bool {
	if w == nil || len(w) != len(owners) {
		return false
	}
	for i, o := range owners {
		if w[i].PID != int64(o.PID) || w[i].Process != o.Process || w[i].FD == nil || *w[i].FD != int64(o.FD) {
			return false
		}
	}
	return true
}

// hostileEvent is a changed event whose every system string tries to
// forge a line or move the cursor.
func hostileEvent() watch.Event {
	forged := "x\n2026-11-21T12:00:00.000Z removed tcp  0.0.0.0:22 0.0.0.0:* LISTEN\r\x1b[2K\x1b]0;t\x07\u202e\x85 y"
	return watch.Event{
		Kind: watch.Changed,
		Time: time.Date(2026, 11, 21, 12, 0, 1, 500e6, time.FixedZone("CET", 3600)),
		Socket: collector.Socket{
			Proto: collector.ProtoTCP, Family: collector.FamilyIPv6, State: collector.StateEstablished,
			Local:  netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone("eth 0\n"), 41000),
			Remote: netip.MustParseAddrPort("[::ffff:10.0.0.9]:443"),
			UID:    1001, Inode: 5,
			Owners: []collector.Owner{{PID: 7, Process: forged, FD: 3}},
		},
		Changed:   watch.StateChange | watch.OwnerChange,
		OldState:  collector.StateSynSent,
		OldOwners: []collector.Owner{{PID: 6, Process: "a b", FD: 3}},
	}
}

func TestEventTextCannotForgeLines(t *testing.T) {
	ev := hostileEvent()
	svc := fakeServices{"tcp": {443: "web\nsvc\x1b[0m"}}
	for _, v := range eventViews {
		opts := v.opts
		opts.Services = svc
		opts.UserName = testUserName
		var buf bytes.Buffer
		if err := v.render(&buf, &ev, opts); err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		checkTerminalSafe(t, out)
		if bytes.IndexByte(out, '\n') != len(out)-1 {
			t.Errorf("%s: not one line: %q", v.name, out)
		}
		if strings.HasSuffix(v.name, ".ndjson") {
			if !json.Valid(out) {
				t.Errorf("%s: invalid JSON: %s", v.name, out)
			}
			continue
		}
		// Fixed fields: time, kind, then the table's columns, then
		// "state A->B owners C->D".
		want := 2 + v.columns + 4
		if got := strings.Fields(string(out)); len(got) != want {
			t.Errorf("%s: %d fields, want %d: %q", v.name, len(got), want, got)
		}
		if !strings.HasPrefix(string(out), "2026-11-21T11:00:01.500Z changed tcp6 [fe80::1%eth\\x200\\n]:41000 10.0.0.9:443 ESTABLISHED ") {
			t.Errorf("%s: unexpected start: %q", v.name, out)
		}
		if !strings.HasSuffix(string(out), " state SYN_SENT->ESTABLISHED owners 6/a\\x20b->7/x\\n2026-11-21T12:00:00.000Z\\x20removed\\x20tcp\\x20\\x200.0.0.0:22\\x200.0.0.0:*\\x20LISTEN\\r\\x1b[2K\\x1b]0;t\\x07\\u202e\\x85\\x20y\n") {
			t.Errorf("%s: unexpected end: %q", v.name, out)
		}
	}
}

func TestEventErrors(t *testing.T) {
	good := watch.Event{Kind: watch.Added, Socket: collector.Socket{Proto: collector.ProtoUDP, Family: collector.FamilyIPv4}}
	cases := map[string]*watch.Event{
		"nil":        nil,
		"kind 0":     {},
		"kind 9":     {Kind: 9},
		"year 10000": {Kind: watch.Added, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year -1":    {Kind: watch.Removed, Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, ev := range cases {
		for _, fn := range []func(io.Writer, *watch.Event, Options) error{EventJSON, EventText} {
			var buf bytes.Buffer
			if err := fn(&buf, ev, Options{}); err == nil || buf.Len() > 0 {
				t.Errorf("%s: err %v, wrote %q", name, err, buf.String())
			}
		}
	}
	var buf bytes.Buffer
	if err := EventJSON(&buf, &good, Options{}); err != nil {
		t.Fatal(err)
	}
	want := `{"event":"added","time":"0001-01-01T00:00:00Z","socket":{"proto":"udp","family":"ipv4","local_addr":"","local_port":0,"remote_addr":"","remote_port":0,"state":"UNKNOWN","uid":0,"user":"","inode":0,"recv_q":0,"send_q":0,"local_service":"","remote_service":"","pid":0,"process":"","owners":[],"owner_unknown":""}}` + "\n"
	if buf.String() != want {
		t.Errorf("zero event:\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := EventText(&buf, &good, Options{Owners: true}); err != nil {
		t.Fatal(err)
	}
	if want := "0001-01-01T00:00:00.000Z added   udp  *:* *:* UNKNOWN - -\n"; buf.String() != want {
		t.Errorf("zero event: %q, want %q", buf.String(), want)
	}
}

// TestEventOwnersChangeOnly checks a changed event with only an owner
// change, and one with owners that went away.
func TestEventOwnersChangeOnly(t *testing.T) {
	ev := watch.Event{
		Kind: watch.Changed, Time: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Socket: collector.Socket{
			Proto: collector.ProtoUDP, Family: collector.FamilyIPv4, State: collector.StateClose, UID: 0,
			Local: netip.MustParseAddrPort("0.0.0.0:68"), OwnerUnknown: collector.OwnerExited,
		},
		Changed:   watch.OwnerChange,
		OldState:  collector.StateClose,
		OldOwners: []collector.Owner{{PID: 640, Process: "dhclient", FD: 7}},
	}
	var buf bytes.Buffer
	if err := EventJSON(&buf, &ev, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := `,"changes":{"owners":[[{"pid":640,"process":"dhclient","fd":7}],[]]}}` + "\n"; !strings.HasSuffix(buf.String(), want) {
		t.Errorf("got %s\nwant suffix %s", buf.String(), want)
	}
	buf.Reset()
	if err := EventText(&buf, &ev, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := "2026-11-21T12:00:00.000Z changed udp  0.0.0.0:68 *:* UNCONN - owners 640/dhclient->-\n"; buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestEventJSONAllocs(t *testing.T) {
	ev := watchEvents(t)[0]
	opts := Options{Owners: true, Services: testServices}
	allocs := testing.AllocsPerRun(100, func() {
		if err := EventJSON(io.Discard, &ev, opts); err != nil {
			t.Fatal(err)
		}
	})
	// The user name cache is the only allocation left; the line's buffer
	// is pooled.
	if allocs > 2 {
		t.Errorf("EventJSON allocates %v times per event", allocs)
	}
}

// fuzzEvent builds an event from fuzzed values.
func fuzzEvent(process, zone string, kind, changed, state, oldState uint8, pid int) watch.Event {
	local := netip.AddrPortFrom(netip.MustParseAddr("fe80::1"), 80)
	if zone != "" {
		local = netip.AddrPortFrom(local.Addr().WithZone(zone), 80)
	}
	proto := collector.ProtoTCP
	if state&0x80 != 0 {
		proto = collector.ProtoUDP
	}
	return watch.Event{
		Kind: watch.Kind(kind % 4),
		Time: time.Unix(int64(pid)%1e10, int64(pid)%1e9).UTC(),
		Socket: collector.Socket{
			Proto: proto, Family: collector.FamilyIPv6, State: collector.State(state),
			Local: local, Remote: netip.MustParseAddrPort("[::ffff:1.2.3.4]:0"), UID: pid % 2000,
			Owners: []collector.Owner{{PID: pid, Process: process, FD: 3}, {PID: 1, Process: process + process, FD: -1}},
		},
		Changed:   watch.Change(changed % 4),
		OldState:  collector.State(oldState),
		OldOwners: []collector.Owner{{PID: pid ^ 1, Process: process, FD: 4}},
	}
}

func FuzzEventJSON(f *testing.F) {
	f.Add("nginx", "", uint8(1), uint8(0), uint8(10), uint8(0), 1234)
	f.Add("evil\n\x1b[31m\x07\r\"\\", "eth0", uint8(3), uint8(3), uint8(1), uint8(2), 7)
	f.Add("\xff\xfe\u2028\u202e\x85", "a\x00b", uint8(2), uint8(1), uint8(0x87), uint8(200), -1)
	f.Fuzz(func(t *testing.T, process, zone string, kind, changed, state, oldState uint8, pid int) {
		ev := fuzzEvent(process, zone, kind, changed, state, oldState, pid)
		opts := Options{Owners: true, Services: fakeServices{"tcp": {80: process}}, UserName: func(int) string { return process }}
		var buf bytes.Buffer
		err := EventJSON(&buf, &ev, opts)
		if ev.Kind < watch.Added || ev.Kind > watch.Changed {
			if err == nil {
				t.Fatalf("no error for kind %d", ev.Kind)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		if bytes.IndexByte(out, '\n') != len(out)-1 {
			t.Fatalf("not exactly one line: %q", out)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		checkTerminalSafe(t, out)
		var we wireEvent
		if err := json.Unmarshal(out, &we); err != nil {
			t.Fatal(err)
		}
		if we.Event != ev.Kind.String() || (ev.Kind == watch.Changed) != (we.Changes != nil) {
			t.Fatalf("event %q, changes %v for %v", we.Event, we.Changes, ev.Kind)
		}
		// The names decode to what they were, each invalid UTF-8 byte as
		// U+FFFD.
		var ws wireSocketV1
		if err := json.Unmarshal(we.Socket, &ws); err != nil {
			t.Fatal(err)
		}
		valid := string([]rune(process))
		wantUser := valid
		if ev.Socket.UID < 0 {
			wantUser = "" // no user
		}
		if len(ws.Owners) != 2 || ws.Owners[0].Process != valid || ws.Owners[1].Process != string([]rune(process+process)) ||
			ws.User != wantUser {
			t.Fatalf("process %q decodes to owners %+v, user %q", process, ws.Owners, ws.User)
		}
	})
}

func FuzzEventText(f *testing.F) {
	f.Add("nginx", "", uint8(1), uint8(0), uint8(10), uint8(0), 1234)
	f.Add("evil\n\x1b[31m\x07\r \t x", "eth 0", uint8(3), uint8(3), uint8(1), uint8(2), 7)
	f.Add("\xff\xfe\u2028\u202e\x85", "a\x00b", uint8(2), uint8(1), uint8(0x87), uint8(200), -1)
	f.Fuzz(func(t *testing.T, process, zone string, kind, changed, state, oldState uint8, pid int) {
		ev := fuzzEvent(process, zone, kind, changed, state, oldState, pid)
		for _, view := range []struct {
			opts    Options
			columns int // as in eventViews
		}{{Options{Owners: true, Extended: true}, 10}, {Options{Numeric: true}, 4}} {
			opts := view.opts
			opts.Services = fakeServices{"tcp": {80: process}}
			opts.UserName = func(int) string { return process }
			var buf bytes.Buffer
			err := EventText(&buf, &ev, opts)
			if ev.Kind < watch.Added || ev.Kind > watch.Changed {
				if err == nil {
					t.Fatalf("no error for kind %d", ev.Kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if bytes.IndexByte(out, '\n') != len(out)-1 {
				t.Fatalf("not exactly one line: %q", out)
			}
			checkTerminalSafe(t, out)
			want := 2 + view.columns
			if ev.Kind == watch.Changed {
				if ev.Changed&watch.StateChange != 0 {
					want += 2
				}
				if ev.Changed&watch.OwnerChange != 0 {
					want += 2
				}
			}
			if got := strings.Fields(string(out)); len(got) != want {
				t.Fatalf("%d fields, want %d: %q", len(got), want, out)
			}
		}
	})
}
