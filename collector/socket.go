// Package collector reads the operating system's socket table and the
// processes that own each socket, and returns them as one OS-neutral
// Snapshot. Each operating system has a thin file that does the syscalls or
// file reads; every parser of kernel bytes lives in an untagged file so it is
// tested on any machine.
package collector

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Proto is a transport protocol.
type Proto uint8

// Transport protocols portwatch collects.
const (
	ProtoTCP Proto = iota + 1
	ProtoUDP
)

// String returns "tcp" or "udp".
func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// ParseProto parses "tcp" or "udp" (any case).
func ParseProto(s string) (Proto, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return ProtoTCP, nil
	case "udp":
		return ProtoUDP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q (accepted: tcp, udp)", s)
}

// Family is an address family.
type Family uint8

// Address families.
const (
	FamilyIPv4 Family = iota + 1
	FamilyIPv6
)

// String returns "ipv4" or "ipv6".
func (f Family) String() string {
	switch f {
	case FamilyIPv4:
		return "ipv4"
	case FamilyIPv6:
		return "ipv6"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

// ParseFamily parses "ipv4" or "ipv6".
func ParseFamily(s string) (Family, error) {
	switch strings.ToLower(s) {
	case "ipv4":
		return FamilyIPv4, nil
	case "ipv6":
		return FamilyIPv6, nil
	}
	return 0, fmt.Errorf("unknown family %q (accepted: ipv4, ipv6)", s)
}

// State is a socket state, numbered like Linux include/net/tcp_states.h.
// Other operating systems translate their states into these values. A UDP
// socket is StateClose when bound but not connected (shown as UNCONN) and
// StateEstablished when connected.
type State uint8

// Socket states, with the kernel's numbering.
const (
	StateUnknown     State = 0
	StateEstablished State = 1
	StateSynSent     State = 2
	StateSynRecv     State = 3
	StateFinWait1    State = 4
	StateFinWait2    State = 5
	StateTimeWait    State = 6
	StateClose       State = 7
	StateCloseWait   State = 8
	StateLastAck     State = 9
	StateListen      State = 10
	StateClosing     State = 11
	StateNewSynRecv  State = 12
	// StateBoundInactive is a TCP socket that is bound but neither listening
	// nor connected. Linux dumps it only when asked for this state and then
	// reports it as CLOSE; collectors translate that back.
	StateBoundInactive State = 13
	stateCount               = 14
)

var stateNames = [stateCount]string{
	StateUnknown:       "UNKNOWN",
	StateEstablished:   "ESTABLISHED",
	StateSynSent:       "SYN_SENT",
	StateSynRecv:       "SYN_RECV",
	StateFinWait1:      "FIN_WAIT1",
	StateFinWait2:      "FIN_WAIT2",
	StateTimeWait:      "TIME_WAIT",
	StateClose:         "CLOSE",
	StateCloseWait:     "CLOSE_WAIT",
	StateLastAck:       "LAST_ACK",
	StateListen:        "LISTEN",
	StateClosing:       "CLOSING",
	StateNewSynRecv:    "SYN_RECV",
	StateBoundInactive: "BOUND_INACTIVE",
}

// String returns the state's name as netstat prints it for TCP.
// Use Socket.StateName for the protocol-aware name (UDP's UNCONN).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("STATE(%d)", uint8(s))
}

// StateName returns the name netstat and ss print for a socket of proto in
// state s: UDP's unconnected state is UNCONN.
func StateName(proto Proto, s State) string {
	if proto == ProtoUDP && s == StateClose {
		return "UNCONN"
	}
	return s.String()
}

// StateSet is a set of states, one bit per State; the zero value means
// AllStates.
type StateSet uint32

// AllStates holds every state a socket table lists. TCP sockets that are
// bound but neither listening nor connected (StateBoundInactive) are not in
// it: /proc/net and ss leave them out too; ask for them by name.
const AllStates StateSet = (1<<stateCount - 1) &^ (1 << StateBoundInactive)

// With returns the set with s added.
func (set StateSet) With(s State) StateSet { return set | 1<<s }

// Has reports whether s is in the set; the empty set is AllStates.
func (set StateSet) Has(s State) bool {
	if set == 0 {
		set = AllStates
	}
	return set&(1<<s) != 0
}

// stateGroup is the states a name accepted by ParseStates means. Names
// follow netstat (FIN_WAIT1) and ss (fin-wait-1, listening, connected). A
// switch, not a map: a package-level map is built in every run.
func stateGroup(name string) (StateSet, bool) {
	switch name {
	case "established":
		return 1 << StateEstablished, true
	case "syn-sent":
		return 1 << StateSynSent, true
	case "syn-recv":
		return 1<<StateSynRecv | 1<<StateNewSynRecv, true
	case "fin-wait-1":
		return 1 << StateFinWait1, true
	case "fin-wait-2":
		return 1 << StateFinWait2, true
	case "time-wait":
		return 1 << StateTimeWait, true
	case "close":
		return 1 << StateClose, true
	case "bound-inactive":
		return 1 << StateBoundInactive, true
	case "unconn":
		return 1 << StateClose, true
	case "close-wait":
		return 1 << StateCloseWait, true
	case "last-ack":
		return 1 << StateLastAck, true
	case "listen":
		return 1 << StateListen, true
	case "closing":
		return 1 << StateClosing, true
	case "all":
		return AllStates, true
	case "listening":
		return 1<<StateListen | 1<<StateClose, true
	case "connected":
		return AllStates &^ (1<<StateListen | 1<<StateClose | 1<<StateTimeWait | 1<<StateUnknown), true
	case "synchronized":
		return AllStates &^ (1<<StateListen | 1<<StateClose | 1<<StateTimeWait | 1<<StateSynSent | 1<<StateSynRecv | 1<<StateNewSynRecv | 1<<StateUnknown), true
	case "bucket":
		return 1<<StateSynRecv | 1<<StateNewSynRecv | 1<<StateTimeWait, true
	case "big":
		return AllStates &^ (1<<StateSynRecv | 1<<StateNewSynRecv | 1<<StateTimeWait | 1<<StateUnknown), true
	}
	return 0, false
}

// StateNamesAccepted lists the names ParseStates accepts, for error messages.
const StateNamesAccepted = "established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, " +
	"time-wait, close, unconn, close-wait, last-ack, listen, closing, bound-inactive, " +
	"listening, connected, synchronized, bucket, big, all"

// ParseStates parses a comma-separated list of state names. Names are case
// insensitive and may use netstat's spelling (TIME_WAIT, FIN_WAIT1) or ss's
// (time-wait, fin-wait-1); ss's groups (listening, connected, synchronized,
// bucket, big, all) are accepted too.
func ParseStates(list string) (StateSet, error) {
	var set StateSet
	for _, raw := range strings.Split(list, ",") {
		name := normalizeStateName(raw)
		if name == "" {
			continue
		}
		g, ok := stateGroup(name)
		if !ok {
			return 0, fmt.Errorf("unknown state %q (accepted: %s)", strings.TrimSpace(raw), StateNamesAccepted)
		}
		set |= g
	}
	if set == 0 {
		return 0, fmt.Errorf("empty state list %q (accepted: %s)", list, StateNamesAccepted)
	}
	return set, nil
}

func normalizeStateName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "_", "-")
	switch s {
	case "fin-wait1":
		return "fin-wait-1"
	case "fin-wait2":
		return "fin-wait-2"
	case "syn-received":
		return "syn-recv"
	case "closed":
		return "close"
	}
	return s
}

// OwnerUnknown says why a socket has no owners. It is a byte, not its
// name, so that a Socket stays small (a host may have a million); String
// gives the name JSON and tables show.
type OwnerUnknown uint8

// Reasons a socket's owners are unknown.
const (
	OwnerKnown OwnerUnknown = iota
	// OwnerPermission: the socket's process may exist but this user may not
	// look into it (run as root to see it).
	OwnerPermission
	// OwnerExited: the process that held the socket exited during the walk.
	OwnerExited
	// OwnerKernel: no process holds the socket (TIME_WAIT, orphans,
	// half-open connections in a listener's queue).
	OwnerKernel
	// OwnerOtherNetns: the socket belongs to another network namespace.
	OwnerOtherNetns
	// OwnerUnsupported: this platform or source cannot report owners.
	OwnerUnsupported
)

// String returns the reason's name: "" for OwnerKnown, "permission",
// "exited", "kernel", "other-netns", "unsupported".
func (u OwnerUnknown) String() string {
	switch u {
	case OwnerKnown:
		return ""
	case OwnerPermission:
		return "permission"
	case OwnerExited:
		return "exited"
	case OwnerKernel:
		return "kernel"
	case OwnerOtherNetns:
		return "other-netns"
	case OwnerUnsupported:
		return "unsupported"
	}
	return "unknown-" + strconv.Itoa(int(u))
}

// ParseOwnerUnknown returns the reason named name (as String gives it),
// and false for a name that is none.
func ParseOwnerUnknown(name string) (OwnerUnknown, bool) {
	for u := OwnerKnown; u <= OwnerUnsupported; u++ {
		if u.String() == name {
			return u, true
		}
	}
	return 0, false
}

// Owner is one process holding a socket.
type Owner struct {
	PID     int    // process id
	Process string // short process name (Linux comm), raw bytes from the system
	FD      int    // file descriptor number in that process, -1 when unknown
}

// Socket is one TCP or UDP socket, the same record on every OS. Its
// fields are ordered to leave no padding between the small ones: a host
// may hold a million sockets, and each byte here is a megabyte there.
type Socket struct {
	Proto  Proto
	Family Family
	State  State
	// OwnerUnknown says why Owners is empty when owners were asked for.
	OwnerUnknown OwnerUnknown
	RecvQ        uint32 // receive queue bytes (LISTEN: current accept backlog)
	SendQ        uint32 // send queue bytes (LISTEN: maximum backlog)
	// Local and Remote are the socket's addresses. IPv4-mapped IPv6
	// addresses are kept as the kernel reports them; renderers unmap them.
	Local  netip.AddrPort
	Remote netip.AddrPort
	UID    int    // owning user id, -1 when unknown
	Inode  uint64 // Linux socket inode; 0 when the socket has none (TIME_WAIT)
	// Cookie is the kernel's identity of the socket (sock_diag's
	// idiag_cookie), filled only when asked for (Options.Cookies, Linux
	// netlink): Destroy needs it to end exactly this socket.
	Cookie uint64
	// Netns is the inode of the socket's network namespace when the
	// collection read namespaces (Options.Namespaces), 0 otherwise.
	// (Netns, Inode) identifies a socket on the host.
	Netns uint64
	// Owners are the processes holding the socket, lowest PID first. Filled
	// only when owners were asked for.
	Owners []Owner
	// Internals are the kernel's counters of the socket, when they were
	// asked for (Options.Info) and the source has them (Linux netlink,
	// macOS, FreeBSD); nil otherwise.
	Internals *Internals
}

// StateName returns the socket's state as netstat and ss print it.
func (s *Socket) StateName() string { return StateName(s.Proto, s.State) }

// Listening reports whether the socket waits for peers: TCP LISTEN or an
// unconnected UDP socket.
func (s *Socket) Listening() bool {
	return s.State == StateListen || (s.Proto == ProtoUDP && s.State == StateClose)
}

// Source names what produced a snapshot.
type Source string

// Sources of snapshots.
const (
	SourceAuto     Source = ""
	SourceNetlink  Source = "netlink"
	SourceProcfs   Source = "procfs"
	SourceIPHelper Source = "iphlpapi"
	SourceSysctl   Source = "sysctl"
	SourceReplay   Source = "replay"
)

// Snapshot is the socket table at one moment.
type Snapshot struct {
	Time    time.Time
	Host    string
	Source  Source
	Sockets []Socket
	// Warnings are partial failures: a line that did not parse, a table that
	// could not be read while others could. A warning is not an error.
	Warnings []string
	// Incomplete says some warning lost something: sockets, or owners
	// that could have been read. A warning that only says how the table
	// was read (sock_diag unavailable, /proc/net read instead) does not
	// set it.
	Incomplete bool
	// Namespaces are the network namespaces read when Options.Namespaces
	// was set, in its order, without those that could not be read; empty
	// otherwise.
	Namespaces []Netns
}

// NetnsName is the name of the namespace with inode ino among those of the
// snapshot, "" when it has none.
func (s *Snapshot) NetnsName(ino uint64) string {
	for i := range s.Namespaces {
		if s.Namespaces[i].Inode == ino {
			return s.Namespaces[i].Name
		}
	}
	return ""
}
