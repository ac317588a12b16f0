//go:build linux

package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// startupMethod explains the start-up scenario; %d are the warm-up runs
// and the rounds, %s the targets.
const startupMethod = "On a small host the whole run of portwatch is start-up. Each round runs every command below once, in the order shown (A B C D E F A B C D E F ...), " +
	"each a whole process started by a fresh launcher with stdout to /dev/null, as above, after %d untimed warm-up run(s) of each; %d round(s) per table. " +
	"Times are medians over the rounds, min and max beside them; CPU is the median user + system time; page faults are the median of the child's minor faults (rusage), " +
	"each a page it touched first: a count as stable as instructions, and on a virtual machine whose host backs memory lazily each costs far more than on bare hardware, " +
	"so they explain a start-up that is slow with few instructions. " +
	"The comparisons (/ `ss -tan`, − Go floor, / Go floor, − dump floor, on wall time) are taken round by round, from the two commands' runs in the same round, and the tables show the median of the per-round values, " +
	"not the ratio of the medians (the JSON results hold both, and every round's value): neighbouring runs share the state of the machine at that moment. " +
	"The Go floor, `hello`, is what any Go program costs to start and exit; the dump floor, `dump`, is the Go floor plus the kernel's dump of every TCP socket, the one request `portwatch -tan` makes, " +
	"so its distance from the Go floor is the kernel's share of any listing and portwatch's distance from it is what portwatch adds. " +
	"Targets, stated as where the medians stand (they never fail the bench): %s."

// startupRow is one command's line of a start-up table, formatted.
type startupRow struct {
	tool, command, median, min, max, cpu, rss, faults, lines, vsSS, minusFloor, vsFloor, minusDump, instructions, status string
}

// startupRows formats st's commands; "-" where there is nothing.
func startupRows(st StartupResult) []startupRow {
	var out []startupRow
	for _, c := range st.Commands {
		t := c.Timing
		r := startupRow{tool: t.Tool, command: t.Command, median: "-", min: "-", max: "-", cpu: "-", rss: "-", faults: "-", lines: "-",
			vsSS: "-", minusFloor: "-", vsFloor: "-", minusDump: "-", instructions: "-"}
		switch c.Role {
		case roleFloor:
			r.tool = "Go floor"
		case roleDumpFloor:
			r.tool = "dump floor"
		}
		if t.Median > 0 {
			r.median, r.min, r.max, r.cpu = fmtDuration(t.Median), fmtDuration(t.Min), fmtDuration(t.Max), fmtDuration(t.CPU)
			r.rss = fmtKiB(t.RSSKB)
			if t.RSSKB <= t.RSSFloorKB+rssFloorMargin {
				r.rss = "≤" + r.rss
			}
			r.faults = fmtCount(t.MinFaults)
		}
		if t.Lines >= 0 {
			r.lines = strconv.Itoa(t.Lines)
		}
		if c.VsSS != nil {
			r.vsSS = fmtRatio(c.VsSS.Median)
		}
		if c.MinusFloor != nil {
			r.minusFloor = fmtSignedMs(c.MinusFloor.Median)
		}
		if c.VsFloor != nil {
			r.vsFloor = fmtRatio(c.VsFloor.Median)
		}
		if c.MinusDumpFloor != nil {
			r.minusDump = fmtSignedMs(c.MinusDumpFloor.Median)
		}
		if ic := c.Instructions; ic != nil && ic.Unavailable == "" && ic.Count > 0 {
			r.instructions = fmtCount(ic.Count)
		} else if ic != nil {
			r.instructions = "n/a"
		}
		r.status = runStatus(t)
		if (c.Role == roleFloor || c.Role == roleDumpFloor) && t.Missing {
			r.status = "not built"
		}
		out = append(out, r)
	}
	return out
}

// fmtRatio prints 0.912x.
func fmtRatio(r float64) string { return strconv.FormatFloat(r, 'f', 3, 64) + "x" }

// fmtSignedMs prints +1.37 ms or -0.21 ms.
func fmtSignedMs(d time.Duration) string {
	if d >= 0 {
		return "+" + fmtMs(d)
	}
	return fmtMs(d)
}

// tableText describes the table the scenario ran on.
func (st StartupResult) tableText() string {
	if st.Load == nil {
		return fmt.Sprintf("no bench load, only the host's own %d TCP/UDP sockets", st.HostSockets)
	}
	return "the bench's load: " + st.Load.describe()
}

// instructionNotes are the reasons commands were not counted, one line
// each.
func (st StartupResult) instructionNotes() []string {
	var out []string
	for _, c := range st.Commands {
		if ic := c.Instructions; ic != nil && ic.Unavailable != "" && st.InstructionMethod != "" {
			out = append(out, fmt.Sprintf("`%s`: instructions not counted: %s", c.Timing.Command, ic.Unavailable))
		}
	}
	return out
}

// writeStartupText prints the start-up scenario on one table.
func writeStartupText(w io.Writer, st StartupResult) {
	fmt.Fprintf(w, "\n== start-up, %s: %s\n", st.Table, st.tableText())
	fmt.Fprintf(w, "%d round(s); load average before timing: %s; after: %s\n", st.Rounds, st.LoadAvg[0], st.LoadAvg[1])
	fmt.Fprintf(w, "/SS, -FLOOR, /FLOOR, -DUMP: medians of the per-round values against ss -tan, the Go floor and the dump floor; instructions: %s\n\n", st.InstructionNote)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tCOMMAND\tMEDIAN\tMIN\tMAX\tCPU\tPEAK RSS\tPAGE FAULTS\tLINES\t/SS\t-FLOOR\t/FLOOR\t-DUMP\tINSTRUCTIONS\tSTATUS")
	for _, r := range startupRows(st) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.tool, r.command, r.median, r.min, r.max,
			r.cpu, r.rss, r.faults, r.lines, r.vsSS, r.minusFloor, r.vsFloor, r.minusDump, r.instructions, r.status)
	}
	tw.Flush()
	fmt.Fprintf(w, "Go floor: %s\n", st.Floor)
	fmt.Fprintf(w, "dump floor: %s\n", st.DumpFloor)
	for _, n := range st.instructionNotes() {
		fmt.Fprintln(w, n)
	}
	for _, t := range st.Targets {
		fmt.Fprintf(w, "target: %s; %s: %s\n", t.Target, t.Measured, t.verdict())
	}
	if len(st.Targets) == 0 {
		fmt.Fprintf(w, "targets: set for the idle table and %d sockets; not compared on this table\n", targetSockets)
	}
}

// writeStartupMarkdown writes the start-up section: the method, then one
// table per start-up table.
func writeStartupMarkdown(w io.Writer, rep Report) {
	fmt.Fprintf(w, "\n## start-up\n\n")
	fmt.Fprintf(w, startupMethod+"\n\n", rep.Warmup, rep.StartupRounds, targetsText())
	st0 := rep.Startup[0]
	fmt.Fprintf(w, "- Go floor: %s.\n", st0.Floor)
	fmt.Fprintf(w, "- Dump floor: %s.\n", st0.DumpFloor)
	fmt.Fprintf(w, "- Instructions: %s.\n", st0.InstructionNote)
	for _, st := range rep.Startup {
		fmt.Fprintf(w, "\n### start-up, %s\n\n", st.Table)
		fmt.Fprintf(w, "Table: %s. Load average before timing: %s; after: %s.\n\n", st.tableText(), st.LoadAvg[0], st.LoadAvg[1])
		fmt.Fprintln(w, "| tool | command | median | min | max | CPU | peak RSS | page faults | lines | / `ss -tan` | − Go floor | / Go floor | − dump floor | instructions | status |")
		fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
		for _, r := range startupRows(st) {
			fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.tool, r.command, r.median, r.min, r.max,
				r.cpu, r.rss, r.faults, r.lines, r.vsSS, r.minusFloor, r.vsFloor, r.minusDump, r.instructions, strings.ReplaceAll(r.status, "|", "\\|"))
		}
		fmt.Fprintln(w)
		for _, n := range st.instructionNotes() {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(n, "|", "\\|"))
		}
		for _, t := range st.Targets {
			fmt.Fprintf(w, "- Target: %s; %s: %s.\n", t.Target, t.Measured, t.verdict())
		}
		if len(st.Targets) == 0 {
			fmt.Fprintf(w, "- Targets: set for the idle table and %d sockets; not compared on this table.\n", targetSockets)
		}
	}
}
