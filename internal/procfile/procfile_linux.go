// Package procfile reads the small files of /proc with plain system calls.
//
// An os.File of a /proc file is registered with the Go runtime's poller,
// which sets up epoll on its first use and adds four system calls to every
// file (two fcntl, an epoll_ctl add and delete); a /proc file never blocks,
// so the poller gains nothing.
package procfile

import (
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// firstRead is the buffer of a file's first read: most /proc files of a
// process or a namespace fit it.
const firstRead = 4 << 10

// Read reads at most limit bytes of the file at path, from its start.
// Errors are *os.PathError, so errors.Is(err, fs.ErrNotExist) holds for a
// file that is not there.
func Read(path string, limit int) ([]byte, error) {
	fd, err := open(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, min(limit, firstRead))
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(limit, 2*cap(buf))-len(buf))
		}
		n, err := unix.Read(fd, buf[len(buf):min(cap(buf), limit)])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return buf, &os.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}

// open opens path read-only, again when a signal interrupts it.
func open(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
