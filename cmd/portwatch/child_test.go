package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
)

// childAddrEnv is the address a "connect" helper dials.
const childAddrEnv = "PORTWATCH_TEST_ADDR"

// runChild is the body of a helper process, in one of two roles:
//
//   - "hold" (started by holdSocket): it keeps the socket it inherited as
//     fd 3, optionally renames itself, says "ready" and lives until its
//     stdin closes.
//   - "netns-load" (started inside a network namespace by the namespace
//     tests): it opens sockets of every kind on that namespace's loopback
//     (listeners on 127.0.0.1 and ::1, a connection to the first, UDP
//     bound and connected) and a database's listener on every address of
//     it (0.0.0.0:6379), says "ready" and lives until its stdin closes.
//   - "listen": it opens a listener of its own on 127.0.0.1, writes its
//     address to the file named by childAddrEnv, says "ready" and lives
//     until its stdin closes.
//   - "time-wait": it opens a connection on loopback, closes it from the
//     client side and exits, leaving a TIME_WAIT socket that no process
//     holds.
//   - "connect" (the Windows build of this test binary, started under Wine
//     by TestWindowsBinaryUnderWine): it opens a TCP connection to the
//     address in childAddrEnv, says "ready PID LOCAL" with its own PID as
//     the system it runs on numbers it (Windows's, under Wine) and the
//     connection's local address, and lives until its stdin closes.
func runChild(role string) {
	switch role {
	case "hold":
		if name := os.Getenv("PORTWATCH_TEST_COMM"); name != "" {
			// Writing /proc/self/comm renames the main thread, which is
			// what /proc/<pid>/comm reports.
			if err := os.WriteFile("/proc/self/comm", []byte(name), 0); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		fmt.Println("ready")
	case "netns-load":
		if err := openNetnsLoad(); err != nil {
			fmt.Fprintln(os.Stderr, "netns-load helper:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
	case "listen":
		// A listener of its own on 127.0.0.1, its port written to the
		// file in childAddrEnv.
		// Plain TCP: Go's listeners are MPTCP by default, and the
		// kernel cannot end an MPTCP listener with SOCK_DESTROY.
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen helper:", err)
			os.Exit(1)
		}
		defer ln.Close()
		if err := os.WriteFile(os.Getenv(childAddrEnv), []byte(ln.Addr().String()), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "listen helper:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
	case "time-wait":
		if err := leaveTimeWait(); err != nil {
			fmt.Fprintln(os.Stderr, "time-wait helper:", err)
			os.Exit(1)
		}
		return
	case "connect":
		addr := os.Getenv(childAddrEnv)
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "connect helper: dialing %s=%q: %v\n", childAddrEnv, addr, err)
			os.Exit(1)
		}
		defer c.Close()
		fmt.Printf("ready %d %s\n", os.Getpid(), c.LocalAddr())
	default:
		fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
		os.Exit(1)
	}
	io.Copy(io.Discard, os.Stdin)
}

// netnsLoad keeps the netns-load helper's sockets referenced, so that no
// finalizer closes them.
var netnsLoad []io.Closer

// openNetnsLoad opens the netns-load helper's sockets.
func openNetnsLoad() error {
	ln4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ln6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp4", ln4.Addr().String())
	if err != nil {
		return err
	}
	s, err := ln4.Accept()
	if err != nil {
		return err
	}
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	uc, err := net.Dial("udp4", u.LocalAddr().String())
	if err != nil {
		return err
	}
	// Every address of the namespace: on the host, a finding.
	db, err := net.Listen("tcp4", "0.0.0.0:6379")
	if err != nil {
		return err
	}
	netnsLoad = append(netnsLoad, ln4, ln6, c, s, u, uc, db)
	return nil
}

// leaveTimeWait makes a connection on loopback and closes it client first:
// the client's socket stays in TIME_WAIT after this process exits.
func leaveTimeWait() error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		return err
	}
	s, err := ln.Accept()
	if err != nil {
		return err
	}
	c.Close()
	io.Copy(io.Discard, s) // until the client's FIN
	return s.Close()
}
