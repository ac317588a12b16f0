//go:build !linux && !windows && !darwin && !freebsd

package routes

import (
	"errors"
	"runtime"
)

// Read is not available here: elsewhere it returns an error saying so.
func Read(Options) ([]Route, error) {
	return nil, errors.New("the routing tables are read on Linux, Windows, macOS and FreeBSD; not on " + runtime.GOOS)
}
