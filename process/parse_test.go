package process

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statLine builds a /proc/<pid>/stat line as the kernel writes it (52
// fields), with the given comm, ppid and starttime.
func statLine(pid int, comm string, ppid int, start uint64) string {
	f := make([]string, 0, 50)
	f = append(f, "S", fmt.Sprint(ppid))
	for len(f) < statStartTime {
		f = append(f, "0")
	}
	f = append(f, fmt.Sprint(start))
	for len(f) < 50 {
		f = append(f, "0")
	}
	return fmt.Sprintf("%d (%s) %s\n", pid, comm, strings.Join(f, " "))
}

// A real line of this machine's kernel (6.x), PID 1.
const realStat = "1 (process_api) S 0 0 0 0 -1 4194560 165904 101163306 0 19055 1362 17283 691837 294376 20 0 14 0 30 42123264 2593 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	ok := []struct {
		name, in string
		want     statFields
	}{
		{"real", realStat, statFields{"process_api", 0, 30}},
		{"plain", statLine(42, "sleep", 7, 123456), statFields{"sleep", 7, 123456}},
		{"parens and spaces", statLine(42, "a) (b", 7, 9), statFields{"a) (b", 7, 9}},
		{"looks like fields", statLine(42, "x) S 1 2 3 (y", 5, 6), statFields{"x) S 1 2 3 (y", 5, 6}},
		{"empty comm", statLine(42, "", 1, 2), statFields{"", 1, 2}},
		{"newline in comm", statLine(42, "a\nb", 1, 2), statFields{"a\nb", 1, 2}},
		{"kernel thread", statLine(2, "kworker/0:1H-kblockd", 2, 5), statFields{"kworker/0:1H-kblockd", 2, 5}},
		{"huge starttime", statLine(3, "x", 1, 1<<63), statFields{"x", 1, 1 << 63}},
		{"no final newline", strings.TrimSuffix(statLine(3, "x", 1, 8), "\n"), statFields{"x", 1, 8}},
	}
	for _, c := range ok {
		got, err := parseStat([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("%s: parseStat(%q) = %+v, %v; want %+v", c.name, c.in, got, err, c.want)
		}
	}

	full := statLine(42, "sleep", 7, 99)
	bad := []struct{ name, in, inErr string }{
		{"empty", "", "no (comm)"},
		{"no parens", "42 sleep S 1 2", "no (comm)"},
		{"no closing paren", "42 (sleep S 1 2", "no (comm)"},
		{"closing before opening", "42 )sleep( S 1 2", "no (comm)"},
		{"truncated in comm", full[:6], "no (comm)"},
		{"truncated after comm", full[:len("42 (sleep) S 7 0 0")], "fields after the comm"},
		{"truncated before starttime", strings.Join(strings.Fields(full)[:21], " "), "fields after the comm"},
		{"ppid not a number", strings.Replace(full, "S 7 ", "S x ", 1), `ppid "x"`},
		{"ppid negative", strings.Replace(full, "S 7 ", "S -7 ", 1), `ppid "-7"`},
		{"ppid too big", strings.Replace(full, "S 7 ", "S 99999999999 ", 1), `ppid "99999999999"`},
		{"starttime not a number", strings.Replace(full, " 99 ", " 9x9 ", 1), `starttime "9x9"`},
		{"pid not a number", "x" + full, `pid "x42 "`},
		{"no pid", strings.TrimPrefix(full, "42 "), `pid ""`},
	}
	for _, c := range bad {
		got, err := parseStat([]byte(c.in))
		if err == nil {
			t.Errorf("%s: parseStat(%q) = %+v, want an error", c.name, c.in, got)
			continue
		}
		if !strings.Contains(err.Error(), c.inErr) {
			t.Errorf("%s: parseStat(%q) error %q, want it to mention %q", c.name, c.in, err, c.inErr)
		}
		if c.in != "" && !strings.Contains(err.Error(), fmt.Sprintf("%q", clip([]byte(c.in)))) {
			t.Errorf("%s: error %q does not quote the input", c.name, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	const realStatus = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t5\nPid:\t5\nPPid:\t1\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n"
	ok := []struct {
		in        string
		ruid, eid int
	}{
		{realStatus, 1000, 0},
		{"Uid:\t65534\t65534\t65534\t65534", 65534, 65534},
		{"Uid: 1 2", 1, 2},
		{"Uid:\t2147483647\t2147483647\t2147483647\t2147483647\n", 2147483647, 2147483647},
		// A name cannot fake the line: the kernel escapes a newline in it.
		{"Name:\tx\\nUid:\t7\t7\nUid:\t3\t4\t4\t4\n", 3, 4},
	}
	for _, c := range ok {
		r, e, err := parseStatus([]byte(c.in))
		if err != nil || r != c.ruid || e != c.eid {
			t.Errorf("parseStatus(%q) = %d, %d, %v; want %d, %d", c.in, r, e, err, c.ruid, c.eid)
		}
	}
	// uid_t is 32 bits unsigned: the ids above 2^31 fit an int only on
	// 64-bit systems, and are errors elsewhere.
	big := "Uid:\t4294967294\t4294967294\t4294967294\t4294967294\n"
	r, e, err := parseStatus([]byte(big))
	if strconv.IntSize == 64 && (err != nil || uint64(r) != 4294967294 || uint64(e) != 4294967294) {
		t.Errorf("parseStatus(%q) = %d, %d, %v; want 4294967294 twice", big, r, e, err)
	}
	if strconv.IntSize == 32 && err == nil {
		t.Errorf("parseStatus(%q) = %d, %d on a 32-bit system; want an error", big, r, e)
	}
	bad := []struct{ in, inErr string }{
		{"", "no Uid: line"},
		{"Name:\tsleep\nGid:\t0\t0\t0\t0\n", "no Uid: line"},
		{"Uid:\n", "want real and effective"},
		{"Uid:\t1000\n", "want real and effective"},
		{"Uid:\tx\t0\t0\t0\n", `uid "x"`},
		{"Uid:\t0\t-1\t0\t0\n", `uid "-1"`},
		{"Uid:\t0\t4294967296\t0\t0\n", `uid "4294967296"`},
		{" Uid:\t0\t0\t0\t0\n", "no Uid: line"},
	}
	for _, c := range bad {
		r, e, err := parseStatus([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.inErr) {
			t.Errorf("parseStatus(%q) = %d, %d, %v; want an error mentioning %q", c.in, r, e, err, c.inErr)
		}
		if r != -1 || e != -1 {
			t.Errorf("parseStatus(%q) failed with uids %d, %d; want -1, -1", c.in, r, e)
		}
	}
}

func TestParseCgroup(t *testing.T) {
	cases := []struct {
		name, in      string
		v2, systemd   string
		cgroup, inErr string
	}{
		// This machine: hybrid, everything in the root.
		{"hybrid root", "9:name=systemd:/\n8:pids:/\n7:blkio:/\n4:memory:/process_api/10be18ba2323c356c6d6fff460fb9e32\n1:cpu:/\n0::/\n", "/", "/", "/", ""},
		{"hybrid systemd", "12:name=systemd:/system.slice/nginx.service\n11:cpu,cpuacct:/system.slice/nginx.service\n0::/system.slice/nginx.service\n", "/system.slice/nginx.service", "/system.slice/nginx.service", "/system.slice/nginx.service", ""},
		{"hybrid, v2 root only", "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n0::/\n", "/", "/user.slice/user-1000.slice/session-3.scope", "/user.slice/user-1000.slice/session-3.scope", ""},
		{"v2 only", "0::/system.slice/sshd.service\n", "/system.slice/sshd.service", "", "/system.slice/sshd.service", ""},
		{"v2 only root", "0::/\n", "/", "", "/", ""},
		{"v1 only", "11:devices:/docker/abc\n2:name=systemd:/docker/abc\n1:cpuset:/docker/abc\n", "", "/docker/abc", "/docker/abc", ""},
		{"v1 without systemd", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n", "", "", "", ""},
		{"systemd among several names", "5:name=foo,name=systemd:/a.service\n", "", "/a.service", "/a.service", ""},
		{"colon in path", "0::/kubepods/pod:1/x:y\n", "/kubepods/pod:1/x:y", "", "/kubepods/pod:1/x:y", ""},
		{"no final newline", "0::/a.scope", "/a.scope", "", "/a.scope", ""},
		{"empty", "", "", "", "", ""},
		{"blank lines", "\n\n0::/a.scope\n\n", "/a.scope", "", "/a.scope", ""},
		{"no colons", "garbage\n", "", "", "", `line "garbage"`},
		{"one colon", "0:/\n", "", "", "", `line "0:/"`},
		{"bad id", "x::/\n", "", "", "", `hierarchy id "x"`},
	}
	for _, c := range cases {
		v2, sd, err := parseCgroup([]byte(c.in))
		if c.inErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.inErr) {
				t.Errorf("%s: parseCgroup(%q) = %q, %q, %v; want an error mentioning %q", c.name, c.in, v2, sd, err, c.inErr)
			}
			continue
		}
		if err != nil || v2 != c.v2 || sd != c.systemd {
			t.Errorf("%s: parseCgroup(%q) = %q, %q, %v; want %q, %q", c.name, c.in, v2, sd, err, c.v2, c.systemd)
		}
		if got := chooseCgroup(v2, sd); got != c.cgroup {
			t.Errorf("%s: chooseCgroup(%q, %q) = %q, want %q", c.name, v2, sd, got, c.cgroup)
		}
	}
}

func TestParseBootTime(t *testing.T) {
	const stat = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5 6\nctxt 77\nbtime 1700000000\nprocesses 12\n"
	if got, err := parseBootTime([]byte(stat)); err != nil || got != 1700000000 {
		t.Errorf("parseBootTime = %d, %v; want 1700000000", got, err)
	}
	for _, in := range []string{"", "cpu 1 2\n", "btime\n", "btime x\n", "btime -5\n", "btime 99999999999999999999\n", "xbtime 5\n"} {
		if got, err := parseBootTime([]byte(in)); err == nil {
			t.Errorf("parseBootTime(%q) = %d, want an error", in, got)
		}
	}
}

// auxv builds an auxiliary vector of the given word size from key, value
// pairs.
func auxv(word int, order binary.AppendByteOrder, kv ...uint64) []byte {
	var b []byte
	for _, v := range kv {
		if word == 4 {
			b = order.AppendUint32(b, uint32(v))
		} else {
			b = order.AppendUint64(b, v)
		}
	}
	return b
}

func TestParseAuxvClockTicks(t *testing.T) {
	for _, word := range []int{4, 8} {
		for _, order := range []interface {
			binary.ByteOrder
			binary.AppendByteOrder
		}{binary.LittleEndian, binary.BigEndian} {
			name := fmt.Sprintf("%d-byte %v", word, order)
			// AT_PHDR, AT_PAGESZ, AT_CLKTCK, AT_NULL, as the kernel orders them.
			v := auxv(word, order, 3, 0x400040, 6, 4096, 17, 100, 0, 0)
			if got, err := parseAuxvClockTicks(v, word, order); err != nil || got != 100 {
				t.Errorf("%s: = %d, %v; want 100", name, got, err)
			}
			v = auxv(word, order, 6, 4096, 17, 1024, 0, 0)
			if got, err := parseAuxvClockTicks(v, word, order); err != nil || got != 1024 {
				t.Errorf("%s: = %d, %v; want 1024", name, got, err)
			}
			for _, bad := range [][]byte{
				nil,
				auxv(word, order, 6, 4096, 0, 0, 17, 100),      // after AT_NULL
				auxv(word, order, 6, 4096),                     // no AT_CLKTCK, no AT_NULL
				auxv(word, order, 17, 0, 0, 0),                 // zero
				auxv(word, order, 6, 4096, 17, 100)[:3*word+1], // truncated pair
			} {
				if got, err := parseAuxvClockTicks(bad, word, order); err == nil {
					t.Errorf("%s: parseAuxvClockTicks(%x) = %d, want an error", name, bad, got)
				}
			}
		}
	}
	if _, err := parseAuxvClockTicks(auxv(8, binary.LittleEndian, 17, 100), 2, binary.LittleEndian); err == nil {
		t.Error("word size 2 accepted")
	}
}

func TestParseCmdline(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"sleep\x0030\x00", []string{"sleep", "30"}},
		{"\x00\n 1\x00 29\x00", []string{"", "\n 1", " 29"}},
		{"a b\x00\x00c\x00", []string{"a b", "", "c"}},
		{"a\x00\x00", []string{"a", ""}},
		{"\x00", []string{""}},
		{"nginx: worker process", []string{"nginx: worker process"}}, // rewritten, no NUL
	}
	for _, c := range cases {
		if got := parseCmdline([]byte(c.in)); !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("parseCmdline(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStartTime(t *testing.T) {
	const boot = 1700000000
	cases := []struct {
		ticks uint64
		hz    int64
		want  time.Time
	}{
		{0, 100, time.Unix(boot, 0)},
		{12345, 100, time.Unix(boot+123, 450_000_000)},
		{1, 1024, time.Unix(boot, 976_562)},
		// Ten years of uptime: ticks*time.Second would overflow.
		{100 * 86400 * 3650, 100, time.Unix(boot+86400*3650, 0)},
		{5, 0, time.Time{}},
		{1 << 63, 1, time.Time{}},
	}
	for _, c := range cases {
		if got := startTime(boot, c.ticks, c.hz); !got.Equal(c.want) {
			t.Errorf("startTime(%d, %d, %d) = %v, want %v", boot, c.ticks, c.hz, got, c.want)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(realStat), "sleep", uint32(1), uint64(5))
	f.Add([]byte(statLine(4, "a) (b", 3, 2)), "a) (b", uint32(0), uint64(0))
	f.Add([]byte("1 ("), ") (", uint32(1<<31-1), uint64(1<<64-1))
	f.Add([]byte("1 (x) S -1"), "\n", uint32(7), uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, comm string, ppid uint32, start uint64) {
		// Anything: no panic, and what is returned comes from the input.
		if st, err := parseStat(data); err == nil {
			if !bytes.Contains(data, []byte("("+st.comm+")")) || st.ppid < 0 {
				t.Fatalf("parseStat(%q) = %+v: comm not from the input or negative ppid", data, st)
			}
		} else if !strings.HasPrefix(err.Error(), "stat ") {
			t.Fatalf("parseStat(%q) error %q does not name the file", data, err)
		}
		// A kernel-made line with any comm (no NUL: the kernel has none)
		// parses back to what went in.
		if strings.IndexByte(comm, 0) >= 0 {
			return
		}
		ppid &= 1<<31 - 1
		line := statLine(99, comm, int(ppid), start)
		st, err := parseStat([]byte(line))
		if err != nil || st != (statFields{comm, int(ppid), start}) {
			t.Fatalf("parseStat(%q) = %+v, %v; want comm %q ppid %d start %d", line, st, err, comm, ppid, start)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Name:\tsleep\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"))
	f.Add([]byte("Uid:\t4294967295\t1"))
	f.Add([]byte("Uid:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A kernel-made status with the uids taken from the input's first
		// bytes parses back to them, wherever the line stands.
		if len(data) >= 8 {
			ruid, euid := binary.LittleEndian.Uint32(data)&(1<<31-1), binary.LittleEndian.Uint32(data[4:])&(1<<31-1)
			made := fmt.Sprintf("Name:\tx\nUmask:\t0022\nUid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n", ruid, euid, euid, euid)
			if r, e, err := parseStatus([]byte(made)); err != nil || r != int(ruid) || e != int(euid) {
				t.Fatalf("parseStatus(%q) = %d, %d, %v; want %d, %d", made, r, e, err, ruid, euid)
			}
		}
		r, e, err := parseStatus(data)
		if err != nil {
			if r != -1 || e != -1 {
				t.Fatalf("parseStatus(%q) failed with uids %d, %d", data, r, e)
			}
			return
		}
		if r < 0 || e < 0 || !bytes.Contains(data, []byte("Uid:")) {
			t.Fatalf("parseStatus(%q) = %d, %d without a valid Uid: line", data, r, e)
		}
	})
}

func FuzzParseCgroup(f *testing.F) {
	f.Add([]byte("9:name=systemd:/\n8:pids:/\n0::/\n"), "/", "/")
	f.Add([]byte("0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n"), "/a:b", "")
	f.Add([]byte("1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n"), "", "/user.slice")
	f.Add([]byte("0::/a:b:c\n\n"), "/x\ny", "/ (deleted)")
	f.Fuzz(func(t *testing.T, data []byte, v2Path, systemdPath string) {
		// A kernel-made file with these paths (any bytes but a newline,
		// ':' included) parses back to them, wherever their lines stand
		// among the other hierarchies'.
		if !strings.Contains(v2Path+systemdPath, "\n") {
			var made strings.Builder
			made.WriteString("12:cpu,cpuacct:/a\n")
			if systemdPath != "" {
				fmt.Fprintf(&made, "1:name=systemd:%s\n", systemdPath)
			}
			made.WriteString("3:memory:/b:c\n")
			if v2Path != "" {
				fmt.Fprintf(&made, "0::%s\n", v2Path)
			}
			if v2, sd, err := parseCgroup([]byte(made.String())); err != nil || v2 != v2Path || sd != systemdPath {
				t.Fatalf("parseCgroup(%q) = %q, %q, %v; want %q, %q", made.String(), v2, sd, err, v2Path, systemdPath)
			}
		}
		v2, sd, err := parseCgroup(data)
		if err != nil {
			if v2 != "" || sd != "" {
				t.Fatalf("parseCgroup(%q) failed with paths %q, %q", data, v2, sd)
			}
			if !strings.HasPrefix(err.Error(), "cgroup line ") {
				t.Fatalf("parseCgroup(%q) error %q does not quote the line", data, err)
			}
			return
		}
		if v2 != "" && !bytes.Contains(data, []byte("0::"+v2)) {
			t.Fatalf("parseCgroup(%q): v2 path %q is not from a 0:: line", data, v2)
		}
		if sd != "" && !bytes.Contains(data, []byte("name=systemd")) {
			t.Fatalf("parseCgroup(%q): systemd path %q without a name=systemd line", data, sd)
		}
		if c := chooseCgroup(v2, sd); c != v2 && c != sd {
			t.Fatalf("chooseCgroup(%q, %q) = %q", v2, sd, c)
		}
	})
}

func FuzzParseAuxv(f *testing.F) {
	f.Add(auxv(8, binary.LittleEndian, 6, 4096, 17, 100, 0, 0), true)
	f.Add(auxv(4, binary.LittleEndian, 17, 100, 0, 0), false)
	f.Add([]byte{17, 0, 0}, false)
	f.Fuzz(func(t *testing.T, data []byte, wide bool) {
		word := 4
		if wide {
			word = 8
		}
		for _, order := range []interface {
			binary.ByteOrder
			binary.AppendByteOrder
		}{binary.LittleEndian, binary.BigEndian} {
			if hz, err := parseAuxvClockTicks(data, word, order); err == nil && hz <= 0 {
				t.Fatalf("parseAuxvClockTicks(%x, %d) = %d", data, word, hz)
			}
			// A vector made with a clock rate from the input, after a few
			// other pairs, gives that rate back.
			if len(data) >= 2 {
				want := uint64(data[0])<<8 | uint64(data[1]) | 1
				made := auxv(word, order, 6, 4096, 16, uint64(len(data)), 17, want, 0, 0)
				if hz, err := parseAuxvClockTicks(made, word, order); err != nil || uint64(hz) != want {
					t.Fatalf("parseAuxvClockTicks(%x, %d) = %d, %v; want %d", made, word, hz, err, want)
				}
			}
		}
	})
}
