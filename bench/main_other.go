//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench: the benchmark runs on Linux only (it needs /proc and its helper processes use Pdeathsig)")
	os.Exit(1)
}
