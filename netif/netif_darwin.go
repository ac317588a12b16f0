package netif

import (
	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/rtsock"
)

// Read lists the interfaces with their counters and addresses from one
// NET_RT_IFLIST2 sysctl (the 64-bit counters of if_data64); the decoding
// is in bsd.go.
func Read() (*Snapshot, error) {
	b, err := rtsock.Dump(0, 0, unix.NET_RT_IFLIST2, 0)
	return snapshotBSD(b, err, rtsock.Darwin)
}
