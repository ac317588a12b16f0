package netif

import (
	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// Read lists the interfaces with their counters and addresses from one
// NET_RT_IFLIST sysctl (if_data's counters are 64 bits since FreeBSD
// 11); the decoding is in bsd.go.
func Read() (*Snapshot, error) {
	b, err := rtsock.Dump(0, 0, unix.NET_RT_IFLIST, 0)
	return snapshotBSD(b, err, rtsock.Native())
}
