package main

import (
	"testing"

	"github.com/portwatch/portwatch/collector"
)

func TestStateFilter(t *testing.T) {
	set := func(names string) collector.StateSet {
		s, err := collector.ParseStates(names)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	listening := set("listening")
	none := collector.StateSet(1 << collector.StateUnknown)
	cases := []struct {
		name  string
		flags listFlags
		want  collector.StateSet
	}{
		{"default: not listening (netstat)", listFlags{}, collector.AllStates &^ listening},
		{"-a", listFlags{all: true}, collector.AllStates},
		{"-l", listFlags{listening: true}, listening},
		{"-s counts all", listFlags{summary: true}, collector.AllStates},
		{"-s -l", listFlags{summary: true, listening: true}, listening},
		{"--state alone", listFlags{states: statesValue{set: set("time-wait")}}, set("time-wait")},
		{"-a --state", listFlags{all: true, states: statesValue{set: set("established")}}, set("established")},
		{"-s --state", listFlags{summary: true, states: statesValue{set: set("established")}}, set("established")},
		{"-l --state listen,established", listFlags{listening: true, states: statesValue{set: set("listen,established")}}, set("listen")},
		{"-l --state established", listFlags{listening: true, states: statesValue{set: set("established")}}, none},
	}
	for _, c := range cases {
		if got := stateFilter(&c.flags); got != c.want {
			t.Errorf("%s: %b, want %b", c.name, got, c.want)
		}
	}
}

func TestParsePortProto(t *testing.T) {
	for in, want := range map[string]struct {
		port  uint16
		proto string
	}{"22": {22, ""}, ":8080": {8080, ""}, "53/udp": {53, "udp"}, "443/TCP": {443, "tcp"}} {
		port, proto, err := parsePortProto(in)
		if err != nil || port != want.port || proto != want.proto {
			t.Errorf("parsePortProto(%q) = %d %q %v", in, port, proto, err)
		}
	}
	for _, bad := range []string{"", "0", "65536", "ssh", "22/sctp", "22/"} {
		if _, _, err := parsePortProto(bad); err == nil {
			t.Errorf("parsePortProto(%q) accepted", bad)
		}
	}
}
