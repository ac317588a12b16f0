//go:build !linux && !windows

package netif

import (
	"errors"
	"runtime"
)

// Read is Linux's so far.
func Read() (*Snapshot, error) {
	return nil, errors.New("interface counters are read on Linux only so far, not on " + runtime.GOOS)
}
