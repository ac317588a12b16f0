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
// tables, is the one from the highest-priority source. Name costs one array
// index per call, so it can be called for every socket of a large host.
//
// Ports may also carry a one-line risk note (risk.tsv), used by audits.
package services

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
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
	// display[p][port] indexes pool: the display name for protocol p
	// (0 tcp, 1 udp) and port. 0 means no name.
	display *[2][65536]uint32
	pool    []string
	data    *builtin // embedded data, nil in a zero Registry
	layers  []*layer // files, in load order
}

// layer is one loaded file.
type layer struct {
	entries map[key]*Entry
}

// Default returns a Registry holding the embedded IANA data, IANA display
// choices and curated names. It costs about a millisecond and half a
// megabyte (two 65536-entry index arrays); each call returns a new,
// independent Registry.
func Default() *Registry {
	d := loadBuiltin()
	r := &Registry{data: d, display: new([2][65536]uint32)}
	r.pool = make([]string, 1, len(ianaTable)+len(d.display)+len(d.curated)+1)
	for i := range ianaTable {
		rec := &ianaTable[i]
		var idx uint32
		for p := range 2 {
			if rec.proto&(1<<p) == 0 {
				continue
			}
			for port := int(rec.lo); port <= int(rec.hi); port++ {
				if r.display[p][port] != 0 {
					continue // an earlier IANA name keeps the port
				}
				if idx == 0 {
					idx = r.intern(rec.name)
				}
				r.display[p][port] = idx
			}
		}
	}
	for k, name := range d.display {
		r.setDisplay(k, name)
	}
	for _, k := range d.curatedKeys {
		r.setDisplay(k, d.curated[k].Names[0])
	}
	return r
}

// intern adds a display name to the pool and returns its index.
func (r *Registry) intern(name string) uint32 {
	if len(r.pool) == 0 {
		r.pool = append(r.pool, "")
	}
	r.pool = append(r.pool, name)
	return uint32(len(r.pool) - 1)
}

func (r *Registry) setDisplay(k key, name string) {
	if r.display == nil {
		r.display = new([2][65536]uint32)
	}
	if n := len(r.pool); n > 0 && r.pool[n-1] == name {
		r.display[k>>16][uint16(k)] = uint32(n - 1) // same name as the last port: share it
		return
	}
	r.display[k>>16][uint16(k)] = r.intern(name)
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
// it or the protocol is another one. It is one array index: no allocation,
// no map. A nil Registry knows no names.
func (r *Registry) Name(proto string, port uint16) string {
	p := protoIndex(proto)
	if p < 0 || r == nil || r.display == nil {
		return ""
	}
	if i := r.display[p][port]; i != 0 {
		return r.pool[i]
	}
	return ""
}

// Risk returns the risk note for proto and port, or "" when there is none.
func (r *Registry) Risk(proto string, port uint16) string {
	p := protoIndex(proto)
	if p < 0 || r == nil || r.data == nil {
		return ""
	}
	return r.data.risk[mkKey(p, port)]
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
		if e := r.layers[i].entries[k]; e != nil {
			add(e)
		}
	}
	if r.data != nil {
		if e := r.data.curated[k]; e != nil {
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
	bit := uint8(1) << p
	n := len(ianaTable)
	lowest := int(port) - r.data.ianaSpan
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
	if choice := r.data.display[mkKey(p, port)]; choice != "" {
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

// LoadFile reads a file in /etc/services syntax (see ParseServicesFile) and
// lays its names over the registry's: for every port/proto the file names,
// the file's first name becomes the display name. A later load wins over an
// earlier one, so load the host's /etc/services before the user's own file.
// source is recorded in Entry.Source; "" means path.
//
// A missing file gives an error wrapping fs.ErrNotExist, which callers
// loading an optional file can ignore. When some lines are bad, LoadFile
// still takes in every good line and returns a *FileError listing the
// skipped ones (a warning, not a failure).
func (r *Registry) LoadFile(path, source string) error {
	if source == "" {
		source = path
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("services: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return fmt.Errorf("services: reading %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return fmt.Errorf("services: %s: larger than %d MiB, not loaded", path, maxFileSize>>20)
	}
	entries, warnings := ParseServicesFile(bytes.NewReader(data), source)
	r.addLayer(entries)
	if len(warnings) > 0 {
		return &FileError{Path: path, Warnings: warnings}
	}
	return nil
}

// addLayer merges entries per port/proto (first line's name first, as
// getservbyport finds it) and makes them the display names.
func (r *Registry) addLayer(entries []Entry) {
	l := &layer{entries: make(map[key]*Entry, len(entries))}
	var order []key
	for i := range entries {
		e := &entries[i]
		k := mkKey(protoIndex(e.Proto), e.Port)
		m := l.entries[k]
		if m == nil {
			c := *e
			c.Names = slices.Clone(e.Names)
			l.entries[k] = &c
			order = append(order, k)
			continue
		}
		for _, n := range e.Names {
			m.Names = appendDistinct(m.Names, n)
		}
		if m.Description == "" {
			m.Description = e.Description
		}
	}
	for _, k := range order {
		r.setDisplay(k, l.entries[k].Names[0])
	}
	r.layers = append(r.layers, l)
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
func printable(s string) bool {
	for _, c := range s {
		if c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\uFFFD' || c == '\u2028' || c == '\u2029' {
			return false
		}
	}
	return true
}
