package render

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

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

// summaryStateRank orders the summary's state rows: by the lowest state
// number that has the name, UNKNOWN last.
func summaryStateRank(p collector.Proto, st collector.State, name string) int {
	if st == collector.StateUnknown {
		return 1 << 20
	}
	if p != collector.ProtoUDP {
		p = collector.ProtoTCP
	}
	if s, ok := stateByName[p][name]; ok {
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
