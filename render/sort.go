package render

import (
	"fmt"
	"strings"

	"github.com/portwatch/portwatch/collector"
)

// SortKeysAccepted lists the keys Sort accepts, for help texts and error
// messages.
const SortKeysAccepted = "proto, local, remote, state, service, pid, process, user, inode, port, rport, recv-q, send-q"

type sortKey uint8

const (
	sortDefault sortKey = iota
	sortProto
	sortLocal
	sortRemote
	sortState
	sortService
	sortPID
	sortProcess
	sortUser
	sortInode
	sortPort
	sortRPort
	sortRecvQ
	sortSendQ
)

// sortKeyNamed is the sort key of a lower-case name. A switch, not a
// map: a package-level map is built in every run of the binary.
func sortKeyNamed(name string) (sortKey, bool) {
	switch name {
	case "":
		return sortDefault, true
	case "proto":
		return sortProto, true
	case "local":
		return sortLocal, true
	case "remote":
		return sortRemote, true
	case "state":
		return sortState, true
	case "service":
		return sortService, true
	case "pid":
		return sortPID, true
	case "process":
		return sortProcess, true
	case "user":
		return sortUser, true
	case "inode":
		return sortInode, true
	case "port":
		return sortPort, true
	case "rport":
		return sortRPort, true
	case "recv-q":
		return sortRecvQ, true
	case "send-q":
		return sortSendQ, true
	}
	return 0, false
}

// sortVal is one socket's precomputed value of the sort key.
type sortVal struct {
	str     string
	num     uint64
	missing bool // no value (no owner, no service name, ...): sorts last
}

// parseSortKey returns the sort key named key, case insensitive and
// without surrounding spaces, and whether there is one.
func parseSortKey(key string) (sortKey, bool) {
	k, ok := sortKeyNamed(strings.ToLower(strings.TrimSpace(key)))
	return k, ok
}

// Sort sorts socks in place, grouped by network namespace (by inode; all
// sockets are in namespace 0 unless namespaces were read), then ascending
// by key, then by the default order:
// proto, family, local address, local port, remote address, remote port,
// inode. Equal sockets keep their order (the sort is stable), so the result
// is deterministic. key "" is the default order alone; keys are case
// insensitive; an unknown key is an error naming it and SortKeysAccepted,
// and socks is left alone (Sort(nil, key, nil) validates a key).
//
// Keys: proto (tcp before udp, IPv4 before IPv6), local and remote (address
// then port), state (by the name shown, alphabetically), service (the
// Service column's name, using svc), pid and process (of the owner with the
// lowest PID), user (numeric uid), inode, port (local port), rport (remote
// port), recv-q, send-q. Sockets without a value (no owner, no service
// name, unknown uid, inode 0) sort last.
//
// Sort packs one fixed-size key per socket, sorts the keys and moves the
// sockets into their places (see sortkey.go). It allocates a few times per
// call, never per socket: the keys, 24 to 48 bytes per socket for a usual
// host, and for the state, service and process keys up to 32 bytes per
// socket more.
func Sort(socks []collector.Socket, key string, svc ServiceNamer) error {
	k, ok := parseSortKey(key)
	if !ok {
		return fmt.Errorf("unknown sort key %q (accepted: %s)", key, SortKeysAccepted)
	}
	sortPacked(socks, k, svc, nil)
	return nil
}

// sortIndex sorts idx as Sort sorts socks by key k, where idx[n] names
// socks[n] (a row of the caller's), and leaves socks alone.
func sortIndex(socks []collector.Socket, idx []int, k sortKey, svc ServiceNamer) {
	sortPacked(socks, k, svc, idx)
}

// sortValue computes socket s's value of key k.
func sortValue(s *collector.Socket, k sortKey, svc ServiceNamer) sortVal {
	switch k {
	case sortProto:
		return sortVal{num: uint64(s.Proto)<<8 | uint64(s.Family)}
	case sortState:
		return sortVal{str: s.StateName()}
	case sortService:
		n := serviceName(s, svc)
		return sortVal{str: n, missing: n == ""}
	case sortPID:
		if o := firstOwner(s); o != nil {
			return sortVal{num: uint64(o.PID)}
		}
		return sortVal{missing: true}
	case sortProcess:
		if o := firstOwner(s); o != nil {
			return sortVal{str: o.Process}
		}
		return sortVal{missing: true}
	case sortUser:
		return sortVal{num: uint64(s.UID), missing: s.UID < 0}
	case sortInode:
		return sortVal{num: s.Inode, missing: s.Inode == 0}
	case sortPort:
		return sortVal{num: uint64(s.Local.Port())}
	case sortRPort:
		return sortVal{num: uint64(s.Remote.Port())}
	case sortRecvQ:
		return sortVal{num: uint64(s.RecvQ)}
	case sortSendQ:
		return sortVal{num: uint64(s.SendQ)}
	}
	return sortVal{}
}
