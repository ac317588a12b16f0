//go:build !linux && !windows && !darwin && !freebsd

package netif

import (
	"errors"
	"runtime"
)

// Read is not available here: elsewhere it returns an error saying so.
func Read() (*Snapshot, error) {
	return nil, errors.New("interface counters are read on Linux, Windows, macOS and FreeBSD; not on " + runtime.GOOS)
}
