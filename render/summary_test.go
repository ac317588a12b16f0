package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// summarySnapshot has two TCP states over both families, one shared by
// them, and an unconnected UDP socket, listed out of the table's order.
func summarySnapshot() *collector.Snapshot {
	s := func(p collector.Proto, f collector.Family, local string, st collector.State) collector.Socket {
		return collector.Socket{Proto: p, Family: f, Local: netip.MustParseAddrPort(local), State: st, UID: -1}
	}
	return &collector.Snapshot{
		Time:   time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Host:   "web\x1b1",
		Source: collector.SourceNetlink,
		Sockets: []collector.Socket{
			s(collector.ProtoUDP, collector.FamilyIPv4, "0.0.0.0:53", collector.StateClose),
			s(collector.ProtoTCP, collector.FamilyIPv6, "[::]:22", collector.StateListen),
			s(collector.ProtoTCP, collector.FamilyIPv4, "0.0.0.0:22", collector.StateListen),
			s(collector.ProtoTCP, collector.FamilyIPv4, "127.0.0.1:40000", collector.StateTimeWait),
			s(collector.ProtoTCP, collector.FamilyIPv4, "127.0.0.1:5432", collector.StateEstablished),
			s(collector.ProtoTCP, collector.FamilyIPv4, "127.0.0.1:5433", collector.StateEstablished),
		},
		Warnings: []string{"cannot read udp6"},
	}
}

func TestSummaryCSV(t *testing.T) {
	var b bytes.Buffer
	if err := SummaryCSV(&b, summarySnapshot(), Options{}); err != nil {
		t.Fatal(err)
	}
	want := "proto,family,state,count\n" +
		"tcp,ipv4,ESTABLISHED,2\n" +
		"tcp,ipv4,TIME_WAIT,1\n" +
		"tcp,ipv4,LISTEN,1\n" +
		"tcp,ipv6,LISTEN,1\n" +
		"udp,ipv4,UNCONN,1\n"
	if b.String() != want {
		t.Errorf("SummaryCSV:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := SummaryCSV(&b, summarySnapshot(), Options{NoHeader: true}); err != nil {
		t.Fatal(err)
	}
	if b.String() != strings.TrimPrefix(want, "proto,family,state,count\n") {
		t.Errorf("SummaryCSV with NoHeader:\n%s", b.String())
	}
}

func TestSummaryJSON(t *testing.T) {
	var b bytes.Buffer
	if err := SummaryJSON(&b, summarySnapshot(), Options{}); err != nil {
		t.Fatal(err)
	}
	want := `{"portwatch_summary":1,"time":"2026-11-21T12:00:00Z","host":"web\u001b1","source":"netlink","total":6,"counts":[` +
		`{"proto":"tcp","family":"ipv4","state":"ESTABLISHED","count":2},` +
		`{"proto":"tcp","family":"ipv4","state":"TIME_WAIT","count":1},` +
		`{"proto":"tcp","family":"ipv4","state":"LISTEN","count":1},` +
		`{"proto":"tcp","family":"ipv6","state":"LISTEN","count":1},` +
		`{"proto":"udp","family":"ipv4","state":"UNCONN","count":1}` +
		`],"warnings":["cannot read udp6"]}` + "\n"
	if b.String() != want {
		t.Errorf("SummaryJSON:\n%s\nwant:\n%s", b.String(), want)
	}
	if !json.Valid(b.Bytes()) {
		t.Error("SummaryJSON is not valid JSON")
	}
	// A summary is not a snapshot: --replay refuses it.
	if _, err := ReadJSON(&b); err == nil {
		t.Error("ReadJSON accepted a summary")
	}

	b.Reset()
	if err := SummaryJSON(&b, &collector.Snapshot{Time: time.Unix(0, 0)}, Options{}); err != nil {
		t.Fatal(err)
	}
	if want := `{"portwatch_summary":1,"time":"1970-01-01T00:00:00Z","host":"","source":"","total":0,"counts":[],"warnings":[]}` + "\n"; b.String() != want {
		t.Errorf("empty SummaryJSON:\n%s\nwant:\n%s", b.String(), want)
	}
}
