package main

import (
	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
	"github.com/portwatch/portwatch/process"
)

// ownerContainers finds the container of every owner of socks: the
// runtime and id from the process's cgroup, the name (and pod) from the
// runtime's records on disk. It returns the lookup renderers take and
// whether any owner is in a container. Processes that exited or whose
// cgroup cannot be read are in none.
func ownerContainers(socks []collector.Socket) (func(pid int) (containers.Info, bool), bool) {
	r := process.NewReader("")
	namer := containers.NewNamer("")
	found := map[int]containers.Info{}
	seen := map[int]bool{}
	for i := range socks {
		for _, o := range socks[i].Owners {
			if seen[o.PID] {
				continue
			}
			seen[o.PID] = true
			c, err := r.ContainerOf(o.PID)
			if err != nil || c.Runtime == "" {
				continue
			}
			info, ok := namer.Lookup(c.Runtime, c.ID)
			if !ok {
				info = containers.Info{Runtime: c.Runtime, ID: c.ID}
			}
			found[o.PID] = info
		}
	}
	return func(pid int) (containers.Info, bool) {
		info, ok := found[pid]
		return info, ok
	}, len(found) > 0
}

// keepContainer keeps the sockets of which an owner runs in the container
// q names (its name, pod name or an id prefix).
func keepContainer(socks []collector.Socket, q string, lookup func(int) (containers.Info, bool)) []collector.Socket {
	out := socks[:0]
	for _, s := range socks {
		for _, o := range s.Owners {
			if info, ok := lookup(o.PID); ok && info.Matches(q) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
