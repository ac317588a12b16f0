package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestParseKillSignal(t *testing.T) {
	for in, want := range map[string]int{"TERM": 15, "sigkill": 9, "SIGINT": 2, "hup": 1, "9": 9, "15": 15, "34": 34} {
		if _, n, err := parseKillSignal(in); err != nil || n != want {
			t.Errorf("parseKillSignal(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, bad := range []string{"", "BOGUS", "0", "65", "-9", "SIG"} {
		if _, _, err := parseKillSignal(bad); err == nil || !strings.Contains(err.Error(), "accepted") {
			t.Errorf("parseKillSignal(%q): %v, want an error naming what is accepted", bad, err)
		}
	}
}

// PID 1 and portwatch itself are never signalled: each is reported
// refused and the command fails; nothing is asked or sent.
func TestKillRefuses(t *testing.T) {
	var out bytes.Buffer
	err := killOwners([]killTarget{{os.Getpid(), "portwatch"}, {1, "init"}}, "SIGKILL", 9, true, nil, &out)
	if err == nil || !strings.Contains(out.String(), "PID 1 (init): refused") || !strings.Contains(out.String(), "it is portwatch itself") {
		t.Errorf("err %v, output:\n%s", err, out.String())
	}
	if err := killOwners(nil, "SIGTERM", 15, true, nil, &out); err == nil {
		t.Error("no owners: no error")
	}
}
