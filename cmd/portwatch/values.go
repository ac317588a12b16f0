package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// The flag value types below validate while flags are parsed, so that a bad
// value is reported in one line that names it and says what is accepted.

// portValue is a TCP/UDP port, 1-65535.
type portValue struct{ port uint16 }

func (v *portValue) String() string {
	if v.port == 0 {
		return ""
	}
	return strconv.Itoa(int(v.port))
}
func (v *portValue) Type() string { return "port" }
func (v *portValue) Set(s string) error {
	p, err := parsePort(s)
	if err != nil {
		return err
	}
	v.port = p
	return nil
}

// parsePort parses a port number 1-65535, allowing a leading ':' as in ":8080".
func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, ":"), 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("want a port number from 1 to 65535")
	}
	return uint16(n), nil
}

// statesValue is a comma-separated list of socket states.
type statesValue struct {
	raw string
	set collector.StateSet
}

func (v *statesValue) String() string { return v.raw }
func (v *statesValue) Type() string   { return "states" }
func (v *statesValue) Set(s string) error {
	set, err := collector.ParseStates(s)
	if err != nil {
		return fmt.Errorf("accepted: a comma-separated list of %s", collector.StateNamesAccepted)
	}
	v.raw, v.set = s, v.set|set
	return nil
}

// choiceValue is one of a fixed list of words.
type choiceValue struct {
	value   string
	choices []string
}

func (v *choiceValue) String() string { return v.value }
func (v *choiceValue) Type() string   { return "string" }
func (v *choiceValue) Set(s string) error {
	for _, c := range v.choices {
		if strings.EqualFold(s, c) {
			v.value = c
			return nil
		}
	}
	return fmt.Errorf("accepted: %s", strings.Join(v.choices, ", "))
}

// pidsValue is a comma-separated list of process ids; the flag may repeat.
type pidsValue struct{ pids []int }

func (v *pidsValue) String() string {
	parts := make([]string, len(v.pids))
	for i, p := range v.pids {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ",")
}
func (v *pidsValue) Type() string { return "pids" }
func (v *pidsValue) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return fmt.Errorf("want process ids (positive integers, comma-separated)")
		}
		v.pids = append(v.pids, n)
	}
	return nil
}

// namesValue is a comma-separated list of process names; the flag may repeat.
type namesValue struct{ names []string }

func (v *namesValue) String() string { return strings.Join(v.names, ",") }
func (v *namesValue) Type() string   { return "names" }
func (v *namesValue) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			v.names = append(v.names, part)
		}
	}
	if len(v.names) == 0 {
		return fmt.Errorf("want a process name")
	}
	return nil
}

// intervalValue is a refresh interval: a Go duration (500ms, 2s, 1m) or a
// number of seconds (2, 0.5) as watch -n and netstat take it.
type intervalValue struct{ d time.Duration }

// minInterval is the shortest refresh interval accepted.
const minInterval = 50 * time.Millisecond

func (v *intervalValue) String() string {
	if v.d == 0 {
		return ""
	}
	return v.d.String()
}
func (v *intervalValue) Type() string { return "interval" }
func (v *intervalValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs > 1e6 {
			return fmt.Errorf("want a duration such as 1s, 500ms, 2m or a number of seconds")
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < minInterval {
		return fmt.Errorf("want an interval of at least %v", minInterval)
	}
	v.d = d
	return nil
}
