//go:build !exporter && !unix

package main

import (
	"context"
	"io"
)

// runExporter runs the exporter at path as a child process: this system
// cannot replace a process with another.
func runExporter(ctx context.Context, path string, args []string, stdout, stderr io.Writer) error {
	return runChildExporter(ctx, path, args, stdout, stderr)
}
