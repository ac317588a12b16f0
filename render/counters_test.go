package render

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/portwatch/portwatch/counters"
)

func countersSample(t *testing.T) *counters.Snapshot {
	t.Helper()
	cs, err := counters.ParseSNMP([]byte("Tcp: ActiveOpens MaxConn\nTcp: 12 -1\nUdp: NoPorts\nUdp: 3\n"), "snmp")
	if err != nil {
		t.Fatal(err)
	}
	return &counters.Snapshot{Time: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), Counters: cs}
}

func TestCountersText(t *testing.T) {
	var buf bytes.Buffer
	if err := CountersText(&buf, countersSample(t)); err != nil {
		t.Fatal(err)
	}
	want := "Tcp:\n    12  active connection openings\n    -1  most connections (-1: no limit)\nUdp:\n    3  packets to unknown ports received\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestCountersJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := CountersJSON(&buf, countersSample(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version  int
		Time     string
		Counters map[string]map[string]int64
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if doc.Version != 1 || doc.Time != "2026-12-07T12:00:00Z" || doc.Counters["Tcp"]["MaxConn"] != -1 || doc.Counters["Udp"]["NoPorts"] != 3 {
		t.Errorf("%+v", doc)
	}
	buf.Reset()
	if err := CountersJSON(&buf, &counters.Snapshot{}); err != nil || !json.Valid(buf.Bytes()) {
		t.Errorf("no counters: %v %s", err, buf.String())
	}
}

func TestRatesViews(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 1, 0, time.UTC)
	rates := []counters.Rate{{Group: "Tcp", Name: "InSegs", PerSecond: 12.5}, {Group: "Udp", Name: "NoPorts", PerSecond: 2}}
	var buf bytes.Buffer
	if err := RatesText(&buf, at, rates); err != nil {
		t.Fatal(err)
	}
	if want := "12:00:01\nTcp:\n    12.5/s  segments received\nUdp:\n    2.0/s  packets to unknown ports received\n"; buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	RatesText(&buf, at, nil)
	if !bytes.Contains(buf.Bytes(), []byte("nothing moved")) {
		t.Errorf("no rates: %q", buf.String())
	}
	buf.Reset()
	if err := RatesJSON(&buf, at, 2*time.Second, rates); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Interval float64 `json:"interval_seconds"`
		Rates    map[string]map[string]float64
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Interval != 2 || doc.Rates["Tcp"]["InSegs"] != 12.5 || doc.Rates["Udp"]["NoPorts"] != 2 {
		t.Errorf("%v %+v\n%s", err, doc, buf.String())
	}
}
