package render

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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

var sortKeys = map[string]sortKey{
	"":        sortDefault,
	"proto":   sortProto,
	"local":   sortLocal,
	"remote":  sortRemote,
	"state":   sortState,
	"service": sortService,
	"pid":     sortPID,
	"process": sortProcess,
	"user":    sortUser,
	"inode":   sortInode,
	"port":    sortPort,
	"rport":   sortRPort,
	"recv-q":  sortRecvQ,
	"send-q":  sortSendQ,
}

// sortVal is one socket's precomputed value of the sort key.
type sortVal struct {
	str     string
	num     uint64
	missing bool // no value (no owner, no service name, ...): sorts last
}

// Sort sorts socks in place, ascending by key, then by the default order:
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
// sockets into their places. It allocates a few times per call, never per
// socket: the keys, 24 to 48 bytes per socket for a usual host, and for the
// state, service and process keys up to 32 bytes per socket more.
func Sort(socks []collector.Socket, key string, svc ServiceNamer) error {
	k, ok := sortKeys[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return fmt.Errorf("unknown sort key %q (accepted: %s)", key, SortKeysAccepted)
	}
	if len(socks) < 2 {
		return nil
	}
	if k == sortProto {
		// proto, then family, is how the default order starts.
		k = sortDefault
	}
	if uint64(len(socks)) > math.MaxUint32 {
		sortCompare(socks, k, svc)
		return nil
	}
	sortPacked(socks, k, svc)
	return nil
}

// sortCompare is Sort by comparing sockets: the definition of the order,
// which sortPacked must reproduce. It allocates a copy of socks.
func sortCompare(socks []collector.Socket, k sortKey, svc ServiceNamer) {
	n := len(socks)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	var cmpKey func(a, b int) int
	switch k {
	case sortDefault:
		cmpKey = func(a, b int) int { return 0 }
	case sortLocal:
		cmpKey = func(a, b int) int { return socks[a].Local.Compare(socks[b].Local) }
	case sortRemote:
		cmpKey = func(a, b int) int { return socks[a].Remote.Compare(socks[b].Remote) }
	default:
		vals := make([]sortVal, n)
		for i := range socks {
			vals[i] = sortValue(&socks[i], k, svc)
		}
		cmpKey = func(a, b int) int {
			va, vb := &vals[a], &vals[b]
			if va.missing != vb.missing {
				if va.missing {
					return 1
				}
				return -1
			}
			if c := cmp.Compare(va.num, vb.num); c != 0 {
				return c
			}
			return strings.Compare(va.str, vb.str)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmpKey(a, b); c != 0 {
			return c
		}
		if c := compareDefault(&socks[a], &socks[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	sorted := make([]collector.Socket, n)
	for i, j := range idx {
		sorted[i] = socks[j]
	}
	copy(socks, sorted)
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

// compareDefault is the default order: proto, family, local address, local
// port, remote address, remote port, inode.
func compareDefault(a, b *collector.Socket) int {
	if c := cmp.Compare(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Family, b.Family); c != 0 {
		return c
	}
	if c := a.Local.Compare(b.Local); c != 0 {
		return c
	}
	if c := a.Remote.Compare(b.Remote); c != 0 {
		return c
	}
	return cmp.Compare(a.Inode, b.Inode)
}
