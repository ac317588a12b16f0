// Package testenv is the tests' one rule for what a run cannot do here: a
// test that lacks a privilege, a program or a file skips, unless the run
// must cover everything (PORTWATCH_REQUIRE_ROOT=1, which CI sets), and then
// it fails, so that CI cannot turn green by skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that makes every skip a failure.
const RequireEnv = "PORTWATCH_REQUIRE_ROOT"

// Required reports whether this run must cover every test.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// SkipOrFail skips the test with the message, or fails it when Required.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(RequireEnv+"=1, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// NeedRoot skips (or fails, when Required) a test that needs root for what.
func NeedRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(t, "needs root to %s", what)
	}
}

// NeedProgram returns the path of the named program, or skips (or fails,
// when Required) naming the package that provides it.
func NeedProgram(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(t, "%s (%s) not installed", name, pkg)
	}
	return path
}
