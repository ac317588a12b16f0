// Package servicedata reads the services package's own tab-separated tables
// (curated.tsv, display.tsv and risk.tsv).
//
// Two readers share it: the services package, which reads the embedded
// tables when Lookup first needs them, and its generator (ianagen), which
// turns them into the static display and risk tables of tables_gen.go. Both
// read the tables the same way because both read them here.
package servicedata

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/internal/portrange"
)

// Protocol bits of a table row, as the generated tables spell them.
const (
	TCP  = 1 << iota // tcp
	UDP              // udp
	Both = TCP | UDP // both
)

// Key is a (protocol index, port) pair: protocol index (0 tcp, 1 udp) <<16 | port.
type Key uint32

// MkKey returns the Key of protocol index p and port.
func MkKey(p int, port uint16) Key { return Key(p)<<16 | Key(port) }

// Curated is what curated.tsv says about one port/protocol.
type Curated struct {
	Names       []string // distinct, in file order: the first is shown
	Description string   // the first row's description
}

// Tables is the three tables in lookup form.
type Tables struct {
	Curated     map[Key]*Curated
	CuratedKeys []Key          // in file order
	Display     map[Key]string // IANA display choices; a later row wins
	Risk        map[Key]string // risk notes; a later row wins
	Problems    []string       // one per bad line, naming file and line
}

// Load reads the texts of curated.tsv, display.tsv and risk.tsv. Bad lines
// are skipped, each with a problem in Tables.Problems.
func Load(curated, display, risk string) *Tables {
	t := &Tables{
		Curated: make(map[Key]*Curated),
		Display: make(map[Key]string),
		Risk:    make(map[Key]string),
	}
	t.Problems = append(t.Problems, ParseTable("curated.tsv", curated, 4, true, func(lo, hi uint16, protos uint8, f []string) {
		EachKey(lo, hi, protos, func(k Key) {
			c := t.Curated[k]
			if c == nil {
				c = &Curated{Description: f[3]}
				t.Curated[k] = c
				t.CuratedKeys = append(t.CuratedKeys, k)
			}
			if !contains(c.Names, f[2]) {
				c.Names = append(c.Names, f[2])
			}
		})
	})...)
	t.Problems = append(t.Problems, ParseTable("display.tsv", display, 3, true, func(lo, hi uint16, protos uint8, f []string) {
		EachKey(lo, hi, protos, func(k Key) { t.Display[k] = f[2] })
	})...)
	t.Problems = append(t.Problems, ParseTable("risk.tsv", risk, 3, false, func(lo, hi uint16, protos uint8, f []string) {
		EachKey(lo, hi, protos, func(k Key) { t.Risk[k] = f[2] })
	})...)
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseTable reads one of the tab-separated tables: port or first-last,
// protocol (tcp, udp, both), then at least minFields-2 more fields, none
// empty; with hasName, the third field is a service name (no spaces or #).
// It calls row for every good line and returns a problem description,
// naming file and line, for every bad one.
func ParseTable(file, text string, minFields int, hasName bool, row func(lo, hi uint16, protos uint8, fields []string)) []string {
	var problems []string
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s:%d: ", file, n+1)+fmt.Sprintf(format, args...))
		}
		f := strings.Split(line, "\t")
		if len(f) < minFields {
			bad("want %d tab-separated fields, have %d", minFields, len(f))
			continue
		}
		lo, hi, err := ParsePortRange(f[0])
		if err != nil {
			bad("%v", err)
			continue
		}
		var protos uint8
		switch f[1] {
		case "tcp":
			protos = TCP
		case "udp":
			protos = UDP
		case "both":
			protos = Both
		default:
			bad("protocol %q is not tcp, udp or both", f[1])
			continue
		}
		ok := true
		for i := 2; i < minFields; i++ {
			if f[i] == "" || strings.TrimSpace(f[i]) != f[i] || !Printable(f[i]) {
				bad("field %d is empty, padded or has control characters", i+1)
				ok = false
				break
			}
		}
		if ok && hasName && strings.ContainsAny(f[2], " #") {
			bad("name %q has a space or #", f[2])
			ok = false
		}
		if ok {
			row(lo, hi, protos, f)
		}
	}
	return problems
}

// ParsePortRange parses "N" or "N-M", 0 <= N <= M <= 65535.
func ParsePortRange(s string) (lo, hi uint16, err error) {
	lo, hi, ok := portrange.Parse(s)
	if !ok {
		return 0, 0, errors.New("port " + strconv.Quote(s) + " is not a port 0-65535 or a range first-last")
	}
	return lo, hi, nil
}

// EachKey calls f for every protocol and port of a row, tcp first.
func EachKey(lo, hi uint16, protos uint8, f func(Key)) {
	for p := range 2 {
		if protos&(1<<p) == 0 {
			continue
		}
		for port := int(lo); port <= int(hi); port++ {
			f(MkKey(p, uint16(port)))
		}
	}
}

// Printable reports whether s is valid UTF-8 without control characters.
func Printable(s string) bool {
	for _, c := range s {
		if c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\uFFFD' || c == '\u2028' || c == '\u2029' {
			return false
		}
	}
	return true
}
