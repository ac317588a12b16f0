package netif

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/rtnl"
)

// Read dumps the links and their addresses (RTM_GETLINK, RTM_GETADDR).
func Read() (*Snapshot, error) {
	links, err := rtnl.Dump(unix.RTM_GETLINK, make([]byte, ifinfomsgLen))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	addrs, err := rtnl.Dump(unix.RTM_GETADDR, make([]byte, ifaddrmsgLen))
	if err != nil {
		return nil, err
	}
	ifs, err := Assemble(links, addrs)
	return &Snapshot{Time: now, Interfaces: ifs}, err
}
