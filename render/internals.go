package render

import (
	"strconv"

	"github.com/portwatch/portwatch/collector"
)

// unlimitedPacing is the pacing rate of a socket that is not paced.
const unlimitedPacing = ^uint64(0)

// infiniteSsthresh is Linux's slow start threshold before the first loss
// (TCP_INFINITE_SSTHRESH): no threshold, so none is shown.
const infiniteSsthresh = 0x7fffffff

// appendInternalsJSON appends a socket's internals (-i): tcp_info, with
// the fields the system reported (pacing_rate only when the socket is
// paced; last_ack_ms only from a system that reports it instead of
// last_send_ms and last_recv_ms, FreeBSD), and mem, with the fields the
// system reported.
func appendInternalsJSON(buf []byte, in *collector.Internals) []byte {
	if in.HasTCP {
		t := &in.TCP
		buf = append(buf, `,"tcp_info":{`...)
		o := jsonMembers{buf: buf}
		field := o.uint
		// known is field for a value the system reported.
		known := func(f collector.TCPFields, name string, v uint64) {
			if t.Has(f) {
				field(name, v)
			}
		}
		known(collector.TCPRTT, "rtt_us", uint64(t.RTT))
		known(collector.TCPRTT, "rttvar_us", uint64(t.RTTVar))
		known(collector.TCPRTO, "rto_us", uint64(t.RTO))
		known(collector.TCPCwnd, "cwnd", uint64(t.SndCwnd))
		if t.Has(collector.TCPSsthresh) && t.SndSsthresh < infiniteSsthresh {
			field("ssthresh", uint64(t.SndSsthresh))
		}
		known(collector.TCPMSS, "mss", uint64(t.SndMSS))
		known(collector.TCPBytesSent, "bytes_sent", t.BytesSent)
		known(collector.TCPBytesRetrans, "bytes_retrans", t.BytesRetrans)
		known(collector.TCPBytesAcked, "bytes_acked", t.BytesAcked)
		known(collector.TCPBytesReceived, "bytes_received", t.BytesReceived)
		known(collector.TCPSegs, "segs_in", uint64(t.SegsIn))
		known(collector.TCPSegs, "segs_out", uint64(t.SegsOut))
		known(collector.TCPRetransmits, "retrans", uint64(t.Retransmits))
		known(collector.TCPTotalRetrans, "total_retrans", uint64(t.TotalRetrans))
		known(collector.TCPLost, "lost", uint64(t.Lost))
		known(collector.TCPDeliveryRate, "delivery_rate", t.DeliveryRate)
		if t.HasPacing() && t.PacingRate != unlimitedPacing {
			field("pacing_rate", t.PacingRate)
		}
		known(collector.TCPWindows, "snd_wnd", uint64(t.SndWnd))
		known(collector.TCPWindows, "rcv_wnd", uint64(t.RcvWnd))
		known(collector.TCPLastData, "last_send_ms", uint64(t.LastDataSent))
		known(collector.TCPLastData, "last_recv_ms", uint64(t.LastDataRecv))
		if lastAckInstead(t) {
			field("last_ack_ms", uint64(t.LastAckRecv))
		}
		o.name("cong")
		buf = appendJSONString(o.buf, in.Cong.String())
		buf = append(buf, '}')
	}
	return appendMemJSON(buf, in)
}

// jsonMembers writes the members of a JSON object, after its "{".
type jsonMembers struct {
	buf []byte
	n   int
}

// name writes the next member's name and colon.
func (o *jsonMembers) name(name string) {
	if o.n > 0 {
		o.buf = append(o.buf, ',')
	}
	o.n++
	o.buf = append(o.buf, '"')
	o.buf = append(o.buf, name...)
	o.buf = append(o.buf, `":`...)
}

// uint writes a member with a number.
func (o *jsonMembers) uint(name string, v uint64) {
	o.name(name)
	o.buf = strconv.AppendUint(o.buf, v, 10)
}

// appendMemJSON appends a socket's mem object, with the fields the system
// reported, when it has one.
func appendMemJSON(buf []byte, in *collector.Internals) []byte {
	if !in.HasMem {
		return buf
	}
	m := &in.Mem
	o := jsonMembers{buf: append(buf, `,"mem":{`...)}
	field := func(f collector.MemFields, name string, v uint32) {
		if m.Has(f) {
			o.uint(name, uint64(v))
		}
	}
	field(collector.MemRmemAlloc, "rmem", m.RmemAlloc)
	field(collector.MemRcvBuf, "rcvbuf", m.RcvBuf)
	field(collector.MemWmemAlloc, "wmem", m.WmemAlloc)
	field(collector.MemSndBuf, "sndbuf", m.SndBuf)
	field(collector.MemFwdAlloc, "fwd", m.FwdAlloc)
	field(collector.MemWmemQueued, "tx_queued", m.WmemQueued)
	field(collector.MemDrops, "drops", m.Drops)
	return append(o.buf, '}')
}

// lastAckInstead reports whether t has the age of the last segment
// received (LastAckRecv) but not those of the last data sent and received,
// which Linux's output shows instead: FreeBSD's t_rcvtime.
func lastAckInstead(t *collector.TCPInfo) bool {
	return t.Has(collector.TCPLastAck) && !t.Has(collector.TCPLastData)
}

// internalsIndent starts the table's line of a socket's internals.
const internalsIndent = "  "

// appendInternalsLine appends the table's second line for a socket with
// internals, indented by two spaces, in ss -i's manner: the algorithm, rtt/rttvar in
// milliseconds, cwnd, mss, the byte and segment counts, retransmissions
// (current/total), lost, the delivery and pacing rates, the ages of the
// last data sent and received (or, where only that is reported, lastack:
// the age of the last segment received), and the memory (r: receive
// queue/buffer, w: send memory/buffer, f: forward alloc, q: queued to
// send, d: drops). A field the system does not report is left out; in a
// pair (retrans, r, w) its half is "-".
func appendInternalsLine(b []byte, in *collector.Internals) []byte {
	start := len(b)
	b = append(b, internalsIndent...)
	sep := func() {
		if len(b) > start+len(internalsIndent) {
			b = append(b, ' ')
		}
	}
	num := func(name string, v uint64) {
		sep()
		b = append(b, name...)
		b = append(b, ':')
		b = strconv.AppendUint(b, v, 10)
	}
	if in.HasTCP {
		t := &in.TCP
		known := func(f collector.TCPFields, name string, v uint64) {
			if t.Has(f) {
				num(name, v)
			}
		}
		if in.Cong != 0 {
			b = appendSanitized(b, in.Cong.String())
		}
		if t.HasRTT() {
			sep()
			b = append(b, "rtt:"...)
			b = appendMillis(b, t.RTT)
			b = append(b, '/')
			b = appendMillis(b, t.RTTVar)
			b = append(b, "ms"...)
		}
		known(collector.TCPCwnd, "cwnd", uint64(t.SndCwnd))
		known(collector.TCPMSS, "mss", uint64(t.SndMSS))
		known(collector.TCPBytesSent, "sent", t.BytesSent)
		known(collector.TCPBytesAcked, "acked", t.BytesAcked)
		known(collector.TCPBytesReceived, "rcvd", t.BytesReceived)
		if t.HasSegs() {
			sep()
			b = append(b, "segs:"...)
			b = strconv.AppendUint(b, uint64(t.SegsIn), 10)
			b = append(b, '/')
			b = strconv.AppendUint(b, uint64(t.SegsOut), 10)
		}
		if t.Has(collector.TCPRetransmits) || t.Has(collector.TCPTotalRetrans) {
			sep()
			b = append(b, "retrans:"...)
			b = appendPair(b, uint64(t.Retransmits), t.Has(collector.TCPRetransmits),
				uint64(t.TotalRetrans), t.Has(collector.TCPTotalRetrans))
		}
		known(collector.TCPLost, "lost", uint64(t.Lost))
		if t.HasDeliveryRate() {
			sep()
			b = append(b, "delivery:"...)
			b = appendBitRate(b, t.DeliveryRate)
		}
		if t.HasPacing() && t.PacingRate != unlimitedPacing {
			sep()
			b = append(b, "pacing:"...)
			b = appendBitRate(b, t.PacingRate)
		}
		if t.Has(collector.TCPLastData) {
			num("lastsnd", uint64(t.LastDataSent))
			b = append(b, "ms"...)
			num("lastrcv", uint64(t.LastDataRecv))
			b = append(b, "ms"...)
		}
		if lastAckInstead(t) {
			num("lastack", uint64(t.LastAckRecv))
			b = append(b, "ms"...)
		}
	}
	if in.HasMem {
		m := &in.Mem
		sep()
		b = append(b, "mem r:"...)
		b = appendPair(b, uint64(m.RmemAlloc), m.Has(collector.MemRmemAlloc), uint64(m.RcvBuf), m.Has(collector.MemRcvBuf))
		b = append(b, " w:"...)
		b = appendPair(b, uint64(m.WmemAlloc), m.Has(collector.MemWmemAlloc), uint64(m.SndBuf), m.Has(collector.MemSndBuf))
		if m.Has(collector.MemFwdAlloc) {
			num("f", uint64(m.FwdAlloc))
		}
		if m.Has(collector.MemWmemQueued) {
			num("q", uint64(m.WmemQueued))
		}
		if m.Has(collector.MemDrops) {
			num("d", uint64(m.Drops))
		}
	}
	return append(b, '\n')
}

// appendPair appends "x/y", each half "-" when the system did not report
// it.
func appendPair(b []byte, x uint64, hasX bool, y uint64, hasY bool) []byte {
	half := func(v uint64, has bool) {
		if has {
			b = strconv.AppendUint(b, v, 10)
		} else {
			b = append(b, '-')
		}
	}
	half(x, hasX)
	b = append(b, '/')
	half(y, hasY)
	return b
}

// appendMillis appends microseconds us as milliseconds with three
// decimals ("0.052").
func appendMillis(b []byte, us uint32) []byte {
	b = strconv.AppendUint(b, uint64(us/1000), 10)
	b = append(b, '.')
	frac := us % 1000
	b = append(b, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return b
}

// appendBitRate appends a rate of bytes per second in bits per second,
// ss's way: "812Mbps", "1.2Gbps", "560bps".
func appendBitRate(b []byte, bytesPerSec uint64) []byte {
	bits := float64(bytesPerSec) * 8
	switch {
	case bits >= 1e9:
		b = strconv.AppendFloat(b, bits/1e9, 'f', 1, 64)
		return append(b, "Gbps"...)
	case bits >= 1e6:
		b = strconv.AppendFloat(b, bits/1e6, 'f', 1, 64)
		return append(b, "Mbps"...)
	case bits >= 1e3:
		b = strconv.AppendFloat(b, bits/1e3, 'f', 1, 64)
		return append(b, "Kbps"...)
	}
	b = strconv.AppendUint(b, uint64(bits), 10)
	return append(b, "bps"...)
}
