package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSkipOrFailFailsWhenRequired runs a test that skips in a child test
// binary, once plain and once with RequireEnv=1, and checks that the second
// run fails with the skip's message.
func TestSkipOrFailFailsWhenRequired(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		SkipOrFail(t, "the %s is missing", "widget")
		return
	}
	for _, tc := range []struct {
		require  string
		wantFail bool
	}{{"", false}, {"1", true}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkipOrFailFailsWhenRequired$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", RequireEnv+"="+tc.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("%s=%q: failed=%v, want %v\n%s", RequireEnv, tc.require, failed, tc.wantFail, out)
		}
		if !strings.Contains(string(out), "the widget is missing") {
			t.Errorf("%s=%q: output lacks the message:\n%s", RequireEnv, tc.require, out)
		}
		if !tc.wantFail && !strings.Contains(string(out), "--- SKIP") {
			t.Errorf("%s unset: the test did not skip:\n%s", RequireEnv, out)
		}
	}
}
