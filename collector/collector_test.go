package collector

import (
	"errors"
	"strings"
	"testing"
)

// On a platform without a collector, New's error says which platform and
// which are supported, and wraps errors.ErrUnsupported so the CLI can say
// what to do instead (--replay).
func TestUnsupportedOS(t *testing.T) {
	err := unsupportedOS("openbsd")
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("%v does not wrap errors.ErrUnsupported", err)
	}
	for _, want := range []string{"openbsd", "linux, windows, darwin, freebsd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
}
