//go:build darwin || freebsd

package rtsock

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Native is the dialect of the system portwatch runs on.
func Native() OS {
	switch {
	case runtime.GOOS == "darwin":
		return Darwin
	case bits.UintSize == 32: // C long is as wide as Go's uint on FreeBSD
		return FreeBSD32
	}
	return FreeBSD
}

// dumpTries bounds the reads of one dump whose table keeps outgrowing the
// size the kernel announced a moment before.
const dumpTries = 5

// Dump reads the routing sysctl CTL_NET, PF_ROUTE, args... (for instance
// 0, AF_UNSPEC, NET_RT_DUMP, 0): its numeric MIB, with only the top-level
// name "net" looked up (the PF_ROUTE node is net.routetable on both
// systems, not net.route, which is another node). macOS takes exactly six
// elements, FreeBSD a seventh for NET_RT_DUMP: the FIB.
func Dump(args ...int) ([]byte, error) {
	mib := append([]int{unix.AF_ROUTE}, args...)
	for try := 1; ; try++ {
		b, err := unix.SysctlRaw("net", mib...)
		if errors.Is(err, unix.ENOMEM) && try < dumpTries {
			continue // the table grew between the size and the copy
		}
		if err != nil {
			name := "net"
			for _, n := range mib {
				name += "." + strconv.Itoa(n)
			}
			return nil, fmt.Errorf("sysctl %s: %w", name, err)
		}
		return b, nil
	}
}
