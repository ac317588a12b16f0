package render

import (
	"strconv"

	"github.com/portwatch/portwatch/collector"
)

// unlimitedPacing is the pacing rate of a socket that is not paced.
const unlimitedPacing = ^uint64(0)

// appendInternalsJSON appends a socket's internals (-i): tcp_info, with
// the fields the kernel sent (pacing_rate only when the socket is paced),
// and mem.
func appendInternalsJSON(buf []byte, in *collector.Internals) []byte {
	if in.HasTCP {
		t := &in.TCP
		buf = append(buf, `,"tcp_info":{`...)
		first := true
		field := func(name string, v uint64) {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(buf, '"')
			buf = append(buf, name...)
			buf = append(buf, `":`...)
			buf = strconv.AppendUint(buf, v, 10)
		}
		field("rtt_us", uint64(t.RTT))
		field("rttvar_us", uint64(t.RTTVar))
		field("cwnd", uint64(t.SndCwnd))
		field("mss", uint64(t.SndMSS))
		if t.HasBytesSent() {
			field("bytes_sent", t.BytesSent)
			field("bytes_retrans", t.BytesRetrans)
		}
		if t.HasBytes() {
			field("bytes_acked", t.BytesAcked)
			field("bytes_received", t.BytesReceived)
		}
		if t.HasSegs() {
			field("segs_in", uint64(t.SegsIn))
			field("segs_out", uint64(t.SegsOut))
		}
		field("retrans", uint64(t.Retransmits))
		field("total_retrans", uint64(t.TotalRetrans))
		field("lost", uint64(t.Lost))
		if t.HasDeliveryRate() {
			field("delivery_rate", t.DeliveryRate)
		}
		if t.HasPacing() && t.PacingRate != unlimitedPacing {
			field("pacing_rate", t.PacingRate)
		}
		field("last_send_ms", uint64(t.LastDataSent))
		field("last_recv_ms", uint64(t.LastDataRecv))
		buf = append(buf, `,"cong":`...)
		buf = appendJSONString(buf, in.Cong.String())
		buf = append(buf, '}')
	}
	if in.HasMem {
		m := &in.Mem
		buf = append(buf, `,"mem":{"rmem":`...)
		buf = strconv.AppendUint(buf, uint64(m.RmemAlloc), 10)
		buf = append(buf, `,"rcvbuf":`...)
		buf = strconv.AppendUint(buf, uint64(m.RcvBuf), 10)
		buf = append(buf, `,"wmem":`...)
		buf = strconv.AppendUint(buf, uint64(m.WmemAlloc), 10)
		buf = append(buf, `,"sndbuf":`...)
		buf = strconv.AppendUint(buf, uint64(m.SndBuf), 10)
		buf = append(buf, `,"fwd":`...)
		buf = strconv.AppendUint(buf, uint64(m.FwdAlloc), 10)
		buf = append(buf, `,"tx_queued":`...)
		buf = strconv.AppendUint(buf, uint64(m.WmemQueued), 10)
		buf = append(buf, `,"drops":`...)
		buf = strconv.AppendUint(buf, uint64(m.Drops), 10)
		buf = append(buf, '}')
	}
	return buf
}

// internalsIndent starts the table's line of a socket's internals.
const internalsIndent = "  "

// appendInternalsLine appends the table's second line for a socket with
// internals, indented by two spaces, in ss -i's manner: the algorithm, rtt/rttvar in
// milliseconds, cwnd, mss, the byte and segment counts, retransmissions
// (current/total), lost, the delivery and pacing rates, the ages of the
// last data sent and received, and the memory (r: receive queue/buffer,
// w: send memory/buffer, f: forward alloc, q: queued to send, d: drops).
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
		if in.Cong != 0 {
			b = appendSanitized(b, in.Cong.String())
		}
		sep()
		b = append(b, "rtt:"...)
		b = appendMillis(b, t.RTT)
		b = append(b, '/')
		b = appendMillis(b, t.RTTVar)
		b = append(b, "ms"...)
		num("cwnd", uint64(t.SndCwnd))
		num("mss", uint64(t.SndMSS))
		if t.HasBytesSent() {
			num("sent", t.BytesSent)
		}
		if t.HasBytes() {
			num("acked", t.BytesAcked)
			num("rcvd", t.BytesReceived)
		}
		if t.HasSegs() {
			sep()
			b = append(b, "segs:"...)
			b = strconv.AppendUint(b, uint64(t.SegsIn), 10)
			b = append(b, '/')
			b = strconv.AppendUint(b, uint64(t.SegsOut), 10)
		}
		sep()
		b = append(b, "retrans:"...)
		b = strconv.AppendUint(b, uint64(t.Retransmits), 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(t.TotalRetrans), 10)
		num("lost", uint64(t.Lost))
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
		num("lastsnd", uint64(t.LastDataSent))
		b = append(b, "ms"...)
		num("lastrcv", uint64(t.LastDataRecv))
		b = append(b, "ms"...)
	}
	if in.HasMem {
		m := &in.Mem
		sep()
		b = append(b, "mem r:"...)
		b = strconv.AppendUint(b, uint64(m.RmemAlloc), 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(m.RcvBuf), 10)
		b = append(b, " w:"...)
		b = strconv.AppendUint(b, uint64(m.WmemAlloc), 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(m.SndBuf), 10)
		num("f", uint64(m.FwdAlloc))
		num("q", uint64(m.WmemQueued))
		num("d", uint64(m.Drops))
	}
	return append(b, '\n')
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
