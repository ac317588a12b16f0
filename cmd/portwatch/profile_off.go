//go:build !profile

package main

// startProfiles refuses the hidden --cpuprofile and --memprofile flags:
// this build has no profiler (runtime/pprof is linked only with -tags
// profile, see profile.go).
func startProfiles(cpuPath, memPath string) (stop func(), err error) {
	if cpuPath != "" || memPath != "" {
		return func() {}, failf("this portwatch was built without profiling; build it with go build -tags profile ./cmd/portwatch")
	}
	return func() {}, nil
}
