package render

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// Summary writes counts like ss -s: the total number of sockets, then a
// table of sockets per protocol (total, IPv4, IPv6), then a table of
// sockets per state and protocol. The tcp and udp columns are always shown;
// only states that occur get a row, in the kernel's state order (UNCONN
// next to CLOSE, UNKNOWN last). Only counts are printed, so nothing needs
// sanitizing; opts is accepted for symmetry and NoHeader is ignored, as the
// tables are unreadable without their headers.
func Summary(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	protos := []collector.Proto{collector.ProtoTCP, collector.ProtoUDP}
	families := []collector.Family{collector.FamilyIPv4, collector.FamilyIPv6}
	type pf struct {
		p collector.Proto
		f collector.Family
	}
	type ps struct {
		p    collector.Proto
		name string
	}
	perProto := map[collector.Proto]int{}
	perFamily := map[pf]int{}
	perState := map[ps]int{}
	stateRank := map[string]int{}
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if !slices.Contains(protos, s.Proto) {
			protos = append(protos, s.Proto)
		}
		if !slices.Contains(families, s.Family) {
			families = append(families, s.Family)
		}
		perProto[s.Proto]++
		perFamily[pf{s.Proto, s.Family}]++
		name := s.StateName()
		perState[ps{s.Proto, name}]++
		if _, ok := stateRank[name]; !ok {
			stateRank[name] = summaryStateRank(s.Proto, s.State, name)
		}
	}
	slices.Sort(protos)
	slices.Sort(families)

	noun := "sockets"
	if len(snap.Sockets) == 1 {
		noun = "socket"
	}
	if _, err := fmt.Fprintf(w, "Total: %d %s\n\n", len(snap.Sockets), noun); err != nil {
		return err
	}

	header := []string{"Transport", "Total"}
	right := []bool{false, true}
	for _, f := range families {
		header = append(header, familyLabel(f))
		right = append(right, true)
	}
	var rows [][]string
	for _, p := range protos {
		row := []string{p.String(), strconv.Itoa(perProto[p])}
		for _, f := range families {
			row = append(row, strconv.Itoa(perFamily[pf{p, f}]))
		}
		rows = append(rows, row)
	}
	if err := writeTable(w, header, right, rows); err != nil {
		return err
	}

	names := make([]string, 0, len(stateRank))
	for name := range stateRank {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := stateRank[a], stateRank[b]; ra != rb {
			return ra - rb
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	if len(names) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	header = []string{"State"}
	right = []bool{false}
	for _, p := range protos {
		header = append(header, p.String())
		right = append(right, true)
	}
	rows = rows[:0]
	for _, name := range names {
		row := []string{name}
		for _, p := range protos {
			row = append(row, strconv.Itoa(perState[ps{p, name}]))
		}
		rows = append(rows, row)
	}
	return writeTable(w, header, right, rows)
}

// summaryCount is one row of the machine-readable summaries: how many
// sockets of a protocol and family are in a state.
type summaryCount struct {
	proto  collector.Proto
	family collector.Family
	state  string // as the table shows it: LISTEN, UNCONN, TIME_WAIT...
	rank   int    // summaryStateRank
	count  int
}

// summaryCounts counts socks per protocol, family and state, in the order
// of the table: protocol, family, then the kernel's state order.
func summaryCounts(socks []collector.Socket) []summaryCount {
	type key struct {
		p     collector.Proto
		f     collector.Family
		state string
	}
	index := map[key]int{}
	var out []summaryCount
	for i := range socks {
		s := &socks[i]
		k := key{s.Proto, s.Family, s.StateName()}
		if j, ok := index[k]; ok {
			out[j].count++
			continue
		}
		index[k] = len(out)
		out = append(out, summaryCount{s.Proto, s.Family, k.state, summaryStateRank(s.Proto, s.State, k.state), 1})
	}
	slices.SortFunc(out, func(a, b summaryCount) int {
		return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.family, b.family),
			cmp.Compare(a.rank, b.rank), strings.Compare(a.state, b.state))
	})
	return out
}

// summaryVersion is the version of SummaryJSON's object, in its
// "portwatch_summary" field. That field is not a snapshot's "version", so
// a summary given to --replay is refused instead of read as no sockets.
const summaryVersion = 1

// SummaryJSON writes the counts of Summary as one JSON object:
// portwatch_summary (1), time, host and source as in JSON, total (the
// number of sockets), counts (one {proto, family, state, count} per
// combination that occurs, in the table's order) and warnings. Strings are
// escaped as JSON escapes them; opts is accepted for symmetry.
func SummaryJSON(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	t := snap.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("render: snapshot time %v is outside years 0-9999", snap.Time)
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"portwatch_summary":`...)
	b = strconv.AppendInt(b, summaryVersion, 10)
	b = append(b, `,"time":"`...)
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","host":`...)
	b = appendJSONString(b, snap.Host)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, string(snap.Source))
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(len(snap.Sockets)), 10)
	b = append(b, `,"counts":[`...)
	for i, c := range summaryCounts(snap.Sockets) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"proto":`...)
		b = appendJSONString(b, c.proto.String())
		b = append(b, `,"family":`...)
		b = appendJSONString(b, c.family.String())
		b = append(b, `,"state":`...)
		b = appendJSONString(b, c.state)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(c.count), 10)
		b = append(b, '}')
	}
	b = append(b, `],"warnings":[`...)
	for i, warn := range snap.Warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, warn)
	}
	b = append(b, "]}\n"...)
	_, err := w.Write(b)
	return err
}

// SummaryCSV writes the counts of Summary as CSV: a header row
// proto,family,state,count (unless opts.NoHeader), then one row per
// protocol, family and state that occurs, in the table's order. Every
// field is a fixed word or a number, so none is quoted.
func SummaryCSV(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	var b []byte
	if !opts.NoHeader {
		b = append(b, "proto,family,state,count\n"...)
	}
	for _, c := range summaryCounts(snap.Sockets) {
		b = append(b, c.proto.String()...)
		b = append(b, ',')
		b = append(b, c.family.String()...)
		b = append(b, ',')
		b = append(b, c.state...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(c.count), 10)
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

// summaryStateRank orders the summary's state rows: by the lowest state
// number that has the name, UNKNOWN last.
func summaryStateRank(p collector.Proto, st collector.State, name string) int {
	if st == collector.StateUnknown {
		return 1 << 20
	}
	if s, ok := stateNamesFor(p).byName[name]; ok {
		return int(s)
	}
	return int(st)
}

// familyLabel is a family's column title.
func familyLabel(f collector.Family) string {
	switch f {
	case collector.FamilyIPv4:
		return "IPv4"
	case collector.FamilyIPv6:
		return "IPv6"
	}
	return f.String()
}
