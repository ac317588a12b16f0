//go:build linux

package main

import "fmt"

// loadOptions are the knobs that shape the socket load of one size.
type loadOptions struct {
	Listeners int // listening TCP sockets (raised to one per connection port)
	UDP       int // bound UDP sockets
	PerPort   int // most established connections to one listener port
	MaxFDs    int // most sockets one helper process holds
}

// loadPlan says which helper process holds which sockets. Listener i
// carries PortConns[i] connections; the busiest listeners come first and
// listener 0 is the one the single-port scenario asks about.
type loadPlan struct {
	Size         int   // requested total number of sockets
	Pairs        int   // established TCP connections (2 sockets each)
	Listeners    int   // listening TCP sockets
	UDP          int   // bound UDP sockets
	UDPConnected int   // of which connected
	PortConns    []int // per listener: connections it accepts
	Servers      []serverPlan
	Clients      []clientPlan
}

// serverPlan is one accepting helper: its listeners (indexes into
// PortConns) and, for the first one, the UDP sockets.
type serverPlan struct {
	Listeners    []int
	UDP          int
	UDPConnected int
}

// clientPlan is one dialing helper: how many connections it opens to
// which listener.
type clientPlan struct {
	Targets []clientTarget
}

// clientTarget is a number of connections to one listener (by index).
type clientTarget struct {
	Listener int
	Count    int
}

// Total is the number of sockets the plan creates.
func (p loadPlan) Total() int { return 2*p.Pairs + p.Listeners + p.UDP }

// ConnPorts is the number of listeners that carry connections.
func (p loadPlan) ConnPorts() int {
	n := 0
	for _, c := range p.PortConns {
		if c > 0 {
			n++
		}
	}
	return n
}

// planLoad spreads size sockets over helper processes: a few listeners and
// UDP sockets, the rest as established pairs. Each listener port carries at
// most PerPort connections (one destination can use only as many source
// ports as the ephemeral range has), and no helper holds more than MaxFDs
// sockets. Servers accept and hold, clients dial and hold, like a real
// server and its clients.
func planLoad(size int, o loadOptions) (loadPlan, error) {
	if o.Listeners < 1 || o.UDP < 0 || o.PerPort < 1 {
		return loadPlan{}, fmt.Errorf("need at least one listener and one connection per port (listeners %d, udp %d, per-port %d)", o.Listeners, o.UDP, o.PerPort)
	}
	if o.PerPort+1 > o.MaxFDs {
		return loadPlan{}, fmt.Errorf("-per-port %d does not fit in one helper's %d sockets", o.PerPort, o.MaxFDs)
	}
	listeners := o.Listeners
	var pairs, ports int
	for {
		pairs = (size - listeners - o.UDP) / 2
		if pairs < 1 {
			return loadPlan{}, fmt.Errorf("size %d is too small for %d listeners, %d UDP sockets and at least one pair", size, listeners, o.UDP)
		}
		ports = (pairs + o.PerPort - 1) / o.PerPort
		if ports <= listeners {
			break
		}
		listeners = ports
	}
	if listeners-ports+o.UDP+o.PerPort+1 > o.MaxFDs {
		return loadPlan{}, fmt.Errorf("%d idle listeners and %d UDP sockets do not fit in one helper's %d sockets", listeners-ports, o.UDP, o.MaxFDs)
	}
	p := loadPlan{
		Size: size, Pairs: pairs, Listeners: listeners,
		UDP: o.UDP, UDPConnected: o.UDP / 2,
		PortConns: make([]int, listeners),
	}
	for j := range ports {
		p.PortConns[j] = pairs / ports
		if j < pairs%ports {
			p.PortConns[j]++
		}
	}

	// Servers: the first one also holds the idle listeners and the UDP
	// sockets; then as many connection ports per server as fit.
	cur := serverPlan{UDP: p.UDP, UDPConnected: p.UDPConnected}
	fds := p.UDP
	for j := ports; j < listeners; j++ {
		cur.Listeners = append(cur.Listeners, j)
		fds++
	}
	busy := false
	for j := range ports {
		need := p.PortConns[j] + 1
		if busy && fds+need > o.MaxFDs {
			p.Servers = append(p.Servers, cur)
			cur, fds = serverPlan{}, 0
		}
		cur.Listeners = append(cur.Listeners, j)
		fds += need
		busy = true
	}
	p.Servers = append(p.Servers, cur)

	// Clients: fill each one up to MaxFDs, port after port.
	var cl clientPlan
	room := o.MaxFDs
	for j := range ports {
		left := p.PortConns[j]
		for left > 0 {
			if room == 0 {
				p.Clients = append(p.Clients, cl)
				cl, room = clientPlan{}, o.MaxFDs
			}
			n := min(left, room)
			cl.Targets = append(cl.Targets, clientTarget{Listener: j, Count: n})
			left -= n
			room -= n
		}
	}
	p.Clients = append(p.Clients, cl)
	return p, nil
}
