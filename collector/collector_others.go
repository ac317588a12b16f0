//go:build !linux && !windows && !darwin && !freebsd

package collector

import (
	"errors"
	"fmt"
	"runtime"
)

func newCollector(Options) (Collector, error) {
	return nil, fmt.Errorf("portwatch has no socket collector for %s yet: %w", runtime.GOOS, errors.ErrUnsupported)
}
