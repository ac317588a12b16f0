package collector

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// procAddr formats an address the way the kernel prints it in /proc/net on
// this machine: each 32-bit word of the address read in host byte order.
func procAddr(a netip.Addr) string {
	var sb strings.Builder
	var raw []byte
	if a.Is4() {
		v4 := a.As4()
		raw = v4[:]
	} else {
		v16 := a.As16()
		raw = v16[:]
	}
	for i := 0; i < len(raw); i += 4 {
		fmt.Fprintf(&sb, "%08X", binary.NativeEndian.Uint32(raw[i:]))
	}
	return sb.String()
}

func procAddrPort(a netip.AddrPort) string {
	return fmt.Sprintf("%s:%04X", procAddr(a.Addr()), a.Port())
}

const (
	tcpHeader  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
	tcp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	udpHeader  = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n"
)

// tcpLine is a full TCP socket's line (get_tcp4_sock / get_tcp6_sock).
func tcpLine(sl int, local, remote string, st uint8, tx, rx uint32, uid uint32, inode uint64) string {
	return fmt.Sprintf("%4d: %s %s %02X %08X:%08X 00:00000000 00000000 %5d %8d %d 1 0000000000000000 100 0 0 10 0                     \n",
		sl, local, remote, st, tx, rx, uid, 0, inode)
}

// timeWaitLine is a TIME_WAIT socket's line (get_timewait4_sock).
func timeWaitLine(sl int, local, remote string) string {
	return fmt.Sprintf("%4d: %s %s 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n",
		sl, local, remote)
}

// synRecvLine is a request socket's line (get_openreq4): the uid is the
// listener's.
func synRecvLine(sl int, local, remote string, uid uint32) string {
	return fmt.Sprintf("%4d: %s %s 03 00000000:00000000 01:00000064 00000000 %5d        0 0 1 0000000000000000\n",
		sl, local, remote, uid)
}

// udpLine is a UDP socket's line (udp4_format_sock).
func udpLine(sl int, local, remote string, st uint8, tx, rx uint32, uid uint32, inode uint64) string {
	return fmt.Sprintf("%5d: %s %s %02X %08X:%08X 00:00000000 00000000 %5d        0 %d 2 0000000000000000 0         \n",
		sl, local, remote, st, tx, rx, uid, inode)
}

type procNetCase struct {
	name      string
	data      string
	p         Proto
	f         Family
	filt      *Filter
	want      []Socket
	wantWarns []string
}

func procNetCases() []procNetCase {
	lo4 := procAddrPort(ap("127.0.0.1:8080"))
	cl4 := procAddrPort(ap("127.0.0.1:40000"))
	any4 := procAddrPort(ap("0.0.0.0:0"))
	lo6 := procAddrPort(ap("[::1]:443"))
	any6 := procAddrPort(ap("[::]:0"))
	mappedL := procAddrPort(ap("[::ffff:127.0.0.1]:8080"))
	mappedR := procAddrPort(ap("[::ffff:127.0.0.1]:50000"))
	ll6 := procAddrPort(ap("[fe80::1:2:3:4]:53"))

	tcp4 := tcpHeader +
		tcpLine(0, procAddrPort(ap("0.0.0.0:8080")), any4, 0x0A, 0, 3, 0, 99) +
		tcpLine(1, cl4, lo4, 0x01, 7, 5, 1000, 4242) +
		timeWaitLine(2, lo4, procAddrPort(ap("127.0.0.1:40001"))) +
		synRecvLine(3, lo4, procAddrPort(ap("127.0.0.1:40002")), 1000) +
		tcpLine(4, lo4, procAddrPort(ap("127.0.0.1:40003")), 0x08, 0xffffffff, 0x10, bigUID, 18446744073709551615)
	tcp4Socks := []Socket{
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("0.0.0.0:8080"), Remote: ap("0.0.0.0:0"),
			State: StateListen, UID: 0, Inode: 99, RecvQ: 3, SendQ: 0},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:40000"), Remote: ap("127.0.0.1:8080"),
			State: StateEstablished, UID: 1000, Inode: 4242, RecvQ: 5, SendQ: 7},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:40001"),
			State: StateTimeWait, UID: -1},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:40002"),
			State: StateSynRecv, UID: -1},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:40003"),
			State: StateCloseWait, UID: int(bigUID), Inode: 18446744073709551615, RecvQ: 0x10, SendQ: 0xffffffff},
	}

	tcp6 := tcp6Header +
		tcpLine(0, lo6, any6, 0x0A, 0, 0, 33, 100) +
		tcpLine(1, mappedL, mappedR, 0x01, 0, 0, 0, 101) +
		tcpLine(2, ll6, any6, 0x0A, 0, 0, 0, 102) +
		timeWaitLine(3, lo6, procAddrPort(ap("[::1]:1"))) +
		synRecvLine(4, mappedL, mappedR, 5)
	tcp6Socks := []Socket{
		{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[::1]:443"), Remote: ap("[::]:0"),
			State: StateListen, UID: 33, Inode: 100},
		{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[::ffff:127.0.0.1]:8080"), Remote: ap("[::ffff:127.0.0.1]:50000"),
			State: StateEstablished, UID: 0, Inode: 101},
		{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[fe80::1:2:3:4]:53"), Remote: ap("[::]:0"),
			State: StateListen, UID: 0, Inode: 102},
		{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[::1]:443"), Remote: ap("[::1]:1"),
			State: StateTimeWait, UID: -1},
		{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[::ffff:127.0.0.1]:8080"), Remote: ap("[::ffff:127.0.0.1]:50000"),
			State: StateSynRecv, UID: -1},
	}

	udp4 := udpHeader +
		udpLine(5, procAddrPort(ap("127.0.0.1:53")), any4, 0x07, 0, 768, 101, 555) +
		udpLine(77, procAddrPort(ap("127.0.0.1:41000")), procAddrPort(ap("127.0.0.1:53")), 0x01, 0, 0, 1000, 556)
	udp4Socks := []Socket{
		{Proto: ProtoUDP, Family: FamilyIPv4, Local: ap("127.0.0.1:53"), Remote: ap("0.0.0.0:0"),
			State: StateClose, UID: 101, Inode: 555, RecvQ: 768},
		{Proto: ProtoUDP, Family: FamilyIPv4, Local: ap("127.0.0.1:41000"), Remote: ap("127.0.0.1:53"),
			State: StateEstablished, UID: 1000, Inode: 556},
	}

	good := tcpLine(9, cl4, lo4, 0x01, 0, 0, 1000, 7)
	badAddr := strings.Replace(cl4, procAddr(netip.MustParseAddr("127.0.0.1")), "0100007G", 1)
	badPort := procAddr(netip.MustParseAddr("127.0.0.1")) + ":12345"
	goodSock := Socket{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:40000"), Remote: ap("127.0.0.1:8080"),
		State: StateEstablished, UID: 1000, Inode: 7}
	badLines := tcpHeader +
		good + // line 2
		strings.Replace(good, cl4, badAddr, 1) + // 3
		"   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n" + // 4
		"\n" + // 5: blank, silent
		strings.Replace(good, " 01 ", " ZZ ", 1) + // 6
		strings.Replace(good, " 1000 ", " -5 ", 1) + // 7
		strings.Replace(good, " 00000000:00000000 ", " 0000000000000000 ", 1) + // 8
		strings.Replace(good, " 7 1 ", " 99999999999999999999 1 ", 1) + // 9
		strings.Replace(good, "   9: ", "   x: ", 1) + // 10
		strings.Replace(good, lo4, badPort, 1) + // 11
		strings.TrimSuffix(good, "\n") // 12: no final newline

	return []procNetCase{
		{name: "tcp", data: tcp4, p: ProtoTCP, f: FamilyIPv4, want: tcp4Socks},
		{name: "tcp6", data: tcp6, p: ProtoTCP, f: FamilyIPv6, want: tcp6Socks},
		{name: "udp", data: udp4, p: ProtoUDP, f: FamilyIPv4, want: udp4Socks},
		{name: "udp6", data: udpHeader + udpLine(0, lo6, any6, 0x07, 0, 0, 0, 9), p: ProtoUDP, f: FamilyIPv6,
			want: []Socket{{Proto: ProtoUDP, Family: FamilyIPv6, Local: ap("[::1]:443"), Remote: ap("[::]:0"),
				State: StateClose, Inode: 9}}},
		{name: "filter", data: tcp4, p: ProtoTCP, f: FamilyIPv4, filt: &Filter{LocalPort: 8080, States: 1<<StateTimeWait | 1<<StateSynRecv},
			want: tcp4Socks[2:4]},
		{name: "header only", data: tcpHeader, p: ProtoTCP, f: FamilyIPv4},
		{name: "empty", data: "", p: ProtoTCP, f: FamilyIPv4},
		{name: "malformed lines", data: badLines, p: ProtoTCP, f: FamilyIPv4,
			want: []Socket{goodSock, goodSock},
			wantWarns: []string{
				"line 3: bad local_address \"" + badAddr + "\"",
				"line 4: truncated line: 5 fields, want at least 10",
				"line 6: bad state \"ZZ\"",
				"line 7: bad uid \"-5\"",
				"line 8: bad tx_queue:rx_queue \"0000000000000000\"",
				"line 9: bad inode \"99999999999999999999\"",
				"line 10: bad slot number \"x:\"",
				"line 11: bad rem_address \"" + badPort + "\"",
			}},
		{name: "IPv4 lines in an IPv6 file", data: tcp6Header + good, p: ProtoTCP, f: FamilyIPv6,
			wantWarns: []string{"line 2: bad local_address \"" + cl4 + "\" for ipv6"}},
		{name: "IPv6 lines in an IPv4 file", data: tcp6, p: ProtoTCP, f: FamilyIPv4,
			wantWarns: []string{"line 2: bad local_address", "line 3: bad local_address", "line 4: bad local_address",
				"line 5: bad local_address", "line 6: bad local_address"}},
	}
}

func TestParseProcNet(t *testing.T) {
	for _, tc := range procNetCases() {
		t.Run(tc.name, func(t *testing.T) {
			const name = "/proc/net/test"
			var warns []string
			prefix := []Socket{{Proto: ProtoUDP, Inode: 1}}
			out := parseProcNet([]byte(tc.data), tc.p, tc.f, name, tc.filt, prefix, func(s string) {
				warns = append(warns, s)
			})
			if !reflect.DeepEqual(out[:1], prefix) {
				t.Errorf("the sockets already in out changed: %+v", out[:1])
			}
			got := out[1:]
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sockets:\n got %+v\nwant %+v", got, tc.want)
			}
			if len(warns) != len(tc.wantWarns) {
				t.Fatalf("warnings = %q, want %d", warns, len(tc.wantWarns))
			}
			for i, w := range tc.wantWarns {
				if !strings.HasPrefix(warns[i], name+" ") || !strings.Contains(warns[i], w) {
					t.Errorf("warning %d = %q, want one naming %s and containing %q", i, warns[i], name, w)
				}
			}
		})
	}
}

// TestParseProcNetLittleEndian checks the parser against lines copied from
// a little-endian (x86_64) machine, independently of procAddr.
func TestParseProcNetLittleEndian(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("big-endian machine")
	}
	v4 := tcpHeader +
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23094 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 0F0200C0:A2D2 507100CB:01BB 01 00000000:00000000 02:00000B3E 00000000  1000        0 181232 2 0000000000000000 20 4 30 10 -1\n"
	v6 := tcp6Header +
		"   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23093 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D6D8 01 00000000:00000000 00:00000000 00000000  1000        0 99 1 0000000000000000 20 4 30 10 -1\n" +
		"   2: 000080FE00000000FF0D01021D2A3C4B:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 98 1 0000000000000000 100 0 0 10 0\n"
	cases := []struct {
		data          string
		f             Family
		local, remote []string
	}{
		{v4, FamilyIPv4, []string{"127.0.0.1:631", "192.0.2.15:41682"}, []string{"0.0.0.0:0", "203.0.113.80:443"}},
		{v6, FamilyIPv6, []string{"[::1]:631", "[::ffff:127.0.0.1]:8080", "[fe80::201:dff:4b3c:2a1d]:53"},
			[]string{"[::]:0", "[::ffff:127.0.0.1]:55000", "[::]:0"}},
	}
	for _, c := range cases {
		out := parseProcNet([]byte(c.data), ProtoTCP, c.f, "x", nil, nil, func(w string) { t.Error(w) })
		if len(out) != len(c.local) {
			t.Fatalf("%v: %d sockets, want %d", c.f, len(out), len(c.local))
		}
		for i, s := range out {
			if s.Local.String() != c.local[i] || s.Remote.String() != c.remote[i] {
				t.Errorf("%v socket %d: %v -> %v, want %s -> %s", c.f, i, s.Local, s.Remote, c.local[i], c.remote[i])
			}
		}
	}
}

func TestParseProcNetNoAllocs(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(tcp6Header)
	for i := 0; i < 100; i++ {
		sb.WriteString(tcpLine(i, procAddrPort(ap("[::ffff:127.0.0.1]:8080")), procAddrPort(ap("[::1]:50000")), 1, 0, 0, 1000, uint64(i)))
	}
	data := []byte(sb.String())
	out := make([]Socket, 0, 100)
	filt := &Filter{Port: 8080}
	allocs := testing.AllocsPerRun(20, func() {
		out = parseProcNet(data, ProtoTCP, FamilyIPv6, "tcp6", filt, out[:0], nil)
		if len(out) != 100 {
			t.Fatalf("parse: %d sockets", len(out))
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per parse of 100 lines, want 0", allocs)
	}
}

// procNetShortest is the shortest line that can be a socket: every field
// at its shortest, single spaces between.
const procNetShortest = "0: 00000000:0 00000000:0 0 0:0 0 0 0 0 0"

// procNetFieldsOf splits a /proc/net line at the whitespace the parser
// accepts between fields.
func procNetFieldsOf(line []byte) [][]byte {
	return bytes.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f' })
}

// FuzzParseProcNet checks the parser against the format as the kernel
// prints it (get_tcp4_sock and friends): every line that is neither blank
// nor the header is a socket or one warning naming it; each socket holds
// what its line's fields say, read here with strconv; a socket printed back
// in the kernel's format by this test parses to itself.
func FuzzParseProcNet(f *testing.F) {
	for _, tc := range procNetCases() {
		f.Add([]byte(tc.data), tc.p == ProtoUDP, tc.f == FamilyIPv6)
	}
	f.Fuzz(func(t *testing.T, data []byte, udp, v6 bool) {
		p, fam := ProtoTCP, FamilyIPv4
		if udp {
			p = ProtoUDP
		}
		if v6 {
			fam = FamilyIPv6
		}
		warned := map[int]bool{}
		out := parseProcNet(data, p, fam, "fuzz", nil, nil, func(w string) {
			var n int
			if _, err := fmt.Sscanf(w, "fuzz line %d: ", &n); err != nil || warned[n] {
				t.Errorf("warning without file name and line, or a second one for its line: %q", w)
			}
			warned[n] = true
		})
		if len(out)*(len(procNetShortest)+1) > len(data)+1 {
			t.Fatalf("%d sockets from %d bytes", len(out), len(data))
		}
		// The lines that must be sockets: not blank, not the header, not
		// warned about.
		var lines [][][]byte
		for i, line := range bytes.Split(data, []byte("\n")) {
			fields := procNetFieldsOf(line)
			if len(fields) == 0 || string(fields[0]) == "sl" {
				if warned[i+1] {
					t.Errorf("line %d is blank or the header, yet warned about", i+1)
				}
				continue
			}
			if !warned[i+1] {
				lines = append(lines, fields)
			}
		}
		if len(lines) != len(out) {
			t.Fatalf("%d sockets from %d socket lines", len(out), len(lines))
		}
		for i := range out {
			s := &out[i]
			checkNormalized(t, s, p)
			if s.Family != fam {
				t.Errorf("family %v, want %v", s.Family, fam)
			}
			checkProcNetFields(t, s, lines[i])
			// Printed back as the kernel prints it, it parses to itself.
			st := uint8(s.State)
			if s.State == StateNewSynRecv {
				st = 3
			}
			uid := uint32(s.UID)
			if s.UID < 0 {
				uid = 0
			}
			line := tcpLine(0, procAddrPort(s.Local), procAddrPort(s.Remote), st, s.SendQ, s.RecvQ, uid, s.Inode)
			if udp {
				line = udpLine(0, procAddrPort(s.Local), procAddrPort(s.Remote), st, s.SendQ, s.RecvQ, uid, s.Inode)
			}
			again := parseProcNet([]byte(line), p, fam, "again", nil, nil, func(w string) { t.Errorf("printed back: %s", w) })
			if len(again) != 1 || !reflect.DeepEqual(again[0], *s) {
				t.Fatalf("socket %+v printed back as %q parses to %+v", *s, line, again)
			}
		}
	})
}

// checkProcNetFields checks s against the fields of its line: local and
// remote ADDR:PORT in hex (the address as procAddr prints it), st in hex
// (TCP_NEW_SYN_RECV, 12, shown as SYN_RECV), tx_queue:rx_queue in hex, uid
// and inode in decimal; TIME_WAIT and SYN_RECV have no uid.
func checkProcNetFields(t *testing.T, s *Socket, f [][]byte) {
	t.Helper()
	hex := func(b []byte, bits int) uint64 {
		v, err := strconv.ParseUint(string(b), 16, bits)
		if err != nil {
			t.Fatalf("socket from field %q: %v", b, err)
		}
		return v
	}
	dec := func(b []byte, bits int) uint64 {
		v, err := strconv.ParseUint(string(b), 10, bits)
		if err != nil {
			t.Fatalf("socket from field %q: %v", b, err)
		}
		return v
	}
	for i, ap := range []netip.AddrPort{s.Local, s.Remote} {
		addr, port, _ := bytes.Cut(f[1+i], []byte(":"))
		if !strings.EqualFold(string(addr), procAddr(ap.Addr())) || hex(port, 16) != uint64(ap.Port()) {
			t.Fatalf("address %v from field %q", ap, f[1+i])
		}
	}
	st := State(hex(f[3], 8))
	if st == 12 {
		st = StateSynRecv
	}
	if s.State != st {
		t.Fatalf("state %v from field %q", s.State, f[3])
	}
	tx, rx, _ := bytes.Cut(f[4], []byte(":"))
	if uint64(s.SendQ) != hex(tx, 32) || uint64(s.RecvQ) != hex(rx, 32) {
		t.Fatalf("queues %d:%d from field %q", s.SendQ, s.RecvQ, f[4])
	}
	uid := int64(dec(f[7], 32))
	if st == StateTimeWait || st == StateSynRecv {
		uid = -1
	}
	if int64(s.UID) != uid || s.Inode != dec(f[9], 64) {
		t.Fatalf("uid %d inode %d from fields %q %q", s.UID, s.Inode, f[7], f[9])
	}
}
