package collector

import (
	"bytes"
	"strconv"
	"testing"
)

func TestParseSocketLink(t *testing.T) {
	cases := []struct {
		in   string
		ino  uint64
		want bool
	}{
		{"socket:[12345]", 12345, true},
		{"socket:[0]", 0, true},
		{"socket:[18446744073709551615]", 18446744073709551615, true},
		{"socket:[18446744073709551616]", 0, false}, // overflows uint64
		{"socket:[]", 0, false},
		{"socket:[12a]", 0, false},
		{"socket:[12", 0, false},
		{"pipe:[12345]", 0, false},
		{"/dev/null", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		ino, ok := parseSocketLink([]byte(c.in))
		if ok != c.want || ino != c.ino {
			t.Errorf("parseSocketLink(%q) = %d, %v; want %d, %v", c.in, ino, ok, c.ino, c.want)
		}
	}
}

func FuzzParseSocketLink(f *testing.F) {
	f.Add([]byte("socket:[12345]"))
	f.Add([]byte("anon_inode:[eventpoll]"))
	f.Add([]byte("socket:[18446744073709551616]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ino, ok := parseSocketLink(b)
		// The rule, stated independently: "socket:[", a decimal uint64,
		// "]".
		rest, pre := bytes.CutPrefix(b, []byte("socket:["))
		digits, suf := bytes.CutSuffix(rest, []byte("]"))
		want, err := strconv.ParseUint(string(digits), 10, 64)
		if wantOK := pre && suf && err == nil; ok != wantOK || (ok && ino != want) || (!ok && ino != 0) {
			t.Fatalf("parseSocketLink(%q) = %d, %v; want %d, %v", b, ino, ok, want, wantOK)
		}
		if ok {
			if again, ok2 := parseSocketLink([]byte("socket:[" + strconv.FormatUint(ino, 10) + "]")); !ok2 || again != ino {
				t.Fatalf("round trip of %d: %d, %v", ino, again, ok2)
			}
		}
	})
}

func TestAttachOwnersReasons(t *testing.T) {
	socks := []Socket{
		{Inode: 10, UID: 1000},           // held by two processes
		{Inode: 0, UID: -1},              // TIME_WAIT
		{Inode: 11, UID: 0},              // not found, other user's socket
		{Inode: 12, UID: 1000},           // not found, own socket
		{Inode: 13, UID: 1000, State: 1}, // held by one process twice
	}
	hits := []ownerHit{
		{sock: 4, pid: 7, fd: 9}, {sock: 0, pid: 300, fd: 4},
		{sock: 0, pid: 200, fd: 3}, {sock: 4, pid: 7, fd: 5},
	}
	comm := map[int]string{200: "nginx", 300: "nginx", 7: "app"}

	attachOwners(socks, hits, comm, walkStats{}, 1000)
	want0 := []Owner{{200, "nginx", 3}, {300, "nginx", 4}}
	if len(socks[0].Owners) != 2 || socks[0].Owners[0] != want0[0] || socks[0].Owners[1] != want0[1] {
		t.Errorf("shared listener owners = %+v, want %+v (lowest PID first)", socks[0].Owners, want0)
	}
	if got := socks[4].Owners; len(got) != 2 || got[0].FD != 5 || got[1].FD != 9 {
		t.Errorf("dup'ed fds = %+v, want fd 5 then fd 9 of pid 7", got)
	}
	if socks[1].OwnerUnknown != OwnerKernel {
		t.Errorf("inode 0: reason %q, want kernel", socks[1].OwnerUnknown)
	}
	if socks[2].OwnerUnknown != OwnerPermission {
		t.Errorf("other user's socket as non-root: reason %q, want permission", socks[2].OwnerUnknown)
	}
	if socks[3].OwnerUnknown != OwnerKernel {
		t.Errorf("own socket not found, nothing denied or exited: reason %q, want kernel", socks[3].OwnerUnknown)
	}

	// Root may read every fd table: a missing owner is not a permission
	// problem unless the kernel refused one anyway.
	socks[2].Owners, socks[3].Owners = nil, nil
	attachOwners(socks, nil, nil, walkStats{exited: 1}, 0)
	if socks[2].OwnerUnknown != OwnerExited || socks[3].OwnerUnknown != OwnerExited {
		t.Errorf("root, a process exited mid-walk: reasons %q %q, want exited", socks[2].OwnerUnknown, socks[3].OwnerUnknown)
	}
	attachOwners(socks, nil, nil, walkStats{denied: 1, exited: 1}, 0)
	if socks[2].OwnerUnknown != OwnerPermission {
		t.Errorf("root refused one fd table: reason %q, want permission", socks[2].OwnerUnknown)
	}
}
