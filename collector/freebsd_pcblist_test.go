package collector

import (
	"bytes"
	"encoding/binary"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The fixtures below are built from the FreeBSD 13/14 amd64 declarations
// (sys/netinet/in_pcb.h, sys/sys/socketvar.h, sys/netinet/tcp_var.h,
// sys/sys/file.h, sys/sys/user.h), not captured on a FreeBSD host. The
// builder lays the fields out one after another in declaration order with C
// alignment, independently of the offset constants the decoder uses, so
// that a wrong constant shows up as a wrong decoded value.

// fbsdStruct appends fields to a C structure in declaration order, aligning
// each to its size as the amd64 ABI does; integers are little endian.
type fbsdStruct struct{ b []byte }

func (c *fbsdStruct) align(n int) {
	for len(c.b)%n != 0 {
		c.b = append(c.b, 0)
	}
}
func (c *fbsdStruct) u8(v uint8) { c.b = append(c.b, v) }
func (c *fbsdStruct) u16(v uint16) {
	c.align(2)
	c.b = binary.LittleEndian.AppendUint16(c.b, v)
}
func (c *fbsdStruct) u32(v uint32) {
	c.align(4)
	c.b = binary.LittleEndian.AppendUint32(c.b, v)
}
func (c *fbsdStruct) u64(v uint64) {
	c.align(8)
	c.b = binary.LittleEndian.AppendUint64(c.b, v)
}
func (c *fbsdStruct) be16(v uint16) { // a port: network order, 2-aligned
	c.align(2)
	c.b = binary.BigEndian.AppendUint16(c.b, v)
}
func (c *fbsdStruct) chars(s string, n int) {
	b := make([]byte, n)
	copy(b, s)
	c.b = append(c.b, b...)
}

// fbsdPcbSpec describes one pcb record.
type fbsdPcbSpec struct {
	vflag          uint8 // INP_IPV4 1, INP_IPV6 2, INP_IPV6PROTO 4
	local, remote  netip.AddrPort
	tstate         int32  // TCPS_*
	so             uint64 // xso_so; 0 with socket false: no socket
	socket         bool   // the kernel filled the xsocket (sotoxsocket)
	syncache       bool   // a syncache entry: xsocket made up, xi_len 0
	uid            uint32
	rcvCC, sndCC   uint32
	qlen, qlimit   uint32
	xiLen, xsoLen  uint64 // override the embedded lengths when not 0
	xtLen, xiOuter uint64 // override the record length when not 0
	// The buffers' sb_hiwat and sb_mbcnt; without memSet, 65536 and 4096.
	memSet             bool
	rcvHiwat, rcvMbcnt uint32
	sndHiwat, sndMbcnt uint32
	tcb                fbsdTcbSpec
}

// fbsdTcbSpec is what tcp_inptoxtp copies from a tcpcb into an xtcpcb;
// the zero value is a record without (a syncache entry, FreeBSD 13's
// TIME_WAIT).
type fbsdTcbSpec struct {
	cc                    string
	sndRexmitPack, rcvOOO uint32
	rcvTime               uint32 // ms
	cwnd, ssthresh        uint32 // bytes
	maxseg                uint32
	rcvWnd, sndWnd        uint32
}

// fbsdAppendXsockbuf writes a struct xsockbuf.
func fbsdAppendXsockbuf(c *fbsdStruct, cc, hiwat, mbcnt uint32) {
	c.u32(cc)    // sb_cc
	c.u32(hiwat) // sb_hiwat
	c.u32(mbcnt) // sb_mbcnt
	c.u32(3)     // sb_mcnt
	c.u32(1)     // sb_ccnt
	c.u32(524288)
	c.u32(1)    // sb_lowat
	c.u32(0)    // sb_timeo
	c.u16(0x80) // sb_flags
	c.align(4)
}

// appendXsocket writes a struct xsocket.
func (s fbsdPcbSpec) appendXsocket(c *fbsdStruct, proto uint32, family uint32) {
	start := len(c.b)
	filled := s.socket || s.syncache
	xsoLen := uint64(0)
	if filled {
		xsoLen = 240
	}
	if s.xsoLen != 0 {
		xsoLen = s.xsoLen
	}
	c.u64(xsoLen)
	if s.socket {
		c.u64(s.so)               // xso_so
		c.u64(0xfffff80000abc000) // so_pcb
		c.u64(0)                  // so_oobmark
		for range 8 {             // so_spare64
			c.u64(0)
		}
		c.u32(proto)  // xso_protocol
		c.u32(family) // xso_family
		c.u32(s.qlen)
		c.u32(2) // so_incqlen
		c.u32(s.qlimit)
		c.u32(0)     // so_pgid
		c.u32(s.uid) // so_uid
		for range 8 {
			c.u32(0xeeeeeeee) // so_spare32: must be ignored
		}
		c.u16(1) // so_type SOCK_STREAM
		c.u16(0) // so_options
		c.u16(0) // so_linger
		c.u16(2) // so_state
		c.u16(0) // so_timeo
		c.u16(0) // so_error
		if s.memSet {
			fbsdAppendXsockbuf(c, s.rcvCC, s.rcvHiwat, s.rcvMbcnt)
			fbsdAppendXsockbuf(c, s.sndCC, s.sndHiwat, s.sndMbcnt)
		} else {
			fbsdAppendXsockbuf(c, s.rcvCC, 65536, 4096)
			fbsdAppendXsockbuf(c, s.sndCC, 65536, 4096)
		}
	} else {
		// A syncache entry: the kernel sets xso_len, xso_protocol,
		// so_type and so_state only, and leaves so_uid 0.
		c.u64(0) // xso_so
		c.u64(0)
		c.u64(0)
		for range 8 {
			c.u64(0)
		}
		if filled {
			c.u32(proto)
		} else {
			c.u32(0)
		}
		for range 6 + 8 {
			c.u32(0)
		}
		for range 6 {
			c.u16(0)
		}
		fbsdAppendXsockbuf(c, 0, 0, 0)
		fbsdAppendXsockbuf(c, 0, 0, 0)
	}
	c.align(8)
	if got := len(c.b) - start; got != 240 {
		panic("xsocket is " + strconv.Itoa(got) + " bytes")
	}
}

// fbsdAppendInDependaddr writes a union in_dependaddr: an IPv6 address, or an
// IPv4 address after 12 bytes of padding.
func fbsdAppendInDependaddr(c *fbsdStruct, a netip.Addr) {
	c.align(4)
	if a.Is4() {
		c.b = append(c.b, make([]byte, 12)...)
		b := a.As4()
		c.b = append(c.b, b[:]...)
		return
	}
	b := a.As16()
	c.b = append(c.b, b[:]...)
}

// appendXinpcb writes a struct xinpcb.
func (s fbsdPcbSpec) appendXinpcb(c *fbsdStruct, proto uint32) {
	c.align(8)
	start := len(c.b)
	xiLen := uint64(400)
	if s.syncache {
		xiLen = 0
	}
	if s.xiLen != 0 {
		xiLen = s.xiLen
	}
	if s.xiOuter != 0 {
		xiLen = s.xiOuter
	}
	family := uint32(2) // AF_INET
	if s.vflag&2 != 0 {
		family = 28 // AF_INET6
	}
	c.u64(xiLen)
	s.appendXsocket(c, proto, family)
	// struct in_conninfo
	if s.vflag&2 != 0 {
		c.u8(1) // inc_flags INC_ISIPV6
	} else {
		c.u8(0)
	}
	c.u8(0)                 // inc_len
	c.u16(0)                // inc_fibnum
	c.be16(s.remote.Port()) // ie_fport
	c.be16(s.local.Port())  // ie_lport
	fbsdAppendInDependaddr(c, s.remote.Addr())
	fbsdAppendInDependaddr(c, s.local.Addr())
	c.u32(7)                  // ie6_zoneid
	c.u64(0x123456789)        // inp_gencnt
	c.u64(0xfffff800dead0000) // inp_ppcb
	for range 4 {
		c.u64(0xdddddddddddddddd) // inp_spare64
	}
	c.u32(0xabcdef)   // inp_flow
	c.u32(0x55)       // inp_flowid
	c.u32(0x2)        // inp_flowtype
	c.u32(0x400)      // inp_flags
	c.u32(0x8)        // inp_flags2
	c.u32(0)          // inp_rss_listen_bucket / inp_unused
	c.u32(0xffffffff) // in6p_cksum
	for range 4 {
		c.u32(0xcccccccc)
	}
	c.u16(64)     // in6p_hops
	c.u8(0x10)    // inp_ip_tos
	c.u8(0)       // pad8
	c.u8(s.vflag) // inp_vflag
	c.u8(64)      // inp_ip_ttl
	c.u8(uint8(proto))
	c.u8(0) // inp_ip_minttl
	c.b = append(c.b, 0xbb, 0xbb, 0xbb, 0xbb)
	c.align(8)
	if got := len(c.b) - start; got != 400 {
		panic("xinpcb is " + strconv.Itoa(got) + " bytes")
	}
}

// xtcpcb returns a struct xtcpcb.
func (s fbsdPcbSpec) xtcpcb() []byte {
	var c fbsdStruct
	xtLen := uint64(744)
	if s.xtLen != 0 {
		xtLen = s.xtLen
	}
	c.u64(xtLen)
	s.appendXinpcb(&c, 6)
	c.chars("freebsd", 32) // xt_stack
	c.chars("", 64)        // xt_logid
	c.chars(s.tcb.cc, 16)  // xt_cc
	for range 6 {
		c.u64(0x7777777777777777)
	}
	c.u32(uint32(s.tstate)) // t_state
	c.u32(0x99999999)       // t_flags
	c.u32(0x99999999)       // t_sndzerowin
	c.u32(s.tcb.sndRexmitPack)
	c.u32(s.tcb.rcvOOO)  // t_rcvoopack
	c.u32(s.tcb.rcvTime) // t_rcvtime
	for range 6 {
		c.u32(0x99999999) // tt_rexmt, tt_persist, tt_keep, tt_2msl, tt_delack, t_logstate
	}
	c.u32(s.tcb.cwnd)     // t_snd_cwnd
	c.u32(s.tcb.ssthresh) // t_snd_ssthresh
	c.u32(s.tcb.maxseg)
	c.u32(s.tcb.rcvWnd)
	c.u32(s.tcb.sndWnd)
	c.u32(0x99999999) // xt_ecn
	for range 3 {
		c.u32(0) // t_dsack_*
	}
	c.u16(0) // xt_encaps_port
	c.u16(0)
	for range 22 {
		c.u32(0)
	}
	c.align(8)
	if len(c.b) != 744 {
		panic("xtcpcb is " + strconv.Itoa(len(c.b)) + " bytes")
	}
	return c.b
}

// xinpcb returns a struct xinpcb record (UDP).
func (s fbsdPcbSpec) xinpcb() []byte {
	var c fbsdStruct
	s.appendXinpcb(&c, 17)
	return c.b
}

// fbsdXinpgen returns a struct xinpgen.
func fbsdXinpgen(length uint64, count uint32, gen uint64) []byte {
	var c fbsdStruct
	c.u64(length)
	c.u32(count)
	c.u32(0)
	c.u64(gen)
	c.u64(gen + 1000) // xig_sogen
	for range 4 {
		c.u64(0)
	}
	if len(c.b) != 64 {
		panic("xinpgen")
	}
	return c.b
}

// fbsdPcblist joins a leading xinpgen, records and a trailing xinpgen.
func fbsdPcblist(gen, endGen uint64, recs ...[]byte) []byte {
	b := fbsdXinpgen(64, uint32(len(recs)), gen)
	for _, r := range recs {
		b = append(b, r...)
	}
	return append(b, fbsdXinpgen(64, uint32(len(recs)), endGen)...)
}

// fbsdXfileRec returns a struct xfile.
func fbsdXfileRec(pid, fd int32, typ int16, data uint64) []byte {
	var c fbsdStruct
	c.u64(128)
	c.u32(uint32(pid))
	c.u32(1001) // xf_uid
	c.u32(uint32(fd))
	c.u32(0)
	c.u64(0xfffff80077770000 + uint64(fd)) // xf_file
	c.u16(uint16(typ))
	c.u16(0)
	c.u32(1) // xf_count
	c.u32(0) // xf_msgcount
	c.u32(0)
	c.u64(12345) // xf_offset
	c.u64(data)  // xf_data
	c.u64(0xfffff80066660000)
	c.u32(3) // xf_flag FREAD|FWRITE
	c.u32(0)
	for range 6 {
		c.u64(0)
	}
	if len(c.b) != 128 {
		panic("xfile is " + strconv.Itoa(len(c.b)) + " bytes")
	}
	return c.b
}

// fbsdKinfoProc returns a struct kinfo_proc with ki_pid and ki_comm set, the
// fields before ki_comm laid out in order and the rest zero up to
// KINFO_PROC_SIZE.
func fbsdKinfoProc(pid int32, comm string) []byte {
	var c fbsdStruct
	c.u32(1088) // ki_structsize
	c.u32(0)    // ki_layout
	for range 8 {
		c.u64(0xfffff80011110000) // ki_args ... ki_wchan
	}
	c.u32(uint32(pid)) // ki_pid
	for range 5 {
		c.u32(1) // ki_ppid, ki_pgid, ki_tpgid, ki_sid, ki_tsid
	}
	c.u16(0) // ki_jobc
	c.u16(0) // ki_spare_short1
	c.u32(0) // ki_tdev_freebsd11
	for range 4 * 4 {
		c.u32(0) // ki_siglist, ki_sigmask, ki_sigignore, ki_sigcatch
	}
	for range 5 {
		c.u32(1001) // ki_uid, ki_ruid, ki_svuid, ki_rgid, ki_svgid
	}
	c.u16(1) // ki_ngroups
	c.u16(0)
	for range 16 {
		c.u32(0) // ki_groups[KI_NGROUPS]
	}
	for range 6 {
		c.u64(4096) // ki_size, ki_rssize, ki_swrss, ki_tsize, ki_dsize, ki_ssize
	}
	c.u16(0) // ki_xstat
	c.u16(0) // ki_acflag
	for range 5 {
		c.u32(0) // ki_pctcpu, ki_estcpu, ki_slptime, ki_swtime, ki_cow
	}
	c.u64(0) // ki_runtime
	for range 4 {
		c.u64(0) // ki_start, ki_childtime
	}
	c.u64(0) // ki_flag
	c.u64(0) // ki_kiflag
	c.u32(0) // ki_traceflag
	for range 6 {
		c.u8(0) // ki_stat ... ki_lastcpu_old
	}
	c.chars("thread", 17) // ki_tdname[TDNAMLEN+1]
	c.chars("select", 9)  // ki_wmesg[WMESGLEN+1]
	c.chars("root", 18)   // ki_login[LOGNAMELEN+1]
	c.chars("", 9)        // ki_lockname[LOCKNAMELEN+1]
	c.chars(comm, 20)     // ki_comm[COMMLEN+1]
	c.chars("FreeBSD ELF64", 17)
	for len(c.b) < 1088 {
		c.b = append(c.b, 0)
	}
	return c.b
}

func fbsdAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// Sizes and offsets on FreeBSD 13/14 amd64, written out as numbers for the
// fuzz targets' expectations (never the decoder's constants);
// TestFreeBSDLayoutSizes checks them against the builders above, which lay
// the declarations out field by field.
const (
	fbXinpgenSize   = 64   // struct xinpgen (sys/netinet/in_pcb.h)
	fbXinpcbSize    = 400  // struct xinpcb
	fbXtcpcbSize    = 744  // struct xtcpcb (sys/netinet/tcp_var.h)
	fbXfileSize     = 128  // struct xfile (sys/sys/file.h)
	fbKinfoProcSize = 1088 // KINFO_PROC_SIZE (sys/amd64/include/proc.h)

	fbXfPid     = 8  // pid_t xf_pid
	fbXfFd      = 16 // int xf_fd
	fbXfType    = 32 // short xf_type
	fbXfData    = 56 // kvaddr_t xf_data
	fbDtypeSock = 2  // DTYPE_SOCKET

	fbKiPid     = 72  // pid_t ki_pid (sys/sys/user.h)
	fbKiComm    = 447 // char ki_comm[COMMLEN + 1]
	fbKiCommLen = 20  // COMMLEN + 1
)

// Kernel addresses of the fixture's sockets.
const (
	fbsdSoSSH      = 0xfffff80012340000
	fbsdSoNginx    = 0xfffff80012341000
	fbsdSoPgServer = 0xfffff80012342000
	fbsdSoPsql     = 0xfffff80012343000
	fbsdSoHTTP6    = 0xfffff80012344000
	fbsdSoNamed    = 0xfffff80012345000
	fbsdSoResolver = 0xfffff80012346000
	fbsdSoChrony   = 0xfffff80012347000
	fbsdSoOther    = 0xfffff80012348000
	fbsdSoUnix     = 0xfffff80012349000
	fbsdSoQueued   = 0xfffff8001234a000
)

func fbsdTCPFixture() []fbsdPcbSpec {
	return []fbsdPcbSpec{
		{vflag: 1, local: fbsdAP("0.0.0.0:22"), remote: fbsdAP("0.0.0.0:0"), tstate: 1, socket: true, so: fbsdSoSSH, uid: 0, qlen: 1, qlimit: 128},
		// A listener shared by two nginx workers.
		{vflag: 1, local: fbsdAP("0.0.0.0:80"), remote: fbsdAP("0.0.0.0:0"), tstate: 1, socket: true, so: fbsdSoNginx, uid: 0, qlimit: 511},
		// Both ends of a loopback connection.
		{vflag: 1, local: fbsdAP("127.0.0.1:5432"), remote: fbsdAP("127.0.0.1:40000"), tstate: 4, socket: true, so: fbsdSoPgServer, uid: 770, rcvCC: 12, sndCC: 3400},
		{vflag: 1, local: fbsdAP("127.0.0.1:40000"), remote: fbsdAP("127.0.0.1:5432"), tstate: 4, socket: true, so: fbsdSoPsql, uid: 1001},
		// TIME_WAIT after close: no socket, zeroed xsocket.
		{vflag: 1, local: fbsdAP("192.0.2.10:443"), remote: fbsdAP("198.51.100.7:51000"), tstate: 10},
		// IPv6 listener, dual stack (v6only off: INP_IPV4 set too).
		{vflag: 3, local: fbsdAP("[::]:8080"), remote: fbsdAP("[::]:0"), tstate: 1, socket: true, so: fbsdSoHTTP6, uid: 80, qlimit: 128},
		// A syncache entry.
		{vflag: 2, local: fbsdAP("[2001:db8::1]:8080"), remote: fbsdAP("[2001:db8::99]:60000"), tstate: 3, syncache: true},
		// An accepted connection still in the listener's queue: a
		// socket, but no descriptor.
		{vflag: 1, local: fbsdAP("10.0.0.5:22"), remote: fbsdAP("10.0.0.9:50001"), tstate: 4, socket: true, so: fbsdSoQueued, uid: 1001},
		// A socket created and bound, neither listening nor connected.
		{vflag: 1, local: fbsdAP("0.0.0.0:0"), remote: fbsdAP("0.0.0.0:0"), tstate: 0, socket: true, so: fbsdSoOther, uid: 0},
	}
}

func fbsdUDPFixture() []fbsdPcbSpec {
	return []fbsdPcbSpec{
		{vflag: 1, local: fbsdAP("0.0.0.0:53"), remote: fbsdAP("0.0.0.0:0"), socket: true, so: fbsdSoNamed, uid: 53},
		{vflag: 1, local: fbsdAP("10.0.0.5:5353"), remote: fbsdAP("10.0.0.1:53"), socket: true, so: fbsdSoResolver, uid: 1001, rcvCC: 512},
		{vflag: 6, local: fbsdAP("[::1]:323"), remote: fbsdAP("[::]:0"), socket: true, so: fbsdSoChrony, uid: 0},
	}
}

func fbsdFilesFixture() []byte {
	var b []byte
	for _, r := range [][]byte{
		fbsdXfileRec(1, 0, 1, 0xfffff800aaaa0000),    // a vnode
		fbsdXfileRec(800, 3, 2, fbsdSoSSH),           // sshd
		fbsdXfileRec(1201, 6, 2, fbsdSoNginx),        // nginx worker, listed first
		fbsdXfileRec(1200, 6, 2, fbsdSoNginx),        // nginx master
		fbsdXfileRec(1500, 4, 2, fbsdSoPsql),         // psql
		fbsdXfileRec(900, 12, 2, fbsdSoPgServer),     // postgres, twice (dup)
		fbsdXfileRec(900, 10, 2, fbsdSoPgServer),     //
		fbsdXfileRec(900, 11, 3, fbsdSoPgServer),     // a pipe whose data equals a socket's: not a socket
		fbsdXfileRec(650, 5, 2, fbsdSoUnix),          // a unix socket: no pcb
		fbsdXfileRec(81, 7, 2, fbsdSoHTTP6),          // httpd, no name
		fbsdXfileRec(700, 20, 2, fbsdSoNamed),        // named
		fbsdXfileRec(1500, 5, 2, fbsdSoResolver),     // psql's resolver
		fbsdXfileRec(0, 0, 2, fbsdSoChrony),          // a kernel thread, pid 0
		fbsdXfileRec(1600, 3, 2, 0),                  // a socket with no data: ignored
		fbsdXfileRec(1700, 3, 5, 0xfffff800bbbb0000), // a kqueue
	} {
		b = append(b, r...)
	}
	return b
}

func fbsdProcFixture() []byte {
	var b []byte
	for _, p := range []struct {
		pid  int32
		comm string
	}{
		{0, "kernel"}, {1, "init"}, {800, "sshd"}, {1200, "nginx"}, {1201, "nginx"},
		{900, "postgres"}, {1500, "psql"}, {700, "named"},
		{650, "a-very-long-command-name"}, // 24 bytes: the kernel keeps 19 and a NUL; this keeps 20
	} {
		b = append(b, fbsdKinfoProc(p.pid, p.comm)...)
	}
	return b
}

func TestFreeBSDLayoutSizes(t *testing.T) {
	// The builder lays fields out independently of the decoder's
	// constants: its sizes must be the headers'.
	s := fbsdPcbSpec{vflag: 1, local: fbsdAP("1.2.3.4:5"), remote: fbsdAP("0.0.0.0:0"), socket: true, so: 1}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"xinpgen", len(fbsdXinpgen(64, 0, 0)), fbXinpgenSize},
		{"xinpcb", len(s.xinpcb()), fbXinpcbSize},
		{"xtcpcb", len(s.xtcpcb()), fbXtcpcbSize},
		{"xfile", len(fbsdXfileRec(1, 1, 2, 1)), fbXfileSize},
		{"kinfo_proc", len(fbsdKinfoProc(1, "x")), fbKinfoProcSize},
		{"xinpgen (header)", fbsdXinpgenLen, 64},
		{"xsocket (header)", fbsdXsocketLen, 240},
		{"xinpcb (header)", fbsdXinpcbLen, 400},
		{"xtcpcb (header)", fbsdXtcpcbLen, 744},
		{"xfile (header)", fbsdXfileLen, 128},
		{"kinfo_proc (KINFO_PROC_SIZE)", fbsdKinfoProcLen, 1088},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.name, c.got, c.want)
		}
	}
	// The offsets written out for the fuzz targets are where the builders
	// put the fields.
	le := binary.LittleEndian
	x := fbsdXfileRec(0x11223344, 0x55667788, 0x099a, 0xfffff800bbccdd00)
	if le.Uint32(x[fbXfPid:]) != 0x11223344 || le.Uint32(x[fbXfFd:]) != 0x55667788 ||
		le.Uint16(x[fbXfType:]) != 0x099a || le.Uint64(x[fbXfData:]) != 0xfffff800bbccdd00 {
		t.Errorf("xfile offsets do not match the declaration")
	}
	k := fbsdKinfoProc(0x12345678, "comm-of-nineteen-ch")
	if le.Uint32(k[fbKiPid:]) != 0x12345678 || string(k[fbKiComm:fbKiComm+fbKiCommLen]) != "comm-of-nineteen-ch\x00" {
		t.Errorf("kinfo_proc offsets do not match the declaration: %q", k[fbKiComm:fbKiComm+fbKiCommLen])
	}
}

func fbsdRecords(specs []fbsdPcbSpec, p Proto) [][]byte {
	var recs [][]byte
	for _, s := range specs {
		if p == ProtoTCP {
			recs = append(recs, s.xtcpcb())
		} else {
			recs = append(recs, s.xinpcb())
		}
	}
	return recs
}

func TestDecodeFreeBSDPcblistFixture(t *testing.T) {
	var warnings []string
	warn := func(w string) { warnings = append(warnings, w) }
	tcp, err := decodeFreeBSDPcblist(fbsdPcblist(41, 41, fbsdRecords(fbsdTCPFixture(), ProtoTCP)...), ProtoTCP, false, warn)
	if err != nil {
		t.Fatal(err)
	}
	if !tcp.consistent() || tcp.gen != 41 {
		t.Errorf("generation %d/%d, want 41/41", tcp.gen, tcp.endGen)
	}
	udp, err := decodeFreeBSDPcblist(fbsdPcblist(7, 7, fbsdRecords(fbsdUDPFixture(), ProtoUDP)...), ProtoUDP, false, warn)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	pcbs := append(tcp.pcbs, udp.pcbs...)
	files, err := decodeFreeBSDXfiles(fbsdFilesFixture())
	if err != nil {
		t.Fatal(err)
	}
	names, err := decodeFreeBSDProcNames(fbsdProcFixture())
	if err != nil {
		t.Fatal(err)
	}
	got := joinFreeBSDOwners(pcbs, files, names, 1001)

	tcp4 := func(l, r string, st State, uid int, rq, sq uint32) Socket {
		return Socket{Proto: ProtoTCP, Family: FamilyIPv4, Local: fbsdAP(l), Remote: fbsdAP(r), State: st, UID: uid, RecvQ: rq, SendQ: sq}
	}
	own := func(s Socket, owners ...Owner) Socket { s.Owners = owners; return s }
	why := func(s Socket, r OwnerUnknown) Socket { s.OwnerUnknown = r; return s }
	want := []Socket{
		own(tcp4("0.0.0.0:22", "0.0.0.0:0", StateListen, 0, 1, 128), Owner{800, "sshd", 3}),
		own(tcp4("0.0.0.0:80", "0.0.0.0:0", StateListen, 0, 0, 511), Owner{1200, "nginx", 6}, Owner{1201, "nginx", 6}),
		own(tcp4("127.0.0.1:5432", "127.0.0.1:40000", StateEstablished, 770, 12, 3400), Owner{900, "postgres", 10}, Owner{900, "postgres", 12}),
		own(tcp4("127.0.0.1:40000", "127.0.0.1:5432", StateEstablished, 1001, 0, 0), Owner{1500, "psql", 4}),
		why(tcp4("192.0.2.10:443", "198.51.100.7:51000", StateTimeWait, -1, 0, 0), OwnerKernel),
		own(Socket{Proto: ProtoTCP, Family: FamilyIPv6, Local: fbsdAP("[::]:8080"), Remote: fbsdAP("[::]:0"), State: StateListen, UID: 80, SendQ: 128}, Owner{81, "", 7}),
		why(Socket{Proto: ProtoTCP, Family: FamilyIPv6, Local: fbsdAP("[2001:db8::1]:8080"), Remote: fbsdAP("[2001:db8::99]:60000"), State: StateSynRecv, UID: -1}, OwnerKernel),
		why(tcp4("10.0.0.5:22", "10.0.0.9:50001", StateEstablished, 1001, 0, 0), OwnerKernel),
		why(tcp4("0.0.0.0:0", "0.0.0.0:0", StateBoundInactive, 0, 0, 0), OwnerPermission),
		own(Socket{Proto: ProtoUDP, Family: FamilyIPv4, Local: fbsdAP("0.0.0.0:53"), Remote: fbsdAP("0.0.0.0:0"), State: StateClose, UID: 53}, Owner{700, "named", 20}),
		own(Socket{Proto: ProtoUDP, Family: FamilyIPv4, Local: fbsdAP("10.0.0.5:5353"), Remote: fbsdAP("10.0.0.1:53"), State: StateEstablished, UID: 1001, RecvQ: 512}, Owner{1500, "psql", 5}),
		own(Socket{Proto: ProtoUDP, Family: FamilyIPv6, Local: fbsdAP("[::1]:323"), Remote: fbsdAP("[::]:0"), State: StateClose, UID: 0}, Owner{0, "kernel", 0}),
	}
	if len(got) != len(want) {
		t.Fatalf("%d sockets, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("socket %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	// Without owners, the same sockets with no owner fields.
	plain := freebsdSockets(pcbs)
	for i := range plain {
		w := want[i]
		w.Owners, w.OwnerUnknown = nil, OwnerKnown
		if !reflect.DeepEqual(plain[i], w) {
			t.Errorf("socket %d without owners:\n got %+v\nwant %+v", i, plain[i], w)
		}
	}

	// As root, a socket nobody visible holds is the kernel's.
	got = joinFreeBSDOwners(pcbs, files, names, 0)
	if got[8].OwnerUnknown != OwnerKernel {
		t.Errorf("as root: %v, want kernel", got[8].OwnerUnknown)
	}
	// kern.proc.proc unreadable: owners without names.
	got = joinFreeBSDOwners(pcbs, files, nil, 1001)
	if o := got[0].Owners; len(o) != 1 || o[0] != (Owner{800, "", 3}) {
		t.Errorf("without names: %+v", o)
	}
}

func TestDecodeFreeBSDPcblistEmptyAndChanged(t *testing.T) {
	l, err := decodeFreeBSDPcblist(fbsdPcblist(5, 5), ProtoTCP, false, nil)
	if err != nil || len(l.pcbs) != 0 || !l.consistent() {
		t.Errorf("empty table: %+v, %v", l, err)
	}
	// The generation changed during the copy: decoded, flagged.
	rec := fbsdUDPFixture()[0].xinpcb()
	l, err = decodeFreeBSDPcblist(fbsdPcblist(5, 6, rec), ProtoUDP, false, nil)
	if err != nil || len(l.pcbs) != 1 || l.consistent() {
		t.Errorf("changed table: %+v, %v", l, err)
	}
	// A record longer than the struct (a later release appending
	// fields) is walked by its length.
	long := append(fbsdPcbSpec{vflag: 1, local: fbsdAP("0.0.0.0:53"), remote: fbsdAP("0.0.0.0:0"), socket: true, so: 1, xiOuter: 408}.xinpcb(), make([]byte, 8)...)
	l, err = decodeFreeBSDPcblist(fbsdPcblist(5, 5, long, rec), ProtoUDP, false, nil)
	if err != nil || len(l.pcbs) != 2 {
		t.Errorf("longer record: %d pcbs, %v", len(l.pcbs), err)
	}
}

func TestDecodeFreeBSDPcblistSkips(t *testing.T) {
	tcp := fbsdTCPFixture()
	badFlag := tcp[0]
	badFlag.vflag = 4 // INP_IPV6PROTO alone
	badState := tcp[2]
	badState.tstate = 11
	negState := tcp[3]
	negState.tstate = -1
	var warnings []string
	l, err := decodeFreeBSDPcblist(fbsdPcblist(1, 1, badFlag.xtcpcb(), tcp[1].xtcpcb(), badState.xtcpcb(), negState.xtcpcb()),
		ProtoTCP, false, func(w string) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatal(err)
	}
	if len(l.pcbs) != 1 || l.pcbs[0].Local != fbsdAP("0.0.0.0:80") {
		t.Errorf("kept %+v, want the port 80 listener only", l.pcbs)
	}
	if len(warnings) != 3 || !strings.Contains(warnings[0], "inp_vflag 0x4") ||
		!strings.Contains(warnings[1], "TCP state 11") || !strings.Contains(warnings[2], "TCP state -1") {
		t.Errorf("warnings %q", warnings)
	}
	for _, w := range warnings {
		if !strings.HasPrefix(w, "net.inet.tcp.pcblist: record at offset ") {
			t.Errorf("warning without table and offset: %q", w)
		}
	}
}

func TestDecodeFreeBSDPcblistMalformed(t *testing.T) {
	tcpRec := fbsdTCPFixture()[0].xtcpcb()
	udpRec := fbsdUDPFixture()[0].xinpcb()
	good := fbsdPcblist(1, 1, tcpRec)
	with := func(s fbsdPcbSpec) []byte { return fbsdPcblist(1, 1, s.xtcpcb()) }
	base := fbsdTCPFixture()[0]
	set := func(f func(*fbsdPcbSpec)) fbsdPcbSpec { s := base; f(&s); return s }
	join := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	cases := []struct {
		name string
		p    Proto
		buf  []byte
		want string
	}{
		{"empty", ProtoTCP, nil, "truncated"},
		{"short header", ProtoTCP, good[:63], "truncated"},
		{"header length too small", ProtoTCP, join(fbsdXinpgen(32, 1, 1), tcpRec, fbsdXinpgen(32, 1, 1)), "xinpgen length 32"},
		{"header length of a record", ProtoUDP, join(fbsdXinpgen(400, 1, 1), udpRec, fbsdXinpgen(400, 1, 1)), "xinpgen length 400"},
		{"header length past the end", ProtoTCP, fbsdXinpgen(1<<40, 0, 1), "xinpgen length"},
		{"header only", ProtoTCP, fbsdXinpgen(64, 0, 1), "no trailing xinpgen"},
		{"cut inside a record", ProtoTCP, good[:64+700], "past the end"},
		{"cut inside the trailer", ProtoTCP, good[:len(good)-10], "past the end"},
		{"cut in a length field", ProtoTCP, good[:64+744+4], "no trailing xinpgen"},
		{"xt_len smaller than xtcpcb", ProtoTCP, with(set(func(s *fbsdPcbSpec) { s.xtLen = 400 })), "shorter than a struct xtcpcb"},
		{"xt_len zero", ProtoTCP, fbsdPut64(good, 64, 0), "length 0"},
		{"xt_len past the end", ProtoTCP, with(set(func(s *fbsdPcbSpec) { s.xtLen = 744 + 64 + 8 })), "past the end"},
		{"xt_len huge", ProtoTCP, with(set(func(s *fbsdPcbSpec) { s.xtLen = 1 << 63 })), "past the end"},
		{"xi_len smaller than xinpcb", ProtoUDP, fbsdPcblist(1, 1, set(func(s *fbsdPcbSpec) { s.xiOuter = 399 }).xinpcb()), "shorter than a struct xinpcb"},
		{"a TCP list read as UDP", ProtoUDP, good, "unknown layout"},
		{"a UDP list read as TCP", ProtoTCP, fbsdPcblist(1, 1, udpRec), "shorter than a struct xtcpcb"},
		{"embedded xi_len unknown", ProtoTCP, with(set(func(s *fbsdPcbSpec) { s.xiLen = 408 })), "xinpcb inside xtcpcb has length 408"},
		{"xso_len unknown", ProtoTCP, with(set(func(s *fbsdPcbSpec) { s.xsoLen = 232 })), "xsocket has length 232"},
		{"bytes after the trailer", ProtoTCP, join(good, make([]byte, 8)), "8 bytes after the trailing xinpgen"},
		{"not a pcblist protocol", 0, good, "no pcblist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := decodeFreeBSDPcblist(tc.buf, tc.p, false, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "net.inet.") {
				t.Errorf("error without the sysctl's name: %v", err)
			}
			if len(l.pcbs) != 0 {
				t.Errorf("%d pcbs returned with the error", len(l.pcbs))
			}
		})
	}
}

func TestDecodeFreeBSDXfilesMalformed(t *testing.T) {
	good := fbsdXfileRec(10, 3, 2, 0xfffff80000001000)
	short := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(short, 64)
	long := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(long, 129)
	cases := []struct {
		name string
		buf  []byte
		want string
	}{
		{"truncated length", append(append([]byte(nil), good...), 1, 2, 3), "truncated"},
		{"xf_size too small", short, "shorter than a struct xfile"},
		{"xf_size past the end", long, "past the end"},
		{"xf_size huge", append(fbsdXfileRec(1, 1, 1, 1)[:0:0], binary.LittleEndian.AppendUint64(nil, 1<<63)...), "past the end"},
		{"negative pid", fbsdXfileRec(-1, 3, 2, 1), "pid -1"},
		{"negative fd", fbsdXfileRec(1, -3, 2, 1), "descriptor -3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files, err := decodeFreeBSDXfiles(tc.buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) || files != nil {
				t.Fatalf("files %v, err = %v, want one containing %q", files, err, tc.want)
			}
		})
	}
	// A negative pid on something other than a socket is not looked at.
	if files, err := decodeFreeBSDXfiles(fbsdXfileRec(-1, -1, 1, 1)); err != nil || len(files) != 0 {
		t.Errorf("vnode with pid -1: %v, %v", files, err)
	}
	// A longer xfile (a later release appending fields) is walked by its
	// size.
	longer := append(append([]byte(nil), good...), make([]byte, 8)...)
	binary.LittleEndian.PutUint64(longer, 136)
	files, err := decodeFreeBSDXfiles(append(longer, good...))
	if err != nil || len(files) != 2 || files[1] != (freebsdXfile{10, 3, 0xfffff80000001000}) {
		t.Errorf("longer xfile: %+v, %v", files, err)
	}
	if files, err := decodeFreeBSDXfiles(nil); err != nil || files != nil {
		t.Errorf("empty: %v, %v", files, err)
	}
}

func TestDecodeFreeBSDProcNames(t *testing.T) {
	names, err := decodeFreeBSDProcNames(fbsdProcFixture())
	if err != nil {
		t.Fatal(err)
	}
	if names[800] != "sshd" || names[0] != "kernel" || names[650] != "a-very-long-command-" || len(names) != 9 {
		t.Errorf("names %v", names)
	}
	good := fbsdKinfoProc(10, "sh")
	set := func(off int, v uint32) []byte {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	for _, tc := range []struct {
		name string
		buf  []byte
		want string
	}{
		{"truncated", append(append([]byte(nil), good...), 1, 2), "truncated"},
		{"structsize small", set(0, 1000), "shorter than a struct kinfo_proc"},
		{"structsize negative", set(0, 0xffffffff), "size -1"},
		{"structsize past the end", set(0, 1096), "past the end"},
		{"negative pid", set(72, 0xfffffffe), "pid -2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, err := decodeFreeBSDProcNames(tc.buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) || names != nil {
				t.Fatalf("names %v, err = %v, want one containing %q", names, err, tc.want)
			}
		})
	}
}

// fbsdLengthsConsistent walks a pcblist by its length fields alone, as a
// second opinion: the decoder must reject a buffer whose lengths lie.
func fbsdLengthsConsistent(b []byte, recLen int) bool {
	if len(b) < fbXinpgenSize {
		return false
	}
	hl := binary.LittleEndian.Uint64(b)
	if hl < fbXinpgenSize || hl >= uint64(recLen) || hl > uint64(len(b)) {
		return false
	}
	for off := uint64(hl); ; {
		if uint64(len(b))-off < 8 {
			return false
		}
		n := binary.LittleEndian.Uint64(b[off:])
		if n > uint64(len(b))-off {
			return false
		}
		if n == hl {
			return off+n == uint64(len(b))
		}
		if n < uint64(recLen) {
			return false
		}
		off += n
	}
}

var fbsdStates = map[State]bool{
	StateBoundInactive: true, StateListen: true, StateSynSent: true, StateSynRecv: true,
	StateEstablished: true, StateCloseWait: true, StateFinWait1: true, StateClosing: true,
	StateLastAck: true, StateFinWait2: true, StateTimeWait: true,
}

// fbsdSpecOf is the record that makes pc: the inverse of decoding, from the
// headers' meaning of each field.
func fbsdSpecOf(pc *freebsdPcb) fbsdPcbSpec {
	s := fbsdPcbSpec{vflag: 1, local: pc.Local, remote: pc.Remote, so: pc.so, socket: pc.so != 0}
	if pc.Family == FamilyIPv6 {
		s.vflag = 2
	}
	for tcps, st := range []State{StateBoundInactive, StateListen, StateSynSent, StateSynRecv, StateEstablished,
		StateCloseWait, StateFinWait1, StateClosing, StateLastAck, StateFinWait2, StateTimeWait} { // TCPS_* (tcp_fsm.h)
		if st == pc.State {
			s.tstate = int32(tcps)
		}
	}
	if s.socket {
		s.uid = uint32(pc.UID)
		if pc.Proto == ProtoTCP && pc.State == StateListen {
			s.qlen, s.qlimit = pc.RecvQ, pc.SendQ
		} else {
			s.rcvCC, s.sndCC = pc.RecvQ, pc.SendQ
		}
	}
	if in := pc.Internals; in != nil {
		if in.HasTCP {
			t := &in.TCP
			s.tcb = fbsdTcbSpec{cc: in.Cong.String(), sndRexmitPack: t.TotalRetrans, rcvOOO: t.RcvOOOPack,
				rcvTime: t.LastAckRecv, cwnd: t.SndCwnd * t.SndMSS, ssthresh: t.SndSsthresh * t.SndMSS,
				maxseg: t.SndMSS, rcvWnd: t.RcvWnd, sndWnd: t.SndWnd}
		}
		if in.HasMem {
			m := &in.Mem
			s.memSet = true
			s.rcvHiwat, s.rcvMbcnt, s.sndHiwat, s.sndMbcnt = m.RcvBuf, m.RmemAlloc, m.SndBuf, m.WmemQueued
		}
	}
	return s
}

// checkFreeBSDInternals checks what the decoder with info made of pc
// against the headers' meaning: the fields FreeBSD reports and no other,
// TCP's only from a record with a tcpcb, memory only with a socket's
// buffers.
func checkFreeBSDInternals(t *testing.T, pc *freebsdPcb) {
	t.Helper()
	in := pc.Internals
	if in == nil {
		return
	}
	if !in.HasTCP && !in.HasMem {
		t.Errorf("internals with neither TCP nor memory: %+v", in)
	}
	if in.HasTCP {
		ti := &in.TCP
		if pc.Proto != ProtoTCP || ti.SndMSS == 0 || ti.Fields == 0 || ti.HasRTT() || ti.HasBytes() || ti.Has(TCPRetransmits) || ti.Size != 0 {
			t.Errorf("%v tcp internals %+v", pc.Proto, ti)
		}
	} else if in.TCP != (TCPInfo{}) || in.Cong != 0 {
		t.Errorf("no tcp internals, yet %+v %v", in.TCP, in.Cong)
	}
	if in.HasMem && (pc.so == 0 || pc.State == StateListen || in.Mem.Has(MemDrops) || in.Mem.Has(MemWmemAlloc)) {
		t.Errorf("memory %+v for socket %#x in %v", in.Mem, pc.so, pc.State)
	}
}

func FuzzDecodeFreeBSDPcblist(f *testing.F) {
	f.Add(fbsdPcblist(41, 41, fbsdRecords(fbsdTCPFixture(), ProtoTCP)...), false, false)
	f.Add(fbsdPcblist(41, 41, fbsdRecords(fbsdInternalsFixture(), ProtoTCP)...), false, true)
	f.Add(fbsdPcblist(7, 8, fbsdRecords(fbsdUDPFixture(), ProtoUDP)...), true, true)
	f.Add(fbsdPcblist(1, 1), false, false)
	f.Add(fbsdXinpgen(64, 0, 0), true, false)
	f.Fuzz(func(t *testing.T, data []byte, udp, info bool) {
		p, recLen := ProtoTCP, fbXtcpcbSize
		if udp {
			p, recLen = ProtoUDP, fbXinpcbSize
		}
		l, err := decodeFreeBSDPcblist(data, p, info, func(w string) {
			if !strings.HasPrefix(w, freebsdPcblistName(p)+": record at offset ") {
				t.Errorf("warning without table and offset: %q", w)
			}
		})
		if !fbsdLengthsConsistent(data, recLen) && err == nil {
			t.Fatalf("lying lengths accepted: %d pcbs", len(l.pcbs))
		}
		if err != nil {
			if len(l.pcbs) != 0 {
				t.Fatalf("%d pcbs with error %v", len(l.pcbs), err)
			}
			return
		}
		if len(l.pcbs)*recLen > len(data) {
			t.Fatalf("%d pcbs from %d bytes", len(l.pcbs), len(data))
		}
		for i := range l.pcbs {
			pc := &l.pcbs[i]
			s := &pc.Socket
			if s.Proto != p {
				t.Errorf("proto %v", s.Proto)
			}
			switch s.Family {
			case FamilyIPv4:
				if !s.Local.Addr().Is4() || !s.Remote.Addr().Is4() {
					t.Errorf("IPv4 socket with %v %v", s.Local, s.Remote)
				}
			case FamilyIPv6:
				if !s.Local.Addr().Is6() || !s.Remote.Addr().Is6() {
					t.Errorf("IPv6 socket with %v %v", s.Local, s.Remote)
				}
			default:
				t.Errorf("family %v", s.Family)
			}
			if udp && s.State != StateClose && s.State != StateEstablished || !udp && !fbsdStates[s.State] {
				t.Errorf("%v state %v", p, s.State)
			}
			if pc.so != 0 && s.UID < 0 {
				t.Errorf("uid %d for socket %#x", s.UID, pc.so)
			}
			if pc.so == 0 && (s.UID != -1 || s.RecvQ != 0 || s.SendQ != 0) {
				t.Errorf("no socket, yet uid %d, queues %d/%d", s.UID, s.RecvQ, s.SendQ)
			}
			if !info && s.Internals != nil {
				t.Errorf("internals not asked for: %+v", s.Internals)
			}
			checkFreeBSDInternals(t, pc)
		}
		// Each socket's ports are in the buffer, foreign then local, as
		// struct in_endpoints holds them; what was decoded, written again
		// by this test's builder, decodes to the same pcbs.
		var again [][]byte
		for i := range l.pcbs {
			pc := &l.pcbs[i]
			ports := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, pc.Remote.Port()), pc.Local.Port())
			if !bytes.Contains(data, ports) {
				t.Fatalf("pcb %d: ports %d and %d are not in the buffer", i, pc.Local.Port(), pc.Remote.Port())
			}
			spec := fbsdSpecOf(pc)
			if udp {
				again = append(again, spec.xinpcb())
			} else {
				again = append(again, spec.xtcpcb())
			}
		}
		round, err := decodeFreeBSDPcblist(fbsdPcblist(l.gen, l.endGen, again...), p, info, nil)
		if err != nil || len(round.pcbs) != len(l.pcbs) || (len(l.pcbs) > 0 && !reflect.DeepEqual(round.pcbs, l.pcbs)) ||
			round.gen != l.gen || round.endGen != l.endGen {
			t.Fatalf("decoded, built again and decoded: %v\n%+v\nwant\n%+v", err, round.pcbs, l.pcbs)
		}
		// The join never invents owners.
		socks := joinFreeBSDOwners(l.pcbs, nil, nil, 1000)
		for i := range socks {
			if len(socks[i].Owners) != 0 || socks[i].OwnerUnknown == OwnerKnown {
				t.Errorf("socket %d: owners %v, reason %q without files", i, socks[i].Owners, socks[i].OwnerUnknown)
			}
		}
	})
}

func FuzzDecodeFreeBSDXfile(f *testing.F) {
	f.Add(fbsdFilesFixture())
	f.Add(fbsdXfileRec(1, 1, 2, 1))
	f.Add([]byte{128, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := decodeFreeBSDXfiles(data)
		// A second opinion, from the offsets written out above: the
		// records by their xf_size, and the sockets among them.
		le := binary.LittleEndian
		ok := true
		var want []freebsdXfile
		for off := 0; off < len(data); {
			if len(data)-off < 8 {
				ok = false
				break
			}
			n := le.Uint64(data[off:])
			if n < fbXfileSize || n > uint64(len(data)-off) {
				ok = false
				break
			}
			r := data[off:]
			if int16(le.Uint16(r[fbXfType:])) == fbDtypeSock {
				x := freebsdXfile{pid: int32(le.Uint32(r[fbXfPid:])), fd: int32(le.Uint32(r[fbXfFd:])), data: le.Uint64(r[fbXfData:])}
				if x.pid < 0 || x.fd < 0 {
					ok = false
					break
				}
				if x.data != 0 {
					want = append(want, x)
				}
			}
			off += int(n)
		}
		if ok != (err == nil) {
			t.Fatalf("the sizes and values are good: %v, yet error %v (%d files)", ok, err, len(files))
		}
		if ok && !slices.Equal(files, want) {
			t.Fatalf("files %+v, the records hold %+v", files, want)
		}
		if err != nil {
			if files != nil {
				t.Fatalf("files with error %v", err)
			}
			return
		}
		if len(files)*fbXfileSize > len(data) {
			t.Fatalf("%d files from %d bytes", len(files), len(data))
		}
		for _, x := range files {
			if x.pid < 0 || x.fd < 0 || x.data == 0 {
				t.Errorf("file %+v out of range", x)
			}
		}
		// Joined with any pcb, owners come out sorted and are the
		// descriptors holding that address.
		for _, x := range files {
			pcbs := []freebsdPcb{{Socket: Socket{UID: 1}, so: x.data}}
			s := joinFreeBSDOwners(pcbs, files, nil, 1)[0]
			if len(s.Owners) == 0 {
				t.Fatalf("no owner for %#x", x.data)
			}
			for i := 1; i < len(s.Owners); i++ {
				a, b := s.Owners[i-1], s.Owners[i]
				if a.PID > b.PID || a.PID == b.PID && a.FD > b.FD {
					t.Errorf("owners out of order: %+v", s.Owners)
				}
			}
		}
	})
}

func FuzzDecodeFreeBSDProcNames(f *testing.F) {
	f.Add(fbsdProcFixture())
	f.Add(fbsdKinfoProc(1, "init"))
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := decodeFreeBSDProcNames(data)
		// A second opinion, from the offsets written out above.
		le := binary.LittleEndian
		ok := true
		want := map[int]string{}
		for off := 0; off < len(data); {
			if len(data)-off < 4 {
				ok = false
				break
			}
			n := int(int32(le.Uint32(data[off:])))
			if n < fbKinfoProcSize || n > len(data)-off {
				ok = false
				break
			}
			pid := int32(le.Uint32(data[off+fbKiPid:]))
			if pid < 0 {
				ok = false
				break
			}
			comm, _, _ := bytes.Cut(data[off+fbKiComm:off+fbKiComm+fbKiCommLen], []byte{0})
			want[int(pid)] = string(comm)
			off += n
		}
		if ok != (err == nil) {
			t.Fatalf("the sizes and pids are good: %v, yet error %v", ok, err)
		}
		if err != nil {
			if names != nil {
				t.Fatalf("names with error %v", err)
			}
			return
		}
		if !maps.Equal(names, want) {
			t.Fatalf("names %v, the records hold %v", names, want)
		}
		if len(names)*fbKinfoProcSize > len(data) {
			t.Fatalf("%d names from %d bytes", len(names), len(data))
		}
		// Written again by this test's builder, the names decode the same.
		var again []byte
		for pid, name := range names {
			if pid < 0 || len(name) > fbKiCommLen || strings.IndexByte(name, 0) >= 0 {
				t.Fatalf("pid %d name %q out of range", pid, name)
			}
			again = append(again, fbsdKinfoProc(int32(pid), name)...)
		}
		if round, err := decodeFreeBSDProcNames(again); err != nil || !maps.Equal(round, names) {
			t.Fatalf("built again and decoded: %v %v, want %v", round, err, names)
		}
	})
}

// fbsdPut64 returns a copy of b with the little-endian v at off.
func fbsdPut64(b []byte, off int, v uint64) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(b[off:], v)
	return b
}
