package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/counters"
	"github.com/portwatch/portwatch/render"
)

func newStatsCommand(stdout, stderr io.Writer) *cobra.Command {
	var asJSON bool
	var rf rateFlags
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Protocol counters: IP, ICMP, TCP and UDP, as netstat -s",
		Long: `Print the kernel's protocol counters, as netstat -s (--statistics) and
nstat do: IP, ICMP, TCP, UDP and UDP-Lite for IPv4 and IPv6, and Linux's
extended TCP and IP counters, each with a short name; --json gives them by
the kernel's own names. portwatch -s is the socket summary, as ss -s; this
is netstat -s. Linux (/proc/net/snmp, snmp6 and netstat), Windows (the IP
Helper API), macOS and FreeBSD (the net.inet.*.stats and net.inet6.*.stats
sysctls, by the Linux names where the meaning is the same).`,
		Example: `  portwatch stats
  portwatch --statistics                 the same, netstat's spelling
  portwatch stats --json | jq .counters.Tcp.RetransSegs
  portwatch stats -c 1                   what moved, per second, every second`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rf.check(cmd); err != nil {
				return err
			}
			if rf.interval.d > 0 {
				return runStatsRates(cmd.Context(), asJSON, &rf, stdout, stderr)
			}
			return runStats(cmd.Context(), asJSON, stdout, stderr)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON output, by the kernel's names")
	rf.bind(cmd, "what moved, per second,")
	return cmd
}

// runStatsRates prints, every interval, the counters that moved since the
// last read, per second.
func runStatsRates(ctx context.Context, asJSON bool, rf *rateFlags, stdout, stderr io.Writer) error {
	warned := false
	read := func() (*counters.Snapshot, error) {
		snap, err := readCounters()
		if err == nil && !warned {
			warned = true
			writeCounterWarnings(stderr, snap)
		}
		return snap, err
	}
	return repeatRates(ctx, rf, read, func(prev, cur *counters.Snapshot) error {
		rates := counters.Rates(prev, cur)
		return writeBuffered(stdout, func(w io.Writer) error {
			if asJSON {
				return render.RatesJSON(w, cur.Time, cur.Time.Sub(prev.Time), rates)
			}
			return render.RatesText(w, cur.Time, rates)
		})
	})
}

// readCounters reads the protocol counters, or says why not.
func readCounters() (*counters.Snapshot, error) {
	snap, err := counters.Read("")
	if err != nil {
		return nil, failf("cannot read the protocol counters: %v", err)
	}
	return snap, nil
}

// writeCounterWarnings prints the groups snap could not read.
func writeCounterWarnings(stderr io.Writer, snap *counters.Snapshot) {
	for _, w := range snap.Warnings {
		fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(w))
	}
}

// runStats prints the protocol counters.
func runStats(_ context.Context, asJSON bool, stdout, stderr io.Writer) error {
	snap, err := readCounters()
	if err != nil {
		return err
	}
	writeCounterWarnings(stderr, snap)
	return writeBuffered(stdout, func(w io.Writer) error {
		if asJSON {
			return render.CountersJSON(w, snap)
		}
		return render.CountersText(w, snap)
	})
}
