//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// The bench binary re-executes itself as a helper process when roleEnv is
// set; specEnv carries the helper's job as JSON.
const (
	roleEnv = "PORTWATCH_BENCH_ROLE"
	specEnv = "PORTWATCH_BENCH_SPEC"
)

// Helper roles.
const (
	roleServer = "server"
	roleClient = "client"
)

// helperSpec is the job of one helper process.
type helperSpec struct {
	Accept       []int        `json:"accept,omitempty"`        // server: one listener per entry, with the connections to accept
	UDP          int          `json:"udp,omitempty"`           // server: bound UDP sockets
	UDPConnected int          `json:"udp_connected,omitempty"` // server: of which connected
	Dial         []dialTarget `json:"dial,omitempty"`          // client: where to connect
	Concurrency  int          `json:"concurrency,omitempty"`   // client: dials in flight
}

// dialTarget is a number of connections to one address.
type dialTarget struct {
	Addr  string `json:"addr"`
	Count int    `json:"count"`
}

// helperEvent is one line a helper writes on its stdout. Events are
// "listening" (a server's ports, before it accepts), "ready" (every socket
// of the helper is established) and "error".
type helperEvent struct {
	Event       string `json:"event"`
	TCP         []int  `json:"tcp,omitempty"`
	UDP         []int  `json:"udp,omitempty"`
	Established int    `json:"established,omitempty"`
	Error       string `json:"error,omitempty"`
}

// held keeps every socket of a helper reachable, so that no finalizer
// closes one.
var held struct {
	sync.Mutex
	tcp []net.Conn
	lns []net.Listener
	udp []*net.UDPConn
}

// helperMain is the body of a helper process: a server or client holding
// sockets, or the launcher of the timed commands. It exits when its stdin
// closes (the parent is done with it, or died); the kernel also kills it
// when the parent dies (Pdeathsig).
func helperMain(role string) int {
	if role == roleLauncher {
		return launcherMain()
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	enc := json.NewEncoder(os.Stdout)
	var mu sync.Mutex
	send := func(e helperEvent) {
		mu.Lock()
		defer mu.Unlock()
		enc.Encode(e)
	}
	var spec helperSpec
	err := json.Unmarshal([]byte(os.Getenv(specEnv)), &spec)
	if err == nil {
		switch role {
		case roleServer:
			err = serve(spec, send)
		case roleClient:
			err = dialAll(spec, send)
		case roleNetns:
			if err = holdNetnsSockets(); err == nil {
				send(helperEvent{Event: "ready", Established: len(held.tcp)})
			}
		default:
			err = fmt.Errorf("unknown helper role %q", role)
		}
	}
	if err != nil {
		send(helperEvent{Event: "error", Error: err.Error()})
		return 1
	}
	for {
		time.Sleep(time.Hour)
	}
}

// serve opens the listeners and UDP sockets, says on which ports, then
// accepts and holds the expected connections and says "ready".
func serve(spec helperSpec, send func(helperEvent)) error {
	lc := net.ListenConfig{KeepAlive: -1}
	ev := helperEvent{Event: "listening"}
	for range spec.Accept {
		// The backlog is the kernel's somaxconn (Go asks for it).
		ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		held.lns = append(held.lns, ln)
		ev.TCP = append(ev.TCP, ln.Addr().(*net.TCPAddr).Port)
	}
	for range spec.UDP {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return fmt.Errorf("udp: %w", err)
		}
		held.udp = append(held.udp, c)
		ev.UDP = append(ev.UDP, c.LocalAddr().(*net.UDPAddr).Port)
	}
	// The first UDPConnected sockets connect to the next one's address.
	for i := range spec.UDPConnected {
		peer := ev.UDP[(i+1)%len(ev.UDP)]
		if err := connectUDP(held.udp[i], peer); err != nil {
			return err
		}
	}
	send(ev)

	errs := make(chan error, len(held.lns))
	for i, ln := range held.lns {
		go func() {
			for range spec.Accept[i] {
				c, err := ln.Accept()
				if err != nil {
					errs <- fmt.Errorf("accept: %w", err)
					return
				}
				// Abortive close: no TIME_WAIT left behind by the teardown.
				c.(*net.TCPConn).SetLinger(0)
				held.Lock()
				held.tcp = append(held.tcp, c)
				held.Unlock()
			}
			errs <- nil
		}()
	}
	for range held.lns {
		if err := <-errs; err != nil {
			return err
		}
	}
	send(helperEvent{Event: "ready", Established: len(held.tcp)})
	return nil
}

// connectUDP connects a bound UDP socket to 127.0.0.1:port.
func connectUDP(c *net.UDPConn, port int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	err = rc.Control(func(fd uintptr) {
		cerr = syscall.Connect(int(fd), &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("udp connect: %w", err)
	}
	return nil
}

// dialAll opens every connection of the spec with Concurrency dials in
// flight, holds them and says "ready".
func dialAll(spec helperSpec, send func(helperEvent)) error {
	jobs := make(chan string, 1024)
	go func() {
		for _, t := range spec.Dial {
			for range t.Count {
				jobs <- t.Addr
			}
		}
		close(jobs)
	}()
	workers := max(spec.Concurrency, 1)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			d := net.Dialer{KeepAlive: -1, Timeout: 30 * time.Second}
			for addr := range jobs {
				c, err := dialRetry(&d, addr)
				if err != nil {
					errs <- err
					for range jobs {
					}
					return
				}
				c.(*net.TCPConn).SetLinger(0)
				held.Lock()
				held.tcp = append(held.tcp, c)
				held.Unlock()
			}
			errs <- nil
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	send(helperEvent{Event: "ready", Established: len(held.tcp)})
	return nil
}

// dialRetry dials addr, retrying a few times when the listener's queue
// was momentarily full. Running out of source ports is not retried.
func dialRetry(d *net.Dialer, addr string) (net.Conn, error) {
	var err error
	for attempt := range 5 {
		var c net.Conn
		c, err = d.Dial("tcp4", addr)
		if err == nil {
			return c, nil
		}
		if errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EMFILE) {
			break
		}
		time.Sleep(time.Duration(10<<attempt) * time.Millisecond)
	}
	return nil, fmt.Errorf("dial %s: %w", addr, err)
}
