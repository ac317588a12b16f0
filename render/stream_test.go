package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/portwatch/portwatch/collector"
)

// tableOptionSets returns every combination of the options Table reads.
func tableOptionSets() []Options {
	var sets []Options
	for bitsSet := 0; bitsSet < 16; bitsSet++ {
		sets = append(sets, Options{
			Owners:   bitsSet&1 != 0,
			Extended: bitsSet&2 != 0,
			Numeric:  bitsSet&4 != 0,
			NoHeader: bitsSet&8 != 0,
		})
	}
	return sets
}

func optsName(o Options) string {
	return fmt.Sprintf("o=%t,e=%t,n=%t,noheader=%t", o.Owners, o.Extended, o.Numeric, o.NoHeader)
}

// checkStreamSame fails unless Table writes the same bytes for snap and
// opts as tablewriter lays out (tablewriterTable), and, as every width
// must, with twwidth's East Asian setting made the same as ours.
func checkStreamSame(t *testing.T, snap *collector.Snapshot, opts Options) {
	t.Helper()
	twwidth.SetEastAsian(eastAsianWide())
	var want bytes.Buffer
	if err := tablewriterTable(&want, snap, opts); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Table(&got, snap, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		gl := strings.Split(got.String(), "\n")
		wl := strings.Split(want.String(), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s: Table differs from tablewriter at line %d:\nTable:       %q\ntablewriter: %q",
					optsName(opts), i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: Table wrote %d lines, tablewriter %d", optsName(opts), len(gl), len(wl))
	}
}

// setEastAsianWide makes eastAsianWide answer wide for the rest of the
// test.
func setEastAsianWide(t *testing.T, wide bool) {
	was := eastAsianWide
	eastAsianWide = func() bool { return wide }
	t.Cleanup(func() { eastAsianWide = was })
}

// TestTableStreamGolden checks that Stream writes the same bytes as
// tablewriter for every test input and every option combination, and so
// matches every table golden file.
func TestTableStreamGolden(t *testing.T) {
	for _, in := range testInputs(t) {
		snap := readTestSnapshot(t, in)
		for _, o := range tableOptionSets() {
			checkStreamSame(t, snap, withTestNames(o))
			checkStreamSame(t, snap, o) // no service or user names
		}
	}
}

// weirdNames are process, user, service and zone names that stress widths
// and sanitizing: escapes, wide East Asian text, combining marks, emoji,
// zero-width and ambiguous-width runes, and separators the columns use.
var weirdNames = []string{
	"", " ", "a", "nginx", "systemd-resolved", "Web Content", "a b  c", "trailing  ",
	"evil\n\x1b[31mtcp  0.0.0.0:22\x07\r", "x\u202eNETSIL\u0085", "\xff\xfe", "tab\there",
	"東京", "日本語のプロセス", "한국어", "ｆｕｌｌｗｉｄｔｈ", "café", "e\u0301\u0301", "±×÷§¶",
	"👍", "👨\u200d👩\u200d👧", "zero\u200bwidth", "nb\u00a0sp", "\u3000ideographic", "α,β;γ/δ",
	"quote\"d", "back\\slash", "\\.", "ÄÖÜ", "\u0300lead-combining", "\U0001F1EF\U0001F1F5",
	strings.Repeat("verylongprocessname-", 12), strings.Repeat("長", 30),
}

// weirdServices names every port with something from weirdNames.
type weirdServices struct{}

func (weirdServices) Name(proto string, port uint16) string {
	if port%7 == 0 {
		return ""
	}
	return weirdNames[(int(port)+len(proto))%len(weirdNames)]
}

func weirdUserName(uid int) string {
	if uid%5 == 4 {
		return ""
	}
	return weirdNames[uid%len(weirdNames)]
}

// makeWeirdSockets returns n sockets with every kind of value the table
// shows: both families, IPv4-mapped and zoned IPv6 addresses, the zero
// address, unknown protocols and states, many owners, names from
// weirdNames, unknown uids and huge numbers.
func makeWeirdSockets(n int, seed uint64) []collector.Socket {
	rng := rand.New(rand.NewPCG(seed, 2))
	socks := makeSockets(n, seed)
	zones := []string{"eth0", "wlp0s20f3", "东", "e\x1b[0m", "z,1"}
	addr := func() netip.Addr {
		switch rng.IntN(6) {
		case 0:
			return netip.Addr{}
		case 1:
			return netip.AddrFrom4([4]byte{byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		case 2:
			var b [16]byte
			for i := range b {
				if rng.IntN(3) == 0 {
					b[i] = byte(rng.IntN(256))
				}
			}
			return netip.AddrFrom16(b)
		case 3:
			return netip.MustParseAddr("fe80::1").WithZone(zones[rng.IntN(len(zones))])
		case 4:
			return netip.AddrFrom16(netip.AddrFrom4([4]byte{127, 0, 0, byte(rng.IntN(3))}).As16())
		}
		return netip.IPv6Loopback()
	}
	for i := range socks {
		s := &socks[i]
		if rng.IntN(4) == 0 {
			s.Local = netip.AddrPortFrom(addr(), uint16(rng.IntN(65536)))
			s.Remote = netip.AddrPortFrom(addr(), uint16(rng.IntN(3)))
		}
		switch rng.IntN(40) {
		case 0:
			s.Proto = collector.Proto(3 + rng.IntN(3))
		case 1:
			s.Family = collector.Family(3 + rng.IntN(3))
		case 2:
			s.State = collector.State(rng.IntN(20))
		}
		s.UID = rng.IntN(60) - 3
		if rng.IntN(50) == 0 {
			s.UID = 1<<31 + rng.IntN(1000)
		}
		if rng.IntN(30) == 0 {
			s.Inode = 1<<64 - 1 - uint64(rng.IntN(10))
			s.RecvQ = 1<<32 - 1
			s.SendQ = uint32(rng.Uint32())
		}
		switch rng.IntN(8) {
		case 0:
			s.Owners = nil
			s.OwnerUnknown = []collector.OwnerUnknown{collector.OwnerKnown, collector.OwnerKernel, collector.OwnerPermission, collector.OwnerUnknown(200)}[rng.IntN(4)]
		case 1, 2:
			s.Owners = nil
			for k := rng.IntN(5); k >= 0; k-- {
				s.Owners = append(s.Owners, collector.Owner{
					PID:     rng.IntN(5000000),
					Process: weirdNames[rng.IntN(len(weirdNames))],
					FD:      rng.IntN(100) - 1,
				})
			}
		}
	}
	return socks
}

// TestTableStreamSameAsTablewriter compares the two paths on a few
// thousand varied sockets for every option combination.
func TestTableStreamSameAsTablewriter(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	snap := &collector.Snapshot{Sockets: makeWeirdSockets(n, 42)}
	for _, o := range tableOptionSets() {
		o.Services = weirdServices{}
		o.UserName = weirdUserName
		checkStreamSame(t, snap, o)
	}
	// Only ASCII: every column is measured by its length.
	snap = &collector.Snapshot{Sockets: makeSockets(n, 43)}
	checkStreamSame(t, snap, benchOpts)
	// Few sockets, so that one odd value sets a column's width.
	for seed := uint64(0); seed < 200; seed++ {
		snap := &collector.Snapshot{Sockets: makeWeirdSockets(1+int(seed%3), seed)}
		o := tableOptionSets()[seed%16]
		o.Services = weirdServices{}
		o.UserName = weirdUserName
		checkStreamSame(t, snap, o)
	}
}

// TestTableStreamEastAsian checks that Stream follows tablewriter's East
// Asian width setting (RUNEWIDTH_EASTASIAN or a CJK locale), in which
// ambiguous-width runes such as é and ± are two columns wide.
func TestTableStreamEastAsian(t *testing.T) {
	snap := &collector.Snapshot{Sockets: makeWeirdSockets(300, 44)}
	opts := Options{Owners: true, Extended: true, Services: weirdServices{}, UserName: weirdUserName}
	for _, ea := range []bool{true, false} {
		setEastAsianWide(t, ea)
		checkStreamSame(t, snap, opts)
	}
	// The setting does change the output, so the check above means something.
	one := &collector.Snapshot{Sockets: []collector.Socket{{
		Proto: collector.ProtoTCP, Family: collector.FamilyIPv4,
		Owners: []collector.Owner{{PID: 1, Process: "±±±±"}},
	}}}
	var outs [2]string
	for i, ea := range []bool{false, true} {
		setEastAsianWide(t, ea)
		var buf bytes.Buffer
		if err := Table(&buf, one, Options{Owners: true, Extended: true}); err != nil {
			t.Fatal(err)
		}
		outs[i] = buf.String()
	}
	if outs[0] == outs[1] {
		t.Errorf("East Asian width made no difference:\n%s", outs[0])
	}
}

func TestTableStreamEmpty(t *testing.T) {
	for _, o := range tableOptionSets() {
		checkStreamSame(t, &collector.Snapshot{}, o)
	}
	var buf bytes.Buffer
	if err := Table(&buf, &collector.Snapshot{}, Options{NoHeader: true}); err != nil || buf.Len() != 0 {
		t.Errorf("empty table without header: %v %q", err, buf.String())
	}
	if err := Table(io.Discard, nil, Options{}); err == nil {
		t.Errorf("nil snapshot: no error")
	}
}

// errWriter fails after n bytes.
type errWriter struct{ n int }

var errWrite = errors.New("write failed")

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestTableStreamWriteError(t *testing.T) {
	snap := &collector.Snapshot{Sockets: makeSockets(5000, 1)}
	for _, n := range []int{0, 100000} {
		if err := Table(&errWriter{n: n}, snap, Options{}); !errors.Is(err, errWrite) {
			t.Errorf("Table to a writer failing after %d bytes: %v, want %v", n, err, errWrite)
		}
	}
}

// TestTableStreamAllocations checks that Stream allocates the same few
// times for any number of sockets.
func TestTableStreamAllocations(t *testing.T) {
	var counts []float64
	for _, n := range []int{100, 10000} {
		snap := &collector.Snapshot{Sockets: makeSockets(n, 5)}
		opts := benchOpts
		counts = append(counts, testing.AllocsPerRun(3, func() {
			if err := Table(io.Discard, snap, opts); err != nil {
				t.Fatal(err)
			}
		}))
	}
	if counts[0] != counts[1] || counts[1] > 10 {
		t.Errorf("Table(Stream) allocations for 100 and 10000 sockets: %v, want the same few", counts)
	}
}

// BenchmarkTableStream reports the cost of one row of Table with Stream
// at 120k sockets (ns/row): with every column (-oe), and with the columns
// of portwatch -tan. The fake registry of the benchmarks is a map of maps,
// slower than services.Registry: service names cost more here than in
// portwatch.
func BenchmarkTableStream(b *testing.B) {
	snap := benchSnapshot(120000)
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"columns=all", benchOpts},
		{"columns=tan", Options{Services: benchServices}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := bc.opts
			var cw countWriter
			if err := Table(&cw, snap, opts); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(cw))
			b.ReportAllocs()
			for b.Loop() {
				if err := Table(io.Discard, snap, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(snap.Sockets)), "ns/row")
		})
	}
}

func TestDecimalLen(t *testing.T) {
	check := func(u uint64) {
		if got, want := decimalLen(u), len(strconv.FormatUint(u, 10)); got != want {
			t.Errorf("decimalLen(%d) = %d, want %d", u, got, want)
		}
		if got, want := string(appendDecimal([]byte("x"), u)), "x"+strconv.FormatUint(u, 10); got != want {
			t.Errorf("appendDecimal(%d) = %q, want %q", u, got, want)
		}
	}
	for p := uint64(1); p <= 1e19; p *= 10 {
		check(p - 1)
		check(p)
		check(p + 1)
	}
	for i := 0; i < 64; i++ {
		check(1<<i - 1)
		check(1 << i)
	}
	check(1<<64 - 1)
}

// TestAddrWidth checks the widths measured without formatting.
func TestAddrWidth(t *testing.T) {
	var ts tableStreamer
	check := func(ap netip.AddrPort) {
		if got, want := ts.addrWidth(ap), len(FormatAddr(ap)); got != want && ap.Addr().Zone() == "" {
			t.Errorf("addrWidth(%v) = %d, want %d (%s)", ap, got, want, FormatAddr(ap))
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 100000; i++ {
		var b [16]byte
		for j := range b {
			switch rng.IntN(3) {
			case 0:
				b[j] = byte(rng.IntN(256))
			case 1:
				b[j] = byte(rng.IntN(16))
			}
		}
		port := uint16(rng.IntN(3))
		if rng.IntN(2) == 0 {
			port = uint16(rng.Uint32())
		}
		check(netip.AddrPortFrom(netip.AddrFrom16(b), port))
		check(netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), port))
	}
	check(netip.AddrPort{})
	check(netip.MustParseAddrPort("[::]:0"))
	check(netip.MustParseAddrPort("[1::]:1"))
	check(netip.MustParseAddrPort("[1:0:0:1:0:0:0:1]:65535"))
}

// FuzzTableStream checks that Stream writes what tablewriter writes for
// any snapshot ReadJSON accepts, with names from the snapshot's own bytes.
func FuzzTableStream(f *testing.F) {
	for _, in := range testInputs(f) {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0xff), "svc")
	}
	f.Add([]byte(`{"version":1,"sockets":[{"proto":"tcp","family":"ipv6","local_addr":"fe80::1%東","local_port":1,"remote_addr":"::","remote_port":0,"state":"LISTEN","uid":5,"owners":[{"pid":1,"process":"±\u0301日本","fd":-1}],"owner_unknown":""}]}`), uint8(3), "±")
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, name string) {
		snap, err := ReadJSON(bytes.NewReader(data))
		if err != nil || len(snap.Sockets) > 200 {
			return
		}
		opts := Options{
			Owners:   flags&1 != 0,
			Extended: flags&2 != 0,
			Numeric:  flags&4 != 0,
			NoHeader: flags&8 != 0,
		}
		if flags&16 != 0 {
			opts.Services = fakeServices{"tcp": {}, "udp": {}}
			for _, s := range snap.Sockets {
				opts.Services.(fakeServices)["tcp"][s.Local.Port()] = name
				opts.Services.(fakeServices)["udp"][s.Remote.Port()] = name + name
			}
		}
		if flags&32 != 0 {
			opts.UserName = func(uid int) string { return strings.Repeat(name, uid%3) }
		}
		checkStreamSame(t, snap, opts)
	})
}

// Ambiguous characters are wide when RUNEWIDTH_EASTASIAN says so, or in a
// Chinese, Japanese or Korean locale on a terminal that is not one of
// those drawing them narrow.
func TestDetectEastAsianWide(t *testing.T) {
	cases := []struct {
		env  map[string]string
		wide bool
	}{
		{map[string]string{}, false},
		{map[string]string{"LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, true},
		{map[string]string{"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, false},
		{map[string]string{"LANG": "C", "LC_CTYPE": "zh_CN.GB18030"}, true},
		{map[string]string{"LANG": "en_SG.UTF-8"}, true},
		{map[string]string{"LANG": "ko_KR.UTF-8", "TERM": "xterm-256color"}, false},
		{map[string]string{"LANG": "ko_KR.UTF-8", "TERM": "linux"}, true},
		{map[string]string{"LANG": "ko_KR.UTF-8", "TERM": "xterm-mono"}, true},
		{map[string]string{"LANG": "zh_TW.UTF-8", "TERM": "screen"}, false},
		{map[string]string{"LANG": "zh_TW.UTF-8", "TERM_PROGRAM": "vscode"}, false},
		{map[string]string{"LANG": "zh_TW.UTF-8", "VTE_VERSION": "7600"}, false},
		{map[string]string{"RUNEWIDTH_EASTASIAN": "1"}, true},
		{map[string]string{"RUNEWIDTH_EASTASIAN": "Yes", "TERM": "xterm"}, true},
		{map[string]string{"RUNEWIDTH_EASTASIAN": "off", "LANG": "ja_JP.UTF-8", "TERM": "linux"}, false},
		{map[string]string{"RUNEWIDTH_EASTASIAN": "maybe", "LANG": "ja_JP.UTF-8"}, true},
	}
	for _, c := range cases {
		if got := detectEastAsianWide(func(k string) string { return c.env[k] }); got != c.wide {
			t.Errorf("%v: wide %v, want %v", c.env, got, c.wide)
		}
	}
	// The widths that follow: ± is ambiguous, 漢 wide, é narrow, a
	// combining acute accent nothing.
	for _, c := range []struct {
		s            string
		narrow, wide int
	}{{"±", 1, 2}, {"漢字", 4, 4}, {"e\u0301", 1, 1}, {"abc", 3, 3}, {"…", 1, 2}} {
		for _, ea := range []bool{false, true} {
			setEastAsianWide(t, ea)
			want := c.narrow
			if ea {
				want = c.wide
			}
			if got := displayWidth([]byte(c.s)); got != want {
				t.Errorf("displayWidth(%q), East Asian %v: %d, want %d", c.s, ea, got, want)
			}
		}
	}
}
