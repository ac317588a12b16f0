//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(helperMain(role))
	}
	os.Exit(benchMain(os.Args[1:]))
}

// benchMain parses the flags, runs the benchmark and returns the exit
// status: 0 done, 1 failed, 2 bad flags, 130 interrupted.
func benchMain(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := config{Stdout: os.Stdout, Progress: os.Stderr}
	fs.StringVar(&cfg.Portwatch, "portwatch", "", "portwatch binary to time (default: build ./cmd/portwatch into a temporary directory)")
	sizes := fs.String("sizes", "2000,20000,120000", "comma-separated total socket counts, one load each, for every scenario but start-up; none: no such load")
	fs.IntVar(&cfg.Rounds, "rounds", 5, "timed rounds per scenario")
	fs.IntVar(&cfg.Warmup, "warmup", 1, "untimed runs of each command before the rounds")
	startupSizes := fs.String("startup-sizes", "idle,2000", "comma-separated tables of the start-up scenario: idle (no bench load) or total socket counts; none: skip it")
	fs.IntVar(&cfg.StartupRounds, "startup-rounds", 50, "timed rounds of the start-up scenario")
	fs.IntVar(&cfg.Netns, "netns", 50, "network namespaces of the namespaces scenario, run at the first of -sizes (0: none)")
	fs.StringVar(&cfg.Instructions, "instructions", countAuto, "how the start-up scenario counts instructions: auto (perf if its counter works, else callgrind), perf, callgrind or none")
	fs.StringVar(&cfg.Out, "out", "bench/results/latest.md", "Markdown results file (empty: none)")
	fs.StringVar(&cfg.JSONOut, "json", "", "also write the results as JSON to this file")
	fs.IntVar(&cfg.Load.Listeners, "listeners", 20, "listening TCP sockets (at least one per -per-port connections)")
	fs.IntVar(&cfg.Load.UDP, "udp", 100, "bound UDP sockets (half of them connected)")
	fs.IntVar(&cfg.Load.PerPort, "per-port", 9000, "most connections to one listener port (the ephemeral range limits one destination to ~28k)")
	fs.IntVar(&cfg.Load.MaxFDs, "max-fds", 19000, "most sockets one helper process holds (below the open-file limit)")
	fs.IntVar(&cfg.Concurrency, "dial-concurrency", 64, "connections being dialed at once per client helper")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "time limit of one timed command")
	fs.DurationVar(&cfg.SetupTimeout, "setup-timeout", 5*time.Minute, "time limit for setting up one load")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench [flags]\n\nCompares portwatch with ss, netstat and lsof on a known socket load on loopback.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var err error
	if cfg.Sizes, err = parseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -sizes:", err)
		return 2
	}
	if cfg.StartupSizes, err = parseStartupSizes(*startupSizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -startup-sizes:", err)
		return 2
	}
	if len(cfg.Sizes) == 0 && len(cfg.StartupSizes) == 0 {
		fmt.Fprintln(os.Stderr, "bench: -sizes and -startup-sizes are both none: nothing to run")
		return 2
	}
	switch cfg.Instructions {
	case countAuto, countPerf, countCallgrind, countNone:
	default:
		fmt.Fprintf(os.Stderr, "bench: -instructions: %q is not auto, perf, callgrind or none\n", cfg.Instructions)
		return 2
	}
	if fs.NArg() > 0 || cfg.Rounds < 1 || cfg.StartupRounds < 1 || cfg.Warmup < 0 || cfg.Netns < 0 {
		fmt.Fprintln(os.Stderr, "bench: -rounds and -startup-rounds must be at least 1, -warmup and -netns at least 0, and no arguments are accepted")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err = run(ctx, cfg)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "bench: interrupted; every helper process has been stopped")
		return 130
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// parseSizes reads "2000,20000,120000"; "none" (or nothing) is no size.
func parseSizes(s string) ([]int, error) {
	if t := strings.TrimSpace(s); t == "" || t == "none" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number of sockets", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseStartupSizes reads "idle,2000": idle is the table without a bench
// load (idleTable); "none" (or nothing) is no table.
func parseStartupSizes(s string) ([]int, error) {
	if t := strings.TrimSpace(s); t == "" || t == "none" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "idle" {
			out = append(out, idleTable)
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is neither idle nor a positive number of sockets", f)
		}
		out = append(out, n)
	}
	return out, nil
}
