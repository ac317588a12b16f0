package routes

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// Read dumps the routing table with the NET_RT_DUMP sysctl (macOS has one
// table, shown as main; another --table has no routes) and returns the
// routes opts keep, their interfaces named from the system's list. The
// decoding and the mapping onto Linux's numbers are in bsd.go.
func Read(opts Options) ([]Route, error) {
	ifs, _ := net.Interfaces() // unnamed interfaces are no reason to fail
	return readBSD(opts, rtsock.Darwin, 1, func(af, _ int) ([]byte, error) {
		// macOS takes six MIB elements exactly: no FIB.
		return rtsock.Dump(0, af, unix.NET_RT_DUMP, 0)
	}, ifs)
}
