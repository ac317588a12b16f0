package collector

import "bytes"

// parseSockstat reads the socket counts of /proc/net/sockstat and
// /proc/net/sockstat6 ("TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1",
// "TCP6: inuse 3", "UDP6: inuse 3"): the TCP sockets in use (IPv4 and
// IPv6) plus TIME_WAIT, and the UDP sockets in use, all counted by the
// kernel per network namespace. "alloc" is not used: it counts every TCP
// socket of the host, so inside a container on a busy host it would size
// the table for other namespaces' sockets. Lines it does not know count
// for nothing; it never fails, as the counts are only a size hint.
func parseSockstat(data []byte) (tcp, udp int) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		label, rest, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		value := func(name string) int {
			for i := 0; i+1 < len(fields); i += 2 {
				if string(fields[i]) == name {
					n := 0
					for _, c := range fields[i+1] {
						if c < '0' || c > '9' || n > 1<<28 {
							return 0
						}
						n = n*10 + int(c-'0')
					}
					return n
				}
			}
			return 0
		}
		switch string(label) {
		case "TCP":
			tcp += value("inuse") + value("tw")
		case "TCP6":
			tcp += value("inuse")
		case "UDP", "UDP6":
			udp += value("inuse")
		}
	}
	return tcp, udp
}
