package collector

import (
	"bytes"
	"reflect"
	"strconv"
	"testing"
)

func TestParseNetnsLink(t *testing.T) {
	for _, c := range []struct {
		in  string
		ino uint64
		ok  bool
	}{
		{"net:[4026531840]", 4026531840, true},
		{"net:[1]", 1, true},
		{"net:[0]", 0, false},
		{"net:[]", 0, false},
		{"net:[4026531840", 0, false},
		{"mnt:[4026531840]", 0, false},
		{"net:[-1]", 0, false},
		{"net:[+5]", 0, false},
		{"net:[18446744073709551616]", 0, false},
		{"socket:[12]", 0, false},
		{"", 0, false},
	} {
		ino, ok := parseNetnsLink([]byte(c.in))
		if ino != c.ino || ok != c.ok {
			t.Errorf("parseNetnsLink(%q) = %d, %v; want %d, %v", c.in, ino, ok, c.ino, c.ok)
		}
	}
}

func FuzzParseNetnsLink(f *testing.F) {
	f.Add([]byte("net:[4026531840]"))
	f.Add([]byte("net:[0]"))
	f.Add([]byte("net:[18446744073709551615]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ino, ok := parseNetnsLink(b)
		// The rule, stated independently: "net:[", a decimal uint64 that
		// is not 0, "]".
		rest, pre := bytes.CutPrefix(b, []byte("net:["))
		digits, suf := bytes.CutSuffix(rest, []byte("]"))
		want, err := strconv.ParseUint(string(digits), 10, 64)
		if wantOK := pre && suf && err == nil && want != 0; ok != wantOK || (ok && ino != want) || (!ok && ino != 0) {
			t.Fatalf("parseNetnsLink(%q) = %d, %v; want %d, %v", b, ino, ok, want, wantOK)
		}
	})
}

// A namespace seen twice (its /run/netns name, then a process inside) is
// one, with the name and the process; the order is the caller's first,
// named ones by name, then the rest by inode.
func TestMergeAndSortNetns(t *testing.T) {
	var list []Netns
	for _, n := range []Netns{
		{Inode: 30, PID: 300, Path: "/proc/300/ns/net"},
		{Inode: 10, Name: "vpn", Path: "/run/netns/vpn"},
		{Inode: 20, PID: 1, Path: "/proc/1/ns/net", Current: true},
		{Inode: 10, PID: 100, Path: "/proc/100/ns/net"},
		{Inode: 5, Name: "blue", Path: "/run/netns/blue"},
		{Inode: 25, PID: 250, Path: "/proc/250/ns/net"},
		{Inode: 30, PID: 301, Path: "/proc/301/ns/net"},
	} {
		list = mergeNetns(list, n)
	}
	sortNetns(list)
	want := []Netns{
		{Inode: 20, PID: 1, Path: "/proc/1/ns/net", Current: true},
		{Inode: 5, Name: "blue", Path: "/run/netns/blue"},
		{Inode: 10, Name: "vpn", Path: "/run/netns/vpn", PID: 100},
		{Inode: 25, PID: 250, Path: "/proc/250/ns/net"},
		{Inode: 30, PID: 300, Path: "/proc/300/ns/net"},
	}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("merged and sorted:\n got %+v\nwant %+v", list, want)
	}
	if l := list[3].Label(); l != "net:[25]" {
		t.Errorf("label of an unnamed namespace: %q", l)
	}
	if l := list[2].Label(); l != "vpn" {
		t.Errorf("label of a named namespace: %q", l)
	}
}

func TestValidNetnsName(t *testing.T) {
	for name, want := range map[string]bool{
		"vpn": true, "qrouter-1f2e": true, "cni-1234": true, "a.b": true,
		"": false, ".": false, "..": false, "a/b": false, "a\x00b": false,
		string(bytes.Repeat([]byte("x"), 256)): false,
	} {
		if got := validNetnsName(name); got != want {
			t.Errorf("validNetnsName(%q) = %v, want %v", name, got, want)
		}
	}
}

// A bad value is a BadNetnsError that names it and what is accepted.
func TestBadNetnsError(t *testing.T) {
	err := errNetnsSpec("blue", "no such namespace in /run/netns")
	want := `netns "blue": no such namespace in /run/netns (accepted: ` + NetnsAccepted + `)`
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}
