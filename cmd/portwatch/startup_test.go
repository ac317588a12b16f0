package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Start-up guards. Most runs of portwatch are a small table, where the
// whole run is start-up: package initialisation runs on every path, so the
// work there is bounded, and the packages the plain list is made of stay
// free of the terminal UI and of heavy dependencies.

// Bounds of the initialisation of the whole binary and of each of its own
// packages, far above today's (about 70 KB and 260 allocations in all,
// every package of portwatch's under 1.5 KB) and far below what one
// table or compiled pattern costs.
const (
	initBytesMax    = 256 << 10
	initAllocsMax   = 1000
	ownInitBytesMax = 4 << 10
	ownInitAllocMax = 32
)

// initCost is one package's line of GODEBUG=inittrace=1.
type initCost struct {
	pkg           string
	bytes, allocs int
	clockMs       float64
	line          string
}

// parseInittrace reads the "init PKG @T ms, C ms clock, B bytes, N allocs"
// lines of GODEBUG=inittrace=1 from out.
func parseInittrace(t *testing.T, out string) []initCost {
	t.Helper()
	var costs []initCost
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "init ") {
			continue
		}
		var c initCost
		var at float64
		if _, err := fmt.Sscanf(line, "init %s @%f ms, %f ms clock, %d bytes, %d allocs",
			&c.pkg, &at, &c.clockMs, &c.bytes, &c.allocs); err != nil {
			t.Fatalf("inittrace line %q: %v", line, err)
		}
		c.line = line
		costs = append(costs, c)
	}
	return costs
}

func TestStartupInitBounded(t *testing.T) {
	// The same binary serves every path; version runs no collection.
	cmd := exec.Command(binPath, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	r := runCmd(t, cmd)
	if r.code != 0 {
		t.Fatalf("version: exit %d, stderr %q", r.code, r.stderr)
	}
	costs := parseInittrace(t, r.stderr)
	if len(costs) < 10 {
		t.Fatalf("only %d inittrace lines (is GODEBUG=inittrace=1 honoured?):\n%s", len(costs), r.stderr)
	}
	bytes, allocs := 0, 0
	for _, c := range costs {
		bytes += c.bytes
		allocs += c.allocs
		if strings.HasPrefix(c.pkg, "github.com/portwatch/portwatch") &&
			(c.bytes > ownInitBytesMax || c.allocs > ownInitAllocMax) {
			t.Errorf("%s does work at initialisation (%d bytes, %d allocations; at most %d and %d): make it on first use\n%s",
				c.pkg, c.bytes, c.allocs, ownInitBytesMax, ownInitAllocMax, c.line)
		}
	}
	if bytes > initBytesMax || allocs > initAllocsMax {
		var heavy []string
		for _, c := range costs {
			if c.bytes > 8<<10 {
				heavy = append(heavy, c.pkg+" "+strconv.Itoa(c.bytes)+" bytes")
			}
		}
		t.Errorf("package initialisation takes %d bytes in %d allocations (at most %d and %d); the heaviest: %s",
			bytes, allocs, initBytesMax, initAllocsMax, strings.Join(heavy, ", "))
	}
}

// The packages the plain list is made of import no terminal UI, no table
// library and no pattern compiler: what they link is initialised at every
// start, whatever the path.
func TestListPathImports(t *testing.T) {
	mod := "github.com/portwatch/portwatch/"
	out, err := exec.Command(goTool(), "list", "-deps", mod+"collector", mod+"render", mod+"services", mod+"process").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"charm.land/", "github.com/charmbracelet/", // the live view's TUI
		"github.com/olekukonko/", "github.com/fatih/color", "github.com/mattn/go-runewidth", // tables, colours
		"regexp",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f) || strings.HasPrefix(dep, f+"/") {
				t.Errorf("the list's packages import %s", dep)
			}
		}
	}
}

// TestBinaryLinksNoCostlyInit keeps packages out of the binary whose mere
// presence costs every run: runtime/pprof turns on the runtime's heap
// sampling (a stack walk every 512 KiB allocated); crypto/rand brings the
// FIPS module's self-checks and tables. The profiler is linked only with
// -tags profile.
func TestBinaryLinksNoCostlyInit(t *testing.T) {
	out, err := exec.Command(goTool(), "list", "-deps", "github.com/portwatch/portwatch/cmd/portwatch").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	// The Prometheus client (its protobuf descriptors, default registry
	// and procfs) initialises in milliseconds: it is linked only into
	// portwatch-exporter, which portwatch serve runs.
	forbidden := []string{"runtime/pprof", "crypto/rand", "crypto/internal/fips140", "github.com/prometheus", "google.golang.org/protobuf"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("portwatch links %s", dep)
			}
		}
	}
	out, err = exec.Command(goTool(), "list", "-tags", "profile", "-deps", "github.com/portwatch/portwatch/cmd/portwatch").Output()
	if err != nil {
		t.Fatalf("go list -tags profile -deps: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "runtime/pprof") {
		t.Error("a build with -tags profile does not link runtime/pprof: the hidden --cpuprofile flag has no profiler")
	}
	out, err = exec.Command(goTool(), "list", "-tags", "exporter", "-deps", "github.com/portwatch/portwatch/cmd/portwatch").Output()
	if err != nil {
		t.Fatalf("go list -tags exporter -deps: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "github.com/prometheus/client_golang/prometheus") {
		t.Error("the exporter build (-tags exporter) does not link the Prometheus client")
	}
}
