package render

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// This file is the row filter of the live view (FrameOptions.Filter and
// ListeningOnly). It lives in render, not in watch, because it matches the
// text the view shows (sanitized names, the address and state columns),
// which render makes; watch would have to import render, which imports
// watch for its rows.

// matchRows returns the indices of the rows that pass listeningOnly and
// the filter, in their order.
func matchRows(rows []watch.Row, filter *rowFilter, listeningOnly bool, svc ServiceNamer) []int {
	idx := make([]int, 0, len(rows))
	for i := range rows {
		s := &rows[i].Socket
		if listeningOnly && !s.Listening() {
			continue
		}
		if !filter.match(s, svc) {
			continue
		}
		idx = append(idx, i)
	}
	return idx
}

// rowFilter is FrameOptions.Filter, split into lower-case words.
type rowFilter struct {
	words   [][]byte
	scratch []byte // the text of one row's fields
}

// newRowFilter splits filter, sanitized as the view shows it, into words.
func newRowFilter(filter string) *rowFilter {
	rf := &rowFilter{}
	for _, w := range strings.Fields(strings.ToLower(Sanitize(filter))) {
		rf.words = append(rf.words, []byte(w))
	}
	return rf
}

// match reports whether every word of the filter is in one of s's fields.
// It writes the fields' text, in lower case, into one buffer, each field
// ended by a NUL byte, which no word holds (Sanitize escapes it), so a word
// found in the buffer is inside one field.
func (rf *rowFilter) match(s *collector.Socket, svc ServiceNamer) bool {
	if len(rf.words) == 0 {
		return true
	}
	b := rf.scratch[:0]
	b = append(b, protoColumn(s)...)
	b = append(b, 0)
	b = append(b, lowerStateName(s)...)
	b = append(b, 0)
	// Addresses are lower case but for a zone.
	zone := s.Local.Addr().Zone() != "" || s.Remote.Addr().Zone() != ""
	addrs := len(b)
	b = appendAddr(b, s.Local)
	b = append(b, 0)
	b = appendAddr(b, s.Remote)
	b = append(b, 0)
	names := len(b)
	if zone {
		names = addrs
	}
	b = appendSanitized(b, serviceName(s, svc))
	b = append(b, 0)
	for k := range s.Owners {
		o := &s.Owners[k]
		b = strconv.AppendInt(b, int64(o.PID), 10)
		b = append(b, 0)
		b = appendSanitized(b, o.Process)
		b = append(b, 0)
	}
	rf.scratch = b
	if !lowerASCII(b[names:]) {
		b = bytes.ToLower(b)
	}
	for _, w := range rf.words {
		if !bytes.Contains(b, w) {
			return false
		}
	}
	return true
}

// lowerASCII lowers the case of the ASCII letters of b in place and
// reports whether b is all ASCII.
func lowerASCII(b []byte) bool {
	var all byte
	for i, c := range b {
		all |= c
		if c-'A' < 26 {
			b[i] = c + 'a' - 'A'
		}
	}
	return all < utf8.RuneSelf
}

// lowerStateNames holds the state names in lower case: [udp][state], made
// on first use.
var lowerStateNames = sync.OnceValue(func() (names *[2][256]string) {
	names = new([2][256]string)
	for st := range 256 {
		names[0][st] = strings.ToLower(collector.StateName(collector.ProtoTCP, collector.State(st)))
		names[1][st] = strings.ToLower(collector.StateName(collector.ProtoUDP, collector.State(st)))
	}
	return names
})

// lowerStateName is s.StateName() in lower case.
func lowerStateName(s *collector.Socket) string {
	if s.Proto == collector.ProtoUDP {
		return lowerStateNames()[1][s.State]
	}
	if s.Proto != collector.ProtoTCP {
		return strings.ToLower(s.StateName())
	}
	return lowerStateNames()[0][s.State]
}
