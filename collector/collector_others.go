//go:build !linux && !windows && !darwin && !freebsd

package collector

import "runtime"

func newCollector(Options) (Collector, error) {
	return nil, unsupportedOS(runtime.GOOS)
}
