package collector

import (
	"errors"
	"fmt"
)

// newCollector: the freebsd collector is being written (issue 6); until then
// this build says so at run time.
func newCollector(Options) (Collector, error) {
	return nil, fmt.Errorf("portwatch has no socket collector for freebsd yet: %w", errors.ErrUnsupported)
}
