package counters

import (
	"encoding/binary"
	"fmt"
)

// The fields of the IP Helper API's statistics structs (MIB_IPSTATS,
// MIB_TCPSTATS, MIB_UDPSTATS: one DWORD each, in this order), by the names
// Linux's /proc/net/snmp gives the same counters, so that both systems'
// counters read alike; "" for a field Linux has no counter for, which is
// named after the struct's own field.
var (
	mibIPNames = []string{"Forwarding", "DefaultTTL", "InReceives", "InHdrErrors", "InAddrErrors", "ForwDatagrams",
		"InUnknownProtos", "InDiscards", "InDelivers", "OutRequests", "RoutingDiscards", "OutDiscards", "OutNoRoutes",
		"ReasmTimeout", "ReasmReqds", "ReasmOKs", "ReasmFails", "FragOKs", "FragFails", "FragCreates",
		"NumIf", "NumAddr", "NumRoutes"}
	mibTCPNames = []string{"RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn", "ActiveOpens", "PassiveOpens",
		"AttemptFails", "EstabResets", "CurrEstab", "InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts", "NumConns"}
	mibUDPNames = []string{"InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "NumAddrs"}
)

// MIB is one of the IP Helper API's statistics structs.
type MIB int

// The structs DecodeMIB reads.
const (
	MIBIP MIB = iota
	MIBTCP
	MIBUDP
)

// names returns the counter names of m's fields.
func (m MIB) names() []string {
	switch m {
	case MIBTCP:
		return mibTCPNames
	case MIBUDP:
		return mibUDPNames
	}
	return mibIPNames
}

// DecodeMIB decodes the bytes of struct m (little-endian DWORDs, as
// GetIpStatisticsEx, GetTcpStatisticsEx and GetUdpStatisticsEx fill them)
// into group's counters. MaxConn is signed (-1: no limit).
func DecodeMIB(m MIB, group string, b []byte) ([]Counter, error) {
	names := m.names()
	if len(b) < 4*len(names) {
		return nil, fmt.Errorf("%s statistics: %d bytes, want %d", group, len(b), 4*len(names))
	}
	out := make([]Counter, len(names))
	for i, n := range names {
		v := binary.LittleEndian.Uint32(b[4*i:])
		out[i] = Counter{Group: group, Name: n, Value: int64(v)}
		if n == "MaxConn" {
			out[i].Value = int64(int32(v))
		}
	}
	return out, nil
}

// MIBSize is the size in bytes of struct m.
func MIBSize(m MIB) int { return 4 * len(m.names()) }

// icmpStatsLen is the size of MIB_ICMP_EX's halves (MIBICMPSTATS_EX:
// dwMsgs, dwErrors, rgdwTypeCount[256]).
const icmpStatsLen = (2 + 256) * 4

// ICMPSize is the size in bytes of MIB_ICMP_EX: received, then sent.
const ICMPSize = 2 * icmpStatsLen

// DecodeICMP decodes MIB_ICMP_EX (GetIcmpStatisticsEx) into group's
// counters (Icmp or Icmp6: InMsgs, InErrors, OutMsgs, OutErrors) and, as
// Linux's IcmpMsg group does, a counter per message type that moved
// (msgGroup's InTypeN and OutTypeN).
func DecodeICMP(group, msgGroup string, b []byte) ([]Counter, error) {
	if len(b) < ICMPSize {
		return nil, fmt.Errorf("%s statistics: %d bytes, want %d", group, len(b), ICMPSize)
	}
	le := binary.LittleEndian
	var out, types []Counter
	for half, dir := range [2]string{"In", "Out"} {
		h := b[half*icmpStatsLen:]
		out = append(out,
			Counter{Group: group, Name: dir + "Msgs", Value: int64(le.Uint32(h))},
			Counter{Group: group, Name: dir + "Errors", Value: int64(le.Uint32(h[4:]))})
		for t := range 256 {
			if v := le.Uint32(h[8+4*t:]); v != 0 {
				types = append(types, Counter{Group: msgGroup, Name: fmt.Sprintf("%sType%d", dir, t), Value: int64(v)})
			}
		}
	}
	return append(out, types...), nil
}
