package collector

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// procSetTcpEntry ends a connection given its MIB_TCPROW.
var procSetTcpEntry = iphlpapi.NewProc("SetTcpEntry")

// Destroy ends each of socks, IPv4 TCP connections as Collect gave them,
// with SetTcpEntry (MIB_TCP_STATE_DELETE_TCB), and returns each one's
// error (nil when it was ended). An IPv6 connection gets an error that is
// ErrDestroyUnsupported: Windows has no call that ends one. A connection
// the system said it ended but that is still in the table afterwards gets
// ErrDestroyIgnored, as under Wine, whose SetTcpEntry does nothing.
func Destroy(socks []Socket, _ []Netns) []error {
	errs := make([]error, len(socks))
	if err := procSetTcpEntry.Find(); err != nil {
		for i := range errs {
			errs[i] = &systemError{"this Windows has no SetTcpEntry: " + err.Error(), ErrDestroyUnsupported}
		}
		return errs
	}
	var row []byte
	asked := false
	for i := range socks {
		var err error
		row, err = appendDeleteTCBRow(row[:0], &socks[i])
		if err != nil {
			errs[i] = err
			continue
		}
		r, _, _ := procSetTcpEntry.Call(uintptr(unsafe.Pointer(&row[0])))
		switch windows.Errno(r) {
		case windows.ERROR_SUCCESS:
			asked = true
		case windows.ERROR_ACCESS_DENIED:
			errs[i] = &systemError{"ending a connection takes an administrator: run portwatch from an elevated prompt", ErrDestroyPermission}
		case windows.ERROR_NOT_FOUND, windows.ERROR_INVALID_PARAMETER:
			errs[i] = ErrDestroyGone
		case windows.ERROR_NOT_SUPPORTED:
			errs[i] = &systemError{"SetTcpEntry is not supported here", ErrDestroyUnsupported}
		default:
			errs[i] = windows.Errno(r)
		}
	}
	if asked {
		checkEnded(socks, errs)
	}
	return errs
}

// checkEnded reads the IPv4 TCP table again and gives ErrDestroyIgnored to
// each connection that SetTcpEntry ended but that is still there.
func checkEnded(socks []Socket, errs []error) {
	c := &windowsCollector{}
	buf, err := c.readTable(ProtoTCP, FamilyIPv4)
	if err != nil {
		return
	}
	open, _, err := decodeIPHelperTable(buf, ProtoTCP, FamilyIPv4, &Filter{}, nil, nil, func(string) {})
	if err != nil {
		return
	}
	for i := range socks {
		if errs[i] == nil && stillOpen(open, &socks[i]) {
			errs[i] = ErrDestroyIgnored
			if wine() {
				errs[i] = &systemError{ErrDestroyIgnored.Error() + " (Wine's SetTcpEntry answers so and changes nothing)", ErrDestroyIgnored}
			}
		}
	}
}
