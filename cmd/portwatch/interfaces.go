package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/netif"
	"github.com/portwatch/portwatch/render"
)

func newInterfacesCommand(stdout io.Writer) *cobra.Command {
	var asJSON bool
	var rf rateFlags
	cmd := &cobra.Command{
		Use:   "interfaces",
		Short: "Network interfaces with their counters, as netstat -i and ip -s link",
		Long: `List the network interfaces: name, MTU, state, addresses, and the packets,
bytes, errors and drops received and sent, as netstat -i (and -e) and
ip -s link show them. With -c INTERVAL, every interval the rates per
second instead. (portwatch -i is --info, as in ss: the interfaces are this
command.) Linux (rtnetlink), Windows (GetIfTable2Ex), macOS and FreeBSD (the
routing sysctl's interface list).`,
		Example: `  portwatch interfaces
  portwatch interfaces --json | jq '.interfaces[] | {name, rx: .stats.rx_bytes}'
  portwatch interfaces -c 1              packets and bytes per second`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rf.check(cmd); err != nil {
				return err
			}
			if rf.interval.d > 0 {
				return runInterfaceRates(cmd.Context(), &rf, stdout)
			}
			snap, err := readInterfaces()
			if err != nil {
				return err
			}
			return writeBuffered(stdout, func(w io.Writer) error {
				if asJSON {
					return render.InterfacesJSON(w, snap)
				}
				return render.InterfacesText(w, snap.Interfaces)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	rf.bind(cmd, "rates per second")
	return cmd
}

// readInterfaces reads the interfaces, or says why not.
func readInterfaces() (*netif.Snapshot, error) {
	snap, err := netif.Read()
	if err != nil {
		return nil, failf("cannot read the network interfaces: %v", err)
	}
	return snap, nil
}

// runInterfaceRates prints the interfaces' rates every interval.
func runInterfaceRates(ctx context.Context, rf *rateFlags, stdout io.Writer) error {
	return repeatRates(ctx, rf, readInterfaces, func(prev, cur *netif.Snapshot) error {
		return writeBuffered(stdout, func(w io.Writer) error {
			return render.InterfaceRatesText(w, cur.Time, netif.Rates(prev, cur))
		})
	})
}
