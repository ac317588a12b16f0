package counters

// curatedName describes the counters of the standard MIBs (RFC 4293, 4022,
// 4113) and the commonest extended ones, by group.Name; IPv6's and
// UDP-Lite's groups use IPv4's and UDP's (see baseGroup).
func curatedName(key string) (string, bool) {
	// A switch, not a map: nothing to build when portwatch starts.
	switch key {
	case "Ip.Forwarding":
		return "forwarding (1 on, 2 off)", true
	case "Ip.DefaultTTL":
		return "default TTL", true
	case "Ip.InReceives":
		return "packets received", true
	case "Ip.InHdrErrors":
		return "received with bad headers", true
	case "Ip.InTooBigErrors":
		return "received too big to forward", true
	case "Ip.InNoRoutes":
		return "received with no route", true
	case "Ip.InAddrErrors":
		return "received with invalid addresses", true
	case "Ip.ForwDatagrams":
		return "forwarded", true
	case "Ip.InUnknownProtos":
		return "received for unknown protocols", true
	case "Ip.InTruncatedPkts":
		return "received truncated", true
	case "Ip.InDiscards":
		return "incoming packets discarded", true
	case "Ip.InDelivers":
		return "incoming packets delivered", true
	case "Ip.OutRequests":
		return "requests sent out", true
	case "Ip.OutDiscards":
		return "outgoing packets dropped", true
	case "Ip.OutNoRoutes":
		return "dropped for no route", true
	case "Ip.ReasmTimeout":
		return "reassembly timeouts", true
	case "Ip.ReasmReqds":
		return "fragments received for reassembly", true
	case "Ip.ReasmOKs":
		return "packets reassembled", true
	case "Ip.ReasmFails":
		return "reassemblies failed", true
	case "Ip.FragOKs":
		return "packets fragmented", true
	case "Ip.FragFails":
		return "fragmentations failed", true
	case "Ip.FragCreates":
		return "fragments created", true
	case "Ip.OutTransmits":
		return "packets transmitted", true
	case "Ip.InMcastPkts":
		return "multicast packets received", true
	case "Ip.OutMcastPkts":
		return "multicast packets sent", true
	case "Ip.InOctets":
		return "bytes received", true
	case "Ip.OutOctets":
		return "bytes sent", true
	case "Tcp.RtoAlgorithm":
		return "retransmission timeout algorithm", true
	case "Tcp.RtoMin":
		return "least retransmission timeout (ms)", true
	case "Tcp.RtoMax":
		return "most retransmission timeout (ms)", true
	case "Tcp.MaxConn":
		return "most connections (-1: no limit)", true
	case "Tcp.ActiveOpens":
		return "active connection openings", true
	case "Tcp.PassiveOpens":
		return "passive connection openings", true
	case "Tcp.AttemptFails":
		return "failed connection attempts", true
	case "Tcp.EstabResets":
		return "connection resets received", true
	case "Tcp.CurrEstab":
		return "connections established", true
	case "Tcp.InSegs":
		return "segments received", true
	case "Tcp.OutSegs":
		return "segments sent out", true
	case "Tcp.RetransSegs":
		return "segments retransmitted", true
	case "Tcp.InErrs":
		return "bad segments received", true
	case "Tcp.OutRsts":
		return "resets sent", true
	case "Tcp.InCsumErrors":
		return "segments with bad checksums", true
	case "Udp.InDatagrams":
		return "packets received", true
	case "Udp.NoPorts":
		return "packets to unknown ports received", true
	case "Udp.InErrors":
		return "packet receive errors", true
	case "Udp.OutDatagrams":
		return "packets sent", true
	case "Udp.RcvbufErrors":
		return "receive buffer errors (dropped: the socket was full)", true
	case "Udp.SndbufErrors":
		return "send buffer errors", true
	case "Udp.InCsumErrors":
		return "packets with bad checksums", true
	case "Udp.IgnoredMulti":
		return "multicast packets ignored", true
	case "Udp.MemErrors":
		return "dropped for lack of memory", true
	case "TcpExt.SyncookiesSent":
		return "SYN cookies sent", true
	case "TcpExt.SyncookiesRecv":
		return "SYN cookies received", true
	case "TcpExt.SyncookiesFailed":
		return "invalid SYN cookies received", true
	case "TcpExt.ListenOverflows":
		return "times the listen queue of a socket overflowed", true
	case "TcpExt.ListenDrops":
		return "SYNs to listening sockets dropped", true
	case "TcpExt.TW":
		return "TCP sockets finished time wait in fast timer", true
	case "TcpExt.TCPTimeouts":
		return "retransmission timeouts", true
	case "TcpExt.TCPAbortOnData":
		return "connections reset due to unexpected data", true
	case "TcpExt.TCPAbortOnClose":
		return "connections reset due to early user close", true
	case "TcpExt.TCPAbortOnTimeout":
		return "connections aborted due to timeout", true
	case "TcpExt.TCPAbortOnMemory":
		return "connections aborted due to memory pressure", true
	case "TcpExt.TCPBacklogDrop":
		return "packets dropped from a full socket backlog", true
	case "TcpExt.TCPRcvQDrop":
		return "packets dropped from a full receive queue", true
	case "TcpExt.TCPLostRetransmit":
		return "retransmits lost", true
	case "TcpExt.TCPFastRetrans":
		return "fast retransmits", true
	case "TcpExt.TCPSlowStartRetrans":
		return "retransmits in slow start", true
	case "TcpExt.TCPSynRetrans":
		return "SYN and SYN-ACK retransmits", true
	// Counters only macOS and FreeBSD have (see bsd.go).
	case "Ip.BadSum":
		return "received with bad header checksums", true
	case "Ip.CantForward":
		return "not forwarded: destination unreachable", true
	case "Tcp.Connects":
		return "connections established, accepts included", true
	case "Tcp.Closed":
		return "connections closed, drops included", true
	case "Tcp.ListenDrop":
		return "listen queue overflows", true
	case "Tcp.KeepDrops":
		return "connections dropped by keepalive", true
	case "Tcp.TimeoutDrop":
		return "connections dropped by retransmission timeout", true
	case "Tcp.RexmtTimeo":
		return "retransmission timeouts", true
	case "Tcp.SndRexmitByte":
		return "bytes retransmitted", true
	case "Tcp.RcvDupPack":
		return "duplicate segments received", true
	case "Tcp.RcvOOPack":
		return "out-of-order segments received", true
	case "Tcp.ScSendCookie":
		return "SYN cookies sent", true
	case "Tcp.ScRecvCookie":
		return "SYN cookies received", true
	case "Udp.NoPortBcast":
		return "broadcast packets to unknown ports received", true
	case "Udp.NoPortMcast":
		return "multicast packets to unknown ports received", true
	case "IpExt.InOctets":
		return "bytes received", true
	case "IpExt.OutOctets":
		return "bytes sent", true
	case "IpExt.InNoRoutes":
		return "received with no route", true
	}
	return "", false
}

// icmpName describes the ICMP counters, for Icmp and Icmp6.
func icmpName(key string) (string, bool) {
	// A switch, not a map: nothing to build when portwatch starts.
	switch key {
	case "InMsgs":
		return "ICMP messages received", true
	case "ErrorCalls":
		return "ICMP errors asked for", true
	case "InErrors":
		return "input ICMP message failed", true
	case "InCsumErrors":
		return "messages with bad checksums", true
	case "InDestUnreachs":
		return "destination unreachable received", true
	case "InTimeExcds":
		return "timeout in transit received", true
	case "InEchos":
		return "echo requests received", true
	case "InEchoReps":
		return "echo replies received", true
	case "OutMsgs":
		return "ICMP messages sent", true
	case "OutErrors":
		return "ICMP messages failed", true
	case "OutDestUnreachs":
		return "destination unreachable sent", true
	case "OutTimeExcds":
		return "timeout in transit sent", true
	case "OutEchos":
		return "echo requests sent", true
	case "OutEchoReps":
		return "echo replies sent", true
	}
	return "", false
}

// baseGroup is the group whose names a group shares.
func baseGroup(group string) string {
	switch group {
	case "Ip6":
		return "Ip"
	case "Udp6", "UdpLite", "UdpLite6":
		return "Udp"
	case "Tcp6": // Windows's IPv6 TCP counters
		return "Tcp"
	}
	return group
}
