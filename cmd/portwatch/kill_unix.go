//go:build unix

package main

import "syscall"

// sendSignal sends signal sig to pid.
func sendSignal(pid, sig int) error {
	return syscall.Kill(pid, syscall.Signal(sig))
}
