//go:build profile

package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the CPU profile and arranges the heap profile that
// the hidden --cpuprofile and --memprofile flags ask for; the returned
// function ends them. Only a build with -tags profile has it: linking
// runtime/pprof turns on the runtime's heap sampling in every run
// (profile_off.go).
func startProfiles(cpuPath, memPath string) (stop func(), err error) {
	stop = func() {}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return stop, failf("cannot write the CPU profile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, failf("cannot start the CPU profile: %v", err)
		}
		stop = func() {
			pprof.StopCPUProfile()
			f.Close()
		}
	}
	if memPath == "" {
		return stop, nil
	}
	stopCPU := stop
	return func() {
		stopCPU()
		f, err := os.Create(memPath)
		if err != nil {
			return
		}
		defer f.Close()
		runtime.GC()
		pprof.WriteHeapProfile(f)
	}, nil
}
