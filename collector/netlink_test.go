package collector

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

const testSeq = 0x1234abcd

// bigUID is a uid above 2^31, a variable so that int(bigUID) is computed at
// run time (it is negative where int has 32 bits).
var bigUID uint32 = 0xfffffffe

// nlMessage builds one netlink message, padded to 4 bytes.
func nlMessage(typ, flags uint16, seq uint32, body []byte) []byte {
	ne := binary.NativeEndian
	b := ne.AppendUint32(nil, uint32(nlmsgHdrLen+len(body)))
	b = ne.AppendUint16(b, typ)
	b = ne.AppendUint16(b, flags)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 4242) // port id
	b = append(b, body...)
	for len(b)%nlmsgAlign != 0 {
		b = append(b, 0)
	}
	return b
}

// diagMsg describes an inet_diag_msg.
type diagMsg struct {
	family, state uint8
	local, remote netip.AddrPort
	rq, wq        uint32
	uid, inode    uint32
}

// body encodes the inet_diag_msg, with non-zero timer, retrans, interface,
// cookie and expires fields that the parser must ignore.
func (m diagMsg) body() []byte {
	ne := binary.NativeEndian
	b := []byte{m.family, m.state, 1, 2}
	b = binary.BigEndian.AppendUint16(b, m.local.Port())
	b = binary.BigEndian.AppendUint16(b, m.remote.Port())
	b = appendDiagAddr(b, m.local.Addr())
	b = appendDiagAddr(b, m.remote.Addr())
	b = ne.AppendUint32(b, 3)          // idiag_if
	b = ne.AppendUint32(b, 0xdeadbeef) // cookie
	b = ne.AppendUint32(b, 0xfeedface)
	b = ne.AppendUint32(b, 1234) // expires
	b = ne.AppendUint32(b, m.rq)
	b = ne.AppendUint32(b, m.wq)
	b = ne.AppendUint32(b, m.uid)
	b = ne.AppendUint32(b, m.inode)
	if len(b) != 72 { // sizeof(struct inet_diag_msg), linux/inet_diag.h
		panic("bad inet_diag_msg length")
	}
	return b
}

func (m diagMsg) msg(flags uint16) []byte {
	return nlMessage(sockDiagByFamily, flags|nlmFMulti, testSeq, m.body())
}

func errnoPayload(e int32) []byte {
	return binary.NativeEndian.AppendUint32(nil, uint32(e))
}

func doneMsg(errno int32) []byte {
	return nlMessage(nlmsgDone, nlmFMulti, testSeq, errnoPayload(errno))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	ap = netip.MustParseAddrPort

	msgEstab4 = diagMsg{family: afInet, state: 1, local: ap("127.0.0.1:40000"), remote: ap("127.0.0.1:8080"),
		rq: 5, wq: 7, uid: 1000, inode: 4242}
	msgListen4 = diagMsg{family: afInet, state: 10, local: ap("0.0.0.0:8080"), remote: ap("0.0.0.0:0"),
		rq: 0, wq: 4096, uid: 0, inode: 99}
	msgListen6 = diagMsg{family: afInet6, state: 10, local: ap("[::1]:443"), remote: ap("[::]:0"),
		rq: 1, wq: 128, uid: 33, inode: 100}
	msgMapped6 = diagMsg{family: afInet6, state: 1, local: ap("[::ffff:127.0.0.1]:8080"), remote: ap("[::ffff:127.0.0.1]:50000"),
		rq: 0, wq: 0, uid: bigUID, inode: 0xffffffff}
	msgTimeWait4 = diagMsg{family: afInet, state: 6, local: ap("127.0.0.1:8080"), remote: ap("127.0.0.1:40001")}
	msgNewSyn4   = diagMsg{family: afInet, state: 12, local: ap("127.0.0.1:8080"), remote: ap("127.0.0.1:40002"), uid: 1000}

	sockEstab4 = Socket{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:40000"), Remote: ap("127.0.0.1:8080"),
		State: StateEstablished, UID: 1000, Inode: 4242, RecvQ: 5, SendQ: 7}
	sockListen4 = Socket{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("0.0.0.0:8080"), Remote: ap("0.0.0.0:0"),
		State: StateListen, UID: 0, Inode: 99, RecvQ: 0, SendQ: 4096}
	sockListen6 = Socket{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[::1]:443"), Remote: ap("[::]:0"),
		State: StateListen, UID: 33, Inode: 100, RecvQ: 1, SendQ: 128}
	sockMapped6 = Socket{Proto: ProtoTCP, Family: FamilyIPv6, Local: ap("[::ffff:127.0.0.1]:8080"), Remote: ap("[::ffff:127.0.0.1]:50000"),
		State: StateEstablished, UID: int(bigUID), Inode: 0xffffffff}
	sockTimeWait4 = Socket{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:40001"),
		State: StateTimeWait, UID: -1}
	sockNewSyn4 = Socket{Proto: ProtoTCP, Family: FamilyIPv4, Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:40002"),
		State: StateSynRecv, UID: -1}
)

type sockDiagCase struct {
	name      string
	buf       []byte
	filt      *Filter
	want      []Socket
	wantDone  bool
	wantErr   string // substring of the error; "" for none
	wantIs    error  // errors.Is target, when set
	wantWarns []string
}

func sockDiagCases() []sockDiagCase {
	full := cat(msgEstab4.msg(0), msgListen4.msg(0), msgListen6.msg(0), msgMapped6.msg(0),
		nlMessage(nlmsgNoop, 0, testSeq, nil), msgTimeWait4.msg(0), msgNewSyn4.msg(0), doneMsg(0))
	allSocks := []Socket{sockEstab4, sockListen4, sockListen6, sockMapped6, sockTimeWait4, sockNewSyn4}

	lenAt := func(b []byte, n uint32) []byte {
		b = bytes.Clone(b)
		binary.NativeEndian.PutUint32(b, n)
		return b
	}
	one := msgEstab4.msg(0) // 88 bytes
	shortBody := nlMessage(sockDiagByFamily, nlmFMulti, testSeq, msgListen4.body()[:40])
	badFamily := msgListen4
	badFamily.family = 1 // AF_UNIX
	unpadded := nlMessage(nlmsgNoop, 0, testSeq, []byte{9})[:nlmsgHdrLen+1]
	binary.NativeEndian.PutUint32(unpadded, nlmsgHdrLen+1)
	stale := func(b []byte) []byte {
		b = bytes.Clone(b)
		binary.NativeEndian.PutUint32(b[8:], testSeq-1)
		return b
	}
	errMsg := nlMessage(nlmsgError, 0, testSeq, cat(errnoPayload(-22),
		appendSockDiagRequest(nil, afInet, ipprotoTCP, 0x3ffe, testSeq, nil)[:nlmsgHdrLen]))

	return []sockDiagCase{
		{name: "full dump", buf: full, want: allSocks, wantDone: true},
		{name: "first datagram of a dump", buf: cat(msgEstab4.msg(0), msgListen6.msg(0)),
			want: []Socket{sockEstab4, sockListen6}},
		{name: "user-space filter", buf: full, filt: &Filter{Port: 8080, States: 1 << StateListen},
			want: []Socket{sockListen4}, wantDone: true},
		{name: "address filter matches mapped", buf: full, filt: &Filter{Addr: netip.MustParseAddr("127.0.0.1"), RemotePort: 50000},
			want: []Socket{sockMapped6}, wantDone: true},
		{name: "empty", buf: nil},
		{name: "done with errno", buf: cat(one, doneMsg(-2)), want: []Socket{sockEstab4}, wantDone: true,
			wantErr: "netlink tcp4 message at offset 88: dump ended with"},
		{name: "done without payload", buf: cat(one, nlMessage(nlmsgDone, nlmFMulti, testSeq, nil)),
			want: []Socket{sockEstab4}, wantDone: true},
		{name: "error", buf: errMsg, wantDone: true, wantErr: "errno 22"},
		{name: "truncated error", buf: nlMessage(nlmsgError, 0, testSeq, []byte{1, 2}), wantDone: true,
			wantErr: "truncated NLMSG_ERROR"},
		{name: "ack", buf: nlMessage(nlmsgError, 0, testSeq, errnoPayload(0)), wantDone: true},
		{name: "dump interrupted then done", buf: cat(msgEstab4.msg(nlmFDumpIntr), msgListen4.msg(0), doneMsg(0)),
			want: []Socket{sockEstab4, sockListen4}, wantDone: true, wantIs: errDumpInterrupted},
		{name: "dump interrupted on done", buf: cat(one, nlMessage(nlmsgDone, nlmFMulti|nlmFDumpIntr, testSeq, errnoPayload(0))),
			want: []Socket{sockEstab4}, wantDone: true, wantIs: errDumpInterrupted},
		{name: "dump interrupted mid dump", buf: msgEstab4.msg(nlmFDumpIntr),
			want: []Socket{sockEstab4}, wantIs: errDumpInterrupted},
		{name: "truncated header", buf: cat(one, make([]byte, 10)), want: []Socket{sockEstab4},
			wantErr: "netlink tcp4 message at offset 88: truncated header"},
		{name: "length beyond buffer", buf: lenAt(one, 1000), wantErr: "offset 0: bad length 1000"},
		{name: "length below header", buf: cat(one, lenAt(one, 8)), want: []Socket{sockEstab4},
			wantErr: "offset 88: bad length 8"},
		{name: "huge length", buf: lenAt(one, 0xffffffff), wantErr: "bad length 4294967295"},
		{name: "truncated body", buf: one[:60], wantErr: "bad length 88 (60 bytes left"},
		{name: "short inet_diag_msg", buf: cat(shortBody, one, doneMsg(0)), want: []Socket{sockEstab4}, wantDone: true,
			wantWarns: []string{"netlink tcp4 message at offset 0: inet_diag_msg is 40 bytes, want 72"}},
		{name: "unknown family", buf: cat(badFamily.msg(0), one), want: []Socket{sockEstab4},
			wantWarns: []string{"netlink tcp4 message at offset 0: unknown address family 1"}},
		{name: "unexpected type", buf: cat(nlMessage(0x30, 0, testSeq, []byte{1, 2, 3}), one), want: []Socket{sockEstab4},
			wantWarns: []string{"netlink tcp4 message at offset 0: unexpected message type 48"}},
		{name: "stale sequence", buf: cat(stale(msgListen4.msg(0)), stale(doneMsg(-2)), one, doneMsg(0)),
			want: []Socket{sockEstab4}, wantDone: true},
		{name: "unpadded last message", buf: cat(one, unpadded), want: []Socket{sockEstab4}},
		{name: "overrun", buf: cat(one, nlMessage(nlmsgOverrun, 0, testSeq, nil)), want: []Socket{sockEstab4},
			wantErr: "NLMSG_OVERRUN"},
	}
}

func TestParseSockDiag(t *testing.T) {
	for _, tc := range sockDiagCases() {
		t.Run(tc.name, func(t *testing.T) {
			var warns []string
			prefix := []Socket{{Proto: ProtoUDP, Inode: 1}}
			out, done, err := parseSockDiag(tc.buf, ProtoTCP, FamilyIPv4, testSeq, tc.filt, prefix, func(s string) {
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
			if done != tc.wantDone {
				t.Errorf("done = %v, want %v", done, tc.wantDone)
			}
			switch {
			case tc.wantIs != nil:
				if !errors.Is(err, tc.wantIs) {
					t.Errorf("err = %v, want %v", err, tc.wantIs)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("unexpected error %v", err)
			}
			if len(warns) != len(tc.wantWarns) {
				t.Fatalf("warnings = %q, want %d", warns, len(tc.wantWarns))
			}
			for i, w := range tc.wantWarns {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %d = %q, want one containing %q", i, warns[i], w)
				}
			}
		})
	}
}

func TestParseSockDiagTableName(t *testing.T) {
	var warns []string
	shortBody := nlMessage(sockDiagByFamily, 0, testSeq, make([]byte, 10))
	buf := cat(msgEstab4.msg(0), shortBody)
	parseSockDiag(buf, ProtoUDP, FamilyIPv6, testSeq, nil, nil, func(s string) { warns = append(warns, s) })
	if len(warns) != 1 || !strings.HasPrefix(warns[0], "netlink udp6 message at offset 88: ") {
		t.Fatalf("warnings = %q", warns)
	}
	out, _, _ := parseSockDiag(msgEstab4.msg(0), ProtoUDP, FamilyIPv6, testSeq, nil, nil, nil)
	// The proto comes from the table asked for, the family from the message.
	if len(out) != 1 || out[0].Proto != ProtoUDP || out[0].Family != FamilyIPv4 {
		t.Fatalf("out = %+v", out)
	}
}

func TestParseSockDiagBoundInactive(t *testing.T) {
	// The kernel reports a bound, inactive TCP socket as TCP_CLOSE; a UDP
	// socket in TCP_CLOSE is an unconnected one.
	m := diagMsg{family: afInet, state: 7, local: ap("127.0.0.1:5555"), remote: ap("0.0.0.0:0"), uid: 7, inode: 8}
	buf := cat(m.msg(0), doneMsg(0))
	for _, c := range []struct {
		p    Proto
		want State
	}{{ProtoTCP, StateBoundInactive}, {ProtoUDP, StateClose}} {
		out, done, err := parseSockDiag(buf, c.p, FamilyIPv4, testSeq, nil, nil, nil)
		if err != nil || !done || len(out) != 1 {
			t.Fatalf("%v: %+v, %v, %v", c.p, out, done, err)
		}
		want := Socket{Proto: c.p, Family: FamilyIPv4, Local: m.local, Remote: m.remote, State: c.want, UID: 7, Inode: 8}
		if !reflect.DeepEqual(out[0], want) {
			t.Errorf("%v:\n got %+v\nwant %+v", c.p, out[0], want)
		}
		// A default filter (AllStates) drops TCP's bound-inactive sockets.
		out, _, _ = parseSockDiag(buf, c.p, FamilyIPv4, testSeq, &Filter{}, nil, nil)
		if wantN := map[Proto]int{ProtoTCP: 0, ProtoUDP: 1}[c.p]; len(out) != wantN {
			t.Errorf("%v with the zero filter: %d sockets, want %d", c.p, len(out), wantN)
		}
	}
}

func TestParseSockDiagNoAllocs(t *testing.T) {
	var buf []byte
	for i := 0; i < 50; i++ {
		buf = append(buf, msgEstab4.msg(0)...)
		buf = append(buf, msgMapped6.msg(0)...)
	}
	buf = append(buf, doneMsg(0)...)
	out := make([]Socket, 0, 100)
	filt := &Filter{States: 1<<StateEstablished | 1<<StateListen}
	allocs := testing.AllocsPerRun(20, func() {
		var err error
		out, _, err = parseSockDiag(buf, ProtoTCP, FamilyIPv6, testSeq, filt, out[:0], nil)
		if err != nil || len(out) != 100 {
			t.Fatalf("parse: %d sockets, %v", len(out), err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per parse of 100 sockets, want 0", allocs)
	}
}

func TestAppendSockDiagRequest(t *testing.T) {
	ne := binary.NativeEndian
	prefix := []byte("xy")
	b := appendSockDiagRequest(prefix, afInet6, ipprotoUDP, 0x80|0x2, 77, nil)
	if string(b[:2]) != "xy" {
		t.Fatalf("prefix lost")
	}
	req := b[2:]
	if len(req) != 72 {
		t.Fatalf("request is %d bytes, want 72 (16 nlmsghdr + 56 inet_diag_req_v2)", len(req))
	}
	checks := []struct {
		what      string
		got, want uint64
	}{
		{"nlmsg_len", uint64(ne.Uint32(req[0:])), 72},
		{"nlmsg_type", uint64(ne.Uint16(req[4:])), 20},
		{"nlmsg_flags", uint64(ne.Uint16(req[6:])), 0x301}, // NLM_F_REQUEST|NLM_F_DUMP
		{"nlmsg_seq", uint64(ne.Uint32(req[8:])), 77},
		{"nlmsg_pid", uint64(ne.Uint32(req[12:])), 0},
		{"sdiag_family", uint64(req[16]), 10},
		{"sdiag_protocol", uint64(req[17]), 17},
		{"idiag_ext", uint64(req[18]), 0},
		{"pad", uint64(req[19]), 0},
		{"idiag_states", uint64(ne.Uint32(req[20:])), 0x82},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.what, c.got, c.want)
		}
	}
	if !bytes.Equal(req[24:], make([]byte, 48)) {
		t.Errorf("inet_diag_sockid is not zero: %x", req[24:])
	}
	b4 := appendSockDiagRequest(nil, afInet, ipprotoTCP, 1, 1, nil)
	if b4[16] != 2 || b4[17] != 6 {
		t.Errorf("tcp4 request family/protocol = %d/%d, want 2/6", b4[16], b4[17])
	}
}

// The one-walk TCP request is a TCPDIAG_GETSOCK (18) carrying a struct
// inet_diag_req (linux/inet_diag.h): 4 bytes of family, src_len, dst_len
// and ext, the 48-byte inet_diag_sockid, then idiag_states and idiag_dbs.
func TestAppendTCPDiagRequest(t *testing.T) {
	ne := binary.NativeEndian
	req := appendTCPDiagRequest(nil, 0x2ffe, 91, nil)
	if len(req) != 76 {
		t.Fatalf("request is %d bytes, want 76 (16 nlmsghdr + 60 inet_diag_req)", len(req))
	}
	checks := []struct {
		what      string
		got, want uint64
	}{
		{"nlmsg_len", uint64(ne.Uint32(req[0:])), 76},
		{"nlmsg_type", uint64(ne.Uint16(req[4:])), 18},
		{"nlmsg_flags", uint64(ne.Uint16(req[6:])), 0x301},
		{"nlmsg_seq", uint64(ne.Uint32(req[8:])), 91},
		{"idiag_states", uint64(ne.Uint32(req[68:])), 0x2ffe},
		{"idiag_dbs", uint64(ne.Uint32(req[72:])), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.what, c.got, c.want)
		}
	}
	if !bytes.Equal(req[16:68], make([]byte, 52)) {
		t.Errorf("family, lengths, ext and inet_diag_sockid are not zero: %x", req[16:68])
	}
	bc := appendPortBytecode(nil, &Filter{LocalPort: 22})
	withBC := appendTCPDiagRequest(nil, 1, 1, bc)
	if got := ne.Uint32(withBC); int(got) != len(withBC) || len(withBC) != 76+4+len(bc) ||
		ne.Uint16(withBC[76:]) != uint16(4+len(bc)) || ne.Uint16(withBC[78:]) != 1 || !bytes.Equal(withBC[80:], bc) {
		t.Errorf("request with bytecode: %x", withBC)
	}

	// The replies are inet_diag_msg messages of type 18, of either family.
	buf := cat(nlMessage(tcpDiagGetSock, nlmFMulti, testSeq, msgEstab4.body()),
		nlMessage(tcpDiagGetSock, nlmFMulti, testSeq, msgListen6.body()), doneMsg(0))
	out, done, err := parseSockDiag(buf, ProtoTCP, 0, testSeq, nil, nil, func(w string) { t.Errorf("warning: %s", w) })
	if err != nil || !done || len(out) != 2 || out[0].Family != FamilyIPv4 || out[0].Inode != 4242 ||
		out[1].Family != FamilyIPv6 || out[1].Inode != 100 {
		t.Errorf("replies to the one-walk request: %+v, done %v, err %v", out, done, err)
	}
}

func TestKernelStateMask(t *testing.T) {
	parse := func(s string) StateSet {
		set, err := ParseStates(s)
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	const all = 1<<13 - 2 // kernel states 1..12: AllStates has no BOUND_INACTIVE
	cases := []struct {
		name string
		p    Proto
		set  StateSet
		want uint32
	}{
		{"tcp all", ProtoTCP, 0, all},
		{"tcp all states named", ProtoTCP, AllStates, all},
		{"tcp listen", ProtoTCP, 1 << StateListen, 1 << 10},
		{"tcp established", ProtoTCP, 1 << StateEstablished, 1 << 1},
		{"tcp syn-recv alone", ProtoTCP, 1 << StateSynRecv, 1<<3 | 1<<12},
		{"tcp syn-recv parsed", ProtoTCP, parse("syn-recv"), 1<<3 | 1<<12},
		{"tcp close", ProtoTCP, 1 << StateClose, 1 << 7},
		{"tcp bound-inactive", ProtoTCP, parse("bound-inactive"), 1 << 13},
		{"tcp all and bound-inactive", ProtoTCP, parse("all,bound-inactive"), 1<<14 - 2},
		{"tcp time-wait", ProtoTCP, 1 << StateTimeWait, 1 << 6},
		{"tcp connected", ProtoTCP, parse("connected"),
			1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<8 | 1<<9 | 1<<11 | 1<<12},
		{"tcp listening", ProtoTCP, parse("listening"), 1<<10 | 1<<7},
		{"udp all", ProtoUDP, 0, all},
		{"udp unconn", ProtoUDP, parse("unconn"), 1 << 7},
		{"udp established", ProtoUDP, 1 << StateEstablished, 1 << 1},
		{"udp listen", ProtoUDP, 1 << StateListen, 1 << 10},
	}
	for _, c := range cases {
		if got := kernelStateMask(c.p, c.set); got != c.want {
			t.Errorf("%s: kernelStateMask(%v, %#x) = %#x, want %#x", c.name, c.p, uint32(c.set), got, c.want)
		}
	}
}

// walkSockDiag walks buf by struct nlmsghdr (linux/netlink.h: nlmsg_len u32
// at 0, nlmsg_type u16 at 4, nlmsg_flags u16 at 6, nlmsg_seq u32 at 8,
// nlmsg_pid u32 at 12; 16 bytes; messages aligned to NLMSG_ALIGNTO, 4) and
// returns the bodies of the SOCK_DIAG_BY_FAMILY (20) and TCPDIAG_GETSOCK
// (18) messages of sequence seq that hold a whole struct inet_diag_msg (72 bytes) of AF_INET (2) or
// AF_INET6 (10), up to the end of the dump (NLMSG_ERROR 2, NLMSG_DONE 3,
// NLMSG_OVERRUN 4) or the first impossible header.
func walkSockDiag(buf []byte, seq uint32) [][]byte {
	ne := binary.NativeEndian
	var out [][]byte
	for off := 0; len(buf)-off >= 16; {
		n := int(ne.Uint32(buf[off:]))
		if n < 16 || n > len(buf)-off {
			break
		}
		typ, msgSeq := ne.Uint16(buf[off+4:]), ne.Uint32(buf[off+8:])
		body := buf[off+16 : off+n]
		off += (n + 3) &^ 3
		if msgSeq != seq {
			continue
		}
		if typ == 2 || typ == 3 || typ == 4 {
			break
		}
		if (typ == 20 || typ == 18) && len(body) >= 72 && (body[0] == 2 || body[0] == 10) {
			out = append(out, body)
		}
	}
	return out
}

// checkDiagSocket checks s against its struct inet_diag_msg
// (linux/inet_diag.h): idiag_family at 0, idiag_state at 1, id.idiag_sport
// and idiag_dport (network order) at 4 and 6, idiag_src and idiag_dst (16
// bytes each, IPv4 in the first 4) at 8 and 24, idiag_rqueue,
// idiag_wqueue, idiag_uid and idiag_inode (u32) at 56, 60, 64 and 68. TCP's
// TCP_CLOSE (7) is a bound, inactive socket; TCP_NEW_SYN_RECV (12) is
// SYN_RECV; TIME_WAIT (6) and SYN_RECV (3) have no uid.
func checkDiagSocket(t *testing.T, s *Socket, p Proto, b []byte) {
	t.Helper()
	ne, be := binary.NativeEndian, binary.BigEndian
	fam, local, remote := FamilyIPv4, netip.AddrFrom4([4]byte(b[8:12])), netip.AddrFrom4([4]byte(b[24:28]))
	if b[0] == 10 {
		fam, local, remote = FamilyIPv6, netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	}
	st := State(b[1])
	if p == ProtoTCP && st == 7 {
		st = StateBoundInactive
	}
	if st == 12 {
		st = StateSynRecv
	}
	uid := int(ne.Uint32(b[64:]))
	if st == StateTimeWait || st == StateSynRecv {
		uid = -1
	}
	want := Socket{Proto: p, Family: fam, Local: netip.AddrPortFrom(local, be.Uint16(b[4:])),
		Remote: netip.AddrPortFrom(remote, be.Uint16(b[6:])), State: st, UID: uid,
		Inode: uint64(ne.Uint32(b[68:])), RecvQ: ne.Uint32(b[56:]), SendQ: ne.Uint32(b[60:])}
	if !reflect.DeepEqual(*s, want) {
		t.Fatalf("socket %+v, its inet_diag_msg says %+v", *s, want)
	}
}

// FuzzParseSockDiag checks the parser against this test's own walk of the
// netlink messages: one socket per socket message the walk finds, holding
// what that message's bytes say; and a socket written again as a message by
// this test's encoder parses to itself.
func FuzzParseSockDiag(f *testing.F) {
	for _, tc := range sockDiagCases() {
		f.Add(tc.buf)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Parse once with the seeds' sequence number, and once with the
		// first message's, so that mutated sequence numbers do not hide
		// the rest of the parser.
		seqs := []uint32{testSeq, testSeq}
		if len(data) >= 12 {
			seqs[1] = binary.NativeEndian.Uint32(data[8:])
		}
		for i, fam := range []Family{FamilyIPv4, FamilyIPv6} {
			p := []Proto{ProtoTCP, ProtoUDP}[i]
			name := "netlink " + tableName(p, fam)
			out, done, err := parseSockDiag(data, p, fam, seqs[i], nil, nil, func(w string) {
				if !strings.HasPrefix(w, name) {
					t.Errorf("warning without the table's name: %q", w)
				}
			})
			if err != nil && !strings.HasPrefix(err.Error(), name) && !errors.Is(err, errDumpInterrupted) {
				t.Errorf("error without the table's name: %v", err)
			}
			// A socket takes a 16-byte header and a 72-byte inet_diag_msg.
			if len(out)*(16+72) > len(data) {
				t.Fatalf("%d sockets from %d bytes", len(out), len(data))
			}
			want := walkSockDiag(data, seqs[i])
			if len(out) != len(want) {
				t.Fatalf("%d sockets, the messages hold %d", len(out), len(want))
			}
			// The count that sizes the table before decoding is never
			// short of what is decoded, and sees the end that ends it.
			if records, last := countDatagram(data); len(out) > records || (done && err == nil && !last) {
				t.Fatalf("countDatagram: %d records, last %v; decoded %d, done %v", records, last, len(out), done)
			}
			for j := range out {
				s := &out[j]
				checkNormalized(t, s, p)
				checkDiagSocket(t, s, p, want[j])
				// Written again as a message, it parses to itself.
				m := diagMsg{family: 2, state: uint8(s.State), local: s.Local, remote: s.Remote,
					rq: s.RecvQ, wq: s.SendQ, uid: uint32(s.UID), inode: uint32(s.Inode)}
				if s.Family == FamilyIPv6 {
					m.family = 10
				}
				if s.State == StateBoundInactive && p == ProtoTCP {
					m.state = 7 // TCP's TCP_CLOSE; a UDP state byte 13 stays 13
				}
				if s.UID < 0 {
					m.uid = 0
				}
				again, done, err := parseSockDiag(m.msg(0), p, fam, testSeq, nil, nil, nil)
				if err != nil || done || len(again) != 1 || !reflect.DeepEqual(again[0], *s) {
					t.Fatalf("socket %+v written again parses to %+v, %v", *s, again, err)
				}
			}
		}
	})
}

// checkNormalized checks the invariants both parsers guarantee.
func checkNormalized(t *testing.T, s *Socket, p Proto) {
	t.Helper()
	if s.Proto != p {
		t.Errorf("proto %v, want %v", s.Proto, p)
	}
	switch s.Family {
	case FamilyIPv4:
		if !s.Local.Addr().Is4() || !s.Remote.Addr().Is4() {
			t.Errorf("IPv4 socket with addresses %v %v", s.Local, s.Remote)
		}
	case FamilyIPv6:
		if !s.Local.Addr().Is6() || !s.Remote.Addr().Is6() {
			t.Errorf("IPv6 socket with addresses %v %v", s.Local, s.Remote)
		}
	default:
		t.Errorf("family %v", s.Family)
	}
	if s.State == StateNewSynRecv {
		t.Errorf("state NEW_SYN_RECV not normalised")
	}
	if (s.State == StateTimeWait || s.State == StateSynRecv) && s.UID != -1 {
		t.Errorf("%v socket with UID %d, want -1", s.State, s.UID)
	}
}

func TestAppendPortBytecode(t *testing.T) {
	ne := binary.NativeEndian
	op := func(code, yes uint8, no uint16) []byte {
		b := []byte{code, yes}
		return ne.AppendUint16(b, no)
	}
	port := func(p uint16) []byte { return ne.AppendUint16([]byte{0, 0}, p) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	cases := []struct {
		name string
		f    *Filter
		want []byte
	}{
		{"none", &Filter{States: AllStates}, nil},
		{"nil", nil, nil},
		{"sport", &Filter{LocalPort: 22}, cat(op(inetDiagBcSEq, 8, 12), port(22))},
		{"dport", &Filter{RemotePort: 443}, cat(op(inetDiagBcDEq, 8, 12), port(443))},
		{"either", &Filter{Port: 80}, cat(
			op(inetDiagBcSEq, 8, 12), port(80), // pos 0 of 20
			op(inetDiagBcJmp, 4, 12),           // pos 8: to the end, accept
			op(inetDiagBcDEq, 8, 12), port(80), // pos 12
		)},
		{"all three", &Filter{LocalPort: 1, RemotePort: 2, Port: 3}, cat(
			op(inetDiagBcSEq, 8, 40), port(1), // pos 0 of 36
			op(inetDiagBcDEq, 8, 32), port(2), // pos 8
			op(inetDiagBcSEq, 8, 12), port(3), // pos 16
			op(inetDiagBcJmp, 4, 12),          // pos 24
			op(inetDiagBcDEq, 8, 12), port(3), // pos 28
		)},
	}
	for _, c := range cases {
		if got := appendPortBytecode(nil, c.f); !bytes.Equal(got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, got, c.want)
		}
	}
	req := appendSockDiagRequest(nil, afInet, ipprotoTCP, 1, 5, appendPortBytecode(nil, &Filter{LocalPort: 22}))
	if got := ne.Uint32(req); int(got) != len(req) || len(req) != sockDiagRequestLen+nlattrHdrLen+8 {
		t.Errorf("request with bytecode: nlmsg_len %d, length %d", got, len(req))
	}
	if attr := req[sockDiagRequestLen:]; ne.Uint16(attr) != nlattrHdrLen+8 || ne.Uint16(attr[2:]) != inetDiagReqBytecode {
		t.Errorf("bytecode attribute header % x", attr[:4])
	}
}
