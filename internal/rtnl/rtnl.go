// Package rtnl reads rtnetlink dumps (links, addresses, routes): the
// message and attribute framing, pure and fuzzed, and on Linux the dump
// itself. Each view (interfaces, routes) decodes its own message bodies.
package rtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Header lengths.
const (
	nlmsgHdrLen = 16 // struct nlmsghdr
	rtaHdrLen   = 4  // struct rtattr
)

// Netlink message types that end or fail a dump.
const (
	nlmsgError = 2
	nlmsgDone  = 3
)

// Message is one message of a dump: its type (RTM_NEWLINK, ...) and its
// body after the netlink header.
type Message struct {
	Type uint16
	Body []byte
}

// ParseMessages splits one datagram of a dump into its messages. done
// reports the dump's end (NLMSG_DONE); an NLMSG_ERROR is an error with its
// errno. Messages of another sequence number than seq are skipped.
func ParseMessages(b []byte, seq uint32) (msgs []Message, done bool, err error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return msgs, false, fmt.Errorf("rtnetlink: %d bytes left, shorter than a message header", len(b))
		}
		l := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		s := ne.Uint32(b[8:])
		if l < nlmsgHdrLen || l > len(b) {
			return msgs, false, fmt.Errorf("rtnetlink: a message of %d bytes in %d", l, len(b))
		}
		body := b[nlmsgHdrLen:l]
		b = b[min(align4(l), len(b)):]
		if s != seq {
			continue
		}
		switch typ {
		case nlmsgDone:
			return msgs, true, nil
		case nlmsgError:
			if len(body) < 4 {
				return msgs, false, errors.New("rtnetlink: a short error message")
			}
			if errno := -int32(ne.Uint32(body)); errno != 0 {
				return msgs, false, Errno(errno)
			}
			continue
		}
		msgs = append(msgs, Message{Type: typ, Body: body})
	}
	return msgs, false, nil
}

// Errno is an error the kernel answered a dump with.
type Errno int32

func (e Errno) Error() string {
	return fmt.Sprintf("rtnetlink: the kernel answered errno %d", int32(e))
}

// Attrs calls fn for each attribute (type without its flag bits, value)
// of b, until fn returns false or the attributes end; a malformed one
// ends them.
func Attrs(b []byte, fn func(typ uint16, val []byte) bool) {
	ne := binary.NativeEndian
	for len(b) >= rtaHdrLen {
		l := int(ne.Uint16(b[0:]))
		typ := ne.Uint16(b[2:]) & 0x3fff
		if l < rtaHdrLen || l > len(b) {
			return
		}
		if !fn(typ, b[rtaHdrLen:l]) {
			return
		}
		b = b[min(align4(l), len(b)):]
	}
}

// AppendAttr appends an attribute of type typ with val, padded to
// netlink's alignment: for requests, and for tests that build messages.
func AppendAttr(b []byte, typ uint16, val []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(rtaHdrLen+len(val)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// align4 rounds n up to a multiple of 4, netlink's alignment.
func align4(n int) int { return (n + 3) &^ 3 }

// AppendRequest appends a dump request of type typ (RTM_GETLINK, ...)
// with seq and body (the family header the request type takes).
func AppendRequest(b []byte, typ uint16, seq uint32, body []byte) []byte {
	ne := binary.NativeEndian
	const nlmFRequest, nlmFDump = 0x1, 0x300
	b = ne.AppendUint32(b, uint32(nlmsgHdrLen+len(body)))
	b = ne.AppendUint16(b, typ)
	b = ne.AppendUint16(b, nlmFRequest|nlmFDump)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0)
	return append(b, body...)
}
