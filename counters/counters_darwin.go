package counters

import "golang.org/x/sys/unix"

// Read reads the IP, ICMP, TCP and UDP counters of both families from the
// kernel's statistics structs (sysctl net.inet.ip.stats, ...,
// net.inet6.icmp6.stats; the IPv6 ones left out when IPv6 is off).
// procRoot is Linux's and ignored.
func Read(string) (*Snapshot, error) {
	return readSysctls(sysctlRaw, DecodeDarwinStats)
}

// sysctlRaw reads a sysctl by name.
func sysctlRaw(name string) ([]byte, error) { return unix.SysctlRaw(name) }
