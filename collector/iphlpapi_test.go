package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// MIB_TCP_STATE values as Microsoft documents them for dwState in
// MIB_TCPROW_OWNER_PID and MIB_TCP6ROW_OWNER_PID (tcpmib.h): the test
// writes these numbers itself and never uses the decoder's.
const (
	msClosed    = 1  // MIB_TCP_STATE_CLOSED
	msListen    = 2  // MIB_TCP_STATE_LISTEN
	msSynSent   = 3  // MIB_TCP_STATE_SYN_SENT
	msSynRcvd   = 4  // MIB_TCP_STATE_SYN_RCVD
	msEstab     = 5  // MIB_TCP_STATE_ESTAB
	msFinWait1  = 6  // MIB_TCP_STATE_FIN_WAIT1
	msFinWait2  = 7  // MIB_TCP_STATE_FIN_WAIT2
	msCloseWait = 8  // MIB_TCP_STATE_CLOSE_WAIT
	msClosing   = 9  // MIB_TCP_STATE_CLOSING
	msLastAck   = 10 // MIB_TCP_STATE_LAST_ACK
	msTimeWait  = 11 // MIB_TCP_STATE_TIME_WAIT
	msDeleteTCB = 12 // MIB_TCP_STATE_DELETE_TCB
)

// msStates is what each MIB_TCP_STATE must become: the State, and the
// name portwatch shows for it. CLOSED is a socket that is bound but neither
// listening nor connected (Linux's BOUND_INACTIVE); DELETE_TCB the last
// moment of a connection (Linux's CLOSE).
var msStates = []struct {
	dwState uint32
	state   State
	name    string
}{
	{1, StateBoundInactive, "BOUND_INACTIVE"},
	{2, StateListen, "LISTEN"},
	{3, StateSynSent, "SYN_SENT"},
	{4, StateSynRecv, "SYN_RECV"},
	{5, StateEstablished, "ESTABLISHED"},
	{6, StateFinWait1, "FIN_WAIT1"},
	{7, StateFinWait2, "FIN_WAIT2"},
	{8, StateCloseWait, "CLOSE_WAIT"},
	{9, StateClosing, "CLOSING"},
	{10, StateLastAck, "LAST_ACK"},
	{11, StateTimeWait, "TIME_WAIT"},
	{12, StateClose, "CLOSE"},
}

// msRowLayout is a row structure's size and the offset of each field, as
// Microsoft documents MIB_TCPROW_OWNER_PID, MIB_TCP6ROW_OWNER_PID,
// MIB_UDPROW_OWNER_PID and MIB_UDP6ROW_OWNER_PID (tcpmib.h, udpmib.h: DWORDs
// and UCHAR[16], no padding); -1 for a field the structure lacks. Every
// table starts with a 4-byte DWORD dwNumEntries.
type msRowLayout struct {
	size, state, localAddr, localScope, localPort, remoteAddr, remoteScope, remotePort, pid int
}

var msRowLayouts = map[[2]int]msRowLayout{
	{int(ProtoTCP), int(FamilyIPv4)}: {size: 24, state: 0, localAddr: 4, localScope: -1, localPort: 8,
		remoteAddr: 12, remoteScope: -1, remotePort: 16, pid: 20},
	{int(ProtoTCP), int(FamilyIPv6)}: {size: 56, localAddr: 0, localScope: 16, localPort: 20,
		remoteAddr: 24, remoteScope: 40, remotePort: 44, state: 48, pid: 52},
	{int(ProtoUDP), int(FamilyIPv4)}: {size: 12, state: -1, localAddr: 0, localScope: -1, localPort: 4,
		remoteAddr: -1, remoteScope: -1, remotePort: -1, pid: 8},
	{int(ProtoUDP), int(FamilyIPv6)}: {size: 28, state: -1, localAddr: 0, localScope: 16, localPort: 20,
		remoteAddr: -1, remoteScope: -1, remotePort: -1, pid: 24},
}

// mibRow is one row of an IP Helper table as the test writes it: the
// builder lays it out as the documented MIB_*ROW_OWNER_PID structure of
// the table it goes in, ignoring the fields that structure lacks.
type mibRow struct {
	state          uint32 // MIB_TCP_STATE (TCP only)
	local, remote  string // "addr:port" or "[addr]:port"; remote TCP only
	localScope     uint32 // scope ids (IPv6 only)
	remoteScope    uint32
	hostOrderScope bool   // write the scope ids in host order, as Wine does
	portJunk       uint16 // written into the unused upper 16 bits of each port DWORD
	pid            uint32
}

// buildMIBTable lays out a MIB_{TCP,TCP6,UDP,UDP6}TABLE_OWNER_PID with
// dwNumEntries = count (len(rows) when count < 0).
func buildMIBTable(t testing.TB, p Proto, f Family, count int, rows ...mibRow) []byte {
	t.Helper()
	le := binary.LittleEndian
	n := uint32(len(rows))
	if count >= 0 {
		n = uint32(count)
	}
	b := le.AppendUint32(nil, n)
	addr4 := func(b []byte, s string) []byte {
		ap := netip.MustParseAddrPort(s)
		if !ap.Addr().Is4() {
			t.Fatalf("%s is not IPv4", s)
		}
		a := ap.Addr().As4()
		return append(b, a[:]...)
	}
	addr6 := func(b []byte, s string) []byte {
		ap := netip.MustParseAddrPort(s)
		a := ap.Addr().As16()
		return append(b, a[:]...)
	}
	port := func(b []byte, s string, junk uint16) []byte {
		ap := netip.MustParseAddrPort(s)
		b = binary.BigEndian.AppendUint16(b, ap.Port())
		return le.AppendUint16(b, junk)
	}
	scope := func(b []byte, id uint32, host bool) []byte {
		if host {
			return le.AppendUint32(b, id)
		}
		return binary.BigEndian.AppendUint32(b, id)
	}
	for _, r := range rows {
		switch {
		case p == ProtoTCP && f == FamilyIPv4:
			b = le.AppendUint32(b, r.state)
			b = addr4(b, r.local)
			b = port(b, r.local, r.portJunk)
			b = addr4(b, r.remote)
			b = port(b, r.remote, r.portJunk)
			b = le.AppendUint32(b, r.pid)
		case p == ProtoTCP && f == FamilyIPv6:
			b = addr6(b, r.local)
			b = scope(b, r.localScope, r.hostOrderScope)
			b = port(b, r.local, r.portJunk)
			b = addr6(b, r.remote)
			b = scope(b, r.remoteScope, r.hostOrderScope)
			b = port(b, r.remote, r.portJunk)
			b = le.AppendUint32(b, r.state)
			b = le.AppendUint32(b, r.pid)
		case p == ProtoUDP && f == FamilyIPv4:
			b = addr4(b, r.local)
			b = port(b, r.local, r.portJunk)
			b = le.AppendUint32(b, r.pid)
		case p == ProtoUDP && f == FamilyIPv6:
			b = addr6(b, r.local)
			b = scope(b, r.localScope, r.hostOrderScope)
			b = port(b, r.local, r.portJunk)
			b = le.AppendUint32(b, r.pid)
		default:
			t.Fatalf("no table for %v %v", p, f)
		}
	}
	return b
}

func TestMIBRowLayouts(t *testing.T) {
	// The builder writes rows field by field from the documentation; the
	// decoder's lengths must agree with it.
	one := mibRow{state: msListen, local: "[::1]:1", remote: "[::]:0"}
	for _, c := range []struct {
		p    Proto
		f    Family
		row  mibRow
		want int
	}{
		{ProtoTCP, FamilyIPv4, mibRow{state: 2, local: "1.2.3.4:1", remote: "0.0.0.0:0"}, 24},
		{ProtoTCP, FamilyIPv6, one, 56},
		{ProtoUDP, FamilyIPv4, mibRow{local: "1.2.3.4:1"}, 12},
		{ProtoUDP, FamilyIPv6, one, 28},
	} {
		b := buildMIBTable(t, c.p, c.f, -1, c.row)
		if got := len(b) - 4; got != c.want || ipHelperRowLen(c.p, c.f) != c.want || msRowLayouts[[2]int{int(c.p), int(c.f)}].size != c.want {
			t.Errorf("%s row: builder wrote %d bytes, decoder expects %d, documented %d",
				tableName(c.p, c.f), got, ipHelperRowLen(c.p, c.f), c.want)
		}
	}
	if ipHelperRowLen(Proto(9), FamilyIPv4) != 0 || ipHelperRowLen(ProtoTCP, Family(9)) != 0 {
		t.Error("a table that does not exist has a row length")
	}
}

// wantSock is a decoded socket as a test expects it.
type wantSock struct {
	local, remote string
	state         State
	pid           uint32
}

func TestDecodeIPHelperTable(t *testing.T) {
	cases := []struct {
		name  string
		p     Proto
		f     Family
		buf   func(t *testing.T) []byte
		want  []wantSock
		warns []string // substrings, one warning each
	}{
		{
			name: "tcp4 in several states",
			p:    ProtoTCP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoTCP, FamilyIPv4, -1,
					mibRow{state: msListen, local: "0.0.0.0:135", remote: "0.0.0.0:0", pid: 1044},
					mibRow{state: msListen, local: "127.0.0.1:8080", remote: "0.0.0.0:0", pid: 7},
					mibRow{state: msEstab, local: "127.0.0.1:8080", remote: "127.0.0.1:50312", pid: 7},
					mibRow{state: msEstab, local: "127.0.0.1:50312", remote: "127.0.0.1:8080", pid: 9},
					mibRow{state: msTimeWait, local: "10.0.0.5:49999", remote: "93.184.216.34:443"},
					mibRow{state: msCloseWait, local: "10.0.0.5:50001", remote: "140.82.112.3:443", pid: 4},
					mibRow{state: msSynSent, local: "10.0.0.5:50002", remote: "192.0.2.1:65535", pid: 4},
				)
			},
			want: []wantSock{
				{"0.0.0.0:135", "0.0.0.0:0", StateListen, 1044},
				{"127.0.0.1:8080", "0.0.0.0:0", StateListen, 7},
				{"127.0.0.1:8080", "127.0.0.1:50312", StateEstablished, 7},
				{"127.0.0.1:50312", "127.0.0.1:8080", StateEstablished, 9},
				{"10.0.0.5:49999", "93.184.216.34:443", StateTimeWait, 0},
				{"10.0.0.5:50001", "140.82.112.3:443", StateCloseWait, 4},
				{"10.0.0.5:50002", "192.0.2.1:65535", StateSynSent, 4},
			},
		},
		{
			name: "tcp4 port DWORDs with junk in the upper half",
			p:    ProtoTCP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoTCP, FamilyIPv4, -1,
					mibRow{state: msEstab, local: "127.0.0.1:1", remote: "127.0.0.1:65535", portJunk: 0xbeef, pid: 1})
			},
			want: []wantSock{{"127.0.0.1:1", "127.0.0.1:65535", StateEstablished, 1}},
		},
		{
			name: "tcp6 in several states",
			p:    ProtoTCP, f: FamilyIPv6,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoTCP, FamilyIPv6, -1,
					mibRow{state: msListen, local: "[::]:445", remote: "[::]:0", pid: 4},
					mibRow{state: msListen, local: "[::1]:9000", remote: "[::]:0", pid: 300},
					mibRow{state: msEstab, local: "[::1]:9000", remote: "[::1]:50000", pid: 300},
					mibRow{state: msFinWait2, local: "[2001:db8::1]:50001", remote: "[2001:db8::2]:22", pid: 301},
					mibRow{state: msTimeWait, local: "[2001:db8::1]:50002", remote: "[2001:db8::2]:22"},
					mibRow{state: msLastAck, local: "[::ffff:10.1.2.3]:80", remote: "[::ffff:10.1.2.4]:50003", pid: 302},
				)
			},
			want: []wantSock{
				{"[::]:445", "[::]:0", StateListen, 4},
				{"[::1]:9000", "[::]:0", StateListen, 300},
				{"[::1]:9000", "[::1]:50000", StateEstablished, 300},
				{"[2001:db8::1]:50001", "[2001:db8::2]:22", StateFinWait2, 301},
				{"[2001:db8::1]:50002", "[2001:db8::2]:22", StateTimeWait, 0},
				{"[::ffff:10.1.2.3]:80", "[::ffff:10.1.2.4]:50003", StateLastAck, 302},
			},
		},
		{
			name: "tcp6 link-local zones in network byte order, as documented",
			p:    ProtoTCP, f: FamilyIPv6,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoTCP, FamilyIPv6, -1,
					mibRow{state: msEstab, local: "[fe80::1]:22", localScope: 12,
						remote: "[fe80::2]:50000", remoteScope: 12, pid: 5},
					// A scope id on a global address says nothing: dropped.
					mibRow{state: msEstab, local: "[2001:db8::1]:22", localScope: 3,
						remote: "[2001:db8::2]:50000", remoteScope: 3, pid: 5},
					// Link-local without a scope id: no zone.
					mibRow{state: msListen, local: "[fe80::1]:23", remote: "[::]:0", pid: 5},
				)
			},
			want: []wantSock{
				{"[fe80::1%12]:22", "[fe80::2%12]:50000", StateEstablished, 5},
				{"[2001:db8::1]:22", "[2001:db8::2]:50000", StateEstablished, 5},
				{"[fe80::1]:23", "[::]:0", StateListen, 5},
			},
		},
		{
			name: "tcp6 link-local zones in host byte order, as Wine writes them",
			p:    ProtoTCP, f: FamilyIPv6,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoTCP, FamilyIPv6, -1,
					mibRow{state: msEstab, local: "[fe80::1]:22", localScope: 12,
						remote: "[fe80::2]:50000", remoteScope: 70000, hostOrderScope: true, pid: 5})
			},
			want: []wantSock{{"[fe80::1%12]:22", "[fe80::2%70000]:50000", StateEstablished, 5}},
		},
		{
			name: "udp4",
			p:    ProtoUDP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoUDP, FamilyIPv4, -1,
					mibRow{local: "0.0.0.0:5353", pid: 2100},
					mibRow{local: "127.0.0.1:53", pid: 2101, portJunk: 0xffff},
					mibRow{local: "192.168.1.20:137", pid: 4},
					mibRow{local: "0.0.0.0:500"},
				)
			},
			want: []wantSock{
				{"0.0.0.0:5353", "0.0.0.0:0", StateClose, 2100},
				{"127.0.0.1:53", "0.0.0.0:0", StateClose, 2101},
				{"192.168.1.20:137", "0.0.0.0:0", StateClose, 4},
				{"0.0.0.0:500", "0.0.0.0:0", StateClose, 0},
			},
		},
		{
			name: "udp6",
			p:    ProtoUDP, f: FamilyIPv6,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoUDP, FamilyIPv6, -1,
					mibRow{local: "[::]:5353", pid: 2100},
					mibRow{local: "[::1]:53", pid: 2101},
					mibRow{local: "[fe80::abcd]:546", localScope: 7, pid: 2102},
				)
			},
			want: []wantSock{
				{"[::]:5353", "[::]:0", StateClose, 2100},
				{"[::1]:53", "[::]:0", StateClose, 2101},
				{"[fe80::abcd%7]:546", "[::]:0", StateClose, 2102},
			},
		},
		{
			name: "zero rows",
			p:    ProtoTCP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte { return buildMIBTable(t, ProtoTCP, FamilyIPv4, -1) },
		},
		{
			name: "zero rows, udp6",
			p:    ProtoUDP, f: FamilyIPv6,
			buf: func(t *testing.T) []byte { return buildMIBTable(t, ProtoUDP, FamilyIPv6, -1) },
		},
		{
			name: "bytes after the last row are the rest of the caller's buffer",
			p:    ProtoUDP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte {
				b := buildMIBTable(t, ProtoUDP, FamilyIPv4, -1, mibRow{local: "127.0.0.1:9", pid: 3})
				return append(b, make([]byte, 1000)...)
			},
			want: []wantSock{{"127.0.0.1:9", "0.0.0.0:0", StateClose, 3}},
		},
		{
			name: "a count smaller than the rows there are",
			p:    ProtoUDP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoUDP, FamilyIPv4, 1,
					mibRow{local: "127.0.0.1:9", pid: 3}, mibRow{local: "127.0.0.1:10", pid: 3})
			},
			want: []wantSock{{"127.0.0.1:9", "0.0.0.0:0", StateClose, 3}},
		},
		{
			name: "unknown TCP states",
			p:    ProtoTCP, f: FamilyIPv4,
			buf: func(t *testing.T) []byte {
				return buildMIBTable(t, ProtoTCP, FamilyIPv4, -1,
					mibRow{state: 0, local: "127.0.0.1:1", remote: "0.0.0.0:0", pid: 1},
					mibRow{state: msEstab, local: "127.0.0.1:2", remote: "127.0.0.1:3", pid: 1},
					mibRow{state: 13, local: "127.0.0.1:4", remote: "0.0.0.0:0", pid: 1},
					mibRow{state: 0xffffffff, local: "127.0.0.1:5", remote: "0.0.0.0:0", pid: 1},
				)
			},
			want: []wantSock{
				{"127.0.0.1:1", "0.0.0.0:0", StateUnknown, 1},
				{"127.0.0.1:2", "127.0.0.1:3", StateEstablished, 1},
				{"127.0.0.1:4", "0.0.0.0:0", StateUnknown, 1},
				{"127.0.0.1:5", "0.0.0.0:0", StateUnknown, 1},
			},
			warns: []string{"iphlpapi tcp4 table: 3 rows with an unknown dwState (the first is 0)"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var warns []string
			socks, pids, err := decodeIPHelperTable(c.buf(t), c.p, c.f, nil, nil, nil, func(w string) { warns = append(warns, w) })
			if err != nil {
				t.Fatal(err)
			}
			checkIPHelperSockets(t, socks, pids, c.p, c.f, c.want)
			if len(warns) != len(c.warns) {
				t.Fatalf("warnings %q, want %d like %q", warns, len(c.warns), c.warns)
			}
			for i, w := range c.warns {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %q, want it to contain %q", warns[i], w)
				}
			}
		})
	}
}

// checkIPHelperSockets compares decoded sockets with what a test expects,
// and checks the fields every decoded socket has.
func checkIPHelperSockets(t *testing.T, socks []Socket, pids []uint32, p Proto, f Family, want []wantSock) {
	t.Helper()
	if len(socks) != len(want) || len(pids) != len(want) {
		t.Fatalf("%d sockets and %d pids, want %d: %+v", len(socks), len(pids), len(want), socks)
	}
	for i, w := range want {
		s := socks[i]
		if s.Proto != p || s.Family != f {
			t.Errorf("row %d: %v %v, want %v %v", i, s.Proto, s.Family, p, f)
		}
		if got := s.Local.String(); got != w.local {
			t.Errorf("row %d: local %s, want %s", i, got, w.local)
		}
		if got := s.Remote.String(); got != w.remote {
			t.Errorf("row %d: remote %s, want %s", i, got, w.remote)
		}
		if s.State != w.state {
			t.Errorf("row %d: state %v, want %v", i, s.State, w.state)
		}
		if pids[i] != w.pid {
			t.Errorf("row %d: pid %d, want %d", i, pids[i], w.pid)
		}
		if s.UID != -1 || s.Inode != 0 || s.RecvQ != 0 || s.SendQ != 0 || s.Owners != nil || s.OwnerUnknown != OwnerKnown {
			t.Errorf("row %d: fields the table does not carry are set: %+v", i, s)
		}
	}
}

func TestMIBTCPStates(t *testing.T) {
	// Every documented state through a real row of both TCP tables.
	for _, c := range msStates {
		for _, f := range []Family{FamilyIPv4, FamilyIPv6} {
			row := mibRow{state: c.dwState, local: "127.0.0.1:1", remote: "127.0.0.1:2", pid: 1}
			if f == FamilyIPv6 {
				row.local, row.remote = "[::1]:1", "[::1]:2"
			}
			socks, _, err := decodeIPHelperTable(buildMIBTable(t, ProtoTCP, f, -1, row), ProtoTCP, f, nil, nil, nil, nil)
			if err != nil || len(socks) != 1 || socks[0].State != c.state || socks[0].StateName() != c.name {
				t.Errorf("%s dwState %d: %+v %v, want %v (%s)", tableName(ProtoTCP, f), c.dwState, socks, err, c.state, c.name)
			}
		}
	}
	// Numbers Microsoft does not define are UNKNOWN, with a warning.
	for _, v := range []uint32{0, 13, 100, 1 << 31, 0xffffffff} {
		row := mibRow{state: v, local: "127.0.0.1:1", remote: "127.0.0.1:2", pid: 1}
		var warns []string
		socks, _, err := decodeIPHelperTable(buildMIBTable(t, ProtoTCP, FamilyIPv4, -1, row), ProtoTCP, FamilyIPv4, nil, nil, nil,
			func(w string) { warns = append(warns, w) })
		if err != nil || len(socks) != 1 || socks[0].State != StateUnknown || socks[0].StateName() != "UNKNOWN" || len(warns) != 1 {
			t.Errorf("dwState %d: %+v %v %q, want one UNKNOWN socket and a warning", v, socks, err, warns)
		}
	}
}

func TestDecodeIPHelperTableErrors(t *testing.T) {
	tcp4 := buildMIBTable(t, ProtoTCP, FamilyIPv4, -1,
		mibRow{state: msListen, local: "127.0.0.1:1", remote: "0.0.0.0:0", pid: 1},
		mibRow{state: msListen, local: "127.0.0.1:2", remote: "0.0.0.0:0", pid: 1})
	udp6 := buildMIBTable(t, ProtoUDP, FamilyIPv6, -1, mibRow{local: "[::1]:1", pid: 1})
	lying := func(b []byte, n uint32) []byte {
		b = append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(b, n)
		return b
	}
	cases := []struct {
		name string
		p    Proto
		f    Family
		buf  []byte
		want []string
	}{
		{"empty buffer", ProtoTCP, FamilyIPv4, nil, []string{"tcp4", "truncated", "0 bytes", "needs 4"}},
		{"three bytes", ProtoUDP, FamilyIPv6, []byte{1, 0, 0}, []string{"udp6", "truncated", "3 bytes"}},
		{"last row cut short", ProtoTCP, FamilyIPv4, tcp4[:len(tcp4)-1], []string{"tcp4", "dwNumEntries is 2", "room for 1 rows of 24 bytes"}},
		{"only the header", ProtoUDP, FamilyIPv6, udp6[:4], []string{"udp6", "dwNumEntries is 1", "holds 0 bytes"}},
		{"count one too many", ProtoTCP, FamilyIPv4, lying(tcp4, 3), []string{"tcp4", "dwNumEntries is 3", "room for 2 rows"}},
		{"count of 2^32-1", ProtoUDP, FamilyIPv6, lying(udp6, 0xffffffff), []string{"udp6", "dwNumEntries is 4294967295"}},
		{"count that overflows 32 bits times the row length", ProtoTCP, FamilyIPv6,
			lying(make([]byte, 4+56), 0x80000001), []string{"tcp6", "dwNumEntries is 2147483649"}},
		{"no such table", Proto(3), FamilyIPv4, tcp4, []string{"no table"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev := []Socket{{Proto: ProtoTCP}}
			prevPIDs := []uint32{42}
			socks, pids, err := decodeIPHelperTable(c.buf, c.p, c.f, nil, prev, prevPIDs, nil)
			if err == nil {
				t.Fatalf("no error; decoded %+v", socks)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(socks) != 1 || len(pids) != 1 {
				t.Errorf("a failed decode appended: %d sockets, %d pids", len(socks), len(pids))
			}
		})
	}
}

func TestDecodeIPHelperTableFilter(t *testing.T) {
	buf := buildMIBTable(t, ProtoTCP, FamilyIPv4, -1,
		mibRow{state: msListen, local: "127.0.0.1:8080", remote: "0.0.0.0:0", pid: 7},
		mibRow{state: msEstab, local: "127.0.0.1:8080", remote: "127.0.0.1:50312", pid: 7},
		mibRow{state: msEstab, local: "127.0.0.1:50312", remote: "127.0.0.1:8080", pid: 9},
		mibRow{state: msEstab, local: "10.0.0.1:22", remote: "10.0.0.2:50000", pid: 11},
		mibRow{state: msTimeWait, local: "127.0.0.1:50000", remote: "127.0.0.1:8080"},
	)
	cases := []struct {
		filt Filter
		want []uint32 // pids, which tell the rows apart here
	}{
		{Filter{}, []uint32{7, 7, 9, 11, 0}},
		{Filter{States: 1 << StateListen}, []uint32{7}},
		{Filter{States: AllStates &^ (1 << StateListen), Port: 8080}, []uint32{7, 9, 0}},
		{Filter{LocalPort: 8080}, []uint32{7, 7}},
		{Filter{RemotePort: 8080}, []uint32{9, 0}},
		{Filter{Addr: netip.MustParseAddr("10.0.0.2")}, []uint32{11}},
		{Filter{Addr: netip.MustParseAddr("::ffff:10.0.0.1")}, []uint32{11}},
		{Filter{States: 1 << StateSynSent}, nil},
	}
	for _, c := range cases {
		socks, pids, err := decodeIPHelperTable(buf, ProtoTCP, FamilyIPv4, &c.filt, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(socks) != len(pids) || !reflect.DeepEqual(pids, c.want) {
			t.Errorf("filter %+v: pids %v (%d sockets), want %v", c.filt, pids, len(socks), c.want)
		}
	}
}

func TestDecodeIPHelperTableAppends(t *testing.T) {
	// The collector decodes every table into one slice.
	var socks []Socket
	var pids []uint32
	var err error
	for _, tb := range []struct {
		p   Proto
		f   Family
		row mibRow
	}{
		{ProtoTCP, FamilyIPv4, mibRow{state: msListen, local: "127.0.0.1:1", remote: "0.0.0.0:0", pid: 1}},
		{ProtoTCP, FamilyIPv6, mibRow{state: msListen, local: "[::1]:2", remote: "[::]:0", pid: 2}},
		{ProtoUDP, FamilyIPv4, mibRow{local: "127.0.0.1:3", pid: 3}},
		{ProtoUDP, FamilyIPv6, mibRow{local: "[::1]:4", pid: 4}},
	} {
		socks, pids, err = decodeIPHelperTable(buildMIBTable(t, tb.p, tb.f, -1, tb.row), tb.p, tb.f, nil, socks, pids, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(pids, []uint32{1, 2, 3, 4}) {
		t.Fatalf("pids %v", pids)
	}
	for i, want := range []string{"tcp 127.0.0.1:1 LISTEN", "tcp [::1]:2 LISTEN", "udp 127.0.0.1:3 UNCONN", "udp [::1]:4 UNCONN"} {
		s := socks[i]
		if got := s.Proto.String() + " " + s.Local.String() + " " + s.StateName(); got != want {
			t.Errorf("socket %d: %q, want %q", i, got, want)
		}
	}
}

func TestDecodeIPHelperTableNoAllocs(t *testing.T) {
	rows := make([]mibRow, 200)
	for i := range rows {
		rows[i] = mibRow{state: msEstab, local: "[2001:db8::1]:443", remote: "[2001:db8::2]:50000", pid: uint32(i + 1)}
	}
	buf := buildMIBTable(t, ProtoTCP, FamilyIPv6, -1, rows...)
	socks := make([]Socket, 0, len(rows))
	pids := make([]uint32, 0, len(rows))
	allocs := testing.AllocsPerRun(20, func() {
		var err error
		if _, _, err = decodeIPHelperTable(buf, ProtoTCP, FamilyIPv6, &Filter{}, socks[:0], pids[:0], nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations decoding %d rows into room for them, want 0", allocs, len(rows))
	}
}

func TestAttachIPHelperOwners(t *testing.T) {
	mk := func() []Socket {
		return []Socket{
			{Proto: ProtoTCP, State: StateListen},
			{Proto: ProtoTCP, State: StateEstablished},
			{Proto: ProtoTCP, State: StateTimeWait},
			{Proto: ProtoUDP, State: StateClose},
			{Proto: ProtoTCP, State: StateEstablished},
			{Proto: ProtoTCP, State: StateFinWait2},
		}
	}
	pids := []uint32{4, 1200, 0, 1200, 31337, 0}
	names := map[uint32]string{4: "System", 1200: "portwatch.exe"}
	wantOwners := [][]Owner{
		{{PID: 4, Process: "System", FD: -1}},
		{{PID: 1200, Process: "portwatch.exe", FD: -1}},
		nil,
		{{PID: 1200, Process: "portwatch.exe", FD: -1}},
		{{PID: 31337, Process: "", FD: -1}}, // exited before the process snapshot
		nil,
	}
	for _, c := range []struct {
		zero        pidZeroMeaning
		want        []OwnerUnknown
		unsupported int
	}{
		{pidZeroKernel, []OwnerUnknown{OwnerKnown, OwnerKnown, OwnerKernel, OwnerKnown, OwnerKnown, OwnerKernel}, 0},
		{pidZeroUnreported, []OwnerUnknown{OwnerKnown, OwnerKnown, OwnerKernel, OwnerKnown, OwnerKnown, OwnerUnsupported}, 1},
	} {
		socks := mk()
		if n := attachIPHelperOwners(socks, pids, names, c.zero); n != c.unsupported {
			t.Errorf("zero=%d: %d unsupported, want %d", c.zero, n, c.unsupported)
		}
		for i, s := range socks {
			if !reflect.DeepEqual(s.Owners, wantOwners[i]) || s.OwnerUnknown != c.want[i] {
				t.Errorf("zero=%d socket %d: owners %+v (%q), want %+v (%q)", c.zero, i, s.Owners, s.OwnerUnknown, wantOwners[i], c.want[i])
			}
		}
		// Appending to one socket's owners must not overwrite the next's.
		socks[0].Owners = append(socks[0].Owners, Owner{PID: 99})
		if socks[1].Owners[0].PID != 1200 {
			t.Error("socket owners share capacity")
		}
	}
}

// msRowWant is what row i of data must decode to, read at the documented
// offsets of msRowLayouts: addresses without their zones, and the state
// from msStates.
func msRowWant(data []byte, p Proto, f Family, i int) (local, remote netip.AddrPort, state State, pid uint32) {
	l := msRowLayouts[[2]int{int(p), int(f)}]
	r := data[4+i*l.size : 4+(i+1)*l.size]
	le, be := binary.LittleEndian, binary.BigEndian
	addr := func(off int) netip.Addr {
		if f == FamilyIPv4 {
			return netip.AddrFrom4([4]byte(r[off : off+4]))
		}
		return netip.AddrFrom16([16]byte(r[off : off+16]))
	}
	local = netip.AddrPortFrom(addr(l.localAddr), be.Uint16(r[l.localPort:]))
	if p == ProtoUDP {
		remote = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
		if f == FamilyIPv6 {
			remote = netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
		}
		return local, remote, StateClose, le.Uint32(r[l.pid:])
	}
	remote = netip.AddrPortFrom(addr(l.remoteAddr), be.Uint16(r[l.remotePort:]))
	state = StateUnknown
	for _, c := range msStates {
		if c.dwState == le.Uint32(r[l.state:]) {
			state = c.state
		}
	}
	return local, remote, state, le.Uint32(r[l.pid:])
}

// fuzzIPHelperTable decodes data as both families' tables of p and checks
// it against the documented layout: the table decodes exactly when its
// dwNumEntries rows fit, into one socket per row with the values at the
// documented offsets; a filter keeps the rows it matches and no other; every
// row holds only what a row may hold.
func fuzzIPHelperTable(t *testing.T, p Proto, data []byte, filt *Filter) {
	for _, f := range []Family{FamilyIPv4, FamilyIPv6} {
		name := "iphlpapi " + tableName(p, f) + " table"
		rowLen := msRowLayouts[[2]int{int(p), int(f)}].size
		fits := len(data) >= 4 && 4+uint64(binary.LittleEndian.Uint32(data))*uint64(rowLen) <= uint64(len(data))
		all, allPIDs, err := decodeIPHelperTable(data, p, f, nil, nil, nil, func(w string) {
			if !strings.HasPrefix(w, name) {
				t.Errorf("warning without the table's name: %q", w)
			}
		})
		if fits != (err == nil) {
			t.Fatalf("%s: %d bytes, the rows fit: %v, yet error %v", name, len(data), fits, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), name) {
				t.Errorf("error without the table's name: %v", err)
			}
			if all != nil || allPIDs != nil {
				t.Errorf("error %v with %d sockets", err, len(all))
			}
			continue
		}
		if n := binary.LittleEndian.Uint32(data); len(all) != int(n) || len(allPIDs) != int(n) {
			t.Fatalf("%s: %d sockets and %d pids from dwNumEntries %d", name, len(all), len(allPIDs), n)
		}
		for i := range all {
			s := &all[i]
			local, remote, state, pid := msRowWant(data, p, f, i)
			if s.Local.Addr().WithZone("") != local.Addr() || s.Local.Port() != local.Port() ||
				s.Remote.Addr().WithZone("") != remote.Addr() || s.Remote.Port() != remote.Port() ||
				s.State != state || allPIDs[i] != pid {
				t.Fatalf("%s: row %d decodes to %v %v %v pid %d, its bytes say %v %v %v pid %d",
					name, i, s.Local, s.Remote, s.State, allPIDs[i], local, remote, state, pid)
			}
			checkIPHelperRow(t, name, i, s, p, f)
		}
		socks, pids, err := decodeIPHelperTable(data, p, f, filt, nil, nil, nil)
		if err != nil {
			t.Fatalf("%s: with a filter: %v", name, err)
		}
		var want []Socket
		var wantPIDs []uint32
		for i := range all {
			if filt == nil || filt.Match(&all[i]) {
				want, wantPIDs = append(want, all[i]), append(wantPIDs, allPIDs[i])
			}
		}
		if !reflect.DeepEqual(socks, want) || !reflect.DeepEqual(pids, wantPIDs) {
			t.Fatalf("%s: filter %+v keeps %d rows, the rows that match are %d", name, filt, len(socks), len(want))
		}
		// Owners from those PIDs: every socket gets an owner or a reason.
		attachIPHelperOwners(socks, pids, nil, pidZeroUnreported)
		for i, s := range socks {
			if (pids[i] != 0) != (len(s.Owners) == 1) || (pids[i] == 0) != (s.OwnerUnknown != OwnerKnown) {
				t.Fatalf("%s: row %d with pid %d: owners %+v, reason %q", name, i, pids[i], s.Owners, s.OwnerUnknown)
			}
			if len(s.Owners) == 1 && (s.Owners[0].PID != int(pids[i]) || s.Owners[0].PID <= 0 || s.Owners[0].FD != -1) {
				t.Fatalf("%s: row %d: owner %+v from pid %d", name, i, s.Owners[0], pids[i])
			}
		}
	}
}

// checkIPHelperRow checks what any decoded row may hold.
func checkIPHelperRow(t *testing.T, name string, i int, s *Socket, p Proto, f Family) {
	t.Helper()
	if s.Proto != p || s.Family != f {
		t.Fatalf("%s: row %d is %v %v", name, i, s.Proto, s.Family)
	}
	la, ra := s.Local.Addr(), s.Remote.Addr()
	if !la.IsValid() || !ra.IsValid() || (f == FamilyIPv4) != la.Is4() || (f == FamilyIPv4) != ra.Is4() {
		t.Fatalf("%s: row %d has addresses %v %v", name, i, s.Local, s.Remote)
	}
	for _, a := range []netip.Addr{la, ra} {
		if z := a.Zone(); z != "" {
			if !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast() && !a.IsInterfaceLocalMulticast() {
				t.Fatalf("%s: row %d: zone on %v", name, i, a)
			}
			if z == "0" || strings.TrimLeft(z, "0123456789") != "" {
				t.Fatalf("%s: row %d: zone %q is not a non-zero number", name, i, z)
			}
		}
	}
	if s.UID != -1 || s.Inode != 0 || s.RecvQ != 0 || s.SendQ != 0 || s.Owners != nil {
		t.Fatalf("%s: row %d: %+v", name, i, *s)
	}
}

func FuzzDecodeTCPTable(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(1))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, uint8(0))
	f.Add(buildMIBTable(f, ProtoTCP, FamilyIPv4, -1,
		mibRow{state: msListen, local: "0.0.0.0:135", remote: "0.0.0.0:0", pid: 1044},
		mibRow{state: msEstab, local: "127.0.0.1:8080", remote: "127.0.0.1:50312", pid: 7, portJunk: 0x1234},
		mibRow{state: msTimeWait, local: "10.0.0.5:49999", remote: "93.184.216.34:443"},
	), uint8(0))
	f.Add(buildMIBTable(f, ProtoTCP, FamilyIPv6, -1,
		mibRow{state: msListen, local: "[::]:445", remote: "[::]:0", pid: 4},
		mibRow{state: msEstab, local: "[fe80::1]:22", localScope: 12, remote: "[fe80::2]:5", remoteScope: 12, hostOrderScope: true, pid: 5},
		mibRow{state: 99, local: "[::1]:1", remote: "[::1]:2"},
	), uint8(2))
	f.Add(buildMIBTable(f, ProtoTCP, FamilyIPv6, 7,
		mibRow{state: msSynSent, local: "[::1]:1", remote: "[::1]:2", pid: 1}), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, filter uint8) {
		fuzzIPHelperTable(t, ProtoTCP, data, fuzzFilter(data, filter))
	})
}

func FuzzDecodeUDPTable(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(1))
	f.Add([]byte{2, 0, 0, 0, 127, 0, 0, 1, 0, 53, 0, 0, 1, 0, 0, 0}, uint8(0))
	f.Add(buildMIBTable(f, ProtoUDP, FamilyIPv4, -1,
		mibRow{local: "0.0.0.0:5353", pid: 2100},
		mibRow{local: "127.0.0.1:53", pid: 0, portJunk: 0xffff},
	), uint8(0))
	f.Add(buildMIBTable(f, ProtoUDP, FamilyIPv6, -1,
		mibRow{local: "[::]:5353", pid: 2100},
		mibRow{local: "[fe80::abcd]:546", localScope: 7, pid: 2102},
		mibRow{local: "[ff02::1:3]:5355", localScope: 0x0c000000, pid: 2103},
	), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, filter uint8) {
		fuzzIPHelperTable(t, ProtoUDP, data, fuzzFilter(data, filter))
	})
}

// fuzzFilter picks a filter from the fuzzer's byte, with ports taken from
// the data so that some rows match.
func fuzzFilter(data []byte, sel uint8) *Filter {
	port := uint16(0)
	if len(data) >= 10 {
		port = binary.BigEndian.Uint16(data[8:])
	}
	switch sel % 5 {
	case 1:
		return &Filter{}
	case 2:
		return &Filter{States: 1<<StateListen | 1<<StateClose, Port: port}
	case 3:
		return &Filter{LocalPort: port, Addr: netip.MustParseAddr("127.0.0.1")}
	case 4:
		return &Filter{States: StateSet(sel) << 4, RemotePort: port}
	}
	return nil
}

// fakeTable plays GetExtended*Table for readIPHelperTable: the table needs
// sizes[i] bytes at call i (the last size for every call after), or fails
// with err.
type fakeTable struct {
	sizes []uint32
	err   error
	// shortAnyway: the first call reports the buffer short with the size
	// the table needs, although that fits.
	shortAnyway bool
	calls       int
	lens        []int // the buffer length each call got
}

func (f *fakeTable) fill(buf []byte, size *uint32) (bool, error) {
	need := f.sizes[min(f.calls, len(f.sizes)-1)]
	f.calls++
	f.lens = append(f.lens, len(buf))
	if *size != uint32(len(buf)) {
		return false, fmt.Errorf("size %d for a buffer of %d", *size, len(buf))
	}
	if f.err != nil {
		return false, f.err
	}
	if need > *size || f.shortAnyway && f.calls == 1 {
		*size = need
		return true, nil
	}
	return false, nil
}

func TestReadIPHelperTable(t *testing.T) {
	errAccess := errors.New("access denied")
	cases := []struct {
		name        string
		buf         int // length of the buffer passed in
		sizes       []uint32
		err         error
		shortAnyway bool
		calls       int
		lens        []int  // buffer lengths the calls got
		wantErr     string // "" for success
	}{
		{"fits the initial buffer", 0, []uint32{4 + 24*10}, nil, false, 1, []int{initialTableBuffer}, ""},
		{"fits the caller's buffer", 100, []uint32{100}, nil, false, 1, []int{100}, ""},
		{"grows once", 100, []uint32{1000}, nil, false, 2, []int{100, 1125}, ""},
		{"grew between the size probe and the fill", 4, []uint32{100, 200, 220}, nil, false, 3, []int{4, 112, 225}, ""},
		{"growth within the eighth to spare", 4, []uint32{800, 850}, nil, false, 2, []int{4, 900}, ""},
		{"keeps growing", 4, []uint32{100, 1000, 10000, 100000, 1000000}, nil, false, maxTableAttempts,
			[]int{4, 112, 1125, 11250, 112500}, "GetExtendedTcpTable: the table kept growing past the buffer (5 calls, 1125000 bytes)"},
		{"a size no bigger than the buffer", 64, []uint32{50}, nil, true, 2, []int{64, 128}, ""},
		{"a size past the bound", 4, []uint32{maxTableBuffer + 1}, nil, false, 1, []int{4},
			"GetExtendedTcpTable: asks for a buffer of 1073741825 bytes, more than the 1073741824 allowed"},
		{"an error", 4, []uint32{0}, errAccess, false, 1, []int{4}, "GetExtendedTcpTable: access denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeTable{sizes: c.sizes, err: c.err}
			var in []byte
			if c.buf > 0 {
				in = make([]byte, c.buf)
			}
			f.shortAnyway = c.shortAnyway
			out, err := readIPHelperTable(in, "GetExtendedTcpTable", f.fill)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || err.Error() != c.wantErr) {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if c.err != nil && !errors.Is(err, c.err) {
				t.Errorf("error %v does not wrap %v", err, c.err)
			}
			if f.calls != c.calls || !reflect.DeepEqual(f.lens, c.lens) {
				t.Errorf("%d calls with buffers of %v, want %d with %v", f.calls, f.lens, c.calls, c.lens)
			}
			if out == nil || (err == nil && len(out) != f.lens[len(f.lens)-1]) {
				t.Errorf("returned a buffer of %d bytes, the last call filled %d", len(out), f.lens[len(f.lens)-1])
			}
		})
	}
}

// The row SetTcpEntry gets decodes, as a table row, to the same
// connection; IPv6 and UDP are refused.
func TestAppendDeleteTCBRow(t *testing.T) {
	s := Socket{Proto: ProtoTCP, Family: FamilyIPv4, State: StateEstablished,
		Local: netip.MustParseAddrPort("127.0.0.1:40376"), Remote: netip.MustParseAddrPort("10.1.2.3:443")}
	row, err := appendDeleteTCBRow(nil, &s)
	if err != nil || len(row) != 5*4 {
		t.Fatalf("row %x, %v", row, err)
	}
	table := binary.LittleEndian.AppendUint32(nil, 1)
	table = append(table, row...)
	table = binary.LittleEndian.AppendUint32(table, 4242) // the PID of the owner row
	got, _, err := decodeIPHelperTable(table, ProtoTCP, FamilyIPv4, &Filter{States: 1<<stateCount - 1}, nil, nil, func(string) {})
	if err != nil || len(got) != 1 || got[0].Local != s.Local || got[0].Remote != s.Remote || got[0].State != StateClose {
		t.Errorf("decoded %+v, %v; want %v -> %v in DELETE_TCB (CLOSE)", got, err, s.Local, s.Remote)
	}
	if !stillOpen([]Socket{s}, &s) || stillOpen(got, &s) {
		t.Error("stillOpen: want the established one open and the one in DELETE_TCB not")
	}
	s6 := s
	s6.Local, s6.Remote = netip.MustParseAddrPort("[::1]:40376"), netip.MustParseAddrPort("[::1]:443")
	if _, err := appendDeleteTCBRow(nil, &s6); !errors.Is(err, ErrDestroyUnsupported) || !strings.Contains(err.Error(), "IPv4") {
		t.Errorf("IPv6: %v, want unsupported naming IPv4", err)
	}
	u := s
	u.Proto = ProtoUDP
	if _, err := appendDeleteTCBRow(nil, &u); err == nil {
		t.Error("UDP: no error")
	}
}
