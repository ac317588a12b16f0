package collector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// sockDestroy is SOCK_DESTROY, the sock_diag request that ends a socket
// (the kernel's tcp_abort: the peer gets a reset, the socket's owner an
// ECONNABORTED).
const sockDestroy = 21

// nlmFAck asks the kernel to acknowledge a request.
const nlmFAck = 0x04

// Errors of Destroy, for callers to tell the user what to do.
var (
	// ErrDestroyPermission: ending other processes' sockets takes
	// CAP_NET_ADMIN.
	ErrDestroyPermission = errors.New("ending a socket takes CAP_NET_ADMIN (run as root)")
	// ErrDestroyUnsupported: the kernel was built without
	// CONFIG_INET_DIAG_DESTROY, or the system has no way to end a socket.
	ErrDestroyUnsupported = errors.New("this kernel cannot end sockets (it was built without CONFIG_INET_DIAG_DESTROY)")
	// ErrDestroyGone: the socket was gone when the request came.
	ErrDestroyGone = errors.New("the socket is gone already")
	// ErrDestroyRefused: the kernel answered EINVAL, as it does for an
	// MPTCP socket (Go 1.24 and later listen with MPTCP by default).
	ErrDestroyRefused = errors.New("the kernel refused to end it (EINVAL), as it does for MPTCP sockets, which Go 1.24+ programs listen with; stop it from its program instead")
	// ErrDestroyIgnored: the system answered that it ended the
	// connection, but the connection is still in its table (Wine's
	// SetTcpEntry answers so and does nothing).
	ErrDestroyIgnored = errors.New("the system answered that it ended the connection, but it is still open")
)

// systemError is an error of Destroy with this system's own words that
// matches (errors.Is) one of the ErrDestroy errors.
type systemError struct {
	msg  string
	kind error
}

func (e *systemError) Error() string        { return e.msg }
func (e *systemError) Is(target error) bool { return target == e.kind }

// appendDestroyRequest appends to b the SOCK_DESTROY request for the TCP
// socket s: its addresses and ports, by which the kernel looks it up, and
// its cookie, which makes the kernel end that socket alone (a connection
// gone since would otherwise find the listener on its port).
func appendDestroyRequest(b []byte, s *Socket, seq uint32) ([]byte, error) {
	if s.Proto != ProtoTCP {
		return b, fmt.Errorf("only TCP sockets can be ended, not %s", s.Proto)
	}
	if s.Cookie == 0 {
		// Without it the kernel would end whatever answers on those
		// addresses: the listener, once the connection is gone.
		return b, errors.New("the socket has no cookie: read it with Options.Cookies from netlink")
	}
	family := uint8(afInet)
	if s.Family == FamilyIPv6 {
		family = afInet6
	}
	ne := binary.NativeEndian
	b = ne.AppendUint32(b, uint32(sockDiagRequestLen))
	b = ne.AppendUint16(b, sockDestroy)
	b = ne.AppendUint16(b, nlmFRequest|nlmFAck)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0)
	b = append(b, family, ipprotoTCP, 0, 0)
	b = ne.AppendUint32(b, ^uint32(0)) // any state
	b = binary.BigEndian.AppendUint16(b, s.Local.Port())
	b = binary.BigEndian.AppendUint16(b, s.Remote.Port())
	b = appendDiagAddr(b, s.Local.Addr())
	b = appendDiagAddr(b, s.Remote.Addr())
	b = ne.AppendUint32(b, 0) // idiag_if
	b = ne.AppendUint32(b, uint32(s.Cookie))
	b = ne.AppendUint32(b, uint32(s.Cookie>>32))
	return b, nil
}

// appendDiagAddr appends an address as inet_diag_sockid holds it: 16
// bytes, an IPv4 address in the first four.
func appendDiagAddr(b []byte, a netip.Addr) []byte {
	var raw [16]byte
	if a.Is4() {
		v4 := a.As4()
		copy(raw[:], v4[:])
	} else {
		raw = a.As16()
	}
	return append(b, raw[:]...)
}

// parseDestroyAck reads the kernel's answer to a SOCK_DESTROY request of
// sequence number seq: done once it is there, with the errno it carries
// (0 for success). A message that is not a netlink message is an error.
func parseDestroyAck(buf []byte, seq uint32) (done bool, errno int32, err error) {
	ne := binary.NativeEndian
	for off := 0; off+nlmsgHdrLen <= len(buf); {
		l := int(ne.Uint32(buf[off:]))
		if l < nlmsgHdrLen || off+l > len(buf) {
			return true, 0, fmt.Errorf("netlink answer to SOCK_DESTROY: bad length %d", l)
		}
		typ, msgSeq := ne.Uint16(buf[off+4:]), ne.Uint32(buf[off+8:])
		body := buf[off+nlmsgHdrLen : off+l]
		off += (l + nlmsgAlign - 1) &^ (nlmsgAlign - 1)
		if msgSeq != seq || typ != nlmsgError {
			continue
		}
		if len(body) < 4 {
			return true, 0, errors.New("netlink answer to SOCK_DESTROY: truncated NLMSG_ERROR")
		}
		return true, -int32(ne.Uint32(body)), nil
	}
	return false, 0, nil
}
