package collector

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	procGetPerTcpConnectionEStats  = iphlpapi.NewProc("GetPerTcpConnectionEStats")
	procGetPerTcp6ConnectionEStats = iphlpapi.NewProc("GetPerTcp6ConnectionEStats")
	procSetPerTcpConnectionEStats  = iphlpapi.NewProc("SetPerTcpConnectionEStats")
	procSetPerTcp6ConnectionEStats = iphlpapi.NewProc("SetPerTcp6ConnectionEStats")
)

// InternalsAvailable reports whether Options.Info gives internals here:
// on Windows, whether it has the extended TCP statistics calls (Wine, for
// one, has not).
func InternalsAvailable() bool {
	return procGetPerTcpConnectionEStats.Find() == nil && procGetPerTcp6ConnectionEStats.Find() == nil
}

// attachEStats gives each TCP connection of socks its internals from
// GetPerTcpConnectionEStats. Windows keeps these statistics only for
// connections whose collection is on: portwatch turns it on where it is
// off (which takes an administrator), and the counters of such a
// connection start then. One warning says how many connections stayed
// without them.
func attachEStats(socks []Socket, warn func(string)) {
	if !InternalsAvailable() {
		return
	}
	var row []byte
	// One buffer per struct for every connection: decodeEStats copies
	// what it takes.
	rods := [3][]byte{make([]byte, estatsDataLen), make([]byte, estatsSndCongLen), make([]byte, estatsPathLen)}
	var denied, failed int // connections left without internals
	var chunk []Internals
	for i := range socks {
		s := &socks[i]
		if s.Proto != ProtoTCP || s.State == StateListen || s.State == StateTimeWait || !s.Remote.IsValid() {
			continue
		}
		var ipv6 bool
		row, ipv6 = appendTCPRow(row[:0], s)
		get, set := procGetPerTcpConnectionEStats, procSetPerTcpConnectionEStats
		if ipv6 {
			get, set = procGetPerTcp6ConnectionEStats, procSetPerTcp6ConnectionEStats
		}
		var got [3][]byte // the structs read, nil where the call failed
		refused := false
		for k, typ := range [3]uintptr{estatsData, estatsSndCong, estatsPath} {
			err := readEStats(get, set, row, typ, rods[k])
			if err == nil {
				got[k] = rods[k]
			}
			refused = refused || err == windows.ERROR_ACCESS_DENIED
		}
		if len(chunk) == 0 {
			chunk = make([]Internals, 64)
		}
		in := &chunk[0]
		switch {
		case decodeEStats(got[0], got[1], got[2], &in.TCP):
			in.HasTCP = true
			s.Internals, chunk = in, chunk[1:]
		case refused:
			denied++
		default:
			failed++
		}
	}
	if denied > 0 {
		warn(fmt.Sprintf("-i: Windows keeps extended TCP statistics only for the connections they were turned on for, and turning them on takes an administrator: %d connections are shown without them", denied))
	}
	if failed > 0 {
		warn(fmt.Sprintf("-i: Windows gave no extended TCP statistics for %d connections (closed meanwhile, or not kept for them)", failed))
	}
}

// readEStats reads the read-only dynamic struct of type typ into rod for
// the connection row names, turning its collection on first when it is
// off. The error is the system's (ERROR_ACCESS_DENIED when collection is
// off and turning it on was refused).
func readEStats(get, set *windows.LazyProc, row []byte, typ uintptr, rod []byte) error {
	var rw [1]byte // TCP_ESTATS_*_RW_v0: BOOLEAN EnableCollection
	r, _, _ := get.Call(uintptr(unsafe.Pointer(&row[0])), typ,
		uintptr(unsafe.Pointer(&rw[0])), 0, 1, 0, 0, 0,
		uintptr(unsafe.Pointer(&rod[0])), 0, uintptr(len(rod)))
	if r != 0 {
		return windows.Errno(r)
	}
	if rw[0] != 0 {
		return nil
	}
	on := [1]byte{1}
	if r, _, _ := set.Call(uintptr(unsafe.Pointer(&row[0])), typ, uintptr(unsafe.Pointer(&on[0])), 0, 1, 0); r != 0 {
		return windows.Errno(r)
	}
	// Collection starts now: the struct holds what the system counted
	// since, which is nothing yet, but says the connection is covered.
	if r, _, _ := get.Call(uintptr(unsafe.Pointer(&row[0])), typ, 0, 0, 0, 0, 0, 0,
		uintptr(unsafe.Pointer(&rod[0])), 0, uintptr(len(rod))); r != 0 {
		return windows.Errno(r)
	}
	return nil
}
