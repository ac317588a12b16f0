package rtnl

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Dump sends the dump request of type typ with body and returns every
// message of the answer, copied out of the receive buffer.
func Dump(typ uint16, body []byte) ([]Message, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("rtnetlink socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("rtnetlink socket: SO_RCVTIMEO: %w", err)
	}
	seq := uint32(time.Now().UnixNano())
	if err := unix.Sendto(fd, AppendRequest(nil, typ, seq, body), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("rtnetlink request: %w", err)
	}
	buf := make([]byte, 1<<16)
	var out []Message
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("rtnetlink dump: %w", err)
		}
		msgs, done, err := ParseMessages(buf[:n], seq)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			out = append(out, Message{Type: m.Type, Body: append([]byte(nil), m.Body...)})
		}
		if done {
			return out, nil
		}
	}
}
