package services

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseServicesFile(t *testing.T) {
	input := strings.Join([]string{
		"# comment line",
		"",
		"   \t  ",
		"ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol",
		"domain 53/udp dns nameserver",
		"kerberos4 750/udp kerberos-iv kdc kdc # dup alias",
		"sctp-thing 9/sctp",
		"ddp-thing 4/ddp",
		"UPPER 8/TCP",
		"max 65535/udp",
		"zero 0/tcp",
		"toobig 65536/tcp",
		"negative -1/tcp",
		"plus +5/tcp",
		"noproto 5/",
		"noslash 5",
		"lonely",
		"bad\x1bname 7/tcp",
		"okay 7/udp bad\x01alias fine",
		"utf8 7/tcp \xff\xfe",
		"crlf 10/tcp alias\r",
		"  indented 11/udp#tight comment",
		"  #  11/udp",
		"weird 12/udp # desc \x1b[31m red",
		"# trailing comment without newline",
	}, "\n")
	entries, warnings := ParseServicesFile(strings.NewReader(input), "test")
	want := []Entry{
		{Proto: "tcp", Port: 22, Names: []string{"ssh"}, Description: "SSH Remote Login Protocol", Source: "test"},
		{Proto: "udp", Port: 53, Names: []string{"domain", "dns", "nameserver"}, Source: "test"},
		{Proto: "udp", Port: 750, Names: []string{"kerberos4", "kerberos-iv", "kdc"}, Description: "dup alias", Source: "test"},
		{Proto: "tcp", Port: 8, Names: []string{"UPPER"}, Source: "test"},
		{Proto: "udp", Port: 65535, Names: []string{"max"}, Source: "test"},
		{Proto: "tcp", Port: 0, Names: []string{"zero"}, Source: "test"},
		{Proto: "udp", Port: 7, Names: []string{"okay", "fine"}, Source: "test"},
		{Proto: "tcp", Port: 7, Names: []string{"utf8"}, Source: "test"},
		{Proto: "tcp", Port: 10, Names: []string{"crlf", "alias"}, Source: "test"},
		{Proto: "udp", Port: 11, Names: []string{"indented"}, Description: "tight comment", Source: "test"},
		{Proto: "udp", Port: 12, Names: []string{"weird"}, Description: "desc [31m red", Source: "test"},
	}
	if len(entries) != len(want) {
		t.Errorf("got %d entries, want %d", len(entries), len(want))
	}
	for i := range min(len(entries), len(want)) {
		g, w := entries[i], want[i]
		if g.Proto != w.Proto || g.Port != w.Port || !slices.Equal(g.Names, w.Names) || g.Description != w.Description || g.Source != w.Source {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	wantWarn := []string{
		"test:12: bad port",
		"test:13: bad port",
		"test:14: bad port",
		"test:15: \"5/\" has no protocol",
		"test:16: \"5\" is not port/protocol",
		"test:17: \"lonely\"",
		"test:18: bad service name \"bad\\x1bname\"",
		"test:19: bad alias \"bad\\x01alias\" dropped",
		"test:20: bad alias \"\\xff\\xfe\" dropped",
	}
	if len(warnings) != len(wantWarn) {
		t.Errorf("got %d warnings, want %d:\n%s", len(warnings), len(wantWarn), strings.Join(warnings, "\n"))
	}
	for i := range min(len(warnings), len(wantWarn)) {
		if !strings.HasPrefix(warnings[i], wantWarn[i]) {
			t.Errorf("warning %d = %q, want prefix %q", i, warnings[i], wantWarn[i])
		}
	}
}

func TestParseServicesFileEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "# only\n", "\r\n\r\n"} {
		e, w := ParseServicesFile(strings.NewReader(in), "x")
		if len(e) != 0 || len(w) != 0 {
			t.Errorf("%q: %v %v", in, e, w)
		}
	}
}

func TestParseServicesFileLongLine(t *testing.T) {
	in := "a 1/tcp\n" + strings.Repeat("x", 3*maxLineLen) + " 2/tcp\nb 3/tcp\n" + strings.Repeat("y", maxLineLen+5)
	e, w := ParseServicesFile(strings.NewReader(in), "long")
	if len(e) != 2 || e[0].Port != 1 || e[1].Port != 3 {
		t.Errorf("entries %+v", e)
	}
	if len(w) != 2 || !strings.HasPrefix(w[0], "long:2: line longer") || !strings.HasPrefix(w[1], "long:4: line longer") {
		t.Errorf("warnings %q", w)
	}
}

func TestParseServicesFileManyWarnings(t *testing.T) {
	in := strings.Repeat("junk\n", maxWarnings+7) + "ok 5/tcp\n"
	e, w := ParseServicesFile(strings.NewReader(in), "j")
	if len(e) != 1 || len(w) != maxWarnings+1 || w[maxWarnings] != "j: 7 more problems not shown" {
		t.Errorf("%d entries, %d warnings, last %q", len(e), len(w), w[len(w)-1])
	}
}

func TestParseServicesFileReadError(t *testing.T) {
	r := iotest.TimeoutReader(strings.NewReader("a 1/tcp\nb 2/tcp\n"))
	_, w := ParseServicesFile(r, "r")
	if len(w) != 1 || !strings.Contains(w[0], "read error") {
		t.Errorf("warnings %q", w)
	}
	e, w := ParseServicesFile(iotest.ErrReader(errors.New("boom")), "r")
	if len(e) != 0 || len(w) != 1 || w[0] != "r:0: read error: boom" {
		t.Errorf("%v %q", e, w)
	}
}

func FuzzParseServicesFile(f *testing.F) {
	for _, s := range []string{
		"ssh 22/tcp # SSH\n",
		"domain 53/udp dns\n# c\n\nx 65535/tcp a b c\n",
		"bad 70000/tcp\n",
		"a 1/sctp\nb 2/\n/ /\n#\n",
		"weird\x00 1/tcp \xff\n",
		"x 0/tcp\r\ny 1/UDP alias # \x1b[2J\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, warnings := ParseServicesFile(strings.NewReader(string(data)), "fuzz")
		for _, w := range warnings {
			if !strings.HasPrefix(w, "fuzz:") && !strings.HasPrefix(w, "fuzz: ") {
				t.Fatalf("warning does not name the source: %q", w)
			}
		}
		var again strings.Builder
		for _, e := range entries {
			if e.Proto != "tcp" && e.Proto != "udp" {
				t.Fatalf("bad proto %q", e.Proto)
			}
			if e.Source != "fuzz" || len(e.Names) == 0 {
				t.Fatalf("bad entry %+v", e)
			}
			for _, n := range e.Names {
				if !validName(n) || strings.Contains(n, "#") {
					t.Fatalf("bad name %q", n)
				}
			}
			if !printable(strings.ReplaceAll(e.Description, "\uFFFD", "")) {
				t.Fatalf("description with control characters: %q", e.Description)
			}
			fmt.Fprintf(&again, "%s %d/%s %s", e.Names[0], e.Port, e.Proto, strings.Join(e.Names[1:], " "))
			if e.Description != "" {
				fmt.Fprintf(&again, " # %s", e.Description)
			}
			again.WriteByte('\n')
		}
		// What was parsed prints back as lines that parse to the same entries.
		round, w := ParseServicesFile(strings.NewReader(again.String()), "fuzz")
		if len(w) != 0 || len(round) != len(entries) {
			t.Fatalf("round trip: %d entries, warnings %q, want %d entries", len(round), w, len(entries))
		}
		for i := range round {
			a, b := round[i], entries[i]
			if a.Proto != b.Proto || a.Port != b.Port || !slices.Equal(a.Names, b.Names) || a.Description != b.Description {
				t.Fatalf("round trip changed entry %d: %+v -> %+v", i, b, a)
			}
		}
	})
}
