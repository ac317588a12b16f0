//go:build !exporter

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/portwatch/portwatch/audit"
)

// runServe runs portwatch-exporter, found beside this binary or on PATH,
// with this command line; its exit status is serve's. The Prometheus
// client library lives in that build alone: linked here, its
// initialisation would cost every portwatch command milliseconds.
func runServe(ctx context.Context, _ *serveFlags, stdout, stderr io.Writer) error {
	return runInExporter(ctx, stdout, stderr)
}

// exporterBuild is false: this build does not link the Prometheus client.
const exporterBuild = false

// runInExporter runs this command line in portwatch-exporter.
func runInExporter(ctx context.Context, stdout, stderr io.Writer) error {
	path, err := findExporter()
	if err != nil {
		return failf("this command runs %s, which is neither beside portwatch nor on PATH: install it with portwatch (make build builds both)", exporterName)
	}
	return runExporter(ctx, path, os.Args[1:], stdout, stderr)
}

// writeAuditTextfile is never reached in this build: audit --textfile
// runs in portwatch-exporter.
func writeAuditTextfile(string, *audit.Report, *audit.Rules) error {
	return errors.New("the Prometheus client is not in this build")
}

// runChildExporter runs the exporter at path with args as a child process
// and returns its exit status as serve's; SIGINT and SIGTERM are passed
// on as an interrupt.
func runChildExporter(ctx context.Context, path string, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &exitCodeError{code: exit.ExitCode()}
	}
	if err != nil {
		return failf("running %s: %v", path, err)
	}
	return nil
}

// findExporter returns the path of portwatch-exporter: beside this
// binary first, then on PATH.
func findExporter() (string, error) {
	name := exporterName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return exec.LookPath(name)
}
