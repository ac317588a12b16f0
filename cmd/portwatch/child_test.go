package main

import (
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
