//go:build !unix

package main

import (
	"errors"
	"os"
)

// sendSignal ends pid: Windows has no signals, so SIGKILL (9) and
// SIGTERM (15) both end the process, as taskkill /F does; others are
// refused.
func sendSignal(pid, sig int) error {
	if sig != 9 && sig != 15 {
		return errors.New("only KILL and TERM (both end the process) work here")
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
