//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
)

// LoadCount is what the kernel's /proc/net tables say about the bench's
// sockets: TCP sockets with a bench listener port at either end, UDP
// sockets bound to a bench UDP port.
type LoadCount struct {
	ServerEstablished int `json:"server_established"` // ESTABLISHED, local port is a listener port
	ClientEstablished int `json:"client_established"` // ESTABLISHED, remote port is a listener port
	Listening         int `json:"listening"`          // LISTEN on a listener port
	OtherTCP          int `json:"other_tcp"`          // any other TCP state on those ports
	UDPConnected      int `json:"udp_connected"`      // UDP, connected
	UDPUnconnected    int `json:"udp_unconnected"`    // UDP, bound only
}

// Sockets is the number of sockets counted.
func (c LoadCount) Sockets() int {
	return c.ServerEstablished + c.ClientEstablished + c.Listening + c.OtherTCP + c.UDPConnected + c.UDPUnconnected
}

// String is a one-line summary.
func (c LoadCount) String() string {
	s := fmt.Sprintf("%d ESTABLISHED (%d server side, %d client side), %d LISTEN, %d UDP (%d connected)",
		c.ServerEstablished+c.ClientEstablished, c.ServerEstablished, c.ClientEstablished,
		c.Listening, c.UDPConnected+c.UDPUnconnected, c.UDPConnected)
	if c.OtherTCP > 0 {
		s += fmt.Sprintf(", %d TCP in other states", c.OtherTCP)
	}
	return s
}

// Kernel state numbers as /proc/net prints them (include/net/tcp_states.h).
const (
	stEstablished = 0x01
	stTimeWait    = 0x06
	stClose       = 0x07 // UDP: bound, not connected
	stListen      = 0x0A
)

// countLoad counts the sockets on the given ports in /proc/net/tcp and
// /proc/net/udp (the bench uses IPv4 loopback only).
func countLoad(tcpPorts, udpPorts []int) (LoadCount, error) {
	var c LoadCount
	tp := portSet(tcpPorts)
	err := scanProcNet("/proc/net/tcp", func(lport, rport, st int) {
		switch {
		case st == stTimeWait:
			// Never the bench's own (it closes with RST): another
			// program's leftover on a port number the kernel gave out
			// again.
		case tp[lport] && st == stListen:
			c.Listening++
		case tp[lport] && st == stEstablished:
			c.ServerEstablished++
		case tp[rport] && st == stEstablished:
			c.ClientEstablished++
		case tp[lport] || tp[rport]:
			c.OtherTCP++
		}
	})
	if err != nil {
		return c, err
	}
	up := portSet(udpPorts)
	err = scanProcNet("/proc/net/udp", func(lport, rport, st int) {
		switch {
		case !up[lport]:
		case st == stEstablished:
			c.UDPConnected++
		default:
			c.UDPUnconnected++
		}
	})
	return c, err
}

// countHost counts every TCP and UDP socket of the host (both families).
func countHost() (int, error) {
	n := 0
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		err := scanProcNet("/proc/net/"+f, func(int, int, int) { n++ })
		if err != nil && !os.IsNotExist(err) {
			return n, err
		}
	}
	return n, nil
}

func portSet(ports []int) map[int]bool {
	m := make(map[int]bool, len(ports))
	for _, p := range ports {
		m[p] = true
	}
	return m
}

// scanProcNet calls fn with the local port, remote port and state of every
// row of a /proc/net/{tcp,udp} file.
func scanProcNet(path string, fn func(lport, rport, st int)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return parseProcNet(f, fn)
}

// parseProcNet reads rows like
// "  0: 0100007F:8AE4 0100007F:1F90 01 ..." after one header line.
func parseProcNet(r io.Reader, fn func(lport, rport, st int)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		f := bytes.Fields(sc.Bytes())
		if len(f) < 4 {
			continue
		}
		lport, ok1 := hexPort(f[1])
		rport, ok2 := hexPort(f[2])
		st, err := strconv.ParseUint(string(f[3]), 16, 8)
		if !ok1 || !ok2 || err != nil {
			return fmt.Errorf("unexpected line in /proc/net: %q", sc.Text())
		}
		fn(lport, rport, int(st))
	}
	return sc.Err()
}

// hexPort returns the port of "0100007F:8AE4".
func hexPort(b []byte) (int, bool) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 {
		return 0, false
	}
	p, err := strconv.ParseUint(string(b[i+1:]), 16, 16)
	return int(p), err == nil
}
