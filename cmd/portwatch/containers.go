package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
	"github.com/portwatch/portwatch/process"
)

// ownerContainers finds the container of every owner of socks: the
// runtime and id from the process's cgroup, the name (and pod) from the
// runtime's records on disk. It returns the lookup renderers take and
// whether any owner is in a container. Processes that exited or whose
// cgroup cannot be read are in none.
//
// A process whose cgroup names no container (rootless podman without
// cgroups of its own) is in the container of the conmon process above it,
// looked for only where containers/storage keeps containers.
func ownerContainers(socks []collector.Socket, namer *containers.Namer) (func(pid int) (containers.Info, bool), bool) {
	r := process.NewReader("")
	found := map[int]containers.Info{}
	seen := map[int]bool{}
	var monitors *conmonFinder
	for i := range socks {
		for _, o := range socks[i].Owners {
			if seen[o.PID] {
				continue
			}
			seen[o.PID] = true
			c, err := r.ContainerOf(o.PID)
			if err != nil {
				continue
			}
			if c.Runtime == "" {
				if monitors == nil {
					monitors = &conmonFinder{r: r, on: namer.HasStorage(), byPID: map[int]containers.Info{}}
				}
				if info, ok := monitors.containerOf(o.PID); ok {
					found[o.PID] = completeInfo(namer, info)
				}
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

// conmonFinder finds the container of a process from the conmon process
// among its parents, reading each conmon's command line once.
type conmonFinder struct {
	r     *process.Reader
	on    bool                    // containers/storage has containers: look
	byPID map[int]containers.Info // conmon's container by conmon's PID; zero: none
}

// containerOf returns the container whose conmon is the nearest conmon
// above pid.
func (f *conmonFinder) containerOf(pid int) (containers.Info, bool) {
	if !f.on {
		return containers.Info{}, false
	}
	parents, err := f.r.Parents(pid)
	if err != nil {
		return containers.Info{}, false
	}
	for _, p := range parents {
		if p.Name != containers.Conmon {
			continue
		}
		info, seen := f.byPID[p.PID]
		if !seen {
			if full, err := f.r.Lookup(p.PID); err == nil && len(full.Cmdline) > 1 && !full.CmdlineTruncated {
				info, _ = containers.ParseConmonArgs(full.Cmdline[1:])
			}
			f.byPID[p.PID] = info
		}
		return info, info.ID != ""
	}
	return containers.Info{}, false
}

// completeInfo is the records' answer for the container conmon names,
// else what conmon's command line says.
func completeInfo(namer *containers.Namer, info containers.Info) containers.Info {
	if rec, ok := namer.Lookup("podman", info.ID); ok {
		return rec
	}
	return info
}

// keepContainer keeps the sockets of which an owner runs in the container
// q names (its name, pod name or an id prefix).
func keepContainer(socks []collector.Socket, q string, lookup func(int) (containers.Info, bool)) []collector.Socket {
	out := socks[:0]
	for i := range socks {
		if heldInContainer(&socks[i], q, lookup) {
			out = append(out, socks[i])
		}
	}
	return out
}

// heldInContainer reports whether an owner of s runs in the container q
// names.
func heldInContainer(s *collector.Socket, q string, lookup func(int) (containers.Info, bool)) bool {
	for _, o := range s.Owners {
		if info, ok := lookup(o.PID); ok && info.Matches(q) {
			return true
		}
	}
	return false
}

// keepContainerOrForward keeps, of socks, those keepContainer keeps, those
// in the container's namespace where the records give it (boxes), and the
// host listeners forward says are published to the container q names.
func keepContainerOrForward(socks []collector.Socket, q string, lookup func(int) (containers.Info, bool),
	forward func(*collector.Socket) (containers.Forward, bool), boxes []containers.Sandbox) []collector.Socket {
	own := map[uint64]bool{}
	for _, b := range boxes {
		if b.NetnsInode != 0 && b.Container.Matches(q) {
			own[b.NetnsInode] = true
		}
	}
	out := socks[:0]
	for i := range socks {
		published := false
		if forward != nil {
			f, ok := forward(&socks[i])
			published = ok && f.Container.Matches(q)
		}
		if published || own[socks[i].Netns] || heldInContainer(&socks[i], q, lookup) {
			out = append(out, socks[i])
		}
	}
	return out
}

// publishedPorts finds the ports docker and podman publish for their
// containers and returns the lookup renderers take, which gives a
// listener of the host's namespace (home, or 0 for the caller's: that of
// sockets read without namespaces) the container port it forwards to, and
// whether any of socks is one.
//
// A listener held by docker's userland proxy is known from the proxy's
// own command line first, completed from the
// records where they name its container; then come the records' ports.
func publishedPorts(socks []collector.Socket, home uint64, namer *containers.Namer) (func(*collector.Socket) (containers.Forward, bool), bool) {
	fws := append(proxyForwards(socks, namer), namer.Forwards()...)
	if len(fws) == 0 {
		return nil, false
	}
	if home == 0 {
		if own, err := collector.ResolveNetns(strconv.Itoa(os.Getpid()), "", ""); err == nil {
			home = own.Inode
		}
	}
	lookup := func(s *collector.Socket) (containers.Forward, bool) {
		if !s.Listening() || (s.Netns != 0 && s.Netns != home) {
			return containers.Forward{}, false
		}
		for _, f := range fws {
			if f.Matches(s.Proto.String(), s.Local) {
				return f, true
			}
		}
		return containers.Forward{}, false
	}
	for i := range socks {
		if _, ok := lookup(&socks[i]); ok {
			return lookup, true
		}
	}
	return lookup, false
}

// proxyForwards reads the forwards of every docker-proxy and pasta
// process that holds a listener of socks from its command line. A process
// whose command line cannot be read or does not parse is skipped.
func proxyForwards(socks []collector.Socket, namer *containers.Namer) []containers.Forward {
	var out []containers.Forward
	var r *process.Reader
	seen := map[int]bool{}
	for i := range socks {
		if !socks[i].Listening() {
			continue
		}
		for _, o := range socks[i].Owners {
			proxy, pasta := o.Process == containers.DockerProxy, containers.PastaComm(o.Process)
			if !proxy && !pasta || seen[o.PID] {
				continue
			}
			seen[o.PID] = true
			if r == nil {
				r = process.NewReader("")
			}
			info, err := r.Lookup(o.PID)
			if err != nil || len(info.Cmdline) < 2 || info.CmdlineTruncated {
				continue
			}
			switch {
			case proxy:
				if f, err := containers.ParseDockerProxyArgs(info.Cmdline[1:]); err == nil {
					out = append(out, namer.CompleteProxy(f))
				}
			case containers.PastaProcess(o.Process, info.Cmdline[0]):
				fws, err := containers.ParsePastaArgs(info.Cmdline[1:])
				if err != nil {
					continue
				}
				for _, f := range fws {
					out = append(out, namer.CompletePasta(f, o.PID))
				}
			}
		}
	}
	return out
}

// homeNetns is the inode of the caller's namespace among those snap read,
// 0 when it read none.
func homeNetns(snap *collector.Snapshot) uint64 {
	for _, n := range snap.Namespaces {
		if n.Current {
			return n.Inode
		}
	}
	return 0
}

// addForwardTargets adds to snap, for each of its listeners that is a
// published port, the other end: the sockets on the container port inside
// the container's namespace, so that who shows both. A namespace that
// cannot be read is a warning.
func addForwardTargets(ctx context.Context, snap *collector.Snapshot, forward func(*collector.Socket) (containers.Forward, bool)) {
	seen := map[containers.Forward]bool{}
	n := len(snap.Sockets)
	if len(snap.Namespaces) == 0 {
		// The host's sockets were read without namespaces: mark them
		// with the caller's, so that both ends say where they are.
		if home, err := collector.ResolveNetns(strconv.Itoa(os.Getpid()), "", ""); err == nil {
			for i := range snap.Sockets {
				snap.Sockets[i].Netns = home.Inode
			}
			snap.Namespaces = append(snap.Namespaces, home)
		}
	}
	for i := 0; i < n; i++ {
		f, ok := forward(&snap.Sockets[i])
		if !ok || f.Netns == "" || seen[f] {
			continue
		}
		seen[f] = true
		p, _ := collector.ParseProto(f.Proto)
		ns := collector.Netns{Inode: f.NetnsInode, Path: f.Netns}
		if name, ok := strings.CutPrefix(f.Netns, collector.RunNetnsDir+"/"); ok {
			ns.Name = name
		}
		c, err := collector.New(collector.Options{Owners: true, Protos: []collector.Proto{p}, Namespaces: []collector.Netns{ns},
			Filter: collector.Filter{States: collector.AllStates, Port: f.ContainerPort}})
		if err != nil {
			continue
		}
		inner, err := c.Collect(ctx)
		if err != nil {
			snap.Warnings = append(snap.Warnings, fmt.Sprintf("the container %s that port %d forwards to: %v", f.Container.Label(), f.HostPort, err))
			continue
		}
		snap.Sockets = append(snap.Sockets, inner.Sockets...)
		snap.Namespaces = append(snap.Namespaces, inner.Namespaces...)
		snap.Warnings = append(snap.Warnings, inner.Warnings...)
	}
}
