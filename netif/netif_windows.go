package netif

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ifOperStates are IF_OPER_STATUS by value (1 up ... 7 lowerlayerdown),
// by the names Linux gives the same states.
var ifOperStates = [...]string{1: "UP", 2: "DOWN", 3: "TESTING", 4: "UNKNOWN", 5: "DORMANT", 6: "NOTPRESENT", 7: "LOWERLAYERDOWN"}

// Read lists the interfaces with GetIfTable2Ex and their addresses from
// the system's adapter list (net.Interfaces).
func Read() (*Snapshot, error) {
	var table *windows.MibIfTable2
	if err := windows.GetIfTable2Ex(windows.MibIfTableNormal, &table); err != nil {
		return nil, fmt.Errorf("GetIfTable2Ex: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(table))
	now := time.Now()
	rows := unsafe.Slice(&table.Table[0], table.NumEntries)
	snap := &Snapshot{Time: now}
	for i := range rows {
		snap.Interfaces = append(snap.Interfaces, fromRow(&rows[i]))
	}
	slices.SortFunc(snap.Interfaces, func(a, b Interface) int { return a.Index - b.Index })
	addAddrs(snap.Interfaces)
	return snap, nil
}

// fromRow is the Interface of a MIB_IF_ROW2.
func fromRow(r *windows.MibIfRow2) Interface {
	in := Interface{Index: int(r.InterfaceIndex), Name: windows.UTF16ToString(r.Alias[:]), MTU: int(r.Mtu), State: "UNKNOWN",
		HasStats: true, Stats: Stats{
			RxPackets: r.InUcastPkts + r.InNUcastPkts, TxPackets: r.OutUcastPkts + r.OutNUcastPkts,
			RxBytes: r.InOctets, TxBytes: r.OutOctets, RxErrors: r.InErrors, TxErrors: r.OutErrors,
			RxDropped: r.InDiscards, TxDropped: r.OutDiscards,
		}}
	if s := int(r.OperStatus); s < len(ifOperStates) && ifOperStates[s] != "" {
		in.State = ifOperStates[s]
	}
	if n := min(int(r.PhysicalAddressLength), len(r.PhysicalAddress)); n > 0 {
		in.MAC = net.HardwareAddr(slices.Clone(r.PhysicalAddress[:n]))
	}
	if in.State == "UP" {
		in.Flags |= net.FlagUp | net.FlagRunning
	}
	return in
}

// addAddrs gives each interface its addresses and flags, by index, from
// one read of the adapter list (each InterfaceByIndex would read it all).
func addAddrs(ifs []Interface) {
	all, err := net.Interfaces()
	if err != nil {
		return
	}
	for i := range ifs {
		k := slices.IndexFunc(all, func(ni net.Interface) bool { return ni.Index == ifs[i].Index })
		if k < 0 {
			continue
		}
		ni := &all[k]
		ifs[i].Flags |= ni.Flags
		addrs, err := ni.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					ones, _ := ipn.Mask.Size()
					ifs[i].Addrs = append(ifs[i].Addrs, netip.PrefixFrom(ip.Unmap(), ones))
				}
			}
		}
	}
}
