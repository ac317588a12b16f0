//go:build !linux && !windows

package collector

import "runtime"

// Destroy cannot end sockets on this system: each gets an error that is
// ErrDestroyUnsupported.
func Destroy(socks []Socket, _ []Netns) []error {
	errs := make([]error, len(socks))
	for i := range errs {
		errs[i] = &systemError{"portwatch cannot end connections on " + runtime.GOOS + " yet", ErrDestroyUnsupported}
	}
	return errs
}
