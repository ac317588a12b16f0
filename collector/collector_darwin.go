package collector

import (
	"errors"
	"fmt"
)

// newCollector: the darwin collector is being written (issue 6); until then
// this build says so at run time.
func newCollector(Options) (Collector, error) {
	return nil, fmt.Errorf("portwatch has no socket collector for darwin yet: %w", errors.ErrUnsupported)
}
