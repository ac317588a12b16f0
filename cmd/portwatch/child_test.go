package main

import (
	"fmt"
	"io"
	"os"
)

// runChild is the body of a helper process started by holdSocket: it keeps
// the socket it inherited as fd 3, optionally renames itself, says "ready"
// and lives until its stdin closes.
func runChild(role string) {
	if role != "hold" {
		fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
		os.Exit(1)
	}
	if name := os.Getenv("PORTWATCH_TEST_COMM"); name != "" {
		// Writing /proc/self/comm renames the main thread, which is what
		// /proc/<pid>/comm reports.
		if err := os.WriteFile("/proc/self/comm", []byte(name), 0); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}
