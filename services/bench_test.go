package services

import (
	"testing"
)

// hostServices is the host's /etc/services, read by the start-up
// benchmarks; they skip (or fail, when every test must run) when the host
// has none.
const hostServices = "/etc/services"

func needHostServices(b *testing.B) {
	b.Helper()
	needHostServicesFile(b)
}

// BenchmarkLoadFile is the cost of laying the host's /etc/services over a
// fresh Registry from Default, made beforehand in batches out of the timer.
func BenchmarkLoadFile(b *testing.B) {
	needHostServices(b)
	b.ReportAllocs()
	var regs []*Registry
	for b.Loop() {
		if len(regs) == 0 {
			b.StopTimer()
			for range 100 {
				regs = append(regs, Default())
			}
			b.StartTimer()
		}
		r := regs[len(regs)-1]
		regs = regs[:len(regs)-1]
		if err := r.LoadFile(hostServices, hostServices); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDefaultAndEtcServices is the registry's whole start-up cost in
// portwatch: Default, then the host's /etc/services.
func BenchmarkDefaultAndEtcServices(b *testing.B) {
	needHostServices(b)
	b.ReportAllocs()
	for b.Loop() {
		r := Default()
		if err := r.LoadFile(hostServices, hostServices); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNameEtcServices is Name over a Registry with the host's
// /etc/services loaded: the overlay is consulted first.
func BenchmarkNameEtcServices(b *testing.B) {
	needHostServices(b)
	r := Default()
	if err := r.LoadFile(hostServices, hostServices); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var port uint16
	n := 0
	for b.Loop() {
		if r.Name("tcp", port) != "" {
			n++
		}
		port++
	}
	_ = n
}

// BenchmarkLookupEtcServices is Lookup over a Registry with the host's
// /etc/services loaded (its entries are built by the first Lookup).
func BenchmarkLookupEtcServices(b *testing.B) {
	needHostServices(b)
	r := Default()
	if err := r.LoadFile(hostServices, hostServices); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var port uint16
	for b.Loop() {
		_ = r.Lookup("tcp", port)
		port += 7
	}
}
