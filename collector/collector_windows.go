package collector

// The Windows collector: GetExtendedTcpTable and GetExtendedUdpTable from
// iphlpapi.dll, and process names from one Toolhelp process snapshot. This
// file only makes the calls; iphlpapi.go decodes the tables and chooses the
// owners, and is tested on every OS.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetExtendedTcpTable = iphlpapi.NewProc("GetExtendedTcpTable")
	procGetExtendedUdpTable = iphlpapi.NewProc("GetExtendedUdpTable")

	// wine_get_version is exported by Wine's ntdll only.
	procWineGetVersion = windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version")
)

// Table classes (TCP_TABLE_CLASS, UDP_TABLE_CLASS).
const (
	tcpTableOwnerPIDAll = 5 // TCP_TABLE_OWNER_PID_ALL
	udpTableOwnerPID    = 1 // UDP_TABLE_OWNER_PID
)

// windowsCollector reads the IP Helper tables.
type windowsCollector struct {
	opts Options

	mu  sync.Mutex // guards buf
	buf []byte     // reused by every table of every Collect, grown as needed
}

func newCollector(opts Options) (Collector, error) {
	switch opts.Source {
	case SourceAuto, SourceIPHelper:
	default:
		return nil, fmt.Errorf("source %q is not available on windows (accepted: %s)", opts.Source, SourceIPHelper)
	}
	return &windowsCollector{opts: opts}, nil
}

// Collect implements Collector.
func (c *windowsCollector) Collect(ctx context.Context) (*Snapshot, error) {
	snap, warn := c.opts.newSnapshot(SourceIPHelper)

	c.mu.Lock()
	var pids []uint32
	var firstErr error
	read := 0
	for _, t := range c.opts.tables() {
		if err := ctx.Err(); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		p, f := Proto(t[0]), Family(t[1])
		buf, err := c.readTable(p, f)
		if err == nil {
			snap.Sockets, pids, err = decodeIPHelperTable(buf, p, f, &c.opts.Filter, snap.Sockets, pids, warn)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			warn(fmt.Sprintf("cannot read the %s table: %v", tableName(p, f), err))
			continue
		}
		read++
	}
	c.mu.Unlock()
	if read == 0 && firstErr != nil {
		return nil, fmt.Errorf("cannot read the socket table: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.opts.Info {
		attachEStats(snap.Sockets, warn)
	}
	if c.opts.Owners {
		c.attachOwners(snap.Sockets, pids, warn)
	}
	return snap, nil
}

// attachOwners names the owning processes from one process snapshot and
// gives every socket its owner or the reason it has none.
func (c *windowsCollector) attachOwners(socks []Socket, pids []uint32, warn func(string)) {
	wanted := make(map[uint32]string)
	for _, pid := range pids {
		if pid != 0 {
			wanted[pid] = ""
		}
	}
	if len(wanted) > 0 {
		if err := processNames(wanted); err != nil {
			warn(fmt.Sprintf("cannot list processes, owners are shown without names: %v", err))
		}
	}
	if !underWine() {
		attachIPHelperOwners(socks, pids, wanted, pidZeroKernel)
		return
	}
	if n := attachIPHelperOwners(socks, pids, wanted, pidZeroUnreported); n > 0 {
		warn(fmt.Sprintf("running under Wine, which reports an owning process only for some sockets of Wine processes: %d sockets have no owner", n))
	}
}

// readTable fills c.buf with the (p, f) table and returns it; c.buf grows
// as readIPHelperTable needs.
func (c *windowsCollector) readTable(p Proto, f Family) ([]byte, error) {
	proc, class := procGetExtendedTcpTable, uintptr(tcpTableOwnerPIDAll)
	if p == ProtoUDP {
		proc, class = procGetExtendedUdpTable, udpTableOwnerPID
	}
	af := uintptr(windows.AF_INET)
	if f == FamilyIPv6 {
		af = windows.AF_INET6
	}
	if err := proc.Find(); err != nil {
		return nil, err
	}
	var err error
	c.buf, err = readIPHelperTable(c.buf, proc.Name, func(buf []byte, size *uint32) (bool, error) {
		r, _, _ := proc.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(size)),
			0 /* bOrder: unsorted, portwatch sorts */, af, class, 0)
		switch windows.Errno(r) {
		case windows.ERROR_SUCCESS:
			return false, nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			return true, nil
		}
		return false, windows.Errno(r)
	})
	if err != nil {
		return nil, err
	}
	return c.buf, nil
}

// processNames fills names, keyed by the PIDs wanted, with the executable
// names of those processes from one Toolhelp snapshot of every process.
// PIDs not in the snapshot keep "".
func processNames(names map[uint32]string) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return fmt.Errorf("CreateToolhelp32Snapshot: %w", err)
	}
	defer windows.CloseHandle(snap)
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if _, ok := names[e.ProcessID]; ok {
			names[e.ProcessID] = windows.UTF16ToString(e.ExeFile[:])
		}
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("Process32Next: %w", err)
	}
	return nil
}

// wine is whether this process runs under Wine, found once.
var wine = sync.OnceValue(func() bool { return procWineGetVersion.Find() == nil })

// underWine reports whether this process runs under Wine.
func underWine() bool { return wine() }
