//go:build !linux

package rtnl

import (
	"errors"
	"runtime"
)

// Dump is Linux's: other systems have no rtnetlink.
func Dump(uint16, []byte) ([]Message, error) {
	return nil, errors.New("rtnetlink is Linux's; not available on " + runtime.GOOS)
}
