// Command portwatch lists a host's TCP and UDP sockets with their states,
// owning processes and services: a netstat, ss and lsof -i replacement.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
	// exitFindings: audit findings at or above --fail-on, or nothing
	// found by who.
	exitFindings = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes portwatch with args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ignoreBrokenPipe()
	root := newRootCommand(stdout, stderr)
	root.SetArgs(joinContinuousValue(root, args))
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	if isBrokenPipe(err) {
		return exitOK
	}
	var fe *findingsError
	if errors.As(err, &fe) {
		if fe.msg != "" {
			fmt.Fprintf(stderr, "portwatch: %s\n", fe.msg)
		}
		return exitFindings
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	var rt *runtimeError
	if errors.As(err, &rt) {
		fmt.Fprintf(stderr, "portwatch: %v\n", rt.err)
		return exitRuntime
	}
	// Everything else comes from parsing the command line: flags, values,
	// arguments, unknown subcommands. One line, pointing at the help of
	// the command it was made in, then exit 2.
	msg, _, _ := strings.Cut(err.Error(), "\n")
	path := root.CommandPath()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	fmt.Fprintf(stderr, "portwatch: %s (see '%s --help')\n", msg, path)
	return exitUsage
}

// runtimeError marks an error that happened while doing the work, as opposed
// to a usage error; it exits 1.
type runtimeError struct{ err error }

func (e *runtimeError) Error() string { return e.err.Error() }
func (e *runtimeError) Unwrap() error { return e.err }

// failf returns a runtime error: what went wrong and what to do next.
// exitCodeError ends portwatch with code and no message: the exit status
// of a program it ran, which said what it had to.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string { return "exit status " + strconv.Itoa(e.code) }

func failf(format string, args ...any) error {
	return &runtimeError{fmt.Errorf(format, args...)}
}

// usageError is a bad value found after flag parsing; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// findingsError ends a run that worked but found what the caller asked to
// hear about (audit findings) or nothing at all (who); it exits 3, with
// msg on stderr when there is one.
type findingsError struct{ msg string }

func (e *findingsError) Error() string { return e.msg }
