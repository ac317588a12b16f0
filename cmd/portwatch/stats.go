package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/counters"
	"github.com/portwatch/portwatch/render"
)

func newStatsCommand(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Protocol counters: IP, ICMP, TCP and UDP, as netstat -s",
		Long: `Print the kernel's protocol counters, as netstat -s (--statistics) and
nstat do: IP, ICMP, TCP, UDP and UDP-Lite for IPv4 and IPv6, and Linux's
extended TCP and IP counters, each with a short name; --json gives them by
the kernel's own names. portwatch -s is the socket summary, as ss -s; this
is netstat -s. Linux so far (/proc/net/snmp, snmp6 and netstat).`,
		Example: `  portwatch stats
  portwatch --statistics                 the same, netstat's spelling
  portwatch stats --json | jq .counters.Tcp.RetransSegs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStats(cmd.Context(), asJSON, stdout)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON output, by the kernel's names")
	return cmd
}

// runStats prints the protocol counters.
func runStats(_ context.Context, asJSON bool, stdout io.Writer) error {
	snap, err := counters.Read("")
	if err != nil {
		return failf("cannot read the protocol counters: %v", err)
	}
	return writeBuffered(stdout, func(w io.Writer) error {
		if asJSON {
			return render.CountersJSON(w, snap)
		}
		return render.CountersText(w, snap)
	})
}
