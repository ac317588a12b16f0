package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/portwatch/portwatch/collector"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fakeServices is a tiny port registry: proto, then port.
type fakeServices map[string]map[uint16]string

func (f fakeServices) Name(proto string, port uint16) string { return f[proto][port] }

var testServices = fakeServices{
	"tcp": {22: "ssh", 80: "http", 443: "https", 631: "ipp", 3306: "mysql", 6379: "redis", 8080: "http-alt"},
	"udp": {53: "domain", 68: "bootpc", 5353: "mdns", 41000: "bad\x1b[0msvc"},
}

var testUsers = map[int]string{
	0:    "root",
	33:   "www-data",
	1000: "alice",
	1001: "mallory\x1b]0;pwned\x07",
}

func testUserName(uid int) string { return testUsers[uid] }

// view is one rendering checked against a golden file.
type view struct {
	name   string
	render func(io.Writer, *collector.Snapshot, Options) error
	opts   Options
	table  bool // one line per socket (plus the header unless NoHeader)
}

var views = []view{
	{"table.txt", Table, Options{}, true},
	{"table-o.txt", Table, Options{Owners: true}, true},
	{"table-e.txt", Table, Options{Extended: true}, true},
	{"table-oe.txt", Table, Options{Owners: true, Extended: true}, true},
	{"table-n.txt", Table, Options{Owners: true, Extended: true, Numeric: true}, true},
	{"table-noheader.txt", Table, Options{Owners: true, NoHeader: true}, true},
	{"table-netns.txt", Table, Options{Owners: true, Netns: true}, true},
	{"json", JSON, Options{}, false},
	{"csv", CSV, Options{}, false},
	{"noheader.csv", CSV, Options{NoHeader: true}, false},
	{"summary.txt", Summary, Options{}, false},
}

func withTestNames(o Options) Options {
	o.Services = testServices
	o.UserName = testUserName
	return o
}

func readTestSnapshot(t testing.TB, path string) *collector.Snapshot {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := ReadJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return snap
}

func testInputs(t testing.TB) []string {
	t.Helper()
	inputs, err := filepath.Glob("testdata/*.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	return inputs
}

func TestGolden(t *testing.T) {
	for _, in := range testInputs(t) {
		snap := readTestSnapshot(t, in)
		base := strings.TrimSuffix(filepath.Base(in), ".json")
		for _, v := range views {
			t.Run(base+"/"+v.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := v.render(&buf, snap, withTestNames(v.opts)); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", "golden", base+"."+v.name)
				if *update {
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./render -update to create it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from %s (run go test ./render -update and review the diff)\ngot:\n%s\nwant:\n%s",
						v.name, golden, buf.Bytes(), want)
				}
			})
		}
	}
}

// checkTerminalSafe fails when out holds invalid UTF-8 or a raw control
// other than the line ends, a format character (bidi, zero-width) or a
// line or paragraph separator.
func checkTerminalSafe(t *testing.T, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Errorf("output is not valid UTF-8")
	}
	for i, r := range string(out) {
		if r != '\n' && terminalUnsafe(r) {
			t.Errorf("raw control %U at byte %d of output:\n%s", r, i, out)
		}
	}
}

// TestTableOneLinePerSocket renders every table variant and checks that a
// forged process or user name cannot add a line or smuggle a control byte.
func TestTableOneLinePerSocket(t *testing.T) {
	for _, in := range testInputs(t) {
		snap := readTestSnapshot(t, in)
		for _, v := range views {
			if !v.table {
				continue
			}
			t.Run(filepath.Base(in)+"/"+v.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Table(&buf, snap, withTestNames(v.opts)); err != nil {
					t.Fatal(err)
				}
				out := buf.Bytes()
				checkTerminalSafe(t, out)
				want := len(snap.Sockets)
				if !v.opts.NoHeader {
					want++
				}
				if got := bytes.Count(out, []byte("\n")); got != want {
					t.Errorf("%d lines, want %d (one per socket plus header):\n%s", got, want, out)
				}
				if len(out) > 0 && out[len(out)-1] != '\n' {
					t.Errorf("output does not end with a newline")
				}
				for _, line := range strings.Split(string(out), "\n") {
					if strings.HasSuffix(line, " ") {
						t.Errorf("trailing space in line %q", line)
					}
				}
			})
		}
	}
}

func TestCSVOneRecordPerLine(t *testing.T) {
	snap := readTestSnapshot(t, "testdata/mixed.json")
	var buf bytes.Buffer
	if err := CSV(&buf, snap, withTestNames(Options{})); err != nil {
		t.Fatal(err)
	}
	checkTerminalSafe(t, buf.Bytes())
	if got, want := bytes.Count(buf.Bytes(), []byte("\n")), len(snap.Sockets)+1; got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], wantCSVHeader) {
		t.Errorf("header %q, want %q", recs[0], wantCSVHeader)
	}
	for i, rec := range recs[1:] {
		if len(rec) != 18 {
			t.Errorf("record %d has %d fields, want 18", i, len(rec))
		}
	}
}

// wantCSVHeader is the CSV header and the JSON socket fields, in the order
// JSON documents them.
var wantCSVHeader = []string{
	"proto", "family", "local_addr", "local_port", "remote_addr", "remote_port",
	"state", "uid", "user", "inode", "recv_q", "send_q",
	"local_service", "remote_service", "pid", "process", "owners", "owner_unknown",
}

// TestCSVColumnsMatchJSON checks that the CSV columns are the JSON socket
// fields in the same order.
func TestCSVColumnsMatchJSON(t *testing.T) {
	snap := &collector.Snapshot{Sockets: []collector.Socket{{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4}}}
	var buf bytes.Buffer
	if err := JSON(&buf, snap, Options{}); err != nil {
		t.Fatal(err)
	}
	line := strings.Split(buf.String(), "\n")[1]
	var keys []string
	for _, part := range strings.Split(line, `,"`) {
		part = strings.TrimPrefix(part, `{"`)
		if k, _, ok := strings.Cut(part, `":`); ok && !strings.Contains(k, "{") {
			keys = append(keys, k)
		}
	}
	if !reflect.DeepEqual(keys, wantCSVHeader) {
		t.Errorf("JSON socket fields %q\nwant              %q", keys, wantCSVHeader)
	}
	if !reflect.DeepEqual(csvHeader, wantCSVHeader) {
		t.Errorf("CSV header %q\nwant       %q", csvHeader, wantCSVHeader)
	}
}

func TestFormatAddr(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"127.0.0.1:22", "127.0.0.1:22"},
		{"0.0.0.0:0", "0.0.0.0:*"},
		{"[::1]:22", "[::1]:22"},
		{"[::]:0", "[::]:*"},
		{"[::ffff:127.0.0.1]:8080", "127.0.0.1:8080"},
		{"[::ffff:0.0.0.0]:0", "0.0.0.0:*"},
		{"[2001:db8::1]:443", "[2001:db8::1]:443"},
		{"[fe80::1%eth0]:546", "[fe80::1%eth0]:546"},
	}
	for _, tt := range tests {
		if got := FormatAddr(netip.MustParseAddrPort(tt.in)); got != tt.want {
			t.Errorf("FormatAddr(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := FormatAddr(netip.AddrPort{}); got != "*:*" {
		t.Errorf("FormatAddr(zero) = %q", got)
	}
	zoned := netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone("e\x1b[0m"), 1)
	if got, want := FormatAddr(zoned), `[fe80::1%e\x1b[0m]:1`; got != want {
		t.Errorf("FormatAddr(zone with escape) = %q, want %q", got, want)
	}
}

func TestServiceOf(t *testing.T) {
	sock := func(proto collector.Proto, st collector.State, lport, rport uint16) *collector.Socket {
		return &collector.Socket{
			Proto: proto, Family: collector.FamilyIPv4, State: st,
			Local:  netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), lport),
			Remote: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), rport),
		}
	}
	tcp, udp := collector.ProtoTCP, collector.ProtoUDP
	tests := []struct {
		name string
		s    *collector.Socket
		svc  ServiceNamer
		want string
	}{
		{"listener", sock(tcp, collector.StateListen, 22, 0), testServices, "ssh"},
		{"listener unknown port", sock(tcp, collector.StateListen, 22222, 0), testServices, "-"},
		{"listener ignores remote", sock(tcp, collector.StateListen, 22222, 80), testServices, "-"},
		{"udp unconn is listening", sock(udp, collector.StateClose, 5353, 0), testServices, "mdns"},
		{"client: lower known port", sock(tcp, collector.StateEstablished, 48000, 443), testServices, "https"},
		{"server side: lower port", sock(tcp, collector.StateEstablished, 22, 51234), testServices, "ssh"},
		{"both known: lower wins", sock(tcp, collector.StateEstablished, 3306, 80), testServices, "http"},
		{"only higher known", sock(tcp, collector.StateEstablished, 5000, 8080), testServices, "http-alt"},
		{"none known", sock(tcp, collector.StateEstablished, 40000, 50000), testServices, "-"},
		{"proto matters", sock(udp, collector.StateEstablished, 40000, 443), testServices, "-"},
		{"nil registry", sock(tcp, collector.StateListen, 22, 0), nil, "-"},
		{"sanitized", sock(udp, collector.StateClose, 41000, 0), testServices, `bad\x1b[0msvc`},
	}
	for _, tt := range tests {
		if got := ServiceOf(tt.s, tt.svc); got != tt.want {
			t.Errorf("%s: ServiceOf = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOwnersColumn(t *testing.T) {
	tests := []struct {
		s    collector.Socket
		want string
	}{
		{collector.Socket{}, "-"},
		{collector.Socket{OwnerUnknown: collector.OwnerKernel}, "-(kernel)"},
		{collector.Socket{OwnerUnknown: collector.OwnerPermission}, "-(permission)"},
		{collector.Socket{Owners: []collector.Owner{{PID: 812, Process: "sshd", FD: 3}}}, "812/sshd"},
		{collector.Socket{Owners: []collector.Owner{{PID: 812, Process: "nginx"}, {PID: 813, Process: "nginx"}}}, "812/nginx,813/nginx"},
		{collector.Socket{Owners: []collector.Owner{{PID: 9, Process: ""}}}, "9/-"},
		{collector.Socket{Owners: []collector.Owner{{PID: 9, Process: "a\nb"}}}, `9/a\nb`},
	}
	for _, tt := range tests {
		if got := ownersColumn(&tt.s); got != tt.want {
			t.Errorf("ownersColumn(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestCSVOwners(t *testing.T) {
	got := csvOwners([]collector.Owner{{PID: 812, Process: "ngi;nx/w", FD: 3}, {PID: 813, Process: "nginx", FD: -1}})
	if want := `812/ngi\x3bnx/w/3;813/nginx/-1`; got != want {
		t.Errorf("csvOwners = %q, want %q", got, want)
	}
}

func TestTableEmpty(t *testing.T) {
	snap := &collector.Snapshot{}
	var buf bytes.Buffer
	if err := Table(&buf, snap, Options{NoHeader: true}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("empty table without header wrote %q", buf.String())
	}
	for _, f := range []func(io.Writer, *collector.Snapshot, Options) error{Table, JSON, CSV, Summary} {
		if err := f(io.Discard, nil, Options{}); err == nil {
			t.Errorf("nil snapshot: no error")
		}
	}
}

// TestTableNoTruncation checks that long values are printed whole on one line.
func TestTableNoTruncation(t *testing.T) {
	long := strings.Repeat("verylongprocessname-", 20)
	snap := &collector.Snapshot{Sockets: []collector.Socket{{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv6, State: collector.StateListen,
		Local:  netip.MustParseAddrPort("[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535"),
		Remote: netip.MustParseAddrPort("[::]:0"),
		Owners: []collector.Owner{{PID: 1, Process: long}, {PID: 2, Process: "a b  c"}},
	}}}
	var buf bytes.Buffer
	if err := Table(&buf, snap, Options{Owners: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535", "1/" + long + ",2/a b  c", "tcp6", "[::]:*"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row lacks %q:\n%s", want, lines[1])
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, in := range testInputs(t) {
		snap := readTestSnapshot(t, in)
		var buf bytes.Buffer
		if err := JSON(&buf, snap, withTestNames(Options{})); err != nil {
			t.Fatal(err)
		}
		back, err := ReadJSON(&buf)
		if err != nil {
			t.Fatalf("%s: ReadJSON(JSON(snap)): %v", in, err)
		}
		if !reflect.DeepEqual(back, snap) {
			t.Errorf("%s: round trip differs:\ngot  %+v\nwant %+v", in, back, snap)
		}
	}

	// A snapshot made in Go, not read from JSON: local time with a
	// monotonic reading, IPv4-mapped addresses, an IPv6 zone, every state.
	snap := &collector.Snapshot{
		Time:     time.Now(),
		Host:     "h\x1bost",
		Source:   collector.SourceProcfs,
		Warnings: []string{"w1", "w\n2"},
		// JSON does not say which warnings lost something, so ReadJSON
		// takes any to have.
		Incomplete: true,
	}
	for st := collector.StateEstablished; st <= collector.StateClosing; st++ {
		snap.Sockets = append(snap.Sockets, collector.Socket{
			Proto: collector.ProtoTCP, Family: collector.FamilyIPv6, State: st,
			Local:  netip.MustParseAddrPort("[::ffff:10.1.2.3]:80"),
			Remote: netip.MustParseAddrPort("[fe80::1%eth0]:5000"),
			UID:    int(st) * 100, Inode: uint64(st) << 40, RecvQ: 1<<32 - 1, SendQ: uint32(st),
			Owners: []collector.Owner{{PID: 20, Process: "b", FD: -1}, {PID: 10, Process: "a\x00", FD: 0}},
		})
	}
	snap.Sockets = append(snap.Sockets, collector.Socket{
		Proto: collector.ProtoUDP, Family: collector.FamilyIPv4, State: collector.StateClose, UID: -1,
		Local: netip.MustParseAddrPort("0.0.0.0:53"), OwnerUnknown: collector.OwnerUnsupported,
	})
	var buf bytes.Buffer
	if err := JSON(&buf, snap, Options{}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatalf("ReadJSON(JSON(snap)): %v\n%s", err, buf.String())
	}
	if !back.Time.Equal(snap.Time) {
		t.Errorf("time %v, want %v", back.Time, snap.Time)
	}
	back.Time = snap.Time
	if !reflect.DeepEqual(back, snap) {
		t.Errorf("round trip differs:\ngot  %+v\nwant %+v", back, snap)
	}
}

// TestJSONAllBytes checks that JSON stays valid, and terminal safe, for a
// name holding every byte 0..255.
func TestJSONAllBytes(t *testing.T) {
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	name := string(all)
	snap := &collector.Snapshot{
		Host:     name,
		Source:   collector.Source(name),
		Warnings: []string{name},
		Sockets: []collector.Socket{{
			Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, State: collector.StateListen, UID: 7,
			Local:  netip.MustParseAddrPort("127.0.0.1:1"),
			Owners: []collector.Owner{{PID: 1, Process: name, FD: 3}},
		}},
	}
	opts := Options{
		Services: fakeServices{"tcp": {1: name}},
		UserName: func(int) string { return name },
	}
	var buf bytes.Buffer
	if err := JSON(&buf, snap, opts); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON:\n%q", buf.String())
	}
	checkTerminalSafe(t, buf.Bytes())

	// Invalid UTF-8 bytes decode as U+FFFD, one each (in ascending order
	// no byte 0x80-0xff starts a valid sequence).
	want := string(all[:128]) + strings.Repeat("\ufffd", 128)
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Sockets[0].Owners[0].Process; got != want {
		t.Errorf("process decodes to %q, want %q", got, want)
	}
	if back.Host != want || back.Warnings[0] != want {
		t.Errorf("host or warning changed: %q %q", back.Host, back.Warnings)
	}
}

// TestJSONFormatCharacters checks that JSON escapes bidi marks, zero-width
// and tag characters, those beyond U+FFFF as surrogate pairs, and that they
// read back as they were.
func TestJSONFormatCharacters(t *testing.T) {
	name := "a\u200eb\u200f\u061c\u200b\ufeff\U000e0041\U0001d173z"
	snap := &collector.Snapshot{
		Host: name,
		Sockets: []collector.Socket{{
			Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, State: collector.StateListen, UID: -1,
			Local:  netip.MustParseAddrPort("127.0.0.1:1"),
			Owners: []collector.Owner{{PID: 1, Process: name, FD: 3}},
		}},
	}
	var buf bytes.Buffer
	if err := JSON(&buf, snap, Options{}); err != nil {
		t.Fatal(err)
	}
	checkTerminalSafe(t, buf.Bytes())
	want := `"a\u200eb\u200f\u061c\u200b\ufeff\udb40\udc41\ud834\udd73z"`
	if !strings.Contains(buf.String(), `"host":`+want) {
		t.Errorf("host written as\n%s\nwant %s", buf.String(), want)
	}
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != name || back.Sockets[0].Owners[0].Process != name {
		t.Errorf("read back %q and %q, want %q", back.Host, back.Sockets[0].Owners[0].Process, name)
	}
}

// TestTerminalSafeFormatCharacters checks the rewrite of encoding/json
// output (who, audit): format characters become escapes that decode to the
// same string.
func TestTerminalSafeFormatCharacters(t *testing.T) {
	name := "x\u200e\u202e\u2066\u00ad\U000e0001\x7f\u0085y"
	data, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	out := terminalSafe(data)
	checkTerminalSafe(t, out)
	if want := `{"name":"x\u200e\u202e\u2066\u00ad\udb40\udc01\u007f\u0085y"}`; string(out) != want {
		t.Errorf("terminalSafe(%s) = %s, want %s", data, out, want)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["name"] != name {
		t.Errorf("decodes to %q (%v), want %q", back["name"], err, name)
	}
}

func TestJSONEmptyListsNotNull(t *testing.T) {
	snap := &collector.Snapshot{Sockets: []collector.Socket{{Proto: collector.ProtoUDP, Family: collector.FamilyIPv4, UID: -1}}}
	var buf bytes.Buffer
	if err := JSON(&buf, snap, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "null") || !strings.Contains(out, `"owners":[]`) || !strings.Contains(out, `"warnings":[]`) {
		t.Errorf("empty lists must be []:\n%s", out)
	}
	if !strings.Contains(out, `"pid":0,"process":""`) || !strings.Contains(out, `"local_addr":""`) {
		t.Errorf("missing owner or address:\n%s", out)
	}
}

func TestJSONFirstOwnerIsLowestPID(t *testing.T) {
	snap := &collector.Snapshot{Sockets: []collector.Socket{{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv4,
		Owners: []collector.Owner{{PID: 30, Process: "c"}, {PID: 10, Process: "a"}, {PID: 20, Process: "b"}},
	}}}
	var buf bytes.Buffer
	if err := JSON(&buf, snap, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"pid":10,"process":"a","owners":[{"pid":30`) {
		t.Errorf("pid/process must repeat the lowest-PID owner:\n%s", buf.String())
	}
}

func TestReadJSONErrors(t *testing.T) {
	const sock = `{"proto":"tcp","family":"ipv4","local_addr":"127.0.0.1","local_port":22,"remote_addr":"0.0.0.0","remote_port":0,"state":"LISTEN","uid":0,"inode":1,"recv_q":0,"send_q":0,"owners":[],"owner_unknown":""}`
	with := func(old, new string) string {
		return `{"version":1,"sockets":[` + strings.Replace(sock, old, new, 1) + `]}`
	}
	tests := []struct {
		in, want string
	}{
		{`{"version":2,"sockets":[]}`, "unsupported snapshot version 2 (this portwatch reads version 1)"},
		{`{"version":0}`, "unsupported snapshot version 0 (this portwatch reads version 1)"},
		{`{"sockets":[]}`, `no "version" field`},
		{`null`, "want an object, got null"},
		{`[]`, "not a portwatch JSON snapshot: want an object, got ["},
		{``, "empty input"},
		{`{"version":1`, "unexpected EOF"},
		{`{"version":1}{}`, "unexpected data after the snapshot object"},
		{`{"version":1} x`, "invalid character"},
		{`{"version":"1"}`, "version: json: cannot unmarshal string"},
		{`{"version":1.5}`, "cannot unmarshal"},
		{`{"version":1,"time":"yesterday"}`, `bad time "yesterday"`},
		{`{"version":1,"time":"9999-12-31T23:00:00-05:00"}`, "outside years 0-9999"},
		{`{"version":1,"sockets":{}}`, "sockets: want an array, got {"},
		{`{"version":2,"sockets":[{"proto":7}]}`, "unsupported snapshot version 2"},
		{`{"sockets":[],"version":3}`, "unsupported snapshot version 3"},
		{with(`"tcp"`, `"sctp"`), `sockets[0]: unknown protocol "sctp" (accepted: tcp, udp)`},
		{with(`"ipv4"`, `"ipx"`), `sockets[0]: unknown family "ipx" (accepted: ipv4, ipv6)`},
		{with(`"LISTEN"`, `"LISTENING"`), `sockets[0]: unknown tcp state "LISTENING" (accepted: `},
		{with(`"LISTEN"`, `"UNCONN"`), `unknown tcp state "UNCONN"`},
		{with(`"LISTEN"`, `""`), `unknown tcp state ""`},
		{with(`"local_port":22`, `"local_port":65536`), "local_port 65536 out of range (0-65535)"},
		{with(`"local_port":22`, `"local_port":-1`), "local_port -1 out of range"},
		{with(`"remote_port":0`, `"remote_port":70000`), "remote_port 70000 out of range"},
		{with(`"local_port":22`, `"local_port":"22"`), "cannot unmarshal string"},
		{with(`"127.0.0.1"`, `"127.0.0.256"`), `bad local_addr "127.0.0.256"`},
		{with(`"127.0.0.1"`, `"localhost"`), `bad local_addr "localhost"`},
		{with(`"127.0.0.1"`, `"::1"`), `local_addr "::1" is not an IPv4 address, but family is ipv4`},
		{with(`"127.0.0.1"`, `""`), "local_port 22 without a local_addr"},
		{with(`"uid":0`, `"uid":-2`), "uid -2 out of range"},
		{with(`"uid":0`, `"uid":4294967296`), "uid 4294967296 out of range"},
		{with(`"recv_q":0`, `"recv_q":-1`), "recv_q -1 out of range"},
		{with(`"send_q":0`, `"send_q":4294967296`), "send_q 4294967296 out of range"},
		{with(`"owner_unknown":""`, `"owner_unknown":"gremlins"`), `unknown owner_unknown "gremlins"`},
		{with(`"owners":[]`, `"owners":[{"pid":-5,"process":"x","fd":1}]`), "owners[0]: pid -5 out of range"},
		{with(`"owners":[]`, `"owners":[{"pid":5,"process":"x","fd":-2}]`), "owners[0]: fd -2 out of range"},
		{with(`"owners":[]`, `"owners":[{"pid":5,"process":7,"fd":1}]`), "cannot unmarshal number"},
	}
	for _, tt := range tests {
		snap, err := ReadJSON(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("ReadJSON(%s) = %+v, want error %q", tt.in, snap, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadJSON(%s) error %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestReadJSONLenient(t *testing.T) {
	in := `{"version":1,"future_field":{"a":[1]},"sockets":[
	 {"proto":"UDP","family":"IPv6","local_addr":"10.0.0.1","local_port":53,"remote_addr":"","remote_port":0,"state":"unconn","extra":true},
	 {"proto":"tcp","family":"ipv4","local_addr":"::ffff:10.0.0.2","local_port":1,"remote_addr":"0.0.0.0","remote_port":0,"state":"close","uid":5,"owners":[{"pid":3,"process":"p"}]}]}`
	snap, err := ReadJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	s := snap.Sockets[0]
	if s.Proto != collector.ProtoUDP || s.Family != collector.FamilyIPv6 || s.State != collector.StateClose || s.UID != -1 {
		t.Errorf("socket 0 = %+v", s)
	}
	if want := netip.MustParseAddrPort("[::ffff:10.0.0.1]:53"); s.Local != want || s.Remote.IsValid() {
		t.Errorf("IPv4 address in an ipv6 socket: got %v %v, want %v and the zero remote", s.Local, s.Remote, want)
	}
	s = snap.Sockets[1]
	if want := netip.MustParseAddrPort("10.0.0.2:1"); s.Local != want || s.State != collector.StateClose {
		t.Errorf("socket 1 = %+v", s)
	}
	if len(s.Owners) != 1 || s.Owners[0].FD != -1 {
		t.Errorf("missing fd must read as -1: %+v", s.Owners)
	}
	if !snap.Time.IsZero() || snap.Warnings != nil {
		t.Errorf("time %v warnings %#v", snap.Time, snap.Warnings)
	}
}

func FuzzReadJSON(f *testing.F) {
	for _, in := range testInputs(f) {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"sockets":[{"proto":"tcp","family":"ipv6","local_addr":"fe80::1%eth0","local_port":1,"remote_addr":"1.2.3.4","remote_port":65535,"state":"SYN_RECV","uid":-1,"owners":[{"pid":1,"process":"\u0000\u202e","fd":-1}],"owner_unknown":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever ReadJSON accepts, JSON writes as valid JSON that reads
		// back to the same snapshot and the same bytes.
		var out1, out2 bytes.Buffer
		if err := JSON(&out1, snap, Options{}); err != nil {
			t.Fatalf("JSON of an accepted snapshot: %v", err)
		}
		if !json.Valid(out1.Bytes()) {
			t.Fatalf("invalid JSON:\n%s", out1.Bytes())
		}
		back, err := ReadJSON(bytes.NewReader(out1.Bytes()))
		if err != nil {
			t.Fatalf("ReadJSON(JSON(snap)): %v\n%s", err, out1.Bytes())
		}
		if !reflect.DeepEqual(back, snap) {
			t.Fatalf("round trip differs:\ngot  %+v\nwant %+v", back, snap)
		}
		if err := JSON(&out2, back, Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
			t.Fatalf("JSON not stable:\n%s\n%s", out1.Bytes(), out2.Bytes())
		}
		// The other views must not fail or panic either (one table variant:
		// tablewriter is slow enough to hold up the fuzzer's minimizing).
		opts := withTestNames(Options{Owners: true, Extended: true})
		for _, render := range []func(io.Writer, *collector.Snapshot, Options) error{Table, CSV, Summary} {
			if err := render(io.Discard, snap, opts); err != nil {
				t.Fatal(err)
			}
		}
	})
}
