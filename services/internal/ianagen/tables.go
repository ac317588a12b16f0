package ianagen

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/services/internal/servicedata"
)

// BlockShift sets the size of the display table's blocks: 1<<BlockShift
// ports. 64-port blocks keep the deduplicated table near 80 KB.
const BlockShift = 6

const (
	blockLen  = 1 << BlockShift
	numBlocks = 65536 >> BlockShift // per protocol
)

// The services package's own tables, read from the directory given to
// GenerateTablesFile.
var tableFiles = [3]string{"curated.tsv", "display.tsv", "risk.tsv"}

// GenerateTablesFile reads the IANA CSV at in and curated.tsv, display.tsv
// and risk.tsv in tsvDir, and writes the Go source of the static display
// and risk tables (tables_gen.go) to out.
func GenerateTablesFile(in, tsvDir, out string) error {
	var texts [3]string
	for i, name := range tableFiles {
		b, err := os.ReadFile(filepath.Join(tsvDir, name))
		if err != nil {
			return err
		}
		texts[i] = string(b)
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := GenerateTables(f, &buf, filepath.Base(in), texts[0], texts[1], texts[2]); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// GenerateTables reads the IANA CSV from r and the texts of curated.tsv,
// display.tsv and risk.tsv, and writes gofmt-formatted Go source for package
// services to w: what the services package would otherwise compute at every
// start.
//
//   - displayPages and displayBlocks: the display name of every port and
//     protocol, as the embedded data alone give it (the first IANA name,
//     replaced by the display choice, replaced by the curated name), in a
//     two-level table: displayPages[p][port>>displayShift] picks a block of
//     displayBlocks, deduplicated, block 0 empty; the block's entry for
//     the port is 0 (no name), 1+i for ianaTable[i].name, or
//     1+len(ianaTable)+j for displayExtra[j].
//   - displayExtra: the display names that are not among IANA's names for
//     their port (the curated ones).
//   - riskTable: risk.tsv resolved into disjoint port ranges, sorted by
//     protocol and first port.
//
// The entries index ianaTable as Generate writes it from the same CSV.
func GenerateTables(r io.Reader, w io.Writer, name, curated, display, risk string) error {
	recs, _, err := read(r, name)
	if err != nil {
		return err
	}
	t := servicedata.Load(curated, display, risk)
	if len(t.Problems) > 0 {
		return errors.New("bad lines in the services tables:\n" + strings.Join(t.Problems, "\n"))
	}
	src, err := renderTables(recs, t, name)
	if err != nil {
		return err
	}
	_, err = w.Write(src)
	return err
}

// displayValues computes every port's display entry (see GenerateTables)
// and the extra names the entries refer to.
func displayValues(recs []record, t *servicedata.Tables) (*[2][65536]int, []string, error) {
	vals := new([2][65536]int)
	// IANA: the first record (by first port, then IANA's order) keeps a port.
	for i, rec := range recs {
		for p := range 2 {
			if rec.proto&(1<<p) == 0 {
				continue
			}
			for port := rec.lo; port <= rec.hi; port++ {
				if vals[p][port] == 0 {
					vals[p][port] = i + 1
				}
			}
		}
	}
	var extra []string
	// index returns the entry for name on protocol p and port: the first
	// IANA record of that name covering the port, else an extra name.
	index := func(name string, p, port int) int {
		for i, rec := range recs {
			if rec.lo > port {
				break
			}
			if rec.hi >= port && rec.proto&(1<<p) != 0 && rec.name == name {
				return i + 1
			}
		}
		j := slices.Index(extra, name)
		if j < 0 {
			j = len(extra)
			extra = append(extra, name)
		}
		return len(recs) + 1 + j
	}
	// Then the display choices (in port order, for a stable extra list),
	// then the curated names (first row of each port/protocol).
	keys := make([]servicedata.Key, 0, len(t.Display))
	for k := range t.Display {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, port := int(k>>16), int(uint16(k))
		vals[p][port] = index(t.Display[k], p, port)
	}
	for _, k := range t.CuratedKeys {
		p, port := int(k>>16), int(uint16(k))
		vals[p][port] = index(t.Curated[k].Names[0], p, port)
	}
	if n := len(recs) + len(extra); n > 0xFFFF {
		return nil, nil, fmt.Errorf("%d display names do not fit the table's uint16 entries", n)
	}
	return vals, extra, nil
}

// riskRow is one port range of the resolved risk table.
type riskRow struct {
	proto  int
	lo, hi int
	note   string
}

// riskRows resolves risk.tsv (a later row wins) into disjoint ranges.
func riskRows(t *servicedata.Tables) []riskRow {
	var rows []riskRow
	for p := range 2 {
		for port := range 65536 {
			note := t.Risk[servicedata.MkKey(p, uint16(port))]
			if note == "" {
				continue
			}
			if n := len(rows); n > 0 && rows[n-1].proto == p && rows[n-1].hi == port-1 && rows[n-1].note == note {
				rows[n-1].hi = port
				continue
			}
			rows = append(rows, riskRow{p, port, port, note})
		}
	}
	return rows
}

func renderTables(recs []record, t *servicedata.Tables, name string) ([]byte, error) {
	vals, extra, err := displayValues(recs, t)
	if err != nil {
		return nil, err
	}
	var pages [2][numBlocks]int
	blocks := [][blockLen]int{{}} // block 0: no names
	seen := map[[blockLen]int]int{{}: 0}
	for p := range 2 {
		for b := range numBlocks {
			var blk [blockLen]int
			copy(blk[:], vals[p][b*blockLen:])
			i, ok := seen[blk]
			if !ok {
				i = len(blocks)
				blocks = append(blocks, blk)
				seen[blk] = i
			}
			pages[p][b] = i
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by geniana from %s, %s; DO NOT EDIT.\n\n", name, strings.Join(tableFiles[:], ", "))
	fmt.Fprintf(&b, "// What the embedded data give every port, computed here instead of at\n")
	fmt.Fprintf(&b, "// every start: see ianagen.GenerateTables. The tables hold no pointers\n")
	fmt.Fprintf(&b, "// but displayExtra's and riskTable's strings, and are laid out by the\n")
	fmt.Fprintf(&b, "// compiler: a process reads only the pages it looks up.\n\n")
	b.WriteString("package services\n\n")
	fmt.Fprintf(&b, "// displayShift: a block of displayBlocks covers 1<<displayShift ports.\n")
	fmt.Fprintf(&b, "const displayShift = %d\n\n", BlockShift)
	fmt.Fprintf(&b, "// displayPages[p][port>>displayShift] is the displayBlocks block of\n")
	fmt.Fprintf(&b, "// protocol p's port; block 0 names no port.\n")
	b.WriteString("var displayPages = [2][65536 >> displayShift]uint16{\n")
	for p := range 2 {
		b.WriteString("{\n")
		for i := 0; i < numBlocks; i += 16 {
			for _, v := range pages[p][i : i+16] {
				fmt.Fprintf(&b, "%d, ", v)
			}
			b.WriteString("\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, "// displayBlocks[b][port&(1<<displayShift-1)] is the port's display name:\n")
	fmt.Fprintf(&b, "// 0 none, 1+i ianaTable[i].name, 1+len(ianaTable)+j displayExtra[j].\n")
	b.WriteString("var displayBlocks = [...][1 << displayShift]uint16{\n")
	for i, blk := range blocks {
		b.WriteString(blockLiteral(blk))
		fmt.Fprintf(&b, ", // %d\n", i)
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, "// displayExtra holds the display names that are not IANA's for their port.\n")
	b.WriteString("var displayExtra = [...]string{\n")
	for _, s := range extra {
		fmt.Fprintf(&b, "%s,\n", strconv.Quote(s))
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, "// riskTable is risk.tsv as disjoint port ranges, by protocol and port.\n")
	b.WriteString("var riskTable = [...]riskRange{\n")
	for _, r := range riskRows(t) {
		fmt.Fprintf(&b, "{%d, %d, %d, %s},\n", r.proto, r.lo, r.hi, strconv.Quote(r.note))
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated tables: %w", err)
	}
	return src, nil
}

// blockLiteral writes a block as the shorter of a positional and a keyed
// (non-zero entries only) composite literal.
func blockLiteral(blk [blockLen]int) string {
	last := -1
	for i, v := range blk {
		if v != 0 {
			last = i
		}
	}
	var pos, keyed strings.Builder
	for i, v := range blk[:last+1] {
		if i > 0 {
			pos.WriteString(", ")
		}
		pos.WriteString(strconv.Itoa(v))
		if v != 0 {
			if keyed.Len() > 0 {
				keyed.WriteString(", ")
			}
			fmt.Fprintf(&keyed, "%d: %d", i, v)
		}
	}
	if keyed.Len() < pos.Len() {
		return "{" + keyed.String() + "}"
	}
	return "{" + pos.String() + "}"
}
