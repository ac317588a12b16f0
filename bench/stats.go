//go:build linux

package main

import (
	"slices"
	"time"
)

// ToolResult is one command of a scenario over every round.
type ToolResult struct {
	Tool       string        `json:"tool"`
	Command    string        `json:"command"`
	Missing    bool          `json:"missing,omitempty"` // the tool is not installed
	Runs       []RunResult   `json:"runs"`              // the timed runs, in order
	Failed     int           `json:"failed"`            // timed runs that did not exit 0
	FirstError string        `json:"first_error,omitempty"`
	Median     time.Duration `json:"median_ns"` // over the runs that exited 0
	Min        time.Duration `json:"min_ns"`
	Max        time.Duration `json:"max_ns"`
	CPU        time.Duration `json:"median_cpu_ns"`       // median of the runs' user + system time
	RSSKB      int64         `json:"median_max_rss_kib"`  // median of the runs' peak RSS
	MinFaults  int64         `json:"median_minor_faults"` // median of the runs' minor page faults
	RSSFloorKB int64         `json:"rss_floor_kib"`       // the launcher's peak: an RSS at or below it only says "at most this"
	Ratio      float64       `json:"ratio"`               // portwatch's median / this median; 0 when unknown
	Lines      int           `json:"lines"`               // lines printed in the warm-up run; -1 when not counted
}

// OK is the number of timed runs that exited 0.
func (t ToolResult) OK() int { return len(t.Runs) - t.Failed }

// summarize fills the statistics of t from its runs. Failed runs are
// counted and reported, never timed.
func (t *ToolResult) summarize() {
	var walls, cpus []time.Duration
	var rss, faults []int64
	t.Failed, t.FirstError, t.RSSFloorKB = 0, "", 0
	for _, r := range t.Runs {
		if !r.OK() {
			t.Failed++
			if t.FirstError == "" {
				t.FirstError = r.Error
			}
			continue
		}
		walls = append(walls, r.Wall)
		cpus = append(cpus, r.CPU)
		rss = append(rss, r.MaxRSSKB)
		faults = append(faults, r.MinFaults)
		t.RSSFloorKB = max(t.RSSFloorKB, r.RSSFloorKB)
	}
	t.Median, t.Min, t.Max, t.CPU, t.RSSKB, t.MinFaults = 0, 0, 0, 0, 0, 0
	if len(walls) == 0 {
		return
	}
	t.Median, t.CPU = median(walls), median(cpus)
	t.Min, t.Max = slices.Min(walls), slices.Max(walls)
	t.RSSKB, t.MinFaults = median(rss), median(faults)
}

// median of a non-empty slice; the mean of the middle two for an even
// count.
func median[T time.Duration | int64 | float64](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// setRatios sets every tool's Ratio: portwatch's median divided by the
// tool's (below 1: portwatch is faster). The first tool is portwatch.
func setRatios(tools []ToolResult) {
	if len(tools) == 0 {
		return
	}
	pw := tools[0].Median
	for i := range tools {
		tools[i].Ratio = 0
		if pw > 0 && tools[i].Median > 0 {
			tools[i].Ratio = float64(pw) / float64(tools[i].Median)
		}
	}
}
