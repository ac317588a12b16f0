//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// command is one tool's command line in a scenario. Path is empty when the
// tool is not installed.
type command struct {
	Tool string
	Path string
	Args []string
}

// String is the command line as a person would type it.
func (c command) String() string {
	parts := []string{c.Tool}
	for _, a := range c.Args {
		if strings.ContainsAny(a, " '\"=") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// scenario is a question asked of every tool; the first command is
// portwatch's.
type scenario struct {
	Name     string
	Note     string
	Commands []command
}

// ScenarioResult is the outcome of one scenario at one size.
type ScenarioResult struct {
	Name  string       `json:"name"`
	Note  string       `json:"note,omitempty"`
	Tools []ToolResult `json:"tools"`
}

// lookTools finds ss, netstat and lsof on PATH; a missing one maps to "".
func lookTools() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"ss", "netstat", "lsof"} {
		p, _ := exec.LookPath(t)
		m[t] = p
	}
	return m
}

// scenarios are the comparisons made at every size; port is one of the
// bench's listener ports.
func scenarios(portwatch string, tools map[string]string, port int) []scenario {
	pw := func(args ...string) command { return command{Tool: "portwatch", Path: portwatch, Args: args} }
	tool := func(name string, args ...string) command { return command{Tool: name, Path: tools[name], Args: args} }
	p := strconv.Itoa(port)
	return []scenario{
		{
			Name:     "table without owners",
			Commands: []command{pw("-tan"), tool("ss", "-tan"), tool("netstat", "-tan")},
		},
		{
			Name:     "table with owners",
			Commands: []command{pw("-tanp"), tool("ss", "-tanp"), tool("netstat", "-tanp")},
		},
		{
			Name: "owner of one port",
			Note: "port " + p + "; portwatch lists both ends of its connections, ss the local end (and the listener), lsof both ends and the listener",
			Commands: []command{pw("--port", p, "-o"), tool("ss", "-tanp", "sport = :"+p),
				tool("lsof", "-nP", "-iTCP:"+p)},
		},
		{
			Name: "who owns one port",
			Note: "port " + p + "; portwatch who also reads each owner's command line, executable, user, start time, parents and cgroup",
			Commands: []command{pw("who", p+"/tcp"), tool("ss", "-tanp", "sport = :"+p),
				tool("lsof", "-nP", "-iTCP:"+p)},
		},
		{
			Name:     "JSON",
			Note:     "ss has no JSON output: compared with its plain table",
			Commands: []command{pw("-tan", "--json"), tool("ss", "-tan")},
		},
		{
			Name:     "TCP internals",
			Note:     "tcp_info, congestion control and socket memory of every socket, on a second line",
			Commands: []command{pw("-tani"), tool("ss", "-tani")},
		},
	}
}

// runScenario runs sc's commands in interleaved rounds (see runRounds)
// and compares every tool's median with portwatch's.
func runScenario(ctx context.Context, r *runner, sc scenario, rounds, warmup int, progress io.Writer) (ScenarioResult, error) {
	res, err := runRounds(ctx, r, sc, rounds, warmup, progress)
	if err != nil {
		return res, err
	}
	setRatios(res.Tools)
	return res, nil
}

// runRounds runs sc's commands in interleaved rounds (A B C A B C ...)
// after warmup untimed runs of each (the first of which counts the output
// lines), and summarizes each command's runs. Every command that is
// installed has one run per round, in round order. progress gets one line
// per round.
func runRounds(ctx context.Context, r *runner, sc scenario, rounds, warmup int, progress io.Writer) (ScenarioResult, error) {
	res := ScenarioResult{Name: sc.Name, Note: sc.Note}
	for _, c := range sc.Commands {
		res.Tools = append(res.Tools, ToolResult{Tool: c.Tool, Command: c.String(), Missing: c.Path == "", Lines: -1})
	}
	for w := range warmup {
		for i, c := range sc.Commands {
			if c.Path == "" {
				continue
			}
			run := r.run(ctx, c.Path, c.Args, w == 0)
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if w == 0 && run.OK() {
				res.Tools[i].Lines = run.Lines
			}
		}
	}
	for round := range rounds {
		fmt.Fprintf(progress, "  %s: round %d/%d:", sc.Name, round+1, rounds)
		for i, c := range sc.Commands {
			if c.Path == "" {
				continue
			}
			run := r.run(ctx, c.Path, c.Args, false)
			if err := ctx.Err(); err != nil {
				fmt.Fprintln(progress)
				return res, err
			}
			res.Tools[i].Runs = append(res.Tools[i].Runs, run)
			status := fmtDuration(run.Wall)
			if !run.OK() {
				status = "FAILED"
			}
			fmt.Fprintf(progress, " %s %s", c.Tool, status)
		}
		fmt.Fprintln(progress)
	}
	for i := range res.Tools {
		res.Tools[i].summarize()
	}
	return res, nil
}
