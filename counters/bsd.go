package counters

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"
)

// macOS and FreeBSD export their protocol counters as C structs, one a
// sysctl (net.inet.tcp.stats, ...). The tables below give each struct's
// members in order, by the names Linux's /proc/net/snmp gives the same
// counters where the meaning is the same, so that all systems' counters
// read alike, and otherwise by the member's own name made CamelCase
// (tcps_sndprobe: SndProbe). The two systems' structs share much of their
// history, so one table serves both, a member that only some of them have
// saying which (bsdField.in).
//
// The layouts, for LP64 (amd64, arm64):
//
//   - FreeBSD 14 and 15: every member a uint64_t (counter(9) exported as
//     64 bits; icmpstat's u_long is 64 bits too), so no padding. tcpstat
//     gained members in its middle in 15 (tcps_sc_spurcookie,
//     tcps_sc_failcookie, tcps_sack_rexmits_tso) and gave up one of its
//     spare words.
//   - macOS 13 to 15: u_int32_t members but for ip6stat's and icmp6stat's
//     u_quad_t and six u_int64_t in tcpstat, aligned to 8 bytes. macOS 15
//     added three members at the end of ipstat and three RACK counters in
//     the middle of tcpstat.
//
// A longer struct than the newest layout (a newer system that appended
// members) decodes by the newest layout; a shorter one than the oldest is
// an error.

// The layouts of the structs, one bit each.
const (
	freeBSD14 uint8 = 1 << iota // FreeBSD 14
	freeBSD15                   // FreeBSD 15
	macOS13                     // macOS 13 and 14
	macOS15                     // macOS 15

	freeBSD = freeBSD14 | freeBSD15
	macOS   = macOS13 | macOS15
)

// bsdField is one member of a statistics struct.
type bsdField struct {
	// name is the counter's name; "" for a member not reported (spares,
	// padding, arrays of no interest).
	name string
	// n is the length of an array member; 0 for a single value.
	n int
	// wide is a 64-bit member in a struct of 32-bit ones.
	wide bool
	// hist is "In" or "Out" for an ICMP array of counts by message type,
	// reported as the struct's msgGroup's InTypeN or OutTypeN.
	hist string
	// in is the layouts that have the member; 0 for all.
	in uint8
}

// bsdStruct is a statistics struct.
type bsdStruct struct {
	group    string
	msgGroup string // for ICMP's counts by message type
	macWord  int    // bytes of a member on macOS (FreeBSD's are 8)
	fields   []bsdField
}

// bsdSysctls are the sysctls of the statistics structs, IPv4's then
// IPv6's.
var bsdSysctls = []string{"net.inet.ip.stats", "net.inet.icmp.stats", "net.inet.tcp.stats", "net.inet.udp.stats",
	"net.inet6.ip6.stats", "net.inet6.icmp6.stats"}

// bsdStat returns the struct sysctl gives.
func bsdStat(sysctl string) (bsdStruct, bool) {
	switch sysctl {
	case "net.inet.ip.stats":
		return bsdStruct{group: "Ip", macWord: 4, fields: bsdIPFields}, true
	case "net.inet.icmp.stats":
		return bsdStruct{group: "Icmp", msgGroup: "IcmpMsg", macWord: 4, fields: bsdICMPFields}, true
	case "net.inet.tcp.stats":
		return bsdStruct{group: "Tcp", macWord: 4, fields: bsdTCPFields}, true
	case "net.inet.udp.stats":
		return bsdStruct{group: "Udp", macWord: 4, fields: bsdUDPFields}, true
	case "net.inet6.ip6.stats":
		return bsdStruct{group: "Ip6", macWord: 8, fields: bsdIP6Fields}, true
	case "net.inet6.icmp6.stats":
		return bsdStruct{group: "Icmp6", msgGroup: "Icmp6Msg", macWord: 8, fields: bsdICMP6Fields}, true
	}
	return bsdStruct{}, false
}

// DecodeDarwinStats decodes macOS's statistics struct that sysctl (one of
// net.inet.ip.stats, net.inet.icmp.stats, net.inet.tcp.stats,
// net.inet.udp.stats, net.inet6.ip6.stats, net.inet6.icmp6.stats) gives
// into counters by Linux's names where they mean the same: groups Ip,
// Icmp and IcmpMsg, Tcp, Udp, Ip6, Icmp6 and Icmp6Msg.
func DecodeDarwinStats(sysctl string, b []byte) ([]Counter, error) {
	return decodeBSD(sysctl, b, macOS)
}

// DecodeFreeBSDStats is DecodeDarwinStats for FreeBSD's structs.
func DecodeFreeBSDStats(sysctl string, b []byte) ([]Counter, error) {
	return decodeBSD(sysctl, b, freeBSD)
}

// decodeBSD decodes sysctl's struct b by the newest of layouts that b
// holds.
func decodeBSD(sysctl string, b []byte, layouts uint8) ([]Counter, error) {
	s, ok := bsdStat(sysctl)
	if !ok {
		return nil, fmt.Errorf("%s: not a statistics sysctl portwatch knows", sysctl)
	}
	layout, oldest := uint8(0), uint8(0)
	for bit := uint8(1 << 7); bit != 0; bit >>= 1 {
		if layouts&bit == 0 {
			continue
		}
		oldest = bit
		if layout == 0 && s.size(bit) <= len(b) {
			layout = bit
		}
	}
	if layout == 0 {
		return nil, fmt.Errorf("%s: %d bytes, want at least %d", sysctl, len(b), s.size(oldest))
	}
	var out, types []Counter
	var sums [2]int64 // the counts by message type, received and sent
	s.walk(layout, func(f bsdField, off, size int) {
		switch {
		case f.hist != "":
			for t := range f.n {
				v := bsdValue(b, off+t*size, size)
				if v == 0 {
					continue
				}
				types = append(types, Counter{Group: s.msgGroup, Name: fmt.Sprintf("%sType%d", f.hist, t), Value: v})
				if f.hist == "In" {
					sums[0] = satAdd(sums[0], v)
				} else {
					sums[1] = satAdd(sums[1], v)
				}
			}
		case f.name != "":
			out = append(out, Counter{Group: s.group, Name: f.name, Value: bsdValue(b, off, size)})
		}
	})
	if s.msgGroup == "" {
		return out, nil
	}
	// The BSDs count no total of messages: a message received is counted
	// by its type but for one too short or with a bad checksum, dropped
	// before its type is looked at (Linux counts those too).
	snap := Snapshot{Counters: out}
	short, _ := snap.Get(s.group, "TooShort")
	csum, _ := snap.Get(s.group, "InCsumErrors")
	totals := []Counter{
		{Group: s.group, Name: "InMsgs", Value: satAdd(sums[0], satAdd(short, csum))},
		{Group: s.group, Name: "OutMsgs", Value: sums[1]},
	}
	return append(append(totals, out...), types...), nil
}

// walk calls fn, if not nil, with each member of layout and its offset and
// size (of an element, for an array), as a C compiler lays them out, and
// returns the struct's size.
func (s *bsdStruct) walk(layout uint8, fn func(f bsdField, off, size int)) int {
	word := s.macWord
	if layout&freeBSD != 0 {
		word = 8
	}
	off, align := 0, 1
	for _, f := range s.fields {
		if f.in != 0 && f.in&layout == 0 {
			continue
		}
		size := word
		if f.wide {
			size = 8
		}
		off = roundUp(off, size)
		if fn != nil {
			fn(f, off, size)
		}
		off += max(f.n, 1) * size
		align = max(align, size)
	}
	return roundUp(off, align)
}

// size is the size of the struct in layout.
func (s *bsdStruct) size(layout uint8) int { return s.walk(layout, nil) }

// roundUp rounds n up to a multiple of m.
func roundUp(n, m int) int { return (n + m - 1) / m * m }

// bsdValue reads the size-byte counter at b[off:], in the byte order of
// the machine (the kernel's), the largest int64 if it is larger.
func bsdValue(b []byte, off, size int) int64 {
	if size == 4 {
		return int64(binary.NativeEndian.Uint32(b[off:]))
	}
	return int64(min(binary.NativeEndian.Uint64(b[off:]), math.MaxInt64))
}

// satAdd adds two counts, the largest int64 if the sum is larger.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// readSysctls reads bsdSysctls with sysctlRaw and decodes them with
// decode. An IPv6 sysctl that does not exist (a kernel without IPv6) is
// left out.
func readSysctls(sysctlRaw func(string) ([]byte, error), decode func(string, []byte) ([]Counter, error)) (*Snapshot, error) {
	snap := &Snapshot{Time: time.Now()}
	for _, name := range bsdSysctls {
		b, err := sysctlRaw(name)
		if err != nil {
			if strings.HasPrefix(name, "net.inet6.") && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("sysctl %s: %w", name, err)
		}
		cs, err := decode(name, b)
		if err != nil {
			// The other structs may still be read: a system whose layout
			// of one is new to portwatch still shows the rest.
			snap.Warnings = append(snap.Warnings, err.Error())
			continue
		}
		snap.Counters = append(snap.Counters, cs...)
	}
	if len(snap.Counters) == 0 && len(snap.Warnings) > 0 {
		return nil, errors.New(strings.Join(snap.Warnings, "; "))
	}
	return snap, nil
}

// The members of struct ipstat (net.inet.ip.stats).
var bsdIPFields = []bsdField{
	{name: "InReceives"}, {name: "BadSum"}, {name: "InTruncatedPkts"}, {name: "TooSmall"},
	{name: "BadHdrLen"}, {name: "BadLen"}, {name: "ReasmReqds"}, {name: "FragDropped"},
	{name: "FragTimeout"}, {name: "ForwDatagrams"}, {name: "FastForward"}, {name: "CantForward"},
	{name: "RedirectSent"}, {name: "InUnknownProtos"}, {name: "InDelivers"}, {name: "OutRequests"},
	{name: "OutDiscards"}, {name: "ReasmOKs"}, {name: "FragOKs"}, {name: "FragCreates"},
	{name: "FragFails"}, {name: "BadOptions"}, {name: "OutNoRoutes"}, {name: "BadVers"},
	{name: "RawOut"}, {name: "TooLong"}, {name: "NotMember"}, {name: "NoGif"}, {name: "BadAddr"},
	{name: "PktDropCntrl", in: macOS}, {name: "RcvSwCsum", in: macOS}, {name: "RcvSwCsumBytes", in: macOS},
	{name: "SndSwCsum", in: macOS}, {name: "SndSwCsumBytes", in: macOS}, {name: "Adj", in: macOS},
	{name: "AdjHwCsumClr", in: macOS}, {name: "RxcCollisions", in: macOS}, {name: "RxcChained", in: macOS},
	{name: "RxcNotChain", in: macOS}, {name: "RxcChainSzGt2", in: macOS}, {name: "RxcChainSzGt4", in: macOS},
	{name: "RxcNotList", in: macOS}, {name: "RawSappendFail", in: macOS}, {name: "NecpPolicyDrop", in: macOS},
	{name: "RcvIfWeakMatch", in: macOS}, {name: "RcvIfNoMatch", in: macOS},
	{name: "InputIpfDrop", in: macOS15}, {name: "InputNoProto", in: macOS15}, {name: "SrcAddrNotAvail", in: macOS15},
}

// icmpMaxType is the largest ICMP type icmpstat counts (ICMP_MAXTYPE).
const icmpMaxType = 40

// The members of struct icmpstat (net.inet.icmp.stats).
var bsdICMPFields = []bsdField{
	{name: "ErrorCalls"}, {name: "OldShort"}, {name: "OldIcmp"},
	{hist: "Out", n: icmpMaxType + 1},
	{name: "BadCode"}, {name: "TooShort"}, {name: "InCsumErrors"}, {name: "BadLen"}, {name: "Reflect"},
	{hist: "In", n: icmpMaxType + 1},
	{name: "BmcastEcho"}, {name: "BmcastTstamp"},
	{name: "BadAddr", in: freeBSD}, {name: "NoRoute", in: freeBSD},
}

// The members of struct tcpstat (net.inet.tcp.stats). Neither system
// counts the resets it sends (Linux's OutRsts).
var bsdTCPFields = []bsdField{
	{name: "ActiveOpens"}, {name: "PassiveOpens"}, {name: "Connects"}, {name: "EstabResets"},
	{name: "AttemptFails"}, {name: "MinMssDrops", in: freeBSD}, {name: "Closed"}, {name: "SegsTimed"},
	{name: "RttUpdated"}, {name: "DelAck"}, {name: "TimeoutDrop"}, {name: "RexmtTimeo"},
	{name: "PersistTimeo"}, {name: "KeepTimeo"}, {name: "KeepProbe"}, {name: "KeepDrops"},
	{name: "ProgDrops", in: freeBSD},
	{name: "OutSegs"}, {name: "SndPack"}, {name: "SndByte"}, {name: "RetransSegs"}, {name: "SndRexmitByte"},
	{name: "SndRexmitBad", in: freeBSD}, {name: "SndAcks"}, {name: "SndProbe"}, {name: "SndUrg"},
	{name: "SndWinUp"}, {name: "SndCtrl"},
	{name: "InSegs"}, {name: "RcvPack"}, {name: "RcvByte"}, {name: "InCsumErrors"}, {name: "RcvBadOff"},
	{name: "RcvReassFull", in: freeBSD}, {name: "RcvMemDrop", in: macOS}, {name: "RcvShort"},
	{name: "RcvDupPack"}, {name: "RcvDupByte"}, {name: "RcvPartDupPack"}, {name: "RcvPartDupByte"},
	{name: "RcvOOPack"}, {name: "RcvOOByte"}, {name: "RcvPackAfterWin"}, {name: "RcvByteAfterWin"},
	{name: "RcvAfterClose"}, {name: "RcvWinProbe"}, {name: "RcvDupAck"}, {name: "RcvAckTooMuch"},
	{name: "RcvAckPack"}, {name: "RcvAckByte"}, {name: "RcvWinUpd"}, {name: "PawsDrop"},
	{name: "PredAck"}, {name: "PredDat"}, {name: "PcbCacheMiss"}, {name: "CachedRtt"},
	{name: "CachedRttVar"}, {name: "CachedSsthresh"}, {name: "UsedRtt"}, {name: "UsedRttVar"},
	{name: "UsedSsthresh"}, {name: "PersistDrop"}, {name: "BadSyn"}, {name: "MtuResent"},
	{name: "ListenDrop"},
	{name: "SynChallenge", in: macOS}, {name: "RstChallenge", in: macOS}, {name: "MinMssDrops", in: macOS},
	{name: "SndRexmitBad", in: macOS},
	{name: "BadRst"},
	{name: "ScAdded"}, {name: "ScRetransmitted"}, {name: "ScDupSyn"}, {name: "ScDropped"},
	{name: "ScCompleted"}, {name: "ScBucketOverflow"}, {name: "ScCacheOverflow"}, {name: "ScReset"},
	{name: "ScStale"}, {name: "ScAborted"}, {name: "ScBadAck"}, {name: "ScUnreach"},
	{name: "ScZoneFail"}, {name: "ScSendCookie"}, {name: "ScRecvCookie"},
	{name: "ScSpurCookie", in: freeBSD15}, {name: "ScFailCookie", in: freeBSD15},
	{name: "HcAdded"}, {name: "HcBucketOverflow"}, {name: "FinWait2Drops", in: freeBSD},
	{name: "SackRecoveryEpisode"}, {name: "SackRexmits"}, {name: "SackRexmitsTso", in: freeBSD15},
	{name: "SackRexmitBytes"}, {name: "SackRcvBlocks"}, {name: "SackSendBlocks"},
	{name: "SackLostRexmt", in: freeBSD}, {name: "SackSbOverflow"},

	// FreeBSD's from here on.
	{name: "EcnRcvCe", in: freeBSD}, {name: "EcnRcvEct0", in: freeBSD}, {name: "EcnRcvEct1", in: freeBSD},
	{name: "EcnShs", in: freeBSD}, {name: "EcnRcwnd", in: freeBSD},
	{name: "SigRcvGoodSig", in: freeBSD}, {name: "SigRcvBadSig", in: freeBSD}, {name: "SigErrBuildSig", in: freeBSD},
	{name: "SigErrSigOpt", in: freeBSD}, {name: "SigErrNoSigOpt", in: freeBSD},
	{name: "PmtudBlackholeActivated", in: freeBSD}, {name: "PmtudBlackholeActivatedMinMss", in: freeBSD},
	{name: "PmtudBlackholeFailed", in: freeBSD},
	{name: "TunneledPkts", in: freeBSD}, {name: "TunneledErrs", in: freeBSD},
	{name: "DsackCount", in: freeBSD}, {name: "DsackBytes", in: freeBSD}, {name: "DsackTlpBytes", in: freeBSD},
	{name: "TwRecycles", in: freeBSD}, {name: "TwResets", in: freeBSD}, {name: "TwResponds", in: freeBSD},
	{name: "AceNect", in: freeBSD}, {name: "AceEct1", in: freeBSD}, {name: "AceEct0", in: freeBSD},
	{name: "AceCe", in: freeBSD},
	{name: "EcnSndEct0", in: freeBSD}, {name: "EcnSndEct1", in: freeBSD},
	{name: "TlpResends", in: freeBSD}, {name: "TlpResendBytes", in: freeBSD},
	{name: "RcvGhostAck", in: freeBSD}, {name: "RcvAckTooOld", in: freeBSD},
	{in: freeBSD}, {in: freeBSD14}, // spares

	// macOS's from here on.
	{name: "RackRecoveryEpisode", in: macOS15}, {name: "RackReorderingTimeoutRecoveryEpisode", in: macOS15},
	{name: "RackRexmits", in: macOS15},
	{name: "BgRcvTotal", in: macOS}, {name: "RxtFinDrop", in: macOS}, {name: "FcHoldPacket", in: macOS},
	{name: "LimitedTxt", in: macOS}, {name: "EarlyRexmt", in: macOS}, {name: "SackAckAdv", in: macOS},
	{name: "RcvSwCsum", in: macOS}, {name: "RcvSwCsumBytes", in: macOS}, {name: "Rcv6SwCsum", in: macOS},
	{name: "Rcv6SwCsumBytes", in: macOS}, {name: "SndSwCsum", in: macOS}, {name: "SndSwCsumBytes", in: macOS},
	{name: "Snd6SwCsum", in: macOS}, {name: "Snd6SwCsumBytes", in: macOS},
	{in: macOS}, {in: macOS}, {in: macOS}, // unused
	{name: "InvalidMpCap", in: macOS}, {name: "InvalidJoins", in: macOS}, {name: "MpCapFallback", in: macOS},
	{name: "JoinFallback", in: macOS}, {name: "EstabFallback", in: macOS}, {name: "InvalidOpt", in: macOS},
	{name: "MpOutOfWin", in: macOS}, {name: "MpReducedWin", in: macOS}, {name: "MpBadCsum", in: macOS},
	{name: "MpOOData", in: macOS}, {name: "MpSwitches", in: macOS}, {name: "MpRcvTotal", in: macOS},
	{name: "MpRcvBytes", in: macOS}, {name: "MpSndPacks", in: macOS}, {name: "MpSndBytes", in: macOS},
	{name: "JoinRxmts", in: macOS}, {name: "TailLossRto", in: macOS}, {name: "ReorderedPkts", in: macOS},
	{name: "RecoveredPkts", in: macOS}, {name: "Pto", in: macOS}, {name: "RtoAfterPto", in: macOS},
	{name: "TlpRecovery", in: macOS}, {name: "TlpRecoverLastPkt", in: macOS}, {name: "EcnClientSuccess", in: macOS},
	{name: "EcnRecvEce", in: macOS}, {name: "EcnSentEce", in: macOS}, {name: "DetectReordering", in: macOS},
	{name: "DelayRecovery", in: macOS}, {name: "AvoidRxmt", in: macOS}, {name: "UnnecessaryRxmt", in: macOS},
	{name: "NoStretchAck", in: macOS}, {name: "RescueRxmt", in: macOS}, {name: "PtoInRecovery", in: macOS},
	{name: "PmtudBhReverted", in: macOS},
	{name: "DsackDisable", in: macOS}, {name: "DsackAckLoss", in: macOS}, {name: "DsackBadRexmt", in: macOS},
	{name: "DsackSent", in: macOS}, {name: "DsackRecvd", in: macOS}, {name: "DsackRecvdOld", in: macOS},
	{name: "MpSelSymptomsd", in: macOS}, {name: "MpSelRtt", in: macOS}, {name: "MpSelRto", in: macOS},
	{name: "MpSelPeer", in: macOS}, {name: "MpNumProbes", in: macOS}, {name: "MpVerDowngrade", in: macOS},
	{name: "DropAfterSleep", in: macOS}, {name: "ProbeIf", in: macOS}, {name: "ProbeIfConflict", in: macOS},
	{name: "EcnClientSetup", in: macOS}, {name: "EcnServerSetup", in: macOS}, {name: "EcnServerSuccess", in: macOS},
	{name: "EcnAceSynNotEct", in: macOS}, {name: "EcnAceSynEct1", in: macOS}, {name: "EcnAceSynEct0", in: macOS},
	{name: "EcnAceSynCe", in: macOS}, {name: "EcnLostSynAck", in: macOS}, {name: "EcnLostSyn", in: macOS},
	{name: "EcnNotSupported", in: macOS}, {name: "EcnRecvCe", in: macOS}, {name: "EcnAceRecvCe", in: macOS},
	{name: "EcnConnRecvCe", in: macOS}, {name: "EcnConnRecvEce", in: macOS}, {name: "EcnConnPlNoCe", in: macOS},
	{name: "EcnConnPlCe", in: macOS}, {name: "EcnConnNoPlCe", in: macOS}, {name: "EcnFallbackSynLoss", in: macOS},
	{name: "EcnFallbackReorder", in: macOS}, {name: "EcnFallbackCe", in: macOS},
	{name: "TfoSynDataRcv", in: macOS}, {name: "TfoCookieReqRcv", in: macOS}, {name: "TfoCookieSent", in: macOS},
	{name: "TfoCookieInvalid", in: macOS}, {name: "TfoCookieReq", in: macOS}, {name: "TfoCookieRcv", in: macOS},
	{name: "TfoSynDataSent", in: macOS}, {name: "TfoSynDataAcked", in: macOS}, {name: "TfoSynLoss", in: macOS},
	{name: "TfoBlackhole", in: macOS}, {name: "TfoCookieWrong", in: macOS}, {name: "TfoNoCookieRcv", in: macOS},
	{name: "TfoHeuristicsDisable", in: macOS}, {name: "TfoSndBlackhole", in: macOS},
	{name: "MssToDefault", in: macOS}, {name: "MssToMedium", in: macOS}, {name: "MssToLow", in: macOS},
	{name: "EcnFallbackDropRst", in: macOS}, {name: "EcnFallbackDropRxmt", in: macOS},
	{name: "EcnFallbackSynRst", in: macOS},
	{name: "MptcpRcvMemDrop", in: macOS}, {name: "MptcpRcvDupPack", in: macOS},
	{name: "MptcpRcvPackAfterWin", in: macOS},
	{name: "TimerDriftLe1Ms", in: macOS}, {name: "TimerDriftLe10Ms", in: macOS}, {name: "TimerDriftLe20Ms", in: macOS},
	{name: "TimerDriftLe50Ms", in: macOS}, {name: "TimerDriftLe100Ms", in: macOS},
	{name: "TimerDriftLe200Ms", in: macOS}, {name: "TimerDriftLe500Ms", in: macOS},
	{name: "TimerDriftLe1000Ms", in: macOS}, {name: "TimerDriftGt1000Ms", in: macOS},
	{name: "MptcpHandoverAttempt", in: macOS}, {name: "MptcpInteractiveAttempt", in: macOS},
	{name: "MptcpAggregateAttempt", in: macOS}, {name: "MptcpFpHandoverAttempt", in: macOS},
	{name: "MptcpFpInteractiveAttempt", in: macOS}, {name: "MptcpFpAggregateAttempt", in: macOS},
	{name: "MptcpHeuristicFallback", in: macOS}, {name: "MptcpFpHeuristicFallback", in: macOS},
	{name: "MptcpHandoverSuccessWifi", in: macOS}, {name: "MptcpHandoverSuccessCell", in: macOS},
	{name: "MptcpInteractiveSuccess", in: macOS}, {name: "MptcpAggregateSuccess", in: macOS},
	{name: "MptcpFpHandoverSuccessWifi", in: macOS}, {name: "MptcpFpHandoverSuccessCell", in: macOS},
	{name: "MptcpFpInteractiveSuccess", in: macOS}, {name: "MptcpFpAggregateSuccess", in: macOS},
	{name: "MptcpHandoverCellFromWifi", in: macOS}, {name: "MptcpHandoverWifiFromCell", in: macOS},
	{name: "MptcpInteractiveCellFromWifi", in: macOS},
	{name: "MptcpHandoverCellBytes", wide: true, in: macOS}, {name: "MptcpInteractiveCellBytes", wide: true, in: macOS},
	{name: "MptcpAggregateCellBytes", wide: true, in: macOS}, {name: "MptcpHandoverAllBytes", wide: true, in: macOS},
	{name: "MptcpInteractiveAllBytes", wide: true, in: macOS}, {name: "MptcpAggregateAllBytes", wide: true, in: macOS},
	{name: "MptcpBackToWifi", in: macOS}, {name: "MptcpWifiProxy", in: macOS}, {name: "MptcpCellProxy", in: macOS},
	{name: "KaOffloadDrops", in: macOS}, {name: "MptcpTriggeredCell", in: macOS}, {name: "FinTimeoutDrops", in: macOS},
}

// The members of struct udpstat (net.inet.udp.stats).
var bsdUDPFields = []bsdField{
	{name: "InDatagrams"}, {name: "HdrDrops"}, {name: "InCsumErrors"}, {name: "NoSum", in: freeBSD},
	{name: "BadLen"}, {name: "NoPorts"}, {name: "NoPortBcast"}, {name: "RcvbufErrors"},
	{name: "PcbCacheMiss"}, {name: "PcbHashMiss"}, {name: "OutDatagrams"}, {name: "FastOut"},
	{name: "NoSum", in: macOS}, {name: "NoPortMcast"}, {name: "FilterMcast"},
	{name: "RcvSwCsum", in: macOS}, {name: "RcvSwCsumBytes", in: macOS}, {name: "Rcv6SwCsum", in: macOS},
	{name: "Rcv6SwCsumBytes", in: macOS}, {name: "SndSwCsum", in: macOS}, {name: "SndSwCsumBytes", in: macOS},
	{name: "Snd6SwCsum", in: macOS}, {name: "Snd6SwCsumBytes", in: macOS},
}

// The members of struct ip6stat (net.inet6.ip6.stats). The arrays (counts
// by next header, by mbuf chain length, by source address selection rule
// and scope) are left out.
var bsdIP6Fields = []bsdField{
	{name: "InReceives"}, {name: "InTruncatedPkts"}, {name: "TooSmall"}, {name: "ReasmReqds"},
	{name: "FragDropped"}, {name: "FragTimeout"}, {name: "FragOverflow"}, {name: "OutForwDatagrams"},
	{name: "CantForward"}, {name: "RedirectSent"}, {name: "InDelivers"}, {name: "OutRequests"},
	{name: "OutDiscards"}, {name: "ReasmOKs"}, {name: "AtomicFrags"}, {name: "FragOKs"},
	{name: "FragCreates"}, {name: "FragFails"}, {name: "BadOptions"}, {name: "OutNoRoutes"},
	{name: "BadVers"}, {name: "RawOut"}, {name: "BadScope"}, {name: "NotMember"},
	{n: 256}, // by next header
	{name: "M1"}, {n: 32}, {name: "MExt1"}, {name: "MExt2m"},
	{name: "ExtHdrTooLong"}, {name: "NoGif"}, {name: "TooManyHdr"},
	{name: "SourcesNone"}, {n: 16}, {n: 16}, {n: 16}, {n: 16}, {n: 16}, // by scope
	{name: "ForwardCacheHit", in: macOS}, {name: "ForwardCacheMiss", in: macOS},
	{n: 16}, // by rule
	{name: "SourcesSkipExpensiveSecondaryIf", in: macOS}, {name: "PktDropCntrl", in: macOS},
	{name: "Adj", in: macOS}, {name: "AdjHwCsumClr", in: macOS}, {name: "DadCollide", in: macOS},
	{name: "DadLoopCount", in: macOS}, {name: "NecpPolicyDrop", in: macOS},
	{name: "Clat464InTooShortDrop", in: macOS}, {name: "Clat464InNoV6AddrDrop", in: macOS},
	{name: "Clat464InNoV4AddrDrop", in: macOS}, {name: "Clat464InV4SynthFailDrop", in: macOS},
	{name: "Clat464In64TransFailDrop", in: macOS}, {name: "Clat464In64ProtoTransFailDrop", in: macOS},
	{name: "Clat464In64FragTransFailDrop", in: macOS}, {name: "Clat464InInvalPbufDrop", in: macOS},
	{name: "Clat464InSuccess", in: macOS}, {name: "Clat464InDrop", in: macOS}, {name: "Clat464InV4Drop", in: macOS},
	{name: "Clat464OutNoV6AddrDrop", in: macOS}, {name: "Clat464OutV6SynthFailDrop", in: macOS},
	{name: "Clat464Out46TransFailDrop", in: macOS}, {name: "Clat464Out46ProtoTransFailDrop", in: macOS},
	{name: "Clat464Out46FragTransFailDrop", in: macOS}, {name: "Clat464OutInvalPbufDrop", in: macOS},
	{name: "Clat464OutSuccess", in: macOS}, {name: "Clat464OutDrop", in: macOS},
	{name: "Clat464V6AddrConfFail", in: macOS}, {name: "Clat464Plat64PfxSetFail", in: macOS},
	{name: "Clat464Plat64PfxGetFail", in: macOS},
	{name: "OverlapFragDrop", in: macOS}, {name: "RcvIfWeakMatch", in: macOS}, {name: "RcvIfNoMatch", in: macOS},
}

// The members of struct icmp6stat (net.inet6.icmp6.stats).
var bsdICMP6Fields = []bsdField{
	{name: "ErrorCalls"}, {name: "CantError"}, {name: "TooFreq"},
	{hist: "Out", n: 256},
	{name: "BadCode"}, {name: "TooShort"}, {name: "InCsumErrors"}, {name: "BadLen"},
	{name: "Dropped", in: freeBSD}, {name: "Reflect"},
	{hist: "In", n: 256},
	{name: "NdTooManyOpt"},
	{name: "OutDstUnreachNoRoute"}, {name: "OutDstUnreachAdmin"}, {name: "OutDstUnreachBeyondScope"},
	{name: "OutDstUnreachAddr"}, {name: "OutDstUnreachNoPort"}, {name: "OutPktTooBig"},
	{name: "OutTimeExceedTransit"}, {name: "OutTimeExceedReassembly"}, {name: "OutParamProbHeader"},
	{name: "OutParamProbNextHeader"}, {name: "OutParamProbOption"}, {name: "OutRedirect"}, {name: "OutUnknown"},
	{name: "PmtuChg"}, {name: "NdBadOpt"}, {name: "BadNs"}, {name: "BadNa"}, {name: "BadRs"}, {name: "BadRa"},
	{name: "BadRedirect"},
	{name: "OverflowDefRtr", in: freeBSD}, {name: "OverflowPrfx", in: freeBSD}, {name: "OverflowNndp", in: freeBSD},
	{name: "OverflowRedirect", in: freeBSD}, {name: "InvalidHopLimit", in: freeBSD}, {n: 32, in: freeBSD},
	{name: "Rfc6980Drop", in: macOS}, {name: "BadPktTooBig", in: macOS},
}
