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

// The fixtures here are built from the struct layouts written down in
// darwin_pcblist.go (checked against XNU's headers), not captured on a Mac:
// they prove the decoder agrees with those layouts, not that the layouts
// agree with a running macOS.

// darwinLayout is the sizeof of each pcblist_n record in one XNU release.
type darwinLayout struct {
	name                                   string
	inpcb, socket, sockbuf, sockstat, tcpb int
}

var (
	// xnu-2782 (OS X 10.10) to xnu-8020 (macOS 12 Monterey).
	darwinMonterey = darwinLayout{"macOS 12 (xnu-8020)", 104, 76, 32, 136, 204}
	// xnu-8792 (macOS 13 Ventura) to xnu-11417 (macOS 15 Sequoia):
	// xsocket_n gained so_gencnt, so_flags, so_flags1, so_usecount,
	// so_retaincnt, xso_filter_flags.
	darwinSequoia = darwinLayout{"macOS 13-15 (xnu-8792 to xnu-11417)", 104, 104, 32, 136, 204}
	// A made-up future release whose every record grew, to show that
	// longer records are skipped by their length.
	darwinFuture = darwinLayout{"future (every record longer)", 140, 132, 44, 150, 260}
	// xnu-2422 (OS X 10.9 Mavericks): xsocket_n without so_last_pid and
	// so_e_pid, xinpcb_n without inp_flags2. Too short: rejected.
	darwinMavericks = darwinLayout{"OS X 10.9 (xnu-2422)", 100, 68, 32, 136, 204}
)

// dwSock is one socket of a fixture, in the kernel's terms.
type dwSock struct {
	vflag           byte
	laddr, faddr    string // "" is the unspecified address
	lport, fport    uint16
	tstate          int32 // TCPS_*
	uid             uint32
	lastPID, ePID   int32
	soState         uint16
	qlen, incqlen   int16
	qlimit          int16
	rcvCC, sndCC    uint32
	omit            uint32 // XSO_* kinds to leave out (malformed fixtures)
	extraUnknownRec bool   // add a record of an unknown kind
}

// dwOpts tweak a whole fixture.
type dwOpts struct {
	gen, trailerGen uint64
	count           int // xig_count; -1: the number of sockets
}

func dwPutAddr(rec []byte, off int, s string, v6 bool) {
	if s == "" {
		return
	}
	a := netip.MustParseAddr(s)
	if v6 {
		b := a.As16()
		copy(rec[off:], b[:])
		return
	}
	b := a.As4()
	copy(rec[off+dwXinpAddr4Off:], b[:])
}

// dwAppendRecord appends a record of the given kind and sizeof, filled by
// fill, padded to 8 bytes as ROUNDUP64 does.
func dwAppendRecord(b []byte, kind uint32, size int, fill func(rec []byte)) []byte {
	ne := binary.NativeEndian
	rec := make([]byte, (size+7)&^7)
	ne.PutUint32(rec[0:], uint32(size))
	ne.PutUint32(rec[4:], kind)
	if fill != nil {
		fill(rec[:size])
	}
	return append(b, rec...)
}

func dwAppendXinpgen(b []byte, count uint32, gen uint64) []byte {
	ne := binary.NativeEndian
	b = ne.AppendUint32(b, dwXinpgenLen)
	b = ne.AppendUint32(b, count)
	b = ne.AppendUint64(b, gen)
	return ne.AppendUint64(b, gen+1000) // xig_sogen
}

// build writes a pcblist_n buffer of layout l, as XNU's get_pcblist_n does.
func (l darwinLayout) build(p Proto, o dwOpts, socks ...dwSock) []byte {
	ne := binary.NativeEndian
	be := binary.BigEndian
	count := uint32(len(socks))
	if o.count >= 0 {
		count = uint32(o.count)
	}
	b := dwAppendXinpgen(nil, count, o.gen)
	for _, s := range socks {
		if s.omit&dwXsoInpcb == 0 {
			b = dwAppendRecord(b, dwXsoInpcb, l.inpcb, func(r []byte) {
				ne.PutUint64(r[8:], 0xfeedface) // xi_inpp
				be.PutUint16(r[dwXinpFPortOff:], s.fport)
				be.PutUint16(r[dwXinpLPortOff:], s.lport)
				r[dwXinpVFlagOff] = s.vflag
				r[dwXinpVFlagOff+1] = 64 // ttl
				r[dwXinpVFlagOff+2] = map[Proto]byte{ProtoTCP: 6, ProtoUDP: 17}[p]
				v6 := s.vflag&dwInpIPv6 != 0
				dwPutAddr(r, dwXinpFAddrOff, s.faddr, v6)
				dwPutAddr(r, dwXinpLAddrOff, s.laddr, v6)
			})
		}
		if s.omit&dwXsoSocket == 0 {
			b = dwAppendRecord(b, dwXsoSocket, l.socket, func(r []byte) {
				ne.PutUint16(r[16:], map[Proto]uint16{ProtoTCP: 1, ProtoUDP: 2}[p]) // so_type
				ne.PutUint16(r[dwXsoStateOff:], s.soState)
				ne.PutUint16(r[dwXsoQLenOff:], uint16(s.qlen))
				ne.PutUint16(r[dwXsoIncQLenOff:], uint16(s.incqlen))
				ne.PutUint16(r[dwXsoQLimitOff:], uint16(s.qlimit))
				ne.PutUint32(r[dwXsoUIDOff:], s.uid)
				if len(r) >= dwXsocketNMin {
					ne.PutUint32(r[dwXsoLastPIDOff:], uint32(s.lastPID))
					ne.PutUint32(r[dwXsoEPIDOff:], uint32(s.ePID))
				}
			})
		}
		for _, sb := range []struct {
			kind uint32
			cc   uint32
		}{{dwXsoRcvBuf, s.rcvCC}, {dwXsoSndBuf, s.sndCC}} {
			if s.omit&sb.kind == 0 {
				b = dwAppendRecord(b, sb.kind, l.sockbuf, func(r []byte) {
					ne.PutUint32(r[dwXsbCCOff:], sb.cc)
					ne.PutUint32(r[dwXsbCCOff+4:], 131072) // sb_hiwat
				})
			}
		}
		if s.omit&dwXsoStats == 0 {
			b = dwAppendRecord(b, dwXsoStats, l.sockstat, nil)
		}
		if s.extraUnknownRec {
			b = dwAppendRecord(b, 0x4000, 20, func(r []byte) { r[12] = 0xaa })
		}
		if p == ProtoTCP && s.omit&dwXsoTcpcb == 0 {
			b = dwAppendRecord(b, dwXsoTcpcb, l.tcpb, func(r []byte) {
				ne.PutUint32(r[dwXtStateOff:], uint32(s.tstate))
			})
		}
	}
	return dwAppendXinpgen(b, count, o.trailerGen)
}

// TCPS_* (bsd/netinet/tcp_fsm.h).
const (
	dwListen      = 1
	dwEstablished = 4
	dwTimeWait    = 10
)

// The sockets every layout's fixtures hold, and what they decode to.
var (
	dwTCP = []dwSock{
		// tcp4 LISTEN *:22, three connections waiting (one half-open).
		{vflag: dwInpIPv4, lport: 22, tstate: dwListen, uid: 0, lastPID: 101, qlen: 3, incqlen: 1, qlimit: 128},
		// An established pair over loopback.
		{vflag: dwInpIPv4, laddr: "127.0.0.1", faddr: "127.0.0.1", lport: 5432, fport: 49152,
			tstate: dwEstablished, uid: 501, lastPID: 202, rcvCC: 10, sndCC: 20},
		{vflag: dwInpIPv4, laddr: "127.0.0.1", faddr: "127.0.0.1", lport: 49152, fport: 5432,
			tstate: dwEstablished, uid: 501, lastPID: 303, rcvCC: 20, sndCC: 10},
		// TIME_WAIT: closed by its process, no descriptor.
		{vflag: dwInpIPv4, laddr: "192.0.2.10", faddr: "198.51.100.7", lport: 49200, fport: 443,
			tstate: dwTimeWait, uid: 501, lastPID: 303, soState: dwSsNoFDRef},
		// tcp6 LISTEN [::]:443, dual stack (INP_IPV4|INP_IPV6), delegated.
		{vflag: dwInpIPv4 | dwInpIPv6, lport: 443, tstate: dwListen, uid: 0, lastPID: 404, ePID: 909, qlimit: 16},
		// A CLOSED socket (bound, inactive): not in the default state set.
		{vflag: dwInpIPv4, lport: 7000, tstate: 0, uid: 501, lastPID: 202},
	}
	dwWantTCP = []Socket{
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: dwAP("0.0.0.0", 22), Remote: dwAP("0.0.0.0", 0),
			State: StateListen, UID: 0, RecvQ: 2, SendQ: 128, Owners: []Owner{{PID: 101, Process: "sshd", FD: -1}}},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: dwAP("127.0.0.1", 5432), Remote: dwAP("127.0.0.1", 49152),
			State: StateEstablished, UID: 501, RecvQ: 10, SendQ: 20, Owners: []Owner{{PID: 202, Process: "postgres", FD: -1}}},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: dwAP("127.0.0.1", 49152), Remote: dwAP("127.0.0.1", 5432),
			State: StateEstablished, UID: 501, RecvQ: 20, SendQ: 10, Owners: []Owner{{PID: 303, Process: "psql", FD: -1}}},
		{Proto: ProtoTCP, Family: FamilyIPv4, Local: dwAP("192.0.2.10", 49200), Remote: dwAP("198.51.100.7", 443),
			State: StateTimeWait, UID: 501, OwnerUnknown: OwnerKernel},
		{Proto: ProtoTCP, Family: FamilyIPv6, Local: dwAP("::", 443), Remote: dwAP("::", 0),
			State: StateListen, UID: 0, SendQ: 16, Owners: []Owner{{PID: 404, Process: "nginx", FD: -1}}},
	}
	dwUDP = []dwSock{
		// udp4 *:53 unconnected.
		{vflag: dwInpIPv4, lport: 53, uid: 0, lastPID: 101, rcvCC: 512},
		// udp4 connected.
		{vflag: dwInpIPv4, laddr: "192.0.2.10", faddr: "198.51.100.53", lport: 60000, fport: 53, uid: 501, lastPID: 505, sndCC: 40},
		// udp6 [fe80::1]:546 unconnected, with a record of an unknown kind.
		{vflag: dwInpIPv6, laddr: "fe80::1", lport: 546, uid: 0, lastPID: 606, extraUnknownRec: true},
		// udp6 connected; so_last_pid 0: made inside the kernel.
		{vflag: dwInpIPv6, laddr: "2001:db8::1", faddr: "2001:db8::53", lport: 5353, fport: 53, uid: 0},
	}
	dwWantUDP = []Socket{
		{Proto: ProtoUDP, Family: FamilyIPv4, Local: dwAP("0.0.0.0", 53), Remote: dwAP("0.0.0.0", 0),
			State: StateClose, UID: 0, RecvQ: 512, Owners: []Owner{{PID: 101, Process: "sshd", FD: -1}}},
		{Proto: ProtoUDP, Family: FamilyIPv4, Local: dwAP("192.0.2.10", 60000), Remote: dwAP("198.51.100.53", 53),
			State: StateEstablished, UID: 501, SendQ: 40, OwnerUnknown: OwnerExited},
		{Proto: ProtoUDP, Family: FamilyIPv6, Local: dwAP("fe80::1", 546), Remote: dwAP("::", 0),
			State: StateClose, UID: 0, Owners: []Owner{{PID: 606, Process: "dhcp6d", FD: -1}}},
		{Proto: ProtoUDP, Family: FamilyIPv6, Local: dwAP("2001:db8::1", 5353), Remote: dwAP("2001:db8::53", 53),
			State: StateEstablished, UID: 0, OwnerUnknown: OwnerKernel},
	}
	dwNames = map[int]string{101: "sshd", 202: "postgres", 303: "psql", 404: "nginx", 606: "dhcp6d", 909: "Safari"}
)

func dwAP(a string, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(a), port)
}

var darwinGoodLayouts = []darwinLayout{darwinMonterey, darwinSequoia, darwinFuture}

func dwDefault() dwOpts { return dwOpts{gen: 77, trailerGen: 77, count: -1} }

func TestDarwinPcblistDecode(t *testing.T) {
	for _, l := range darwinGoodLayouts {
		for _, tc := range []struct {
			p    Proto
			in   []dwSock
			want []Socket
		}{{ProtoTCP, dwTCP, dwWantTCP}, {ProtoUDP, dwUDP, dwWantUDP}} {
			t.Run(l.name+"/"+tc.p.String(), func(t *testing.T) {
				buf := l.build(tc.p, dwDefault(), tc.in...)
				opts := &Options{Owners: true}
				list, err := decodeDarwinPcblist(buf, tc.p, opts, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !list.Consistent() || !list.Trailer || list.Gen != 77 || list.Count != uint32(len(tc.in)) {
					t.Errorf("header: %+v", list)
				}
				if list.Skipped != 0 {
					t.Errorf("skipped %d: %v", list.Skipped, list.SkipErr)
				}
				nameDarwinOwners(list.Sockets, dwNames)
				if !reflect.DeepEqual(list.Sockets, tc.want) {
					t.Errorf("got\n%s\nwant\n%s", dwFmtSocks(list.Sockets), dwFmtSocks(tc.want))
				}
			})
		}
	}
}

func dwFmtSocks(ss []Socket) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "%+v\n", s)
	}
	return b.String()
}

// The record sizes really differ between the releases tested.
func TestDarwinPcblistLayoutsDiffer(t *testing.T) {
	a := darwinMonterey.build(ProtoTCP, dwDefault(), dwTCP...)
	b := darwinSequoia.build(ProtoTCP, dwDefault(), dwTCP...)
	if len(a) == len(b) {
		t.Fatalf("both layouts make %d bytes", len(a))
	}
	// One TCP socket: 104 + 80 + 2*32 + 136 + 208 on macOS 12, 104 + 104 + ... on 13-15.
	if got := len(darwinMonterey.build(ProtoTCP, dwDefault(), dwTCP[0])); got != 2*24+592 {
		t.Errorf("macOS 12 one-socket TCP buffer: %d bytes", got)
	}
	if got := len(darwinSequoia.build(ProtoUDP, dwDefault(), dwUDP[0])); got != 2*24+408 {
		t.Errorf("macOS 13-15 one-socket UDP buffer: %d bytes", got)
	}
}

func TestDarwinPcblistOptions(t *testing.T) {
	buf := darwinSequoia.build(ProtoTCP, dwDefault(), dwTCP...)

	// No options: every socket, the CLOSED one too, no owners.
	list, err := decodeDarwinPcblist(buf, ProtoTCP, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Sockets) != len(dwTCP) {
		t.Fatalf("nil opts: %d sockets", len(list.Sockets))
	}
	for _, s := range list.Sockets {
		if s.Owners != nil || s.OwnerUnknown != OwnerKnown {
			t.Errorf("owners without Options.Owners: %+v", s)
		}
	}

	// Families and filter; sockets are appended to out.
	prev := []Socket{{Proto: ProtoUDP}}
	opts := &Options{Families: []Family{FamilyIPv6}}
	list, err = decodeDarwinPcblist(buf, ProtoTCP, opts, prev)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Sockets) != 2 || list.Sockets[1].Local.Port() != 443 {
		t.Errorf("ipv6 only: %v", list.Sockets)
	}
	opts = &Options{Filter: Filter{States: StateSet(0).With(StateBoundInactive)}, Owners: true}
	list, err = decodeDarwinPcblist(buf, ProtoTCP, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Sockets) != 1 || list.Sockets[0].Local.Port() != 7000 || list.Sockets[0].Owners[0].PID != 202 {
		t.Errorf("bound-inactive: %v", list.Sockets)
	}
	opts = &Options{Filter: Filter{Port: 5432}, Owners: true}
	list, err = decodeDarwinPcblist(buf, ProtoTCP, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Sockets) != 2 || list.Sockets[1].Owners[0].PID != 303 {
		t.Errorf("port 5432: %v", list.Sockets)
	}

	// Process table unreadable: PIDs stay, without names.
	opts = &Options{Owners: true}
	list, _ = decodeDarwinPcblist(buf, ProtoTCP, opts, nil)
	nameDarwinOwners(list.Sockets, nil)
	if o := list.Sockets[1].Owners; len(o) != 1 || o[0] != (Owner{PID: 202, FD: -1}) {
		t.Errorf("owners without names: %v", o)
	}
}

func TestDarwinTCPStates(t *testing.T) {
	want := map[int32]State{0: StateBoundInactive, 1: StateListen, 2: StateSynSent, 3: StateSynRecv,
		4: StateEstablished, 5: StateCloseWait, 6: StateFinWait1, 7: StateClosing, 8: StateLastAck,
		9: StateFinWait2, 10: StateTimeWait, 11: StateUnknown, -1: StateUnknown, 1 << 30: StateUnknown}
	for in, w := range want {
		if got := darwinTCPState(in); got != w {
			t.Errorf("TCPS %d: got %v, want %v", in, got, w)
		}
		// And through a whole buffer.
		s := dwSock{vflag: dwInpIPv4, lport: 1, tstate: in}
		list, err := decodeDarwinPcblist(darwinMonterey.build(ProtoTCP, dwDefault(), s), ProtoTCP,
			&Options{Filter: Filter{States: ^StateSet(0)}}, nil)
		if err != nil || len(list.Sockets) != 1 || list.Sockets[0].State != w {
			t.Errorf("TCPS %d in a buffer: %v %v", in, list.Sockets, err)
		}
	}
}

func TestDarwinPcblistEmptyAndGeneration(t *testing.T) {
	// An empty table: the kernel writes the header only.
	hdr := dwAppendXinpgen(nil, 0, 5)
	list, err := decodeDarwinPcblist(hdr, ProtoUDP, nil, nil)
	if err != nil || len(list.Sockets) != 0 || list.Trailer || !list.Consistent() || list.Gen != 5 {
		t.Errorf("header only: %+v %v", list, err)
	}
	// Header and trailer, no socket (all were dead).
	list, err = decodeDarwinPcblist(darwinSequoia.build(ProtoTCP, dwOpts{gen: 5, trailerGen: 5, count: 3}), ProtoTCP, nil, nil)
	if err != nil || len(list.Sockets) != 0 || !list.Trailer || !list.Consistent() {
		t.Errorf("header and trailer: %+v %v", list, err)
	}
	// The table changed during the copy.
	list, err = decodeDarwinPcblist(darwinSequoia.build(ProtoTCP, dwOpts{gen: 5, trailerGen: 9, count: -1}, dwTCP...), ProtoTCP, nil, nil)
	if err != nil || list.Consistent() || list.Gen != 5 || list.TrailerGen != 9 {
		t.Errorf("generation changed: %+v %v", list, err)
	}
}

func TestDarwinPcblistMalformed(t *testing.T) {
	ne := binary.NativeEndian
	good := darwinMonterey.build(ProtoTCP, dwDefault(), dwTCP[:2]...)
	first := dwXinpgenLen // offset of the first record (xinpcb_n)
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	setLen := func(off int, n uint32) []byte {
		return mod(func(b []byte) []byte { ne.PutUint32(b[off:], n); return b })
	}
	socketOff := first + 104 // the xsocket_n after the first xinpcb_n
	for name, buf := range map[string][]byte{
		"empty":                        nil,
		"short header":                 good[:10],
		"header length 16":             setLen(0, 16),
		"header length past buffer":    setLen(0, uint32(len(good)+1)),
		"header only, sockets counted": good[:dwXinpgenLen],
		"header and half a trailer":    append(dwAppendXinpgen(nil, 1, 1), 24, 0, 0, 0),
		"trailer length wrong":         setLen(len(good)-dwXinpgenLen, 32),
		"record length 0":              setLen(first, 0),
		"record length 4":              setLen(first, 4),
		"record length 7":              setLen(first, 7),
		"record length huge":           setLen(first, 0xffffffff),
		"record runs into trailer":     setLen(len(good)-dwXinpgenLen-208, 212),
		"record length off by 8":       setLen(first, 112),
		"xinpcb_n too short":           setLen(first, 72),
		"xsocket_n of OS X 10.9":       setLen(socketOff, 68),
		"xtcpcb_n too short":           setLen(len(good)-dwXinpgenLen-208, 36),
		"records end off the trailer": mod(func(b []byte) []byte {
			return append(b[:len(b)-dwXinpgenLen], dwAppendXinpgen(make([]byte, 8), 2, 77)...)
		}),
		"OS X 10.9 layout": darwinMavericks.build(ProtoTCP, dwDefault(), dwTCP[0]),
	} {
		t.Run(name, func(t *testing.T) {
			prev := []Socket{{Proto: ProtoUDP}}
			list, err := decodeDarwinPcblist(buf, ProtoTCP, &Options{Owners: true}, prev)
			if err == nil {
				t.Fatalf("no error; %d sockets, %d skipped", len(list.Sockets), list.Skipped)
			}
			if !errors.Is(err, errDarwinPcblist) {
				t.Errorf("error does not wrap errDarwinPcblist: %v", err)
			}
			if len(list.Sockets) != 1 {
				t.Errorf("an error returned %d sockets", len(list.Sockets))
			}
			t.Log(err)
		})
	}
}

// Sockets that cannot be made are skipped and counted; the others stay.
func TestDarwinPcblistSkipped(t *testing.T) {
	ok := dwTCP[1]
	for _, tc := range []struct {
		name    string
		p       Proto
		socks   []dwSock
		skipped int
		kept    int
		errHas  string
	}{
		{"unknown family", ProtoTCP, []dwSock{ok, {vflag: 0x4, tstate: dwListen, lport: 1}, ok}, 1, 2, "unknown address family"},
		{"no sndbuf", ProtoTCP, []dwSock{{vflag: dwInpIPv4, tstate: dwListen, omit: dwXsoSndBuf}, ok}, 1, 1, "repeats a kind"},
		{"no tcpcb at the end", ProtoTCP, []dwSock{ok, {vflag: dwInpIPv4, tstate: dwListen, omit: dwXsoTcpcb}}, 1, 1, "ends before"},
		{"no inpcb", ProtoTCP, []dwSock{ok, {vflag: dwInpIPv4, omit: dwXsoInpcb}, ok}, 1, 2, "repeats a kind"},
		{"udp without socket", ProtoUDP, []dwSock{dwUDP[0], {vflag: dwInpIPv4, omit: dwXsoSocket}, dwUDP[1]}, 1, 2, "repeats a kind"},
	} {
		for _, l := range []darwinLayout{darwinMonterey, darwinSequoia} {
			t.Run(tc.name+"/"+l.name, func(t *testing.T) {
				list, err := decodeDarwinPcblist(l.build(tc.p, dwDefault(), tc.socks...), tc.p, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if list.Skipped != tc.skipped || len(list.Sockets) != tc.kept {
					t.Fatalf("skipped %d kept %d, want %d and %d", list.Skipped, len(list.Sockets), tc.skipped, tc.kept)
				}
				if !errors.Is(list.SkipErr, errDarwinPcblist) || !strings.Contains(list.SkipErr.Error(), tc.errHas) {
					t.Errorf("skip error %v, want one containing %q", list.SkipErr, tc.errHas)
				}
			})
		}
	}
}

// Every truncation of a real-shaped buffer is an error, never a shorter
// table.
func TestDarwinPcblistTruncated(t *testing.T) {
	for _, l := range []darwinLayout{darwinMonterey, darwinSequoia} {
		for _, p := range []Proto{ProtoTCP, ProtoUDP} {
			in := dwTCP
			if p == ProtoUDP {
				in = dwUDP
			}
			buf := l.build(p, dwDefault(), in...)
			for n := 0; n < len(buf); n++ {
				if list, err := decodeDarwinPcblist(buf[:n], p, nil, nil); err == nil {
					t.Fatalf("%s %s cut to %d of %d bytes: no error, %d sockets", l.name, p, n, len(buf), len(list.Sockets))
				}
			}
		}
	}
}

// Every record length of a fixture, changed to a lie, gives an error or
// a skipped socket: never the same table.
func TestDarwinPcblistLyingLengths(t *testing.T) {
	ne := binary.NativeEndian
	for _, l := range []darwinLayout{darwinMonterey, darwinSequoia} {
		buf := l.build(ProtoTCP, dwDefault(), dwTCP...)
		for off := dwXinpgenLen; off < len(buf)-dwXinpgenLen; {
			n := ne.Uint32(buf[off:])
			for _, lie := range []uint32{0, 1, 7, 8, n - 8, n + 8, n + 64, 1 << 31, 0xffffffff} {
				if lie == n || (lie+7)&^7 == (n+7)&^7 {
					continue // the same padded length walks the same
				}
				b := append([]byte(nil), buf...)
				ne.PutUint32(b[off:], lie)
				list, err := decodeDarwinPcblist(b, ProtoTCP, nil, nil)
				if err == nil && list.Skipped == 0 {
					t.Errorf("%s: record at %d, length %d -> %d: accepted, %d sockets", l.name, off, n, lie, len(list.Sockets))
				}
			}
			off += int((n + 7) &^ 7)
		}
	}
}

func TestNameDarwinOwners(t *testing.T) {
	socks := []Socket{
		{Owners: []Owner{{PID: 1, FD: -1}}},
		{Owners: []Owner{{PID: 2, FD: -1}}},
		{OwnerUnknown: OwnerKernel},
	}
	nameDarwinOwners(socks, map[int]string{1: "launchd"})
	if socks[0].Owners[0].Process != "launchd" || socks[1].Owners != nil || socks[1].OwnerUnknown != OwnerExited ||
		socks[2].OwnerUnknown != OwnerKernel {
		t.Errorf("%+v", socks)
	}
}

// darwinSeeds are fuzz seeds: the fixtures of every layout and some broken
// ones.
func darwinSeeds() [][]byte {
	var seeds [][]byte
	for _, l := range append(darwinGoodLayouts, darwinMavericks) {
		seeds = append(seeds,
			l.build(ProtoTCP, dwDefault(), dwTCP...),
			l.build(ProtoUDP, dwDefault(), dwUDP...),
			l.build(ProtoTCP, dwOpts{gen: 1, trailerGen: 2, count: 9}, dwTCP[0], dwSock{vflag: 0, omit: dwXsoStats}))
	}
	return append(seeds, nil, dwAppendXinpgen(nil, 0, 1), dwAppendXinpgen(nil, 3, 1))
}

func FuzzDecodeDarwinPcblist(f *testing.F) {
	for _, s := range darwinSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, udp bool) {
		p := ProtoTCP
		if udp {
			p = ProtoUDP
		}
		opts := &Options{Owners: true, Filter: Filter{States: ^StateSet(0)}}
		list, err := decodeDarwinPcblist(data, p, opts, nil)
		if err != nil {
			if !errors.Is(err, errDarwinPcblist) || len(list.Sockets) != 0 {
				t.Fatalf("error %v with %d sockets", err, len(list.Sockets))
			}
			return
		}
		if len(data) < dwXinpgenLen {
			t.Fatalf("%d bytes decoded without error", len(data))
		}
		// Never more sockets than the bytes can hold; a skipped socket
		// takes one record at least.
		if len(list.Sockets)*darwinMinGroupLen(p)+list.Skipped*dwXsoRecHdrLen > len(data) {
			t.Fatalf("%d sockets and %d skipped from %d bytes", len(list.Sockets), list.Skipped, len(data))
		}
		if (list.Skipped == 0) != (list.SkipErr == nil) {
			t.Fatalf("skipped %d, error %v", list.Skipped, list.SkipErr)
		}
		for i, s := range list.Sockets {
			checkDarwinSocket(t, i, &s, p)
		}
		// Without owners asked for, the same sockets without owners.
		bare, err := decodeDarwinPcblist(data, p, &Options{Filter: opts.Filter}, nil)
		if err != nil || len(bare.Sockets) != len(list.Sockets) {
			t.Fatalf("without owners: %v, %d sockets, want %d", err, len(bare.Sockets), len(list.Sockets))
		}
		// A buffer cut by less than 8 bytes cannot walk onto its trailer.
		if list.Trailer {
			for k := 1; k < 8 && k <= len(data); k++ {
				if _, err := decodeDarwinPcblist(data[:len(data)-k], p, nil, nil); err == nil {
					t.Fatalf("cut by %d bytes: no error", k)
				}
			}
		}
	})
}

func checkDarwinSocket(t *testing.T, i int, s *Socket, p Proto) {
	t.Helper()
	if s.Proto != p {
		t.Fatalf("socket %d: proto %v", i, s.Proto)
	}
	switch s.Family {
	case FamilyIPv4:
		if !s.Local.Addr().Is4() || !s.Remote.Addr().Is4() {
			t.Fatalf("socket %d: ipv4 with %v %v", i, s.Local, s.Remote)
		}
	case FamilyIPv6:
		if !s.Local.Addr().Is6() || !s.Remote.Addr().Is6() {
			t.Fatalf("socket %d: ipv6 with %v %v", i, s.Local, s.Remote)
		}
	default:
		t.Fatalf("socket %d: family %v", i, s.Family)
	}
	if int(s.State) >= stateCount || s.State == StateNewSynRecv {
		t.Fatalf("socket %d: state %d", i, s.State)
	}
	if p == ProtoUDP && s.State != StateClose && s.State != StateEstablished {
		t.Fatalf("socket %d: udp state %v", i, s.State)
	}
	if s.UID < 0 || s.UID > 1<<32-1 || s.Inode != 0 {
		t.Fatalf("socket %d: uid %d inode %d", i, s.UID, s.Inode)
	}
	if s.State == StateListen && s.SendQ > 1<<15 {
		t.Fatalf("socket %d: listen backlog %d", i, s.SendQ)
	}
	switch {
	case len(s.Owners) == 1:
		if o := s.Owners[0]; o.PID <= 0 || o.FD != -1 || o.Process != "" || s.OwnerUnknown != OwnerKnown {
			t.Fatalf("socket %d: owner %+v (%q)", i, o, s.OwnerUnknown)
		}
	case len(s.Owners) == 0:
		if s.OwnerUnknown != OwnerKernel {
			t.Fatalf("socket %d: no owner, reason %q", i, s.OwnerUnknown)
		}
	default:
		t.Fatalf("socket %d: %d owners", i, len(s.Owners))
	}
}
