//go:build !linux && !windows && !darwin && !freebsd

package counters

import (
	"errors"
	"runtime"
)

// Read is not available on this system yet.
func Read(string) (*Snapshot, error) {
	return nil, errors.New("protocol counters are read on Linux, Windows, macOS and FreeBSD only so far, not on " + runtime.GOOS)
}
