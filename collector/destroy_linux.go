package collector

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Destroy ends each of socks, TCP sockets as a dump gave them, with
// sock_diag's SOCK_DESTROY, and returns each one's error (nil when it was
// ended): ErrDestroyPermission, ErrDestroyUnsupported, ErrDestroyGone or
// another errno. A socket of another namespace (Netns, one of namespaces)
// is ended from inside it.
func Destroy(socks []Socket, namespaces []Netns) []error {
	errs := make([]error, len(socks))
	byNetns := map[uint64]*sockDiag{}
	defer func() {
		for _, d := range byNetns {
			d.close()
		}
	}()
	for i := range socks {
		s := &socks[i]
		d, ok := byNetns[s.Netns]
		if !ok {
			var err error
			d, err = openDestroyer(s.Netns, namespaces)
			if err != nil {
				errs[i] = err
				continue
			}
			byNetns[s.Netns] = d
		}
		errs[i] = d.destroy(s)
	}
	return errs
}

// openDestroyer opens the sock_diag socket that ends the sockets of the
// namespace of inode ino: the caller's for 0 or its own.
func openDestroyer(ino uint64, namespaces []Netns) (*sockDiag, error) {
	for _, n := range namespaces {
		if n.Inode == ino && !n.Current && n.Path != "" {
			return openSockDiagIn(n.Path)
		}
	}
	return openSockDiag()
}

// destroy sends one SOCK_DESTROY request and waits for its answer.
func (d *sockDiag) destroy(s *Socket) error {
	d.seq++
	req, err := appendDestroyRequest(d.req[:0], s, d.seq)
	if err != nil {
		return err
	}
	d.req = req
	if err := d.send(req); err != nil {
		return err
	}
	for {
		n, err := d.recv(d.buf)
		if err != nil {
			return err
		}
		done, errno, err := parseDestroyAck(d.buf[:min(n, len(d.buf))], d.seq)
		if err != nil {
			return err
		}
		if !done {
			continue
		}
		switch unix.Errno(errno) {
		case 0:
			return nil
		case unix.EPERM, unix.EACCES:
			return ErrDestroyPermission
		case unix.ENOENT:
			return ErrDestroyGone
		case unix.EOPNOTSUPP:
			return ErrDestroyUnsupported
		case unix.EINVAL:
			return ErrDestroyRefused
		}
		return fmt.Errorf("the kernel refused to end it: %w", errnoError(int64(errno)))
	}
}
