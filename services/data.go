package services

import (
	_ "embed"
	"sync"

	"github.com/portwatch/portwatch/services/internal/servicedata"
)

//go:generate go run ./internal/geniana -in ../../shared/data/iana/service-names-port-numbers.csv -out iana_gen.go -tables tables_gen.go

// Protocol bits of ianaRecord.proto, as the generated table spells them.
const (
	pT  = servicedata.TCP  // tcp
	pU  = servicedata.UDP  // udp
	pTU = servicedata.Both // both
)

// ianaRecord is one row of the generated IANA table: a service name on a
// port or port range, for tcp, udp or both.
type ianaRecord struct {
	lo, hi uint16
	proto  uint8
	name   string
	desc   string
}

// riskRange is one row of the generated risk table: a note on a port range
// of protocol index proto (0 tcp, 1 udp).
type riskRange struct {
	proto  uint8
	lo, hi uint16
	note   string
}

var (
	//go:embed curated.tsv
	curatedTSV string
	//go:embed display.tsv
	displayTSV string
	//go:embed risk.tsv
	riskTSV string
)

// The generated tables (tables_gen.go) hold what the embedded data give
// every port, so that Default and Name read them instead of computing
// them: builtinName and riskNote. Lookup, which also lists every source's
// names and descriptions, reads the embedded tables above once, when first
// needed (loadBuiltin). TestDefaultMatchesIANACSV and TestDefaultMatchesTSVs check both
// against the source files.

// builtinName returns the display name the embedded data give protocol
// index p and port, "" for none.
func builtinName(p int, port uint16) string {
	v := int(displayBlocks[displayPages[p&1][port>>displayShift]][port&(1<<displayShift-1)])
	switch {
	case v == 0:
		return ""
	case v <= len(ianaTable):
		return ianaTable[v-1].name
	}
	return displayExtra[v-len(ianaTable)-1]
}

// riskNote returns the risk note for protocol index p and port, "" for none.
func riskNote(p int, port uint16) string {
	k := mkKey(p, port)
	// i is the number of ranges starting at or before k.
	i, j := 0, len(riskTable)
	for i < j {
		h := int(uint(i+j) >> 1)
		if mkKey(int(riskTable[h].proto), riskTable[h].lo) <= k {
			i = h + 1
		} else {
			j = h
		}
	}
	if i > 0 {
		if r := &riskTable[i-1]; int(r.proto) == p && port <= r.hi {
			return r.note
		}
	}
	return ""
}

// builtin is the embedded data in the form Lookup reads, built once per
// process when first needed and never modified afterwards.
type builtin struct {
	curated     map[key]*Entry // Source "curated", Port 0: set by Lookup
	curatedKeys []key          // in file order
	display     map[key]string // IANA display choices
	ianaSpan    int            // the widest IANA range, hi-lo
	problems    []string
}

// key is a (protocol index, port) pair: protocol index <<16 | port.
type key = servicedata.Key

func mkKey(p int, port uint16) key { return servicedata.MkKey(p, port) }

var loadBuiltin = sync.OnceValue(func() *builtin {
	t := servicedata.Load(curatedTSV, displayTSV, riskTSV)
	b := &builtin{
		curated:     make(map[key]*Entry, len(t.Curated)),
		curatedKeys: t.CuratedKeys,
		display:     t.Display,
		problems:    t.Problems,
	}
	for k, c := range t.Curated {
		b.curated[k] = &Entry{Proto: protoNames[k>>16], Source: SourceCurated, Names: c.Names, Description: c.Description}
	}
	for i := range ianaTable {
		b.ianaSpan = max(b.ianaSpan, int(ianaTable[i].hi)-int(ianaTable[i].lo))
	}
	return b
})

// eachKey calls f for every protocol and port of a row, tcp first.
func eachKey(lo, hi uint16, protos uint8, f func(key)) { servicedata.EachKey(lo, hi, protos, f) }
