//go:build !exporter && unix

package main

import (
	"context"
	"io"
	"os"
	"syscall"
)

// runExporter replaces this process with the exporter at path, so that it
// keeps the PID a service manager knows and gets its signals itself. When
// stdout or stderr is not the process's own (a test's buffer), it runs the
// exporter as a child instead.
func runExporter(ctx context.Context, path string, args []string, stdout, stderr io.Writer) error {
	if stdout != io.Writer(os.Stdout) || stderr != io.Writer(os.Stderr) {
		return runChildExporter(ctx, path, args, stdout, stderr)
	}
	err := syscall.Exec(path, append([]string{path}, args...), os.Environ())
	return failf("running %s: %v", path, err)
}
