//go:build !linux && !windows && !darwin && !freebsd

package collector

import "runtime"

func newCollector(Options) (Collector, error) {
	return nil, unsupportedOS(runtime.GOOS)
}

// InternalsAvailable reports whether Options.Info gives internals here:
// not on this system.
func InternalsAvailable() bool { return false }
