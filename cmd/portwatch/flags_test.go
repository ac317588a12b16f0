package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
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

// -s shows counts only: it never looks owners up to show them, but an
// owner filter still makes the collector find them; the filter's PIDs and
// names come from --pid and --process.
func TestCollectorOptionsOwners(t *testing.T) {
	pids := pidsValue{pids: []int{42}}
	names := namesValue{names: []string{"nginx"}}
	cases := []struct {
		name      string
		flags     listFlags
		owners    bool
		filtered  bool
		pids      []int
		processes []string
	}{
		{"plain", listFlags{}, false, false, nil, nil},
		{"-o", listFlags{owner: true}, true, false, nil, nil},
		{"-p", listFlags{program: true}, true, false, nil, nil},
		{"-s -o", listFlags{summary: true, owner: true}, false, false, nil, nil},
		{"-s -p", listFlags{summary: true, program: true}, false, false, nil, nil},
		{"-s --pid", listFlags{summary: true, owner: true, pids: pids}, false, true, []int{42}, nil},
		{"--process", listFlags{processes: names}, false, true, nil, []string{"nginx"}},
		{"-o --pid --process", listFlags{owner: true, pids: pids, processes: names}, true, true, []int{42}, []string{"nginx"}},
	}
	for _, c := range cases {
		opts := c.flags.collectorOptions()
		if opts.Owners != c.owners || opts.Filter.OwnerFiltered() != c.filtered ||
			fmt.Sprint(opts.Filter.PIDs) != fmt.Sprint(c.pids) || fmt.Sprint(opts.Filter.Processes) != fmt.Sprint(c.processes) {
			t.Errorf("%s: Owners %v, filter PIDs %v Processes %v; want %v, %v %v",
				c.name, opts.Owners, opts.Filter.PIDs, opts.Filter.Processes, c.owners, c.pids, c.processes)
		}
	}
}

// The hint after a failed collection names the platform's real sources:
// --source procfs only on Linux, and not when procfs already failed.
func TestCollectHint(t *testing.T) {
	cases := []struct {
		goos   string
		source collector.Source
		want   string
	}{
		{"linux", collector.SourceNetlink, "--source procfs"},
		{"linux", collector.SourceAuto, "/proc is mounted"},
		{"linux", collector.SourceProcfs, "/proc is mounted"},
		{"windows", collector.SourceAuto, "IP Helper API"},
		{"darwin", collector.SourceAuto, "net.inet.tcp.pcblist_n"},
		{"freebsd", collector.SourceAuto, "net.inet.tcp.pcblist"},
		{"openbsd", collector.SourceAuto, "--replay"},
	}
	for _, c := range cases {
		hint := collectHint(c.goos, c.source)
		if !strings.Contains(hint, c.want) {
			t.Errorf("%s/%q: hint %q does not name %q", c.goos, c.source, hint, c.want)
		}
		if (c.goos != "linux" || c.source != collector.SourceNetlink) && strings.Contains(hint, "--source") {
			t.Errorf("%s/%q: hint %q suggests --source", c.goos, c.source, hint)
		}
		if c.goos != "linux" && strings.Contains(hint, "/proc") {
			t.Errorf("%s: hint %q names /proc", c.goos, hint)
		}
	}
}

// joinContinuousValue gives -c the next word, and nothing else.
func TestJoinContinuousValue(t *testing.T) {
	cases := []struct{ in, want string }{
		{"-c 2", "-c=2"},
		{"-c=2", "-c=2"},
		{"--continuous 500ms -a", "--continuous=500ms -a"},
		{"-ac 2", "-ac=2"},
		{"-tulpnc 1s", "-tulpnc=1s"},
		{"-c -a", "-c -a"},
		{"-c", "-c"},
		{"-ca 2", "-ca 2"},
		{"-c watch", "-c watch"},
		{"--process -c 2", "--process -c 2"},
		{"--process=x -c 2", "--process=x -c=2"},
		{"-a --port 80 -c 2", "-a --port 80 -c=2"},
		{"--sort -c -c 2", "--sort -c -c=2"},
		{"who -c 2", "who -c 2"},
		{"-- -c 2", "-- -c 2"},
		{"--bogus -c 2", "--bogus -c=2"},
	}
	for _, c := range cases {
		root := newRootCommand(io.Discard, io.Discard)
		got := strings.Join(joinContinuousValue(root, strings.Fields(c.in)), " ")
		if got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

// --source offers each platform's own sources, and they are the ones its
// collector takes (the sources are named as collector.Source spells them).
func TestSourceChoices(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   "auto netlink procfs",
		"windows": "auto iphlpapi",
		"darwin":  "auto sysctl",
		"freebsd": "auto sysctl",
		"openbsd": "auto",
	} {
		if got := strings.Join(sourceChoices(goos), " "); got != want {
			t.Errorf("%s: %q, want %q", goos, got, want)
		}
	}
	for _, name := range sourceChoices(runtime.GOOS)[1:] {
		if _, err := collector.New(collector.Options{Source: collector.Source(name)}); err != nil {
			t.Errorf("--source %s on %s: %v", name, runtime.GOOS, err)
		}
	}
}
