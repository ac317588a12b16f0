//go:build !linux && !windows

package routes

import (
	"errors"
	"runtime"
)

// Read is Linux-only so far: elsewhere it returns an error saying so.
func Read(Options) ([]Route, error) {
	return nil, errors.New("reading the routing tables is Linux-only so far; not available on " + runtime.GOOS)
}
