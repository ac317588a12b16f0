package render

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/portwatch/portwatch/netif"
)

// interfaceTitles are the columns of InterfacesText, as netstat -i names
// the counters.
var interfaceTitles = []string{"Iface", "MTU", "State", "RX-OK", "RX-ERR", "RX-DRP", "RX-Bytes",
	"TX-OK", "TX-ERR", "TX-DRP", "TX-Bytes", "Addresses"}

// InterfacesText writes the interfaces as a table, as netstat -i and
// ip -s link show them: name, MTU, state, the counters each way, and the
// addresses (comma-separated). Names are sanitized.
func InterfacesText(w io.Writer, ifs []netif.Interface) error {
	rows := make([][]string, 0, len(ifs))
	for _, in := range ifs {
		s := in.Stats
		n := func(v uint64) string {
			if !in.HasStats {
				return "-"
			}
			return strconv.FormatUint(v, 10)
		}
		addrs := make([]string, len(in.Addrs))
		for i, a := range in.Addrs {
			addrs[i] = a.String()
		}
		addr := strings.Join(addrs, ",")
		if addr == "" {
			addr = "-"
		}
		rows = append(rows, []string{Sanitize(in.Name), strconv.Itoa(in.MTU), in.State,
			n(s.RxPackets), n(s.RxErrors), n(s.RxDropped), n(s.RxBytes),
			n(s.TxPackets), n(s.TxErrors), n(s.TxDropped), n(s.TxBytes), addr})
	}
	return writeTable(w, interfaceTitles, interfaceRight(), rows)
}

// interfaceRight right-aligns the numbers.
func interfaceRight() []bool {
	right := make([]bool, len(interfaceTitles))
	for i := 1; i < len(right)-1; i++ {
		right[i] = i != 2
	}
	return right
}

// InterfacesJSON writes the interfaces as one object: {"version":1,
// "time":...,"interfaces":[{"index","name","mtu","state","flags","mac",
// "addresses","stats":{"rx_packets",...}}]}.
func InterfacesJSON(w io.Writer, snap *netif.Snapshot) error {
	b := append([]byte(nil), `{"version":1,"time":`...)
	b = strconv.AppendQuote(b, snap.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"interfaces":[`...)
	for i, in := range snap.Interfaces {
		if i > 0 {
			b = append(b, ',')
		}
		o := jsonMembers{buf: append(b, '{')}
		o.uint("index", uint64(in.Index))
		o.name("name")
		o.buf = appendJSONString(o.buf, in.Name)
		o.uint("mtu", uint64(in.MTU))
		o.name("state")
		o.buf = appendJSONString(o.buf, in.State)
		o.name("flags")
		o.buf = appendJSONString(o.buf, in.Flags.String())
		o.name("mac")
		o.buf = appendJSONString(o.buf, in.MAC.String())
		o.name("addresses")
		o.buf = append(o.buf, '[')
		for j, a := range in.Addrs {
			if j > 0 {
				o.buf = append(o.buf, ',')
			}
			o.buf = appendJSONString(o.buf, a.String())
		}
		o.buf = append(o.buf, ']')
		if in.HasStats {
			s := in.Stats
			o.name("stats")
			st := jsonMembers{buf: append(o.buf, '{')}
			for _, f := range [...]struct {
				name string
				v    uint64
			}{{"rx_packets", s.RxPackets}, {"rx_bytes", s.RxBytes}, {"rx_errors", s.RxErrors}, {"rx_dropped", s.RxDropped},
				{"tx_packets", s.TxPackets}, {"tx_bytes", s.TxBytes}, {"tx_errors", s.TxErrors}, {"tx_dropped", s.TxDropped},
				{"multicast", s.Multicast}, {"collisions", s.Collisions}} {
				st.uint(f.name, f.v)
			}
			o.buf = append(st.buf, '}')
		}
		b = append(o.buf, '}')
	}
	b = append(b, "]}\n"...)
	_, err := w.Write(b)
	return err
}

// InterfaceRatesText writes one report of interface rates: the time, then
// per interface packets and bytes per second each way, errors and drops.
func InterfaceRatesText(w io.Writer, at time.Time, rates []netif.Rate) error {
	if _, err := io.WriteString(w, at.Format("15:04:05")+"\n"); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	rows := make([][]string, 0, len(rates))
	for _, r := range rates {
		rows = append(rows, []string{Sanitize(r.Name), f(r.RxPackets), f(r.RxBytes), f(r.RxErrors + r.RxDropped),
			f(r.TxPackets), f(r.TxBytes), f(r.TxErrors + r.TxDropped)})
	}
	return writeTable(w, []string{"Iface", "RX-pkt/s", "RX-B/s", "RX-err+drp/s", "TX-pkt/s", "TX-B/s", "TX-err+drp/s"},
		[]bool{false, true, true, true, true, true, true}, rows)
}
