//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Watch mode refreshes the socket table every interval and keeps an owner
// cache between refreshes, so a refresh after the first costs less than a
// whole `portwatch -tanp`. No single process run shows that cost, so the
// bench runs the same watch command twice per round: once with --count 1
// (start-up and the first, full refresh) and once with --count
// 1+watchExtraRefreshes; the difference divided by watchExtraRefreshes is
// the cost of one steady-state refresh.
const (
	watchInterval       = 100 * time.Millisecond
	watchExtraRefreshes = 10
)

// The requirement the watch refresh is measured against: at
// refreshTargetSockets sockets, a steady-state refresh with owners costs
// at most refreshTargetCPU of CPU time.
const (
	refreshTargetSockets = 120000
	refreshTargetCPU     = 300 * time.Millisecond
)

// WatchRefresh is the cost of one steady-state refresh of watch mode with
// owners at one size, from pairs of runs (see watchExtraRefreshes).
type WatchRefresh struct {
	// Rates says the watch ran with --info: every refresh also reads each
	// connection's tcp_info and socket memory and computes its rates.
	Rates    bool          `json:"rates,omitempty"`
	Command  string        `json:"command"`         // the watch command line, --count N
	Interval time.Duration `json:"interval_ns"`     // --interval
	Extra    int           `json:"extra_refreshes"` // refreshes the long run makes beyond the short one's single refresh
	Short    ToolResult    `json:"short"`           // --count 1: start-up and the first refresh, with a full owner pass
	Long     ToolResult    `json:"long"`            // --count 1+Extra

	// Per round in which both runs exited 0, in round order: the long
	// run's CPU (wall) time minus the short run's, divided by Extra. A
	// round's value can be below zero when start-up costs vary more than
	// the refreshes cost.
	CPUPerRefresh  []time.Duration `json:"cpu_per_refresh_ns"`
	WallPerRefresh []time.Duration `json:"wall_per_refresh_ns"`

	CPUMedian  time.Duration `json:"cpu_median_ns"` // over CPUPerRefresh; 0 when no round succeeded
	CPUMin     time.Duration `json:"cpu_min_ns"`
	CPUMax     time.Duration `json:"cpu_max_ns"`
	WallMedian time.Duration `json:"wall_median_ns"` // about Interval when refreshes are faster: watch sleeps out the rest of each interval
	WallMin    time.Duration `json:"wall_min_ns"`
	WallMax    time.Duration `json:"wall_max_ns"`
	FirstCPU   time.Duration `json:"first_cpu_median_ns"`  // median CPU time of the short runs (start-up included)
	FirstWall  time.Duration `json:"first_wall_median_ns"` // median wall time of the short runs

	TargetSockets int           `json:"target_sockets"` // the size the target is set for
	TargetCPU     time.Duration `json:"target_cpu_ns"`  // most CPU per steady-state refresh at TargetSockets
	// WithinTarget says whether CPUMedian is at most TargetCPU; absent
	// unless this size is TargetSockets and some round succeeded.
	WithinTarget *bool `json:"within_target,omitempty"`
}

// watchScenario is the pair of watch commands: with owners, JSON events
// of changes only (almost nothing on a steady load), once with --count 1
// and once with --count 1+watchExtraRefreshes; with rates, --info too.
func watchScenario(portwatch string, rates bool) scenario {
	watch := func(count int) command {
		args := []string{"watch", "--json", "--changes-only", "-tan", "-o"}
		if rates {
			args = append(args, "--info")
		}
		return command{Tool: "portwatch", Path: portwatch, Args: append(args,
			"--interval", watchInterval.String(), "--count", strconv.Itoa(count))}
	}
	sc := scenario{
		Name:     "watch refresh",
		Commands: []command{watch(1), watch(1 + watchExtraRefreshes)},
	}
	if rates {
		sc.Name = "watch refresh with rates"
	}
	return sc
}

// runWatchRefresh measures watch mode's steady-state refresh at one size,
// with rates (--info) or without: warmup untimed runs of both commands,
// then rounds rounds of the pair.
func runWatchRefresh(ctx context.Context, r *runner, portwatch string, rates bool, size, rounds, warmup int, progress io.Writer) (*WatchRefresh, error) {
	sc := watchScenario(portwatch, rates)
	res, err := runRounds(ctx, r, sc, rounds, warmup, progress)
	if err != nil {
		return nil, err
	}
	w := &WatchRefresh{
		Rates:    rates,
		Command:  watchCommandLine(sc.Commands[0]),
		Interval: watchInterval,
		Extra:    watchExtraRefreshes,
		Short:    res.Tools[0],
		Long:     res.Tools[1],
	}
	w.summarize(size)
	for i, cpu := range w.CPUPerRefresh {
		fmt.Fprintf(progress, "  %s: pair %d: %s CPU, %s wall per steady-state refresh\n",
			sc.Name, i+1, fmtDuration(cpu), fmtDuration(w.WallPerRefresh[i]))
	}
	return w, nil
}

// watchCommandLine is c's command line with its --count value replaced by N.
func watchCommandLine(c command) string {
	c.Args = slices.Clone(c.Args)
	if i := slices.Index(c.Args, "--count"); i >= 0 && i+1 < len(c.Args) {
		c.Args[i+1] = "N"
	}
	return c.String()
}

// summarize derives the per-refresh costs from the paired runs of Short
// and Long (one of each per round) and compares the median CPU with the
// target when size is the target's.
func (w *WatchRefresh) summarize(size int) {
	w.CPUPerRefresh, w.WallPerRefresh = nil, nil
	for i := range min(len(w.Short.Runs), len(w.Long.Runs)) {
		short, long := w.Short.Runs[i], w.Long.Runs[i]
		if !short.OK() || !long.OK() {
			continue
		}
		w.CPUPerRefresh = append(w.CPUPerRefresh, (long.CPU-short.CPU)/time.Duration(w.Extra))
		w.WallPerRefresh = append(w.WallPerRefresh, (long.Wall-short.Wall)/time.Duration(w.Extra))
	}
	w.FirstCPU, w.FirstWall = w.Short.CPU, w.Short.Median
	w.TargetSockets, w.TargetCPU = refreshTargetSockets, refreshTargetCPU
	w.CPUMedian, w.CPUMin, w.CPUMax, w.WallMedian, w.WallMin, w.WallMax, w.WithinTarget = 0, 0, 0, 0, 0, 0, nil
	if len(w.CPUPerRefresh) == 0 {
		return
	}
	w.CPUMedian, w.CPUMin, w.CPUMax = median(w.CPUPerRefresh), slices.Min(w.CPUPerRefresh), slices.Max(w.CPUPerRefresh)
	w.WallMedian, w.WallMin, w.WallMax = median(w.WallPerRefresh), slices.Min(w.WallPerRefresh), slices.Max(w.WallPerRefresh)
	if size == w.TargetSockets {
		within := w.CPUMedian <= w.TargetCPU
		w.WithinTarget = &within
	}
}

// Failed is the number of rounds without a per-refresh value: one of the
// pair did not exit 0.
func (w *WatchRefresh) Failed() int {
	return max(len(w.Short.Runs), len(w.Long.Runs)) - len(w.CPUPerRefresh)
}

// FirstError is the first error of a failed run, short runs first.
func (w *WatchRefresh) FirstError() string {
	if w.Short.FirstError != "" {
		return w.Short.FirstError
	}
	return w.Long.FirstError
}

// targetText is the requirement in words.
func (w *WatchRefresh) targetText() string {
	return fmt.Sprintf("at most %s of CPU per steady-state refresh at %d sockets",
		fmtSeconds(w.TargetCPU), w.TargetSockets)
}

// verdictText says, as a measured fact, how the median compares with the
// target at this size, or that the target is set for another size.
func (w *WatchRefresh) verdictText() string {
	switch {
	case w.WithinTarget == nil && len(w.CPUPerRefresh) == 0:
		return "no round succeeded, so nothing was measured against it"
	case w.WithinTarget == nil:
		return "not compared at this size"
	case *w.WithinTarget:
		return fmt.Sprintf("the measured median, %s, is within it", fmtSeconds(w.CPUMedian))
	default:
		return fmt.Sprintf("the measured median, %s, is above it", fmtSeconds(w.CPUMedian))
	}
}

// statusText is "ok", or how many rounds failed and why.
func (w *WatchRefresh) statusText() string {
	switch n := w.Failed(); {
	case n > 0:
		return fmt.Sprintf("FAILED %d/%d round(s): %s", n, max(len(w.Short.Runs), len(w.Long.Runs)), w.FirstError())
	case len(w.CPUPerRefresh) == 0:
		return "not run"
	default:
		return "ok"
	}
}

// refreshRow is one line of the watch refresh table, formatted.
type refreshRow struct{ measure, median, min, max string }

// refreshRows are the watch refresh's figures, CPU per refresh (the
// headline) first; "-" where no run or round succeeded.
func (w *WatchRefresh) refreshRows() []refreshRow {
	row := func(measure string, ok bool, median, lo, hi time.Duration) refreshRow {
		if !ok {
			return refreshRow{measure, "-", "-", "-"}
		}
		return refreshRow{measure, fmtDuration(median), fmtDuration(lo), fmtDuration(hi)}
	}
	paired := len(w.CPUPerRefresh) > 0
	shortCPU, shortCPUMin, shortCPUMax := cpuRange(w.Short)
	longCPU, longCPUMin, longCPUMax := cpuRange(w.Long)
	return []refreshRow{
		row("CPU per steady-state refresh", paired, w.CPUMedian, w.CPUMin, w.CPUMax),
		row(fmt.Sprintf("wall per steady-state refresh (sleeps up to the %v interval included)", w.Interval),
			paired, w.WallMedian, w.WallMin, w.WallMax),
		row("CPU of --count 1 (start-up and first refresh)", w.Short.OK() > 0, shortCPU, shortCPUMin, shortCPUMax),
		row("wall of --count 1", w.Short.OK() > 0, w.Short.Median, w.Short.Min, w.Short.Max),
		row(fmt.Sprintf("CPU of --count %d", 1+w.Extra), w.Long.OK() > 0, longCPU, longCPUMin, longCPUMax),
	}
}

// cpuRange is the median, min and max CPU time of t's runs that exited 0;
// all zero when none did.
func cpuRange(t ToolResult) (mid, lo, hi time.Duration) {
	var cpus []time.Duration
	for _, r := range t.Runs {
		if r.OK() {
			cpus = append(cpus, r.CPU)
		}
	}
	if len(cpus) == 0 {
		return 0, 0, 0
	}
	return median(cpus), slices.Min(cpus), slices.Max(cpus)
}

// fmtSeconds prints 0.300 s.
func fmtSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + " s"
}

// watchMethod explains the watch refresh measurement; %s are the command,
// the interval and the count of the long run.
const watchMethod = "Each round runs `%s` through the launcher with N = 1 and N = %d (after the warm-up runs). " +
	"One steady-state refresh costs (CPU(N=%d) − CPU(N=1)) / %d: start-up and the first refresh, with its full owner pass, cancel out, the owner cache's refreshes remain. " +
	"CPU is user + system time from the child's rusage; it is the headline, because the wall time of a refresh faster than the %v interval is the interval (watch sleeps out the rest). " +
	"Per-refresh figures are the median, min and max over the rounds."

// title names the measurement: "watch refresh", with rates or not.
func (w *WatchRefresh) title() string {
	if w.Rates {
		return "watch refresh with rates (--info)"
	}
	return "watch refresh"
}

// writeWatchText prints the watch refresh of one size.
func writeWatchText(w io.Writer, wr *WatchRefresh) {
	fmt.Fprintf(w, "\n%s: %s, N = 1 and %d; per steady-state refresh = (N=%d − N=1) / %d; %s\n",
		wr.title(), wr.Command, 1+wr.Extra, 1+wr.Extra, wr.Extra, wr.statusText())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEASURE\tMEDIAN\tMIN\tMAX")
	for _, r := range wr.refreshRows() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.measure, r.median, r.min, r.max)
	}
	tw.Flush()
	fmt.Fprintf(w, "  target: %s; %s\n", wr.targetText(), wr.verdictText())
}

// writeWatchMarkdown writes the watch refresh section of one size.
func writeWatchMarkdown(w io.Writer, wr *WatchRefresh) {
	fmt.Fprintf(w, "\n### %s\n\n", wr.title())
	fmt.Fprintf(w, watchMethod+"\n\n", wr.Command, 1+wr.Extra, 1+wr.Extra, wr.Extra, wr.Interval)
	fmt.Fprintln(w, "| measure | median | min | max |")
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	for _, r := range wr.refreshRows() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.measure, r.median, r.min, r.max)
	}
	fmt.Fprintf(w, "\nStatus: %s.\n", strings.ReplaceAll(wr.statusText(), "|", "\\|"))
	fmt.Fprintf(w, "\nTarget: %s; %s.\n", wr.targetText(), wr.verdictText())
}
