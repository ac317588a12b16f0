//go:build !unix

package main

import (
	"errors"
	"syscall"
)

func ignoreBrokenPipe() {}

// isBrokenPipe reports a write to a closed pipe (Windows reports
// ERROR_NO_DATA or EPIPE depending on the writer).
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.Errno(232))
}
