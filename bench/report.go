//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a whole benchmark run: the machine, the method, the start-up
// scenario's tables and one result per size.
type Report struct {
	Machine       Machine         `json:"machine"`
	Rounds        int             `json:"rounds"`
	Warmup        int             `json:"warmup"`
	StartupRounds int             `json:"startup_rounds"`
	Startup       []StartupResult `json:"startup,omitempty"`
	Sizes         []SizeResult    `json:"sizes"`
}

// SizeResult is the load of one size and the scenarios and watch refresh
// timed on it.
type SizeResult struct {
	LoadResult
	Scenarios    []ScenarioResult `json:"scenarios"`
	WatchRefresh *WatchRefresh    `json:"watch_refresh,omitempty"` // nil when the size failed before it
	// WatchRatesRefresh is the same with --info: rates on every refresh.
	WatchRatesRefresh *WatchRefresh `json:"watch_rates_refresh,omitempty"`
}

// watchRefreshes are the size's watch refresh measurements, without and
// with rates, as far as they ran.
func (s *SizeResult) watchRefreshes() []*WatchRefresh {
	var out []*WatchRefresh
	for _, w := range []*WatchRefresh{s.WatchRefresh, s.WatchRatesRefresh} {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

// LoadResult is one socket load: what was planned, set up and counted
// before and after timing, and its teardown.
type LoadResult struct {
	Size          int           `json:"size"`    // requested total sockets
	Sockets       int           `json:"sockets"` // planned: 2*pairs + listeners + UDP
	Pairs         int           `json:"pairs"`
	Listeners     int           `json:"listeners"`
	ConnPorts     int           `json:"conn_ports"` // listeners that carry connections
	UDP           int           `json:"udp"`
	UDPConnected  int           `json:"udp_connected"`
	ServerHelpers int           `json:"server_helpers"`
	ClientHelpers int           `json:"client_helpers"`
	HelperPIDs    []int         `json:"helper_pids"`
	TCPPorts      []int         `json:"tcp_ports"` // listener ports, busiest first
	UDPPorts      []int         `json:"udp_ports"`
	Port          int           `json:"port"` // the single-port scenario's port
	Setup         time.Duration `json:"setup_ns"`
	Before        LoadCount     `json:"before"`  // counted before timing
	Others        int           `json:"others"`  // other TCP and UDP sockets of the host, before timing
	After         LoadCount     `json:"after"`   // counted after timing, before teardown
	LoadAvg       [2]string     `json:"loadavg"` // /proc/loadavg (1, 5, 15 min) before and after timing
	Teardown      time.Duration `json:"teardown_ns"`
	Left          LoadCount     `json:"left"` // counted after teardown: all zero
}

// describe is a one-line account of the load.
func (s LoadResult) describe() string {
	return fmt.Sprintf("%d sockets: %d established pairs to %d listener port(s) (port %d busiest), %d listeners, %d UDP (%d connected), held by %d helper processes (%d accepting, %d dialing); the host had %d other TCP/UDP sockets",
		s.Sockets, s.Pairs, s.ConnPorts, s.Port, s.Listeners, s.UDP, s.UDPConnected,
		s.ServerHelpers+s.ClientHelpers, s.ServerHelpers, s.ClientHelpers, s.Others)
}

const method = "Each command runs as a whole process with stdout to /dev/null, in interleaved rounds (A B C A B C ...) after %d untimed warm-up run(s) of each; " +
	"wall time is measured around fork, exec and wait, CPU time (user + system, recorded in the JSON results) and peak RSS come from the child's rusage. " +
	"The kernel reports a child's peak RSS as at least that of the process that started it, so each command is started by a fresh launcher process (about 5 MiB resident) rather than by the bench; " +
	"\"≤\" marks a peak RSS within 0.5 MiB of the launcher's own: the tool's real peak is at most that. " +
	"Times are medians (min and max beside them) over %d round(s); runs that exit non-zero are reported, never timed. " +
	"pw/tool is portwatch's median divided by the tool's: below 1, portwatch is faster. " +
	"Lines is what the command printed in the first warm-up run."

// rssFloorMargin (KiB): a peak RSS this close to the launcher's own is
// the launcher's, not the tool's (the kernel's RSS counters are not
// exact, and the launcher grows a little between measuring itself and
// starting the command).
const rssFloorMargin = 512

// row is one tool's line of a results table, formatted.
type row struct {
	scenario, tool, command, median, min, max, ratio, verdict, rss, lines, status string
}

func rows(s SizeResult) []row {
	var out []row
	for _, sc := range s.Scenarios {
		for i, t := range sc.Tools {
			r := row{scenario: sc.Name, tool: t.Tool, command: t.Command,
				median: "-", min: "-", max: "-", ratio: "-", verdict: "-", rss: "-", lines: "-"}
			if t.Median > 0 {
				r.median, r.min, r.max = fmtDuration(t.Median), fmtDuration(t.Min), fmtDuration(t.Max)
				r.rss = fmtKiB(t.RSSKB)
				if t.RSSKB <= t.RSSFloorKB+rssFloorMargin {
					r.rss = "≤" + r.rss
				}
			}
			if t.Ratio > 0 {
				r.ratio = strconv.FormatFloat(t.Ratio, 'f', 3, 64)
				if i > 0 {
					r.verdict = verdict(t.Ratio)
				}
			}
			if t.Lines >= 0 {
				r.lines = strconv.Itoa(t.Lines)
			}
			r.status = runStatus(t)
			out = append(out, r)
		}
	}
	return out
}

// runStatus is a command's status column: ok, missing, failed or not run.
func runStatus(t ToolResult) string {
	switch {
	case t.Missing:
		return "missing (not installed)"
	case t.Failed > 0:
		return fmt.Sprintf("FAILED %d/%d: %s", t.Failed, len(t.Runs), t.FirstError)
	case len(t.Runs) == 0:
		return "not run"
	default:
		return "ok"
	}
}

// verdict turns a ratio into "12.3x faster" / "1.4x slower" for portwatch.
func verdict(ratio float64) string {
	if ratio <= 1 {
		return strconv.FormatFloat(1/ratio, 'f', 1, 64) + "x faster"
	}
	return strconv.FormatFloat(ratio, 'f', 1, 64) + "x slower"
}

// writeText prints one size's results as an aligned table.
func writeText(w io.Writer, s SizeResult) {
	fmt.Fprintf(w, "\n== %s\n", s.describe())
	fmt.Fprintf(w, "setup %s; before timing: %s; after timing: %s\n", fmtDuration(s.Setup), s.Before, s.After)
	fmt.Fprintf(w, "load average before timing: %s; after: %s\n\n", s.LoadAvg[0], s.LoadAvg[1])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tTOOL\tCOMMAND\tMEDIAN\tMIN\tMAX\tPW/TOOL\tPORTWATCH IS\tPEAK RSS\tLINES\tSTATUS")
	for _, r := range rows(s) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.scenario, r.tool, r.command, r.median, r.min, r.max, r.ratio, r.verdict, r.rss, r.lines, r.status)
	}
	tw.Flush()
	for _, sc := range s.Scenarios {
		if sc.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", sc.Name, sc.Note)
		}
	}
	for _, wr := range s.watchRefreshes() {
		writeWatchText(w, wr)
	}
}

// writeMarkdown writes the whole report as Markdown.
func writeMarkdown(w io.Writer, rep Report) {
	m := rep.Machine
	fmt.Fprintf(w, "# portwatch benchmark\n\n")
	fmt.Fprintf(w, "- Date: %s\n", m.Date)
	fmt.Fprintf(w, "- CPU: %s, %d CPUs\n", m.CPU, m.CPUs)
	fmt.Fprintf(w, "- Memory: %s\n", m.Memory)
	fmt.Fprintf(w, "- Kernel: %s\n", m.Kernel)
	fmt.Fprintf(w, "- Go: %s\n", m.Go)
	fmt.Fprintf(w, "- portwatch: %s\n", strings.TrimPrefix(m.Portwatch, "portwatch "))
	fmt.Fprintf(w, "- ss: %s\n- netstat: %s\n- lsof: %s\n", m.SS, m.Netstat, m.Lsof)
	fmt.Fprintf(w, "- Limits: %s\n\n", m.Limits)
	fmt.Fprintf(w, method+"\n", rep.Warmup, rep.Rounds)
	if len(rep.Startup) > 0 {
		writeStartupMarkdown(w, rep)
	}
	for _, s := range rep.Sizes {
		fmt.Fprintf(w, "\n## %d sockets\n\n", s.Size)
		fmt.Fprintf(w, "Load: %s. Set up in %s. Counted in /proc/net before timing: %s; after: %s. Load average before timing: %s; after: %s.\n\n",
			s.describe(), fmtDuration(s.Setup), s.Before, s.After, s.LoadAvg[0], s.LoadAvg[1])
		fmt.Fprintln(w, "| scenario | tool | command | median | min | max | pw/tool | portwatch is | peak RSS | lines | status |")
		fmt.Fprintln(w, "|---|---|---|--:|--:|--:|--:|---|--:|--:|---|")
		for _, r := range rows(s) {
			// A | inside a cell, code span or not, would end the cell.
			fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				r.scenario, r.tool, strings.ReplaceAll(r.command, "|", "\\|"), r.median, r.min, r.max, r.ratio, r.verdict, r.rss, r.lines,
				strings.ReplaceAll(r.status, "|", "\\|"))
		}
		fmt.Fprintln(w)
		for _, sc := range s.Scenarios {
			if sc.Note != "" {
				fmt.Fprintf(w, "- %s: %s\n", sc.Name, sc.Note)
			}
		}
		for _, wr := range s.watchRefreshes() {
			writeWatchMarkdown(w, wr)
		}
	}
}

// writeFiles writes the Markdown report to mdPath and, when jsonPath is
// set, the JSON one, creating their directories.
func writeFiles(rep Report, mdPath, jsonPath string) error {
	if mdPath != "" {
		var b strings.Builder
		writeMarkdown(&b, rep)
		if err := writeFile(mdPath, []byte(b.String())); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		js, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFile(jsonPath, append(js, '\n')); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// fmtDuration prints 0.42ms, 45.1ms or 12.34s (and -0.42ms: a difference
// of two times can be negative).
func fmtDuration(d time.Duration) string {
	switch ms := float64(d) / float64(time.Millisecond); {
	case d < 0:
		return "-" + fmtDuration(-d)
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + "s"
	}
}

// fmtKiB prints a size in KiB as MiB.
func fmtKiB(kb int64) string {
	return strconv.FormatFloat(float64(kb)/1024, 'f', 1, 64) + " MiB"
}
