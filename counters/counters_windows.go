package counters

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetIpStatisticsEx   = iphlpapi.NewProc("GetIpStatisticsEx")
	procGetTcpStatisticsEx  = iphlpapi.NewProc("GetTcpStatisticsEx")
	procGetUdpStatisticsEx  = iphlpapi.NewProc("GetUdpStatisticsEx")
	procGetIcmpStatisticsEx = iphlpapi.NewProc("GetIcmpStatisticsEx")
)

// Read reads the IP, ICMP, TCP and UDP counters of both families from the
// IP Helper API (GetIpStatisticsEx, GetIcmpStatisticsEx, GetTcpStatisticsEx,
// GetUdpStatisticsEx).
// procRoot is Linux's and ignored.
func Read(string) (*Snapshot, error) {
	snap := &Snapshot{Time: time.Now()}
	for _, q := range []struct {
		proc  *windows.LazyProc
		mib   MIB
		group string
		af    uintptr
	}{
		{procGetIpStatisticsEx, MIBIP, "Ip", windows.AF_INET},
		{procGetTcpStatisticsEx, MIBTCP, "Tcp", windows.AF_INET},
		{procGetUdpStatisticsEx, MIBUDP, "Udp", windows.AF_INET},
		{procGetIpStatisticsEx, MIBIP, "Ip6", windows.AF_INET6},
		{procGetTcpStatisticsEx, MIBTCP, "Tcp6", windows.AF_INET6},
		{procGetUdpStatisticsEx, MIBUDP, "Udp6", windows.AF_INET6},
	} {
		if err := q.proc.Find(); err != nil {
			return nil, err
		}
		buf := make([]byte, MIBSize(q.mib))
		r, _, _ := q.proc.Call(uintptr(unsafe.Pointer(&buf[0])), q.af)
		if r != 0 {
			if q.af == windows.AF_INET6 {
				continue // IPv6 may be off
			}
			return nil, fmt.Errorf("%s: %w", q.proc.Name, windows.Errno(r))
		}
		cs, err := DecodeMIB(q.mib, q.group, buf)
		if err != nil {
			return nil, err
		}
		snap.Counters = append(snap.Counters, cs...)
	}
	for _, q := range []struct {
		group, msgGroup string
		af              uintptr
	}{{"Icmp", "IcmpMsg", windows.AF_INET}, {"Icmp6", "Icmp6Msg", windows.AF_INET6}} {
		if procGetIcmpStatisticsEx.Find() != nil {
			break // an older Windows: no ICMP counters
		}
		buf := make([]byte, ICMPSize)
		if r, _, _ := procGetIcmpStatisticsEx.Call(uintptr(unsafe.Pointer(&buf[0])), q.af); r != 0 {
			continue
		}
		cs, err := DecodeICMP(q.group, q.msgGroup, buf)
		if err != nil {
			return nil, err
		}
		snap.Counters = append(snap.Counters, cs...)
	}
	return snap, nil
}
