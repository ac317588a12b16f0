package routes

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// Read dumps the FIBs opts ask for with the NET_RT_DUMP sysctl, FIB 0 as
// table main and FIB N as table N (every one of the net.fibs FIBs with
// AllTables), and returns the routes opts keep, their interfaces named
// from the dump or the system's list. The decoding and the mapping onto
// Linux's numbers are in bsd.go.
func Read(opts Options) ([]Route, error) {
	nfibs, err := unix.SysctlUint32("net.fibs")
	if err != nil {
		return nil, fmt.Errorf("reading the number of FIBs (net.fibs): %w", err)
	}
	ifs, _ := net.Interfaces() // unnamed interfaces are no reason to fail
	return readBSD(opts, rtsock.Native(), int(nfibs), func(af, fib int) ([]byte, error) {
		return rtsock.Dump(0, af, unix.NET_RT_DUMP, 0, fib)
	}, ifs)
}
