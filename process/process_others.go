//go:build !linux && !windows && !darwin && !freebsd

package process

import (
	"errors"
	"fmt"
	"runtime"
)

// lookup has no implementation outside Linux yet.
func (r *Reader) lookup(int, bool) (Info, uint64, error) {
	return Info{}, 0, fmt.Errorf("portwatch cannot read process details on %s yet: %w", runtime.GOOS, errors.ErrUnsupported)
}

// ContainerOf has no implementation outside Linux yet.
func (r *Reader) ContainerOf(int) (Container, error) {
	return Container{}, fmt.Errorf("portwatch cannot read process details on %s yet: %w", runtime.GOOS, errors.ErrUnsupported)
}
