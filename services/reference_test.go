package services

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/portwatch/portwatch/services/internal/servicedata"
)

// refRegistry is the registry as it was before the display and risk tables
// were generated: Default built two 65536-entry index arrays from ianaTable
// and the embedded TSVs, LoadFile merged ParseServicesFile's entries into a
// map per file. The tests below require Registry to answer exactly as it
// does, for every port.
type refRegistry struct {
	display *[2][65536]uint32
	pool    []string
	builtin bool
	layers  []map[key]*Entry
	risk    map[key]string
}

func refDefault() *refRegistry {
	d := loadBuiltin()
	r := &refRegistry{builtin: true, display: new([2][65536]uint32), pool: []string{""}}
	r.risk = servicedata.Load(curatedTSV, displayTSV, riskTSV).Risk
	for i := range ianaTable {
		rec := &ianaTable[i]
		for p := range 2 {
			if rec.proto&(1<<p) == 0 {
				continue
			}
			for port := int(rec.lo); port <= int(rec.hi); port++ {
				if r.display[p][port] == 0 {
					r.setDisplay(mkKey(p, uint16(port)), rec.name)
				}
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

func (r *refRegistry) setDisplay(k key, name string) {
	if r.display == nil {
		r.display = new([2][65536]uint32)
		r.pool = []string{""}
	}
	r.pool = append(r.pool, name)
	r.display[k>>16][uint16(k)] = uint32(len(r.pool) - 1)
}

func (r *refRegistry) loadFile(t testing.TB, path, source string) error {
	if source == "" {
		source = path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("services: %w", err)
	}
	entries, warnings := refParseServicesFile(bytes.NewReader(data), source)
	l := make(map[key]*Entry)
	var order []key
	for i := range entries {
		e := &entries[i]
		k := mkKey(protoIndex(e.Proto), e.Port)
		m := l[k]
		if m == nil {
			c := *e
			c.Names = slices.Clone(e.Names)
			l[k] = &c
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
		r.setDisplay(k, l[k].Names[0])
	}
	r.layers = append(r.layers, l)
	if len(warnings) > 0 {
		return &FileError{Path: path, Warnings: warnings}
	}
	return nil
}

func (r *refRegistry) name(proto string, port uint16) string {
	p := protoIndex(proto)
	if p < 0 || r.display == nil {
		return ""
	}
	return r.pool[r.display[p][port]]
}

func (r *refRegistry) lookup(proto string, port uint16) Info {
	p := protoIndex(proto)
	if p < 0 {
		return Info{Proto: proto, Port: port}
	}
	info := Info{Proto: protoNames[p], Port: port, Name: r.name(proto, port), Risk: r.risk[mkKey(p, port)]}
	k := mkKey(p, port)
	add := func(e *Entry) {
		c := *e
		c.Port = port
		c.Names = slices.Clone(e.Names)
		info.Entries = append(info.Entries, c)
	}
	for i := len(r.layers) - 1; i >= 0; i-- {
		if e := r.layers[i][k]; e != nil {
			add(e)
		}
	}
	if r.builtin {
		if e := loadBuiltin().curated[k]; e != nil {
			add(e)
		}
		if e, ok := refIANAEntry(p, port); ok {
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

func refIANAEntry(p int, port uint16) (Entry, bool) {
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

// sameAsReference compares Name, Risk, Lookup and LookupAll on every port
// of both protocols.
func sameAsReference(t *testing.T, r *Registry, ref *refRegistry) {
	t.Helper()
	bad := 0
	for port := range 65536 {
		port := uint16(port)
		for _, proto := range []string{"tcp", "udp", "tcp6", "udp4"} {
			if got, want := r.Name(proto, port), ref.name(proto, port); got != want {
				t.Errorf("Name(%s, %d) = %q, reference %q", proto, port, got, want)
				bad++
			}
		}
		for _, proto := range protoNames {
			got, want := r.Lookup(proto, port), ref.lookup(proto, port)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Lookup(%s, %d) =\n%+v\nreference\n%+v", proto, port, got, want)
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
	for _, port := range []uint16{0, 22, 80, 4222, 6010, 9200, 49999, 65535} {
		got := r.LookupAll(port)
		want := []Info{ref.lookup("tcp", port), ref.lookup("udp", port)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LookupAll(%d) = %+v, reference %+v", port, got, want)
		}
	}
	for _, proto := range []string{"sctp", "", "icmp"} {
		if got, want := r.Lookup(proto, 22), ref.lookup(proto, 22); !reflect.DeepEqual(got, want) {
			t.Errorf("Lookup(%q, 22) = %+v, reference %+v", proto, got, want)
		}
	}
}

func TestDefaultMatchesReference(t *testing.T) {
	ref := refDefault()
	sameAsReference(t, Default(), ref)
	for p := range 2 {
		for port := range 65536 {
			k := mkKey(p, uint16(port))
			if got, want := riskNote(p, uint16(port)), ref.risk[k]; got != want {
				t.Fatalf("riskNote(%d, %d) = %q, risk.tsv says %q", p, port, got, want)
			}
		}
	}
}

// Overlays: files naming a port on several lines, over each other, over
// curated and IANA names, with comments and bad lines.
func TestOverlaysMatchReference(t *testing.T) {
	files := []struct{ name, text string }{
		{"host", "# host file\nsecure-shell 22/tcp ssh2 # host's name\nmyapp 9200/tcp\nhttp 80/tcp www\nfoo 49999/udp\n" +
			"first 7000/tcp\nsecond 7000/tcp alt # the comment\nfirst 7000/tcp again # later comment\n" +
			"junk\nbad 70000/tcp\nx 6881/tcp # over curated\nrange 6010/udp\nz 65535/udp\nz0 0/tcp\n"},
		{"user", "bastion 22/tcp\nmine 49999/udp mine-alias\nsecond 7000/tcp alt2\n  #\nthird 7000/tcp # \x01 control\n" +
			"UPPER 7001/TCP\nsctp-only 7002/sctp\nnew 64000/udp n1 n2 n1\n"},
		{"empty", ""},
		{"third", "ssh 22/tcp\nhttp 80/tcp\n"},
	}
	r, ref := Default(), refDefault()
	var zero Registry
	zeroRef := &refRegistry{}
	for _, f := range files {
		path := writeFile(t, f.name, f.text)
		err := r.LoadFile(path, "")
		refErr := ref.loadFile(t, path, "")
		if !reflect.DeepEqual(err, refErr) {
			t.Errorf("LoadFile(%s) = %v, reference %v", f.name, err, refErr)
		}
		if err, refErr := zero.LoadFile(path, f.name), zeroRef.loadFile(t, path, f.name); !reflect.DeepEqual(err, refErr) {
			t.Errorf("zero Registry: LoadFile(%s) = %v, reference %v", f.name, err, refErr)
		}
	}
	sameAsReference(t, r, ref)
	sameAsReference(t, &zero, zeroRef)
}

func TestHostServicesMatchReference(t *testing.T) {
	if _, err := os.Stat(hostServices); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("no %s on this host", hostServices)
	}
	r, ref := Default(), refDefault()
	if err, refErr := r.LoadFile(hostServices, hostServices), ref.loadFile(t, hostServices, hostServices); !reflect.DeepEqual(err, refErr) {
		t.Fatalf("LoadFile: %v, reference %v", err, refErr)
	}
	sameAsReference(t, r, ref)
}

// ParseServicesFile, and parseText over a whole text, must parse exactly as
// ParseServicesFile did, long lines and all.
func TestParseMatchesReference(t *testing.T) {
	inputs := []string{
		"", "\n", "a 1/tcp", "a 1/tcp\n", "\r\n\r\n",
		"ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\ndomain 53/udp dns nameserver\n",
		"okay 7/udp bad\x01alias fine\nutf8 7/tcp \xff\xfe\n  indented 11/udp#tight comment\n",
		"x\u00a0y 1/tcp\u2003alias\u0085z # nbsp and friends split fields\n",
		"a 1/tCp\nb 2/UDP\nc 3/tcp4\nd 4/\u212a\ne 5/udpx\n",
		strings.Repeat("junk\n", maxWarnings+7) + "ok 5/tcp\n",
	}
	for _, n := range []int{maxLineLen - 2, maxLineLen - 1, maxLineLen, maxLineLen + 1, 3 * maxLineLen} {
		long := "l " + strings.Repeat("x", n-len("l 1/tcp ")) + " 1/tcp"
		inputs = append(inputs, long, long+"\n", "a 1/tcp\n"+long+"\nb 2/udp", "a 1/tcp\n"+long)
	}
	for _, in := range inputs {
		checkParseText(t, in)
	}
}

func FuzzParseMatchesReference(f *testing.F) {
	f.Add("ssh 22/tcp # SSH\n")
	f.Add("domain 53/udp dns\n# c\n\nx 65535/tcp a b c\n")
	f.Add("weird\x00 1/tcp \xff\n")
	f.Fuzz(func(t *testing.T, in string) { checkParseText(t, in) })
}

func checkParseText(t *testing.T, in string) {
	t.Helper()
	want, wantWarn := refParseServicesFile(strings.NewReader(in), "src")
	// ParseServicesFile, from a reader.
	if got, w := ParseServicesFile(strings.NewReader(in), "src"); len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) || !slices.Equal(w, wantWarn) {
		t.Errorf("%.80q: ParseServicesFile gives\n%+v %q\nthe reference\n%+v %q", in, got, w, want, wantWarn)
	}
	// As Lookup parses a file: everything.
	p := parser{source: "src", full: true}
	p.parseText(in)
	if got := p.entries(); len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) || !slices.Equal(p.warnings, wantWarn) {
		t.Errorf("%.80q: parseText gives\n%+v %q\nthe reference\n%+v %q", in, got, p.warnings, want, wantWarn)
	}
	// As LoadFile parses it: the first names.
	p = parser{source: "src"}
	p.parseText(in)
	var heads, wantHeads []string
	for _, h := range p.heads {
		heads = append(heads, fmt.Sprintf("%d/%d %s", uint16(h.k), h.k>>16, in[h.name.start:h.name.end]))
	}
	for _, e := range want {
		wantHeads = append(wantHeads, fmt.Sprintf("%d/%d %s", e.Port, protoIndex(e.Proto), e.Names[0]))
	}
	if !slices.Equal(heads, wantHeads) || !slices.Equal(p.warnings, wantWarn) {
		t.Errorf("%.80q: parseText gives heads\n%q %q\nthe reference\n%q %q", in, heads, p.warnings, wantHeads, wantWarn)
	}
}

// Default allocates nothing but the Registry; LoadFile's allocations do not
// grow with the file's lines.
func TestStartupAllocations(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Default() }); n > 1 {
		t.Errorf("Default: %v allocations", n)
	}
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "svc%d %d/tcp alias%d # comment %d\nsvc%d %d/udp\n", i, i*7, i, i, i, i*11)
	}
	path := writeFile(t, "big", b.String())
	n := testing.AllocsPerRun(20, func() {
		if err := Default().LoadFile(path, ""); err != nil {
			t.Fatal(err)
		}
	})
	if n > 20 {
		t.Errorf("Default and LoadFile of 6000 lines: %v allocations", n)
	}
}

// refParseServicesFile is ParseServicesFile as it was: bytes.Fields, and
// strings for every field.
func refParseServicesFile(r io.Reader, source string) ([]Entry, []string) {
	p := refParser{source: source}
	br := bufio.NewReaderSize(r, maxLineLen)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.lineNo++
			p.warn("line longer than %d bytes, skipped", maxLineLen)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		} else if len(line) > 0 {
			p.lineNo++
			p.parseLine(line)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.warn("read error: %v", err)
			}
			break
		}
	}
	if p.dropped > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: %d more problems not shown", source, p.dropped))
	}
	return p.entries, p.warnings
}

type refParser struct {
	source   string
	lineNo   int
	entries  []Entry
	warnings []string
	dropped  int
}

func (p *refParser) warn(format string, args ...any) {
	if len(p.warnings) >= maxWarnings {
		p.dropped++
		return
	}
	p.warnings = append(p.warnings, fmt.Sprintf("%s:%d: ", p.source, p.lineNo)+fmt.Sprintf(format, args...))
}

func (p *refParser) parseLine(line []byte) {
	body, comment, hasComment := bytes.Cut(line, []byte("#"))
	fields := bytes.Fields(body)
	if len(fields) == 0 {
		return
	}
	if len(fields) < 2 {
		p.warn("%s: want \"name port/protocol [aliases]\"", quote(string(fields[0])))
		return
	}
	portText, protoText, ok := bytes.Cut(fields[1], []byte("/"))
	if !ok {
		p.warn("%s is not port/protocol", quote(string(fields[1])))
		return
	}
	port, err := strconv.ParseUint(string(portText), 10, 16)
	if err != nil {
		p.warn("bad port %s: want 0-65535", quote(string(portText)))
		return
	}
	if len(protoText) == 0 {
		p.warn("%s has no protocol", quote(string(fields[1])))
		return
	}
	proto := strings.ToLower(string(protoText))
	if protoIndex(proto) < 0 || len(proto) != 3 {
		return
	}
	name := string(fields[0])
	if !refValidName(name) {
		p.warn("bad service name %s", quote(string(fields[0])))
		return
	}
	e := Entry{Proto: proto, Port: uint16(port), Names: []string{name}, Source: p.source}
	for _, a := range fields[2:] {
		alias := string(a)
		if !refValidName(alias) {
			p.warn("bad alias %s dropped", quote(alias))
			continue
		}
		e.Names = appendDistinct(e.Names, alias)
	}
	if hasComment {
		e.Description = cleanComment(string(comment))
	}
	p.entries = append(p.entries, e)
}

func refValidName(s string) bool {
	return s != "" && utf8.ValidString(s) && printable(s) && !strings.ContainsFunc(s, unicode.IsSpace)
}

// Name, Lookup and Risk may run at once; Lookup builds a file's entries on
// first use.
func TestConcurrentReaders(t *testing.T) {
	r := Default()
	if err := r.LoadFile(writeFile(t, "s", "secure-shell 22/tcp ssh2 # host's name\nfoo 49999/udp\n"), ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for port := range 2000 {
				_ = r.Name("tcp", uint16(port+g))
				_ = r.Risk("udp", uint16(port))
				if port%100 == 0 {
					_ = r.LookupAll(22)
				}
			}
		})
	}
	wg.Wait()
	if info := r.Lookup("tcp", 22); info.Name != "secure-shell" || len(info.Entries) != 2 {
		t.Errorf("Lookup(tcp, 22) = %+v", info)
	}
}
