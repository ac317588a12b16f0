package audit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// BaselineVersion is the version of the baseline file format.
const BaselineVersion = 1

// Entry is a listener as a baseline records it: only what survives a
// restart (never a PID or a socket inode).
type Entry struct {
	Proto    string   `json:"proto"`
	Port     uint16   `json:"port"`
	Exposure Exposure `json:"exposure"`
	Exe      string   `json:"exe"`  // "" when it could not be read
	User     string   `json:"user"` // user name, or the numeric id when it has none
	// Where the listener is, when not on the host's own network: the
	// container its owners run in, else the name of its network
	// namespace; both "" on the host. Omitted when empty, so a baseline of
	// the host alone reads as before.
	Netns     string `json:"netns,omitempty"`
	Container string `json:"container,omitempty"`
}

func compareEntries(a, b Entry) int {
	return cmp.Or(strings.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port),
		cmp.Compare(exposureRank(a.Exposure), exposureRank(b.Exposure)),
		strings.Compare(a.Exe, b.Exe), strings.Compare(a.User, b.User),
		strings.Compare(a.Netns, b.Netns), strings.Compare(a.Container, b.Container))
}

// Baseline is the set of listeners a host is expected to have.
type Baseline struct {
	Created   time.Time
	Host      string
	Listeners []Entry // sorted, no duplicates
}

type baselineFile struct {
	Version   *int      `json:"portwatch_baseline"`
	Created   time.Time `json:"created"`
	Host      string    `json:"host"`
	Listeners []Entry   `json:"listeners"`
}

// NewBaseline records listeners. Listeners with the same entry (a server
// on 0.0.0.0 and ::, or several processes sharing a port) are one entry.
func NewBaseline(listeners []Listener, host string, now time.Time) *Baseline {
	b := &Baseline{Created: now.UTC(), Host: host, Listeners: []Entry{}}
	for i := range listeners {
		if listeners[i].Change != Missing {
			b.Listeners = append(b.Listeners, listeners[i].Entry())
		}
	}
	slices.SortFunc(b.Listeners, compareEntries)
	b.Listeners = slices.Compact(b.Listeners)
	return b
}

// MarshalJSON writes the baseline file format.
func (b *Baseline) MarshalJSON() ([]byte, error) {
	v := BaselineVersion
	return json.Marshal(baselineFile{Version: &v, Created: b.Created, Host: b.Host, Listeners: b.Listeners})
}

// Encode returns the baseline as a file: JSON with one listener per line,
// so that baselines diff well, ending in a newline.
func (b *Baseline) Encode() []byte {
	var buf bytes.Buffer
	head, _ := json.Marshal(struct {
		Version int       `json:"portwatch_baseline"`
		Created time.Time `json:"created"`
		Host    string    `json:"host"`
	}{BaselineVersion, b.Created, b.Host})
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"listeners":[`)
	for i, e := range b.Listeners {
		if i > 0 {
			buf.WriteByte(',')
		}
		line, _ := json.Marshal(e) // strings and numbers only: cannot fail
		buf.WriteString("\n  ")
		buf.Write(line)
	}
	if len(b.Listeners) > 0 {
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	return buf.Bytes()
}

// ParseBaseline reads a baseline file. It fails on anything that is not a
// complete baseline of a version this package reads.
func ParseBaseline(data []byte) (*Baseline, error) {
	var f baselineFile
	if err := decodeStrict(data, &f); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			return nil, fmt.Errorf("not a portwatch baseline: %v", err)
		}
		return nil, err
	}
	if f.Version == nil {
		return nil, errors.New(`not a portwatch baseline: no "portwatch_baseline" version field`)
	}
	if *f.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline version %d is not supported (this portwatch reads version %d)", *f.Version, BaselineVersion)
	}
	if f.Listeners == nil {
		return nil, errors.New(`not a complete baseline: no "listeners" list`)
	}
	for i, e := range f.Listeners {
		if e.Proto != "tcp" && e.Proto != "udp" {
			return nil, fmt.Errorf("listener %d: proto %q: accepted: tcp, udp", i+1, e.Proto)
		}
		if e.Port == 0 {
			return nil, fmt.Errorf("listener %d: port missing or 0", i+1)
		}
		if _, err := ParseExposure(string(e.Exposure)); err != nil {
			return nil, fmt.Errorf("listener %d: %v", i+1, err)
		}
	}
	b := &Baseline{Created: f.Created, Host: f.Host, Listeners: f.Listeners}
	slices.SortFunc(b.Listeners, compareEntries)
	b.Listeners = slices.Compact(b.Listeners)
	return b, nil
}

// compare marks each current listener New, Changed or unchanged against
// the baseline entries, and returns the baseline's listeners that are not
// listening now, marked Missing. A current entry that is not in the
// baseline but shares its protocol and port with an unmatched baseline
// entry (the same exposure preferred) is Changed rather than New.
func compare(cur []*Listener, base []Entry) []*Listener {
	matched := make([]bool, len(base))
	index := func(e Entry) int {
		i, found := slices.BinarySearchFunc(base, e, compareEntries)
		if !found {
			return -1
		}
		return i
	}
	// Exact entries first, so a Changed pairing never takes an entry that
	// an identical listener accounts for.
	entries := make([]Entry, len(cur))
	for i, l := range cur {
		entries[i] = l.Entry()
		if at := index(entries[i]); at >= 0 {
			matched[at] = true
		}
	}
	paired := map[Entry]int{} // current entry -> its baseline pair, -1 none
	for i, l := range cur {
		e := entries[i]
		if index(e) >= 0 {
			continue
		}
		at, seen := paired[e]
		if !seen {
			at = pairFor(e, base, matched)
			if at >= 0 {
				matched[at] = true
			}
			paired[e] = at
		}
		if at < 0 {
			l.Change = New
		} else {
			l.Change, l.Was = Changed, &base[at]
		}
	}
	var missing []*Listener
	for i := range base {
		if !matched[i] {
			e := &base[i]
			missing = append(missing, &Listener{Proto: e.Proto, Port: e.Port, Exposure: e.Exposure,
				UID: -1, User: e.User, Change: Missing, Was: e, Netns: e.Netns, NetnsName: e.Netns, Container: e.Container})
		}
	}
	return missing
}

// pairFor finds the unmatched baseline entry that e most likely replaced:
// the same protocol, port and place (container or namespace), the same
// exposure if there is one.
func pairFor(e Entry, base []Entry, matched []bool) int {
	best := -1
	for i, b := range base {
		if matched[i] || b.Proto != e.Proto || b.Port != e.Port || b.Netns != e.Netns || b.Container != e.Container {
			continue
		}
		if b.Exposure == e.Exposure {
			return i
		}
		if best < 0 {
			best = i
		}
	}
	return best
}
