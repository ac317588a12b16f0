// Package counters reads the kernel's protocol counters, what netstat -s
// and nstat show: IP, ICMP, TCP, UDP and UDP-Lite, for IPv4 and IPv6, and
// Linux's extended TCP and IP counters. The parsers are pure functions of
// the files' bytes; the OS files only read them.
package counters

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Counter is one counter, by the kernel's own names.
type Counter struct {
	// Group is the kernel's name of the group: Ip, Icmp, IcmpMsg, Tcp,
	// Udp, UdpLite, Ip6, Icmp6, Udp6, UdpLite6, TcpExt, IpExt, MPTcpExt.
	Group string
	// Name is the counter's name within its group (InReceives,
	// ActiveOpens).
	Name string
	// Value is the count. A few are not counts but settings (Ip
	// Forwarding, Tcp RtoMin) and one may be -1 (Tcp MaxConn: no limit).
	// Values past the largest int64 are that largest value.
	Value int64
}

// Snapshot is every counter at one time.
type Snapshot struct {
	Time     time.Time
	Counters []Counter // in the kernel's order, group by group
	// Warnings say which groups could not be read, when others could
	// (a BSD struct of a layout portwatch does not know).
	Warnings []string
}

// Get returns the value of group's counter name and whether the snapshot
// has it.
func (s *Snapshot) Get(group, name string) (int64, bool) {
	for _, c := range s.Counters {
		if c.Group == group && c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// Groups returns the snapshot's groups in order.
func (s *Snapshot) Groups() []string {
	var groups []string
	for _, c := range s.Counters {
		if !slices.Contains(groups, c.Group) {
			groups = append(groups, c.Group)
		}
	}
	return groups
}

// ParseSNMP parses the format of /proc/net/snmp and /proc/net/netstat:
// for each group a line of names ("Tcp: RtoAlgorithm RtoMin ...") and a
// line of values ("Tcp: 1 200 ..."). name is the file's name, for errors.
func ParseSNMP(data []byte, name string) ([]Counter, error) {
	var out []Counter
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	for i := 0; i+1 < len(lines); i += 2 {
		hg, heads, ok1 := bytes.Cut(lines[i], []byte(":"))
		vg, vals, ok2 := bytes.Cut(lines[i+1], []byte(":"))
		if !ok1 || !ok2 || !bytes.Equal(hg, vg) || len(hg) == 0 {
			return out, fmt.Errorf("%s: line %d: want a group's names and then its values, got %q and %q",
				name, i+1, clip(lines[i]), clip(lines[i+1]))
		}
		names, values := bytes.Fields(heads), bytes.Fields(vals)
		if len(names) != len(values) {
			return out, fmt.Errorf("%s: line %d: %d names for %d values in group %s", name, i+1, len(names), len(values), clip(hg))
		}
		group := string(hg)
		for j := range names {
			v, err := parseValue(values[j])
			if err != nil {
				return out, fmt.Errorf("%s: line %d: %s %s: %v", name, i+2, group, clip(names[j]), err)
			}
			out = append(out, Counter{Group: group, Name: string(names[j]), Value: v})
		}
	}
	if len(lines)%2 == 1 && len(bytes.TrimSpace(lines[len(lines)-1])) > 0 {
		return out, fmt.Errorf("%s: line %d: a group's names without its values", name, len(lines))
	}
	return out, nil
}

// snmp6Groups are the prefixes of /proc/net/snmp6's names, longest first
// where one starts another.
var snmp6Groups = []string{"UdpLite6", "Icmp6", "Udp6", "Ip6"}

// ParseSNMP6 parses /proc/net/snmp6: one "Ip6InReceives 1724" per line,
// the group being the name's prefix (Ip6, Icmp6, Udp6, UdpLite6). name is
// the file's name, for errors.
func ParseSNMP6(data []byte, name string) ([]Counter, error) {
	var out []Counter
	for i, line := range bytes.Split(data, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return out, fmt.Errorf("%s: line %d: want a name and a value, got %q", name, i+1, clip(line))
		}
		full := string(f[0])
		group := ""
		for _, g := range snmp6Groups {
			if strings.HasPrefix(full, g) && len(full) > len(g) {
				group = g
				break
			}
		}
		if group == "" {
			return out, fmt.Errorf("%s: line %d: %q is in no IPv6 group (%s)", name, i+1, clip(f[0]), strings.Join(snmp6Groups, ", "))
		}
		v, err := parseValue(f[1])
		if err != nil {
			return out, fmt.Errorf("%s: line %d: %s: %v", name, i+1, full, err)
		}
		out = append(out, Counter{Group: group, Name: full[len(group):], Value: v})
	}
	return out, nil
}

// parseValue reads a decimal counter, which may be negative or larger
// than int64 (then the largest int64).
func parseValue(b []byte) (int64, error) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err == nil {
		return v, nil
	}
	if u, uerr := strconv.ParseUint(string(b), 10, 64); uerr == nil && u > 1<<63-1 {
		return 1<<63 - 1, nil
	}
	return 0, fmt.Errorf("%q is not a number", clip(b))
}

// clip shortens b for an error message.
func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

// HumanName is a short description of a counter for people: the curated
// one when there is one, else its name split into words
// ("TCPSackRecovery" -> "tcp sack recovery").
func HumanName(group, name string) string {
	if h, ok := curatedName(baseGroup(group) + "." + name); ok {
		return h
	}
	if strings.HasPrefix(group, "Icmp") {
		if h, ok := icmpName(name); ok {
			return h
		}
	}
	return splitWords(name)
}

// splitWords splits a CamelCase name into lower-case words, keeping runs
// of capitals (an acronym) together: "TCPSackRecovery" -> "tcp sack
// recovery", "InCsumErrors" -> "in csum errors".
func splitWords(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// Rate is how fast a counter moved between two snapshots.
type Rate struct {
	Group, Name string
	PerSecond   float64
}

// Rates returns the counters of cur that moved since prev, per second of
// the time between them, in cur's order. A counter that went back (a
// setting changed, a namespace's counters reset) or that prev lacks is
// left out.
func Rates(prev, cur *Snapshot) []Rate {
	secs := cur.Time.Sub(prev.Time).Seconds()
	if secs <= 0 {
		return nil
	}
	old := make(map[[2]string]int64, len(prev.Counters))
	for _, c := range prev.Counters {
		old[[2]string{c.Group, c.Name}] = c.Value
	}
	var out []Rate
	for _, c := range cur.Counters {
		v, ok := old[[2]string{c.Group, c.Name}]
		if ok && c.Value > v {
			out = append(out, Rate{Group: c.Group, Name: c.Name, PerSecond: float64(c.Value-v) / secs})
		}
	}
	return out
}
