package collector

import (
	"bytes"
	"slices"
)

// socketLinkPrefix starts the target of a /proc/<pid>/fd link to a socket.
var socketLinkPrefix = []byte("socket:[")

// parseSocketLink returns the inode of a /proc/<pid>/fd link target of the
// form "socket:[12345]", and false for any other target.
func parseSocketLink(target []byte) (uint64, bool) {
	if !bytes.HasPrefix(target, socketLinkPrefix) || len(target) < len(socketLinkPrefix)+2 ||
		target[len(target)-1] != ']' {
		return 0, false
	}
	digits := target[len(socketLinkPrefix) : len(target)-1]
	var ino uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		next := ino*10 + uint64(c-'0')
		if next/10 != ino {
			return 0, false // overflow
		}
		ino = next
	}
	return ino, true
}

// ownerHit is one fd of one process that holds a wanted socket.
type ownerHit struct {
	sock   int32 // index into the socket slice
	pid    int32
	fd     int32
	cached bool // the link was taken from the owner cache, not read
}

// walkStats counts what the owner walk could not see.
type walkStats struct {
	denied int // processes whose fd table this user may not read
	exited int // processes that exited during the walk
}

// attachOwners fills Owners from hits (with names from comm) and gives every
// socket without an owner its reason.
func attachOwners(socks []Socket, hits []ownerHit, comm map[int]string, st walkStats, euid int) {
	slices.SortFunc(hits, func(a, b ownerHit) int {
		if a.sock != b.sock {
			return int(a.sock - b.sock)
		}
		if a.pid != b.pid {
			return int(a.pid - b.pid)
		}
		return int(a.fd - b.fd)
	})
	// One backing array for every socket's owners: one allocation, not one
	// per socket.
	all := make([]Owner, len(hits))
	for i, h := range hits {
		all[i] = Owner{PID: int(h.pid), Process: comm[int(h.pid)], FD: int(h.fd)}
	}
	for i := 0; i < len(hits); {
		j := i
		for j < len(hits) && hits[j].sock == hits[i].sock {
			j++
		}
		s := &socks[hits[i].sock]
		s.Owners = all[i:j:j]
		s.OwnerUnknown = OwnerKnown
		i = j
	}
	for i := range socks {
		s := &socks[i]
		if len(s.Owners) > 0 {
			continue
		}
		s.OwnerUnknown = unknownReason(s, st, euid)
	}
}

// unknownReason says why nobody was found holding s.
func unknownReason(s *Socket, st walkStats, euid int) OwnerUnknown {
	switch {
	case s.Inode == 0:
		// TIME_WAIT, request and orphaned sockets have no file.
		return OwnerKernel
	case st.denied > 0 || (euid != 0 && s.UID >= 0 && s.UID != euid):
		// Some fd tables could not be read: the holder may be among them.
		return OwnerPermission
	case st.exited > 0:
		return OwnerExited
	default:
		return OwnerKernel
	}
}

// CountOwnerUnknown counts the sockets of snap whose owners are unknown for
// the given reason.
func CountOwnerUnknown(snap *Snapshot, reason OwnerUnknown) int {
	n := 0
	for i := range snap.Sockets {
		if len(snap.Sockets[i].Owners) == 0 && snap.Sockets[i].OwnerUnknown == reason {
			n++
		}
	}
	return n
}
