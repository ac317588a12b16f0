// Package services is portwatch's port-to-service registry: it names the
// service behind a TCP or UDP port.
//
// A Registry layers several sources, lowest priority first:
//
//   - IANA's Service Name and Transport Protocol Port Number Registry,
//     embedded as generated Go data (iana_gen.go, CC0). Where IANA lists
//     several different services on one port, a small table of our own
//     (display.tsv) picks the one to show.
//   - curated common unofficial uses (curated.tsv: BitTorrent, dev servers,
//     Kubernetes, Elasticsearch, games, ...), shown instead of IANA's name.
//   - files in /etc/services syntax loaded at run time with LoadFile: the
//     host's /etc/services, then the user's own file. A later file wins.
//
// Every name from every source is kept; the display name, used in socket
// tables, is the one from the highest-priority source. Name costs a few
// array indexes per call, so it can be called for every socket of a large
// host; the embedded sources' display names are generated static tables
// (tables_gen.go), so a Registry costs next to nothing to make.
//
// Ports may also carry a one-line risk note (risk.tsv), used by audits.
package services

import (
	"fmt"
	"slices"
	"sort"

	"github.com/portwatch/portwatch/services/internal/servicedata"
)

// Source names of the embedded data, as they appear in Entry.Source.
const (
	SourceIANA    = "iana"
	SourceCurated = "curated"
)

// maxFileSize bounds what LoadFile reads; /etc/services is about 13 KiB.
const maxFileSize = 16 << 20

var protoNames = [2]string{"tcp", "udp"}

// Entry is what the registry knows about one port/proto from one source.
type Entry struct {
	Proto       string   // "tcp" or "udp"
	Port        uint16   // the port; an IANA port range gives one Entry per port
	Names       []string // every name from this source, the preferred one first
	Description string   // free text, "" when the source has none
	Source      string   // "iana", "curated", or the source given to LoadFile
}

// Info is everything known about one port/proto, for `portwatch service`.
type Info struct {
	Proto   string   // "tcp" or "udp"
	Port    uint16   // the port
	Name    string   // the name shown in tables (the display choice after all overlays)
	Names   []string // every distinct name from every source, Name first
	Entries []Entry  // per source, highest priority first
	Risk    string   // risk note, "" when none
}

// Registry maps (protocol, port) to service names. Build one with Default.
// The zero Registry knows no names until files are loaded into it.
//
// Name, Lookup, LookupAll and Risk may be called from several goroutines at
// once; LoadFile must not run at the same time as any other method.
type Registry struct {
	builtin bool     // the embedded data are in: false in a zero Registry
	over    *overlay // the loaded files' names, nil until a file is loaded
	layers  []*layer // files, in load order
}

// Default returns a Registry holding the embedded IANA data, IANA display
// choices and curated names. Those are static tables generated from the
// data (tables_gen.go), so Default costs one small allocation; each call
// returns a new, independent Registry.
func Default() *Registry {
	return &Registry{builtin: true}
}

// protoIndex maps "tcp" to 0 and "udp" to 1; "tcp4", "tcp6", "udp4" and
// "udp6" are accepted too. Anything else is -1.
func protoIndex(proto string) int {
	switch proto {
	case "tcp", "tcp4", "tcp6":
		return 0
	case "udp", "udp4", "udp6":
		return 1
	}
	return -1
}

// Name returns the display name of proto ("tcp" or "udp"; "tcp4", "tcp6",
// "udp4" and "udp6" are accepted too) and port, or "" when no source names
// it or the protocol is another one. It is a few array indexes: no
// allocation, no map. A nil Registry knows no names.
func (r *Registry) Name(proto string, port uint16) string {
	p := protoIndex(proto)
	if p < 0 || r == nil {
		return ""
	}
	if r.over != nil {
		if name := r.over.name(p, port); name != "" {
			return name
		}
	}
	if r.builtin {
		return builtinName(p, port)
	}
	return ""
}

// Risk returns the risk note for proto and port, or "" when there is none.
func (r *Registry) Risk(proto string, port uint16) string {
	p := protoIndex(proto)
	if p < 0 || r == nil || !r.builtin {
		return ""
	}
	return riskNote(p, port)
}

// Lookup returns everything the registry knows about proto ("tcp" or "udp")
// and port. For an unknown protocol or port, Info has only Proto and Port
// set (and Risk, if a note applies). The returned slices belong to the caller.
func (r *Registry) Lookup(proto string, port uint16) Info {
	p := protoIndex(proto)
	if p < 0 {
		return Info{Proto: proto, Port: port}
	}
	info := Info{Proto: protoNames[p], Port: port, Name: r.Name(proto, port), Risk: r.Risk(proto, port)}
	if r == nil {
		return info
	}
	k := mkKey(p, port)
	add := func(e *Entry) {
		c := *e
		c.Port = port
		c.Names = slices.Clone(e.Names)
		info.Entries = append(info.Entries, c)
	}
	for i := len(r.layers) - 1; i >= 0; i-- {
		if e := r.layers[i].entry(k); e != nil {
			add(e)
		}
	}
	if r.builtin {
		if e := loadBuiltin().curated[k]; e != nil {
			add(e)
		}
		if e, ok := r.ianaEntry(p, port); ok {
			info.Entries = append(info.Entries, e)
		}
	}
	if info.Name != "" {
		info.Names = append(info.Names, info.Name)
	}
	for _, e := range info.Entries {
		for _, n := range e.Names {
			info.Names = appendDistinct(info.Names, n)
		}
	}
	return info
}

// LookupAll returns Lookup's answer for tcp and then udp, always both, even
// when the registry knows nothing about one of them (Name is then "").
func (r *Registry) LookupAll(port uint16) []Info {
	return []Info{r.Lookup("tcp", port), r.Lookup("udp", port)}
}

// ianaEntry collects IANA's names for protocol index p and port, the display
// choice first, then in IANA's order.
func (r *Registry) ianaEntry(p int, port uint16) (Entry, bool) {
	d := loadBuiltin()
	bit := uint8(1) << p
	n := len(ianaTable)
	lowest := int(port) - d.ianaSpan
	start := sort.Search(n, func(i int) bool { return int(ianaTable[i].lo) >= lowest })
	e := Entry{Proto: protoNames[p], Port: port, Source: SourceIANA}
	var descs []string
	for i := start; i < n && ianaTable[i].lo <= port; i++ {
		rec := &ianaTable[i]
		if rec.proto&bit == 0 || rec.hi < port {
			continue
		}
		if !slices.Contains(e.Names, rec.name) {
			e.Names = append(e.Names, rec.name)
			descs = append(descs, rec.desc)
		}
	}
	if len(e.Names) == 0 {
		return Entry{}, false
	}
	if choice := d.display[mkKey(p, port)]; choice != "" {
		if i := slices.Index(e.Names, choice); i > 0 {
			e.Names = slices.Insert(slices.Delete(e.Names, i, i+1), 0, choice)
			d := descs[i]
			descs = slices.Insert(slices.Delete(descs, i, i+1), 0, d)
		}
	}
	for _, d := range descs {
		if d != "" {
			e.Description = d
			break
		}
	}
	return e, true
}

// FileError reports the lines LoadFile skipped in a file it otherwise
// loaded. Each warning names the file and line.
type FileError struct {
	Path     string
	Warnings []string
}

// Error returns the first warning and the number of others.
func (e *FileError) Error() string {
	if len(e.Warnings) == 0 {
		return "services: " + e.Path + ": bad lines skipped"
	}
	msg := "services: " + e.Warnings[0]
	if n := len(e.Warnings) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more problems in %s)", n, e.Path)
	}
	return msg
}

// appendDistinct appends s to list unless it is there already.
func appendDistinct(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool { return servicedata.Printable(s) }
