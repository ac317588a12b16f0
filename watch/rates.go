package watch

import (
	"cmp"
	"slices"
)

// ProcessRate is one process's share of the sockets and traffic of a live
// view: what nethogs shows, from the kernel's counters instead of packets.
type ProcessRate struct {
	// PID and Process name the owner; PID 0 gathers the sockets whose
	// owner is not known (owners not collected, or not visible).
	PID     int
	Process string
	// Sockets is how many of the rows the process holds.
	Sockets int
	// Rates reports that at least one of them has rates (Row.Rates).
	Rates bool
	// SendRate and RecvRate are the sums of its sockets' rates, in bytes
	// per second.
	SendRate, RecvRate float64
}

// ProcessRates sums the rows rows[i] for i in idx (every row when idx is
// nil) by owner, closed rows left out. A socket held by several processes
// (a listener shared after fork) counts for the first owner listed, so a
// total is never counted twice. The result is sorted by SendRate+RecvRate,
// highest first, then by number of sockets, then by PID.
func ProcessRates(rows []Row, idx []int) []ProcessRate {
	type owner struct {
		pid  int
		name string
	}
	at := map[owner]int{}
	var out []ProcessRate
	add := func(r *Row) {
		if r.Mark == Gone {
			return
		}
		var o owner
		if len(r.Socket.Owners) > 0 {
			o = owner{r.Socket.Owners[0].PID, r.Socket.Owners[0].Process}
		}
		i, ok := at[o]
		if !ok {
			i = len(out)
			at[o] = i
			out = append(out, ProcessRate{PID: o.pid, Process: o.name})
		}
		p := &out[i]
		p.Sockets++
		if r.Rates {
			p.Rates = true
			p.SendRate += r.SendRate
			p.RecvRate += r.RecvRate
		}
	}
	if idx == nil {
		for i := range rows {
			add(&rows[i])
		}
	} else {
		for _, i := range idx {
			add(&rows[i])
		}
	}
	slices.SortFunc(out, func(a, b ProcessRate) int {
		if c := cmp.Compare(b.SendRate+b.RecvRate, a.SendRate+a.RecvRate); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Sockets, a.Sockets); c != 0 {
			return c
		}
		if c := cmp.Compare(a.PID, b.PID); c != 0 {
			return c
		}
		return cmp.Compare(a.Process, b.Process)
	})
	return out
}
