// Package ianagen turns IANA's service-names-port-numbers CSV into the Go
// source of the services package's embedded table (iana_gen.go) and, with
// the package's own curated.tsv, display.tsv and risk.tsv, into its static
// display and risk tables (tables_gen.go).
//
// It is a library so that the services package's tests can run exactly the
// code that `go generate` runs and compare the result with the committed file.
package ianagen

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SourceURL is where IANA publishes the registry.
const SourceURL = "https://www.iana.org/assignments/service-names-port-numbers/"

// Protocol bits, as the generated table spells them (constants of the
// services package).
const (
	protoTCP = 1 << iota
	protoUDP
	protoBoth = protoTCP | protoUDP
)

var protoConst = map[int]string{protoTCP: "pT", protoUDP: "pU", protoBoth: "pTU"}

// record is one kept row of the CSV.
type record struct {
	lo, hi int
	proto  int
	name   string
	desc   string
}

// The columns the generator reads, by header name.
var wantColumns = []string{"Service Name", "Port Number", "Transport Protocol", "Description", "Modification Date"}

// GenerateFile reads the CSV at in and writes the Go source to out.
func GenerateFile(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := Generate(f, &buf, filepath.Base(in)); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// Generate reads the IANA CSV from r and writes gofmt-formatted Go source for
// package services to w. name is the input's file name, used in error
// messages and in the generated header.
func Generate(r io.Reader, w io.Writer, name string) error {
	recs, newest, err := read(r, name)
	if err != nil {
		return err
	}
	src, err := render(recs, newest, name)
	if err != nil {
		return err
	}
	_, err = w.Write(src)
	return err
}

// read parses the CSV, keeping rows that have a service name, a port and a
// transport protocol of tcp, udp or none (both). It returns the records in
// a stable order (by first port, then CSV order) and the newest modification
// date in the data.
func read(r io.Reader, name string) ([]record, string, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, "", fmt.Errorf("%s: reading header: %w", name, err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	idx := make([]int, len(wantColumns))
	for i, c := range wantColumns {
		j, ok := col[c]
		if !ok {
			return nil, "", fmt.Errorf("%s:1: header has no %q column", name, c)
		}
		idx[i] = j
	}
	var recs []record
	newest := ""
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		svc := strings.TrimSpace(row[idx[0]])
		portText := strings.TrimSpace(row[idx[1]])
		protoText := strings.ToLower(strings.TrimSpace(row[idx[2]]))
		if d := strings.TrimSpace(row[idx[4]]); d > newest {
			newest = d
		}
		if svc == "" || portText == "" {
			continue // Unassigned, Reserved, or a name without a port
		}
		var proto int
		switch protoText {
		case "":
			proto = protoBoth
		case "tcp":
			proto = protoTCP
		case "udp":
			proto = protoUDP
		case "sctp", "dccp":
			continue
		default:
			return nil, "", fmt.Errorf("%s:%d: unknown transport protocol %q", name, line, protoText)
		}
		if strings.ContainsFunc(svc, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == 0x7f }) {
			return nil, "", fmt.Errorf("%s:%d: unexpected service name %q", name, line, svc)
		}
		lo, hi, err := parseRange(portText)
		if err != nil {
			return nil, "", fmt.Errorf("%s:%d: port %q: %v", name, line, portText, err)
		}
		rec := record{lo: lo, hi: hi, proto: proto, name: svc, desc: cleanDescription(row[idx[3]])}
		// IANA lists most services once per protocol, tcp then udp, with
		// the same text: one record covers both.
		if n := len(recs); n > 0 {
			p := &recs[n-1]
			if p.proto == protoTCP && proto == protoUDP && p.lo == lo && p.hi == hi && p.name == svc && p.desc == rec.desc {
				p.proto = protoBoth
				continue
			}
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, "", fmt.Errorf("%s: no service records", name)
	}
	slices.SortStableFunc(recs, func(a, b record) int { return a.lo - b.lo })
	return recs, newest, nil
}

// parseRange parses "N" or "N-M" with 0 <= N <= M <= 65535.
func parseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err = strconv.Atoi(a)
	if err != nil || lo < 0 || lo > 65535 {
		return 0, 0, errors.New("not a port number")
	}
	hi = lo
	if isRange {
		hi, err = strconv.Atoi(b)
		if err != nil || hi < lo || hi > 65535 {
			return 0, 0, errors.New("not a port range")
		}
	}
	return lo, hi, nil
}

// cleanDescription makes one line of a description: IANA's note that a name
// replaced an older malformed one is dropped, whitespace is collapsed.
func cleanDescription(s string) string {
	if i := strings.Index(s, "IANA assigned this well-formed service name"); i >= 0 {
		s = s[:i]
	}
	return strings.Join(strings.Fields(s), " ")
}

func render(recs []record, newest, name string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by geniana from %s; DO NOT EDIT.\n\n", name)
	fmt.Fprintf(&b, "// Data: IANA Service Name and Transport Protocol Port Number Registry,\n")
	fmt.Fprintf(&b, "// %s (CSV form),\n", SourceURL)
	fmt.Fprintf(&b, "// newest modification date in the data: %s.\n", newest)
	fmt.Fprintf(&b, "// Terms: under the IANA/IETF statement of 2021-11-10\n")
	fmt.Fprintf(&b, "// (https://www.iana.org/help/licensing-terms) the IANA registries are\n")
	fmt.Fprintf(&b, "// dedicated to the public domain under CC0 1.0 Universal\n")
	fmt.Fprintf(&b, "// (https://creativecommons.org/publicdomain/zero/1.0/).\n")
	fmt.Fprintf(&b, "// Kept: rows with a service name and a port, tcp and udp only (a row\n")
	fmt.Fprintf(&b, "// without a protocol counts for both), sorted by first port, then in\n")
	fmt.Fprintf(&b, "// IANA's order. Fields: first port, last port, protocols, name, description.\n\n")
	b.WriteString("package services\n\n")
	fmt.Fprintf(&b, "// IANADate is the newest modification date in the embedded IANA data.\n")
	fmt.Fprintf(&b, "const IANADate = %q\n\n", newest)
	b.WriteString("var ianaTable = [...]ianaRecord{\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "{%d, %d, %s, %s, %s},\n", r.lo, r.hi, protoConst[r.proto], strconv.Quote(r.name), strconv.Quote(r.desc))
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: formatting generated source: %w", name, err)
	}
	return src, nil
}
