package services

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// The tests in this file state what the registry must answer from sources
// outside the code under test: literals copied from IANA's registry file,
// IANA's CSV itself (shared/ beside the repository) and the embedded TSV
// files, each read by the small readers below, which share nothing with the
// generator or the package's own loaders.

// needIANACSV skips the test (or fails it, when every test must run) when
// IANA's CSV is not beside the repository.
func needIANACSV(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ianaCSV); errors.Is(err, fs.ErrNotExist) {
		testenv.SkipOrFail(t, "IANA data not found at %s (shared/ beside the repository)", ianaCSV)
	}
}

// needHostServicesFile skips the test (or fails it, when every test must
// run) when the host has no /etc/services.
func needHostServicesFile(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(hostServices); errors.Is(err, fs.ErrNotExist) {
		testenv.SkipOrFail(t, "no %s on this host", hostServices)
	}
}

// ianaLiterals are IANA's names for some ports, copied by hand from
// service-names-port-numbers.csv (IANA, newest modification 2026-04-09):
// csv is every name the CSV gives the port and protocol, in the CSV's row
// order (a row without a protocol counts for both; a range counts for every
// port in it), shown the name display.tsv picks (the first when it picks
// none), desc the description of the first row of the shown name that has
// one, whitespace collapsed.
var ianaLiterals = []struct {
	proto string
	port  uint16
	csv   []string
	shown string
	desc  string
}{
	{"tcp", 22, []string{"ssh"}, "ssh", "The Secure Shell (SSH) Protocol"},
	{"udp", 22, []string{"ssh"}, "ssh", "The Secure Shell (SSH) Protocol"},
	{"tcp", 53, []string{"domain"}, "domain", "Domain Name Server"},
	{"udp", 53, []string{"domain"}, "domain", "Domain Name Server"},
	{"tcp", 80, []string{"http", "www", "www-http"}, "http", "World Wide Web HTTP"},
	{"tcp", 110, []string{"pop3"}, "pop3", "Post Office Protocol - Version 3"},
	{"tcp", 443, []string{"https"}, "https", "http protocol over TLS/SSL"},
	{"tcp", 465, []string{"urd", "submissions"}, "submissions", "Message Submission over TLS protocol"},
	{"udp", 465, []string{"igmpv3lite"}, "igmpv3lite", "IGMP over UDP for SSM"},
	{"udp", 512, []string{"comsat", "biff"}, "biff",
		"used by mail system to notify users of new mail received; currently receives messages only from processes on the same machine"},
	{"tcp", 631, []string{"ipp", "ipps"}, "ipp", "IPP (Internet Printing Protocol)"},
	{"udp", 750, []string{"loadav", "kerberos-iv"}, "kerberos-iv", "kerberos version iv"},
	{"tcp", 1701, []string{"l2f", "l2tp"}, "l2tp", "l2tp"},
	{"tcp", 2049, []string{"shilp", "nfs"}, "nfs", "Network File System - Sun Microsystems"},
	{"udp", 2049, []string{"shilp", "nfs"}, "nfs", "Network File System - Sun Microsystems"},
	{"tcp", 3000, []string{"hbci", "remoteware-cl"}, "hbci", "HBCI"},
	{"udp", 3478, []string{"stun", "turn", "stun-behavior"}, "stun", "Session Traversal Utilities for NAT (STUN) port"},
	{"udp", 4250, []string{"vrml-multi-use"}, "vrml-multi-use", "VRML Multi User Systems"},
	{"tcp", 4299, []string{"vrml-multi-use"}, "vrml-multi-use", "VRML Multi User Systems"},
	{"udp", 5353, []string{"mdns"}, "mdns", "Multicast DNS"},
	{"tcp", 6000, []string{"x11"}, "x11", "X Window System"},
	{"udp", 6063, []string{"x11"}, "x11", "X Window System"},
	{"tcp", 7000, []string{"afs3-fileserver"}, "afs3-fileserver", "file server itself"},
	{"tcp", 8080, []string{"http-alt"}, "http-alt", "HTTP Alternate (see port 80)"},
	{"tcp", 9200, []string{"wap-wsp"}, "wap-wsp", "WAP connectionless session service"},
	// Reserved or unassigned: no name.
	{"tcp", 0, nil, "", ""},
	{"udp", 49999, nil, "", ""},
	{"tcp", 65535, nil, "", ""},
}

// ianaEntryOf returns the IANA entry of info, if it has one.
func ianaEntryOf(info Info) (Entry, bool) {
	for _, e := range info.Entries {
		if e.Source == "iana" {
			return e, true
		}
	}
	return Entry{}, false
}

// shownFirst returns names with shown moved to the front.
func shownFirst(names []string, shown string) []string {
	out := []string{shown}
	for _, n := range names {
		if n != shown {
			out = append(out, n)
		}
	}
	return out
}

// Lookup gives each literal port IANA's names, the shown one first, and its
// description.
func TestIANALiterals(t *testing.T) {
	r := Default()
	for _, c := range ianaLiterals {
		e, ok := ianaEntryOf(r.Lookup(c.proto, c.port))
		if c.csv == nil {
			if ok {
				t.Errorf("%d/%s: IANA entry %+v, want none", c.port, c.proto, e)
			}
			continue
		}
		want := Entry{Proto: c.proto, Port: c.port, Names: shownFirst(c.csv, c.shown), Description: c.desc, Source: "iana"}
		if !ok || !reflect.DeepEqual(e, want) {
			t.Errorf("%d/%s: IANA entry\n%+v\nwant\n%+v", c.port, c.proto, e, want)
		}
	}
}

// The literals above are what IANA's CSV says.
func TestIANALiteralsInCSV(t *testing.T) {
	needIANACSV(t)
	csvNames := readIANACSV(t)
	for _, c := range ianaLiterals {
		p := map[string]int{"tcp": 0, "udp": 1}[c.proto]
		if got := csvNames[p][c.port]; !slices.Equal(got, c.csv) {
			t.Errorf("%d/%s: the CSV names %q, the literal %q", c.port, c.proto, got, c.csv)
		}
	}
}

// Every port of both protocols: IANA's names as the CSV gives them (the
// display choice of display.tsv first), the display name from curated.tsv
// or else IANA's, nothing for a port neither names.
func TestDefaultMatchesIANACSV(t *testing.T) {
	needIANACSV(t)
	csvNames := readIANACSV(t)
	show := readTSV(t, "display.tsv")
	curated := readTSV(t, "curated.tsv")
	r := Default()
	bad := 0
	for p, proto := range []string{"tcp", "udp"} {
		for port := range 65536 {
			port := uint16(port)
			names := csvNames[p][port]
			want := names
			if s, ok := show[p][port]; ok {
				if !slices.Contains(names, s.text) || len(names) < 2 {
					t.Errorf("display.tsv shows %q for %d/%s, IANA's names are %q", s.text, port, proto, names)
				}
				want = shownFirst(names, s.text)
			}
			info := r.Lookup(proto, port)
			e, ok := ianaEntryOf(info)
			if ok != (len(want) > 0) || !slices.Equal(e.Names, want) {
				t.Errorf("Lookup(%s, %d): IANA names %q, the CSV gives %q", proto, port, e.Names, want)
				bad++
			}
			wantName := ""
			if c, ok := curated[p][port]; ok {
				wantName = c.text
			} else if len(want) > 0 {
				wantName = want[0]
			}
			if got := r.Name(proto, port); got != wantName || info.Name != wantName {
				t.Errorf("Name(%s, %d) = %q, Lookup's %q, want %q", proto, port, got, info.Name, wantName)
				bad++
			}
			if bad > 10 {
				t.Fatal("too many differences")
			}
		}
	}
}

// Every port of both protocols: the curated name and description from
// curated.tsv, the risk note from risk.tsv.
func TestDefaultMatchesTSVs(t *testing.T) {
	curated := readTSV(t, "curated.tsv")
	risk := readTSV(t, "risk.tsv")
	r := Default()
	bad := 0
	for p, proto := range []string{"tcp", "udp"} {
		for port := range 65536 {
			port := uint16(port)
			if got, want := r.Risk(proto, port), risk[p][port].text; got != want {
				t.Errorf("Risk(%s, %d) = %q, risk.tsv says %q", proto, port, got, want)
				bad++
			}
			var got *Entry
			info := r.Lookup(proto, port)
			for i := range info.Entries {
				if info.Entries[i].Source == "curated" {
					got = &info.Entries[i]
				}
			}
			c, ok := curated[p][port]
			switch {
			case !ok && got != nil:
				t.Errorf("%d/%s: curated entry %+v, curated.tsv has none", port, proto, *got)
				bad++
			case ok && (got == nil || !slices.Equal(got.Names, []string{c.text}) || got.Description != c.desc ||
				r.Name(proto, port) != c.text || info.Names[0] != c.text):
				t.Errorf("%d/%s: Name %q, Lookup %+v; curated.tsv says %q (%q)", port, proto, r.Name(proto, port), info, c.text, c.desc)
				bad++
			}
			if bad > 10 {
				t.Fatal("too many differences")
			}
		}
	}
	// The readers found the rows they should.
	if n := len(risk[0]) + len(risk[1]); n < 40 {
		t.Errorf("risk.tsv: %d port/protocol pairs", n)
	}
	if c := curated[0][25565]; c.text != "minecraft" {
		t.Errorf("curated.tsv 25565/tcp: %+v", c)
	}
}

// readIANACSV reads IANA's CSV into every name each port and protocol has,
// in row order without repeats: rows with a name and a port (or range), no
// protocol meaning both.
func readIANACSV(t testing.TB) *[2][65536][]string {
	t.Helper()
	f, err := os.Open(ianaCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Service Name", "Port Number", "Transport Protocol", "Description"}; !slices.Equal(header[:4], want) {
		t.Fatalf("CSV header %q, want it to start with %q", header, want)
	}
	names := new([2][65536][]string)
	rows := 0
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name, ports, proto := strings.TrimSpace(row[0]), strings.TrimSpace(row[1]), strings.TrimSpace(row[2])
		if name == "" || ports == "" {
			continue
		}
		var ps []int
		switch strings.ToLower(proto) {
		case "":
			ps = []int{0, 1}
		case "tcp":
			ps = []int{0}
		case "udp":
			ps = []int{1}
		default:
			continue // sctp, dccp
		}
		lo, hi := testPortRange(t, ports)
		for _, p := range ps {
			for port := lo; port <= hi; port++ {
				if !slices.Contains(names[p][port], name) {
					names[p][port] = append(names[p][port], name)
				}
			}
		}
		rows++
	}
	if rows < 10000 {
		t.Fatalf("%s: %d rows with a name and a port", ianaCSV, rows)
	}
	return names
}

// tsvRow is a row of one of the embedded TSV files: text is the third
// column (the name, the display choice or the note), desc the fourth.
type tsvRow struct{ text, desc string }

// readTSV reads an embedded TSV file of this package (port or first-last,
// tcp, udp or both, then text) into a row per port and protocol. A port
// listed twice is an error: the files do not.
func readTSV(t testing.TB, file string) *[2]map[uint16]tsvRow {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := &[2]map[uint16]tsvRow{{}, {}}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			t.Fatalf("%s:%d: %q", file, i+1, line)
		}
		lo, hi := testPortRange(t, f[0])
		ps := map[string][]int{"tcp": {0}, "udp": {1}, "both": {0, 1}}[f[1]]
		if ps == nil {
			t.Fatalf("%s:%d: protocol %q", file, i+1, f[1])
		}
		row := tsvRow{text: f[2]}
		if len(f) > 3 {
			row.desc = f[3]
		}
		for _, p := range ps {
			for port := lo; port <= hi; port++ {
				if _, dup := out[p][uint16(port)]; dup {
					t.Fatalf("%s:%d: port %d listed twice", file, i+1, port)
				}
				out[p][uint16(port)] = row
			}
		}
	}
	return out
}

// testPortRange parses "N" or "N-M".
func testPortRange(t testing.TB, s string) (lo, hi int) {
	t.Helper()
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(a)
	hi = lo
	if err == nil && isRange {
		hi, err = strconv.Atoi(b)
	}
	if err != nil || lo < 0 || hi < lo || hi > 65535 {
		t.Fatalf("bad port or range %q", s)
	}
	return lo, hi
}

// Overlays: files naming a port on several lines, over each other, over
// curated and IANA names, with comments and bad lines. The expected answers
// are written out; every port no file names answers as a fresh Default.
func TestOverlays(t *testing.T) {
	host := writeFile(t, "host", "# host file\nsecure-shell 22/tcp ssh2 # host's name\nmyapp 9200/tcp\nhttp 80/tcp www\nfoo 49999/udp\n"+
		"first 7000/tcp\nsecond 7000/tcp alt # the comment\nfirst 7000/tcp again # later comment\n"+
		"junk\nbad 70000/tcp\nx 6881/tcp # over curated\nrange 6010/udp\nz 65535/udp\nz0 0/tcp\n")
	user := writeFile(t, "user", "bastion 22/tcp\nmine 49999/udp mine-alias\nsecond 7000/tcp alt2\n  #\nthird 7000/tcp # \x01 control\n"+
		"UPPER 7001/TCP\nsctp-only 7002/sctp\nnew 64000/udp n1 n2 n1\n")
	empty := writeFile(t, "empty", "")
	third := writeFile(t, "third", "ssh 22/tcp\nhttp 80/tcp\n")

	type named struct {
		proto string
		port  uint16
	}
	// Ports the files name, and nothing else.
	touched := []named{{"tcp", 22}, {"tcp", 80}, {"tcp", 9200}, {"udp", 49999}, {"tcp", 7000}, {"tcp", 7001},
		{"tcp", 6881}, {"udp", 6010}, {"udp", 65535}, {"tcp", 0}, {"udp", 64000}}
	ent := func(proto string, port uint16, src, desc string, names ...string) Entry {
		return Entry{Proto: proto, Port: port, Names: names, Description: desc, Source: src}
	}
	for _, reg := range []struct {
		name    string
		r       *Registry
		sources [4]string // the source given to LoadFile for host, user, empty, third
		builtin bool
	}{
		{"Default", Default(), [4]string{}, true},
		{"zero Registry", &Registry{}, [4]string{"host", "user", "empty", "third"}, false},
	} {
		t.Run(reg.name, func(t *testing.T) {
			r := reg.r
			srcHost, srcUser, srcThird := host, user, third
			if !reg.builtin {
				srcHost, srcUser, srcThird = "host", "user", "third"
			}
			for i, path := range []string{host, user, empty, third} {
				err := r.LoadFile(path, reg.sources[i])
				if path != host {
					if err != nil {
						t.Errorf("LoadFile(%s): %v", path, err)
					}
					continue
				}
				want := &FileError{Path: host, Warnings: []string{
					srcHost + `:9: "junk": want "name port/protocol [aliases]"`,
					srcHost + `:10: bad port "70000": want 0-65535`,
				}}
				if !reflect.DeepEqual(err, want) {
					t.Errorf("LoadFile(host) = %#v, want %#v", err, want)
				}
			}
			fresh := Default()
			if !reg.builtin {
				fresh = &Registry{}
			}
			// The builtin entries a fresh registry has, after the files' ones.
			builtin := func(proto string, port uint16) []Entry { return fresh.Lookup(proto, port).Entries }
			want := map[named]Info{
				{"tcp", 22}: {Name: "ssh", Names: []string{"ssh", "bastion", "secure-shell", "ssh2"}, Entries: []Entry{
					ent("tcp", 22, srcThird, "", "ssh"), ent("tcp", 22, srcUser, "", "bastion"),
					ent("tcp", 22, srcHost, "host's name", "secure-shell", "ssh2")}},
				{"tcp", 80}: {Name: "http", Names: []string{"http", "www"}, Entries: []Entry{
					ent("tcp", 80, srcThird, "", "http"), ent("tcp", 80, srcHost, "", "http", "www")}},
				{"tcp", 9200}: {Name: "myapp", Names: []string{"myapp"}, Entries: []Entry{ent("tcp", 9200, srcHost, "", "myapp")}},
				{"udp", 49999}: {Name: "mine", Names: []string{"mine", "mine-alias", "foo"}, Entries: []Entry{
					ent("udp", 49999, srcUser, "", "mine", "mine-alias"), ent("udp", 49999, srcHost, "", "foo")}},
				{"tcp", 7000}: {Name: "second", Names: []string{"second", "alt2", "third", "first", "alt", "again"}, Entries: []Entry{
					ent("tcp", 7000, srcUser, "control", "second", "alt2", "third"),
					ent("tcp", 7000, srcHost, "the comment", "first", "second", "alt", "again")}},
				{"tcp", 7001}:  {Name: "UPPER", Names: []string{"UPPER"}, Entries: []Entry{ent("tcp", 7001, srcUser, "", "UPPER")}},
				{"tcp", 6881}:  {Name: "x", Names: []string{"x"}, Entries: []Entry{ent("tcp", 6881, srcHost, "over curated", "x")}},
				{"udp", 6010}:  {Name: "range", Names: []string{"range"}, Entries: []Entry{ent("udp", 6010, srcHost, "", "range")}},
				{"udp", 65535}: {Name: "z", Names: []string{"z"}, Entries: []Entry{ent("udp", 65535, srcHost, "", "z")}},
				{"tcp", 0}:     {Name: "z0", Names: []string{"z0"}, Entries: []Entry{ent("tcp", 0, srcHost, "", "z0")}},
				{"udp", 64000}: {Name: "new", Names: []string{"new", "n1", "n2"}, Entries: []Entry{ent("udp", 64000, srcUser, "", "new", "n1", "n2")}},
			}
			if reg.builtin {
				// With the embedded data, their names follow the files'.
				for k, extra := range map[named][]string{
					{"tcp", 80}:   {"www-http"},
					{"tcp", 9200}: {"elasticsearch", "wap-wsp"},
					{"tcp", 7000}: {"afs3-fileserver"},
					{"tcp", 7001}: {"afs3-callback"},
					{"tcp", 6881}: {"bittorrent"},
					{"udp", 6010}: {"x11"},
				} {
					w := want[k]
					w.Names = append(w.Names, extra...)
					want[k] = w
				}
			}
			for _, k := range touched {
				w := want[k]
				w.Proto, w.Port, w.Risk = k.proto, k.port, fresh.Risk(k.proto, k.port)
				w.Entries = append(w.Entries, builtin(k.proto, k.port)...)
				if got := r.Lookup(k.proto, k.port); !reflect.DeepEqual(got, w) {
					t.Errorf("Lookup(%s, %d) =\n%+v\nwant\n%+v", k.proto, k.port, got, w)
				}
				if got := r.Name(k.proto, k.port); got != w.Name {
					t.Errorf("Name(%s, %d) = %q, want %q", k.proto, k.port, got, w.Name)
				}
			}
			// Every other port of both protocols is untouched.
			bad := 0
			for p, proto := range []string{"tcp", "udp"} {
				for port := range 65536 {
					port := uint16(port)
					if slices.Contains(touched, named{proto, port}) {
						continue
					}
					if got, want := r.Name(proto, port), fresh.Name(proto, port); got != want {
						t.Errorf("Name(%s, %d) = %q, a fresh registry says %q", proto, port, got, want)
						bad++
					}
					if port%97 == 0 || p == 1 && port == 7002 {
						if got, want := r.Lookup(proto, port), fresh.Lookup(proto, port); !reflect.DeepEqual(got, want) {
							t.Errorf("Lookup(%s, %d) = %+v, a fresh registry says %+v", proto, port, got, want)
							bad++
						}
					}
					if bad > 10 {
						t.Fatal("too many differences")
					}
				}
			}
			if got := r.LookupAll(22); len(got) != 2 || got[0].Name != "ssh" || got[1].Name != fresh.Name("udp", 22) {
				t.Errorf("LookupAll(22) = %+v", got)
			}
		})
	}
}

// The host's /etc/services over Default: every port it names shows the
// file's first name for it (as ParseServicesFile reads the file), with the
// file's entry first; every other port is untouched.
func TestHostServicesOverlay(t *testing.T) {
	needHostServicesFile(t)
	data, err := os.ReadFile(hostServices)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := ParseServicesFile(strings.NewReader(string(data)), hostServices)
	if len(entries) == 0 {
		t.Fatalf("%s has no entries", hostServices)
	}
	first := map[[2]any]Entry{}
	for _, e := range entries {
		k := [2]any{e.Proto, e.Port}
		if _, ok := first[k]; !ok {
			first[k] = e
		}
	}
	r, fresh := Default(), Default()
	if err := r.LoadFile(hostServices, hostServices); err != nil {
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatal(err)
		}
	}
	for _, proto := range []string{"tcp", "udp"} {
		for port := range 65536 {
			port := uint16(port)
			e, named := first[[2]any{proto, port}]
			want := fresh.Name(proto, port)
			if named {
				want = e.Names[0]
				info := r.Lookup(proto, port)
				if len(info.Entries) == 0 || info.Entries[0].Source != hostServices || info.Entries[0].Names[0] != want {
					t.Fatalf("Lookup(%s, %d) = %+v, want %s's entry first", proto, port, info, hostServices)
				}
			}
			if got := r.Name(proto, port); got != want {
				t.Fatalf("Name(%s, %d) = %q, want %q", proto, port, got, want)
			}
		}
	}
}

// parseCase is a text in /etc/services syntax and what it must parse to,
// written out.
type parseCase struct {
	name  string
	in    string
	want  []Entry // Source is "src"
	warns []string
}

func pe(proto string, port uint16, desc string, names ...string) Entry {
	return Entry{Proto: proto, Port: port, Names: names, Description: desc, Source: "src"}
}

func parseCases() []parseCase {
	cases := []parseCase{
		{name: "empty"},
		{name: "newline", in: "\n"},
		{name: "no newline", in: "a 1/tcp", want: []Entry{pe("tcp", 1, "", "a")}},
		{name: "one line", in: "a 1/tcp\n", want: []Entry{pe("tcp", 1, "", "a")}},
		{name: "CRLF blank lines", in: "\r\n\r\n"},
		{name: "tabs and aliases", in: "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\ndomain 53/udp dns nameserver\n",
			want: []Entry{pe("tcp", 22, "SSH Remote Login Protocol", "ssh"), pe("udp", 53, "", "domain", "dns", "nameserver")}},
		{name: "bad aliases", in: "okay 7/udp bad\x01alias fine\nutf8 7/tcp \xff\xfe\n  indented 11/udp#tight comment\n",
			want:  []Entry{pe("udp", 7, "", "okay", "fine"), pe("tcp", 7, "", "utf8"), pe("udp", 11, "tight comment", "indented")},
			warns: []string{`src:1: bad alias "bad\x01alias" dropped`, `src:2: bad alias "\xff\xfe" dropped`}},
		// U+00A0, U+2003 and U+0085 are spaces to unicode.IsSpace: the
		// name is "x" and "y" is not port/protocol.
		{name: "unicode spaces split fields", in: "x\u00a0y 1/tcp\u2003alias\u0085z # nbsp and friends split fields\n",
			warns: []string{`src:1: "y" is not port/protocol`}},
		// Only tcp and udp in any ASCII case; the rest silently.
		{name: "protocols", in: "a 1/tCp\nb 2/UDP\nc 3/tcp4\nd 4/\u212a\ne 5/udpx\n",
			want: []Entry{pe("tcp", 1, "", "a"), pe("udp", 2, "", "b")}},
	}
	junk := make([]string, 0, 101)
	for i := 1; i <= 100; i++ {
		junk = append(junk, fmt.Sprintf(`src:%d: "junk": want "name port/protocol [aliases]"`, i))
	}
	cases = append(cases, parseCase{name: "107 bad lines", in: strings.Repeat("junk\n", 107) + "ok 5/tcp\n",
		want: []Entry{pe("tcp", 5, "", "ok")}, warns: append(junk, "src: 7 more problems not shown")})
	// Long lines: "l xxx...x 1/tcp" of n bytes, where "xxx...x" is not
	// port/protocol. A line of 65536 bytes or more, its newline not
	// counted, is skipped.
	for _, n := range []int{65534, 65535, 65536, 65537, 3 * 65536} {
		long := "l " + strings.Repeat("x", n-len("l 1/tcp ")) + " 1/tcp"
		warn := func(line int) string {
			if n >= 65536 {
				return fmt.Sprintf("src:%d: line longer than 65536 bytes, skipped", line)
			}
			return fmt.Sprintf(`src:%d: "%s"... is not port/protocol`, line, strings.Repeat("x", 40))
		}
		a, b := pe("tcp", 1, "", "a"), pe("udp", 2, "", "b")
		cases = append(cases,
			parseCase{name: fmt.Sprintf("line of %d", n), in: long, warns: []string{warn(1)}},
			parseCase{name: fmt.Sprintf("line of %d and newline", n), in: long + "\n", warns: []string{warn(1)}},
			parseCase{name: fmt.Sprintf("line of %d between", n), in: "a 1/tcp\n" + long + "\nb 2/udp", want: []Entry{a, b}, warns: []string{warn(2)}},
			parseCase{name: fmt.Sprintf("line of %d last", n), in: "a 1/tcp\n" + long, want: []Entry{a}, warns: []string{warn(2)}},
		)
	}
	return cases
}

// ParseServicesFile, and parseText over a whole text as LoadFile and Lookup
// parse a file, give the entries and warnings written out in parseCases.
func TestParseCases(t *testing.T) {
	for _, c := range parseCases() {
		t.Run(c.name, func(t *testing.T) {
			got, warns := ParseServicesFile(strings.NewReader(c.in), "src")
			if !sameEntries(got, c.want) || !slices.Equal(warns, c.warns) {
				t.Errorf("ParseServicesFile gives\n%+v %q\nwant\n%+v %q", got, warns, c.want, c.warns)
			}
			checkParseText(t, c.in, c.want, c.warns)
		})
	}
}

// checkParseText requires parseText, as Lookup (everything) and LoadFile
// (the first names) run it, to give want and warns.
func checkParseText(t *testing.T, in string, want []Entry, warns []string) {
	t.Helper()
	p := parser{source: "src", full: true}
	p.parseText(in)
	if got := p.entries(); !sameEntries(got, want) || !slices.Equal(p.warnings, warns) {
		t.Errorf("%.80q: parseText gives\n%+v %q\nwant\n%+v %q", in, got, p.warnings, want, warns)
	}
	p = parser{source: "src"}
	p.parseText(in)
	var heads, wantHeads []string
	for _, h := range p.heads {
		heads = append(heads, fmt.Sprintf("%d/%d %s", uint16(h.k), h.k>>16, in[h.name.start:h.name.end]))
	}
	for _, e := range want {
		wantHeads = append(wantHeads, fmt.Sprintf("%d/%d %s", e.Port, map[string]int{"tcp": 0, "udp": 1}[e.Proto], e.Names[0]))
	}
	if !slices.Equal(heads, wantHeads) || !slices.Equal(p.warnings, warns) {
		t.Errorf("%.80q: parseText gives heads\n%q %q\nwant\n%q %q", in, heads, p.warnings, wantHeads, warns)
	}
}

func sameEntries(a, b []Entry) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// The reader and the in-place parser agree on any text; what they parse
// prints back as lines that parse to the same entries; the warnings name the
// source and a line of the text, in order.
func FuzzParseMatchesReference(f *testing.F) {
	for _, c := range parseCases() {
		if len(c.in) < 1000 {
			f.Add(c.in)
		}
	}
	f.Add("weird\x00 1/tcp \xff\n")
	f.Add("a 1/tcp b b a # x\n# c\n\nx 65535/udp")
	f.Fuzz(func(t *testing.T, in string) {
		entries, warns := ParseServicesFile(strings.NewReader(in), "src")
		checkParseText(t, in, entries, warns)

		lines := strings.Count(in, "\n")
		if !strings.HasSuffix(in, "\n") {
			lines++
		}
		if len(entries) > lines {
			t.Fatalf("%d entries from %d lines", len(entries), lines)
		}
		if len(warns) > 101 {
			t.Fatalf("%d warnings, want at most 100 and a summary", len(warns))
		}
		last := 0
		for i, w := range warns {
			var n int
			if i == 100 {
				if _, err := fmt.Sscanf(w, "src: %d more problems not shown", &n); err != nil || n < 1 {
					t.Fatalf("summary warning %q", w)
				}
				continue
			}
			if _, err := fmt.Sscanf(w, "src:%d: ", &n); err != nil || n < last || n < 1 || n > lines {
				t.Fatalf("warning %q: want src:LINE: with a line after %d and at most %d", w, last, lines)
			}
			last = n
		}
		var again strings.Builder
		for _, e := range entries {
			for _, n := range e.Names {
				if !strings.Contains(in, n) {
					t.Fatalf("name %q is not in the text", n)
				}
			}
			fmt.Fprintf(&again, "%s %d/%s %s", e.Names[0], e.Port, e.Proto, strings.Join(e.Names[1:], " "))
			if e.Description != "" {
				fmt.Fprintf(&again, " # %s", e.Description)
			}
			again.WriteByte('\n')
		}
		round, w := ParseServicesFile(strings.NewReader(again.String()), "src")
		if len(w) != 0 || !sameEntries(round, entries) {
			t.Fatalf("printed back and parsed again: %+v %q, want %+v", round, w, entries)
		}
	})
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
