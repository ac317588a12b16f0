package collector

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strconv"
)

// Netns is a network namespace: each has its own sockets, addresses and
// loopback. The socket tables of netstat, ss and /proc/net are those of
// the caller's namespace only.
type Netns struct {
	// Inode is the namespace's inode on nsfs: its identity on the host,
	// what /proc/<pid>/ns/net links to ("net:[4026531840]").
	Inode uint64
	// Name is the namespace's name under /run/netns (ip netns add), ""
	// when it has none.
	Name string
	// Path is the file the namespace is entered through: /run/netns/NAME,
	// /proc/<pid>/ns/net or a path the user gave.
	Path string
	// PID is a process inside the namespace whose /proc/<pid>/net tables
	// are read when the namespace cannot be entered; 0 when none is known.
	PID int
	// Current marks the caller's own namespace, read without entering it.
	Current bool
}

// Label is how the namespace is shown: its name, else "netns:[INODE]".
func (n *Netns) Label() string {
	if n.Name != "" {
		return n.Name
	}
	return NetnsLabel(n.Inode)
}

// describe names the namespace in messages: its label and the file it is
// entered through.
func (n *Netns) describe() string {
	if n.Path == "" {
		return n.Label()
	}
	return n.Label() + " (" + n.Path + ")"
}

// NetnsLabel is the label of a namespace known only by its inode.
func NetnsLabel(inode uint64) string {
	return "net:[" + strconv.FormatUint(inode, 10) + "]"
}

// parseNetnsLink reads the target of a /proc/<pid>/ns/net link,
// "net:[4026531840]", and returns the namespace's inode.
func parseNetnsLink(target []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(target, []byte("net:["))
	if !ok || len(rest) < 2 || rest[len(rest)-1] != ']' {
		return 0, false
	}
	ino, err := strconv.ParseUint(string(rest[:len(rest)-1]), 10, 64)
	if err != nil || ino == 0 {
		return 0, false
	}
	return ino, true
}

// mergeNetns adds n to list unless a namespace with its inode is there
// already; a later sighting fills in what the first lacked (a name, a
// process to read through).
func mergeNetns(list []Netns, n Netns) []Netns {
	for i := range list {
		if list[i].Inode != n.Inode {
			continue
		}
		m := &list[i]
		if m.Name == "" && n.Name != "" {
			m.Name, m.Path = n.Name, n.Path
		}
		if m.PID == 0 {
			m.PID = n.PID
		}
		m.Current = m.Current || n.Current
		return list
	}
	return append(list, n)
}

// sortNetns orders namespaces: the caller's first, then named ones by
// name, then the rest by inode.
func sortNetns(list []Netns) {
	slices.SortFunc(list, func(a, b Netns) int {
		switch {
		case a.Current != b.Current:
			if a.Current {
				return -1
			}
			return 1
		case (a.Name != "") != (b.Name != ""):
			if a.Name != "" {
				return -1
			}
			return 1
		case a.Name != b.Name:
			if a.Name < b.Name {
				return -1
			}
			return 1
		case a.Inode < b.Inode:
			return -1
		case a.Inode > b.Inode:
			return 1
		}
		return 0
	})
}

// validNetnsName reports whether name can be a /run/netns entry: what
// ip netns accepts, no path separator and not "." or "..".
func validNetnsName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return false
		}
	}
	return true
}

// hiddenNetnsWarning says that the namespaces of n processes could not be
// seen.
func hiddenNetnsWarning(n int, root bool) string {
	what := fmt.Sprintf("the network namespaces of %d processes are", n)
	if n == 1 {
		what = "the network namespace of 1 process is"
	}
	if root {
		return what + " hidden even from root (a non-dumpable process or a security policy); their sockets may be missing"
	}
	return what + " hidden from this user (/proc/<pid>/ns/net is readable by root and the process's owner only); " +
		"their sockets may be missing: run as root to see every namespace"
}

// errNoNetnsHere: network namespaces are a Linux feature.
func errNoNetnsHere() error {
	return fmt.Errorf("network namespaces are a Linux feature; %s has one socket table", runtime.GOOS)
}

// BadNetnsError is a namespace value (--netns) that names no namespace.
type BadNetnsError struct {
	Spec string // the value as given
	Why  string // what is wrong with it
}

// NetnsAccepted lists what a namespace value may be, for messages.
const NetnsAccepted = "all, a name under /run/netns, a path to a namespace file, a PID"

func (e *BadNetnsError) Error() string {
	return fmt.Sprintf("netns %q: %s (accepted: %s)", e.Spec, e.Why, NetnsAccepted)
}

// errNetnsSpec is a namespace value that names no namespace.
func errNetnsSpec(spec, why string) error { return &BadNetnsError{Spec: spec, Why: why} }
