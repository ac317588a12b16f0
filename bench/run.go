//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// config is everything one benchmark run needs.
type config struct {
	Portwatch     string // binary to time; "" builds ./cmd/portwatch
	Sizes         []int  // total sockets, one load each
	Rounds        int
	Warmup        int
	StartupSizes  []int  // tables of the start-up scenario: idleTable or total sockets
	StartupRounds int    // timed rounds of the start-up scenario
	Netns         int    // namespaces of the namespaces scenario, at the first size; 0: none
	Instructions  string // how it counts instructions: countAuto, countPerf, countCallgrind or countNone
	Load          loadOptions
	Concurrency   int           // dials in flight per client helper
	Timeout       time.Duration // per timed command
	SetupTimeout  time.Duration // per load
	Out           string        // Markdown results file
	JSONOut       string        // JSON results file; "" for none
	Stdout        io.Writer     // the results tables
	Progress      io.Writer     // progress lines and helpers' stderr
}

// run times the start-up scenario on each of its tables, then benchmarks
// every size in turn, and writes the results files after each table and
// size. On error, the report ends with the one that failed. Every
// process it starts is gone when it returns, whatever happened; a
// cancelled ctx (SIGINT, SIGTERM) stops it early.
func run(ctx context.Context, cfg config) (Report, error) {
	pw := cfg.Portwatch
	if pw == "" {
		dir, err := os.MkdirTemp("", "portwatch-bench-")
		if err != nil {
			return Report{}, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(cfg.Progress, "building portwatch")
		if pw, err = buildPortwatch(ctx, dir); err != nil {
			return Report{}, err
		}
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Max < uint64(cfg.Load.MaxFDs)+100 {
		cfg.Load.MaxFDs = int(rl.Max) - 100
		fmt.Fprintf(cfg.Progress, "open-file limit is %d: at most %d sockets per helper\n", rl.Max, cfg.Load.MaxFDs)
	}
	tools := lookTools()
	rep := Report{Machine: machineInfo(pw, tools), Rounds: cfg.Rounds, Warmup: cfg.Warmup, StartupRounds: cfg.StartupRounds}
	m := rep.Machine
	fmt.Fprintf(cfg.Stdout, "%s | %s, %d CPUs, %s | %s | %s\n%s | %s | %s | %s\n",
		m.Date, m.CPU, m.CPUs, m.Memory, m.Kernel, m.Go, m.Portwatch, m.SS, m.Netstat, m.Lsof)

	r, err := newRunner(cfg.Timeout)
	if err != nil {
		return rep, err
	}
	// Start-up first, while the machine is quiet: the large loads before
	// it would leave their teardown's work behind.
	if len(cfg.StartupSizes) > 0 {
		if err := runStartups(ctx, cfg, r, pw, tools, &rep); err != nil {
			return rep, err
		}
	}
	for _, size := range cfg.Sizes {
		sr, err := runSize(ctx, cfg, r, pw, tools, size)
		rep.Sizes = append(rep.Sizes, sr)
		if err != nil {
			return rep, fmt.Errorf("size %d: %w", size, err)
		}
		writeText(cfg.Stdout, sr)
		if err := writeFiles(rep, cfg.Out, cfg.JSONOut); err != nil {
			return rep, err
		}
	}
	if cfg.Out != "" {
		fmt.Fprintf(cfg.Stdout, "\nresults written to %s\n", cfg.Out)
	}
	return rep, nil
}

// runSize sets up one load, times every scenario and watch mode's
// refresh on it and tears it down again.
func runSize(ctx context.Context, cfg config, r *runner, pw string, tools map[string]string, size int) (SizeResult, error) {
	var sr SizeResult
	lr, err := onLoad(ctx, cfg, size, func(lr *LoadResult) error {
		for _, sc := range scenarios(pw, tools, lr.Port) {
			res, err := runScenario(ctx, r, sc, cfg.Rounds, cfg.Warmup, cfg.Progress)
			if err != nil {
				return err
			}
			sr.Scenarios = append(sr.Scenarios, res)
		}
		if cfg.Netns > 0 && size == cfg.Sizes[0] {
			res, err := runNetnsScenario(ctx, cfg, r, pw, tools)
			if err != nil {
				return err
			}
			sr.Scenarios = append(sr.Scenarios, res)
		}
		var err error
		if sr.WatchRefresh, err = runWatchRefresh(ctx, r, pw, false, size, cfg.Rounds, cfg.Warmup, cfg.Progress); err != nil {
			return err
		}
		sr.WatchRatesRefresh, err = runWatchRefresh(ctx, r, pw, true, size, cfg.Rounds, cfg.Warmup, cfg.Progress)
		return err
	})
	sr.LoadResult = lr
	return sr, err
}

// onLoad sets up the load of one size, checks it is all there, calls
// timed with it and tears it down again, whatever happened. The result
// describes the load as far as it got.
func onLoad(ctx context.Context, cfg config, size int, timed func(lr *LoadResult) error) (lr LoadResult, err error) {
	plan, err := planLoad(size, cfg.Load)
	if err != nil {
		return lr, err
	}
	lr = LoadResult{
		Size: size, Sockets: plan.Total(), Pairs: plan.Pairs, Listeners: plan.Listeners,
		ConnPorts: plan.ConnPorts(), UDP: plan.UDP, UDPConnected: plan.UDPConnected,
		ServerHelpers: len(plan.Servers), ClientHelpers: len(plan.Clients),
	}
	fmt.Fprintf(cfg.Progress, "size %d: setting up %d pairs over %d helpers\n", size, plan.Pairs, len(plan.Servers)+len(plan.Clients))
	l, err := startLoad(ctx, plan, cfg.Concurrency, cfg.SetupTimeout, cfg.Progress)
	if err != nil {
		return lr, err
	}
	lr.HelperPIDs, lr.TCPPorts, lr.UDPPorts, lr.Setup = l.pids(), l.tcpPorts, l.udpPorts, l.setup
	lr.Port = l.tcpPorts[0]
	closed := false
	teardown := func() error {
		closed = true
		start := time.Now()
		l.close()
		left, err := l.waitGone(10 * time.Second)
		lr.Teardown, lr.Left = time.Since(start), left
		if err == nil && left.Sockets() > 0 {
			err = fmt.Errorf("sockets left after teardown: %s", left)
		}
		return err
	}
	defer func() {
		if !closed {
			teardown()
		}
	}()

	want := LoadCount{
		ServerEstablished: plan.Pairs, ClientEstablished: plan.Pairs, Listening: plan.Listeners,
		UDPConnected: plan.UDPConnected, UDPUnconnected: plan.UDP - plan.UDPConnected,
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if lr.Before, err = countLoad(lr.TCPPorts, lr.UDPPorts); err != nil {
			return lr, err
		}
		if lr.Before == want {
			break
		}
		if time.Now().After(deadline) {
			return lr, fmt.Errorf("the load is not all there: /proc/net has %s; want %s", lr.Before, want)
		}
	}
	host, err := countHost()
	if err != nil {
		return lr, err
	}
	lr.Others = host - lr.Before.Sockets()
	fmt.Fprintf(cfg.Progress, "size %d: set up in %s; /proc/net has %s, and %d other sockets\n", size, fmtDuration(lr.Setup), lr.Before, lr.Others)
	if lr.Others > lr.Sockets/10 {
		fmt.Fprintf(cfg.Progress, "size %d: WARNING: %d sockets of other programs are on this host; every tool lists them too\n", size, lr.Others)
	}

	lr.LoadAvg[0] = loadAvg()
	if err := timed(&lr); err != nil {
		return lr, err
	}
	lr.LoadAvg[1] = loadAvg()
	if lr.After, err = countLoad(lr.TCPPorts, lr.UDPPorts); err != nil {
		return lr, err
	}
	if lr.After != want {
		fmt.Fprintf(cfg.Progress, "size %d: WARNING: the load changed during timing: %s\n", size, lr.After)
	}
	if err := teardown(); err != nil {
		return lr, err
	}
	fmt.Fprintf(cfg.Progress, "size %d: torn down in %s\n", size, fmtDuration(lr.Teardown))
	return lr, nil
}
