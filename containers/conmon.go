package containers

import (
	"fmt"
	"strings"
)

// Conmon is the name of the monitor podman and CRI-O start beside each
// container, the parent of the container's first process.
const Conmon = "conmon"

// ParseConmonArgs reads the container a conmon process monitors from its
// command line (args without the program's own name): the id after -c or
// --cid, and the name after -n or --name (podman gives it; CRI-O gives
// the CRI's k8s_... name). Both "-c ID" and "--cid=ID" spellings are
// read. A command line without a 64-hex-digit id is an error.
func ParseConmonArgs(args []string) (Info, error) {
	var info Info
	for i := 0; i < len(args); i++ {
		flag, value, hasValue := strings.Cut(args[i], "=")
		var dst *string
		switch flag {
		case "-c", "--cid":
			dst = &info.ID
		case "-n", "--name":
			dst = &info.Name
		default:
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return Info{}, fmt.Errorf("conmon arguments: %s has no value", flag)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	if !isID(info.ID) {
		return Info{}, fmt.Errorf("conmon arguments: container id %q is not 64 hex digits", info.ID)
	}
	info.Runtime = "podman"
	return info, nil
}

// HasStorage reports whether containers/storage keeps any container on
// this machine (root's or a user's): only then can a process be in a
// podman or CRI-O container that its cgroup does not show.
func (n *Namer) HasStorage() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lookupStorage("")
	return len(n.storage) > 0
}
