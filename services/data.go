package services

import (
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./internal/geniana -in ../../shared/data/iana/service-names-port-numbers.csv -out iana_gen.go

// Protocol bits of ianaRecord.proto, as the generated table spells them.
const (
	pT  = 1 << iota // tcp
	pU              // udp
	pTU = pT | pU   // both
)

// ianaRecord is one row of the generated IANA table: a service name on a
// port or port range, for tcp, udp or both.
type ianaRecord struct {
	lo, hi uint16
	proto  uint8
	name   string
	desc   string
}

var (
	//go:embed curated.tsv
	curatedTSV string
	//go:embed display.tsv
	displayTSV string
	//go:embed risk.tsv
	riskTSV string
)

// builtin is the embedded data in lookup form, built once per process and
// never modified afterwards.
type builtin struct {
	curated     map[key]*Entry // Source "curated", Port 0: set by Lookup
	curatedKeys []key          // in file order, for deterministic loading
	display     map[key]string // IANA display choices
	risk        map[key]string
	ianaSpan    int // the widest IANA range, hi-lo
	problems    []string
}

// key is a (protocol index, port) pair: protocol index <<16 | port.
type key uint32

func mkKey(p int, port uint16) key { return key(p)<<16 | key(port) }

var loadBuiltin = sync.OnceValue(func() *builtin {
	b := &builtin{
		curated: make(map[key]*Entry),
		display: make(map[key]string),
		risk:    make(map[key]string),
	}
	b.problems = append(b.problems, parseTable("curated.tsv", curatedTSV, 4, true, func(lo, hi uint16, protos uint8, f []string) {
		eachKey(lo, hi, protos, func(k key) {
			e := b.curated[k]
			if e == nil {
				e = &Entry{Proto: protoNames[k>>16], Source: SourceCurated, Description: f[3]}
				b.curated[k] = e
				b.curatedKeys = append(b.curatedKeys, k)
			}
			e.Names = appendDistinct(e.Names, f[2])
		})
	})...)
	b.problems = append(b.problems, parseTable("display.tsv", displayTSV, 3, true, func(lo, hi uint16, protos uint8, f []string) {
		eachKey(lo, hi, protos, func(k key) { b.display[k] = f[2] })
	})...)
	b.problems = append(b.problems, parseTable("risk.tsv", riskTSV, 3, false, func(lo, hi uint16, protos uint8, f []string) {
		eachKey(lo, hi, protos, func(k key) { b.risk[k] = f[2] })
	})...)
	for i := range ianaTable {
		b.ianaSpan = max(b.ianaSpan, int(ianaTable[i].hi)-int(ianaTable[i].lo))
	}
	return b
})

// parseTable reads one of the embedded tab-separated tables: port or
// first-last, protocol (tcp, udp, both), then at least minFields-2 more
// fields, none empty; with hasName, the third field is a service name (no
// spaces or #). It calls row for every good line and returns a problem
// description, naming file and line, for every bad one.
func parseTable(file, text string, minFields int, hasName bool, row func(lo, hi uint16, protos uint8, fields []string)) []string {
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
		lo, hi, err := parsePortRange(f[0])
		if err != nil {
			bad("%v", err)
			continue
		}
		var protos uint8
		switch f[1] {
		case "tcp":
			protos = pT
		case "udp":
			protos = pU
		case "both":
			protos = pTU
		default:
			bad("protocol %q is not tcp, udp or both", f[1])
			continue
		}
		ok := true
		for i := 2; i < minFields; i++ {
			if f[i] == "" || strings.TrimSpace(f[i]) != f[i] || !printable(f[i]) {
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

// parsePortRange parses "N" or "N-M", 0 <= N <= M <= 65535.
func parsePortRange(s string) (lo, hi uint16, err error) {
	a, b, isRange := strings.Cut(s, "-")
	l, err1 := strconv.ParseUint(a, 10, 16)
	h := l
	var err2 error
	if isRange {
		h, err2 = strconv.ParseUint(b, 10, 16)
	}
	if err1 != nil || err2 != nil || h < l {
		return 0, 0, errors.New("port " + strconv.Quote(s) + " is not a port 0-65535 or a range first-last")
	}
	return uint16(l), uint16(h), nil
}

// eachKey calls f for every protocol and port of a row, tcp first.
func eachKey(lo, hi uint16, protos uint8, f func(key)) {
	for p := range 2 {
		if protos&(1<<p) == 0 {
			continue
		}
		for port := int(lo); port <= int(hi); port++ {
			f(mkKey(p, uint16(port)))
		}
	}
}
