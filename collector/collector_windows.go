package collector

import (
	"errors"
	"fmt"
)

// newCollector: the windows collector is being written (issue 6); until then
// this build says so at run time.
func newCollector(Options) (Collector, error) {
	return nil, fmt.Errorf("portwatch has no socket collector for windows yet: %w", errors.ErrUnsupported)
}
