package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/routes"
)

// routesFlags are the flags of portwatch routes.
type routesFlags struct {
	asJSON     bool
	table      string
	ipv4, ipv6 bool
}

func newRoutesCommand(stdout io.Writer) *cobra.Command {
	var f routesFlags
	cmd := &cobra.Command{
		Use:   "routes",
		Short: "The routing tables, as ip route and netstat -r",
		Long: `Print the kernel's routes, as ip route and netstat -rn do: each route's
destination (0.0.0.0/0 or ::/0 for the default route), gateway, interface,
metric, protocol (who installed it: kernel, boot, static, dhcp, ra, ...),
scope and type (unicast, local, broadcast, blackhole, ...), IPv4 then IPv6,
in the kernel's order. A multipath route lists each next hop on a row of
its own. By default table main only, as ip route shows; --table all shows
every table (local's routes to this host's own addresses too) and adds a
Table column. Cached routes are left out. --json gives every field, the
preferred source address and the flags too. Linux (rtnetlink), Windows
(GetIpForwardTable2), macOS and FreeBSD (the NET_RT_DUMP sysctl; FreeBSD's
FIB N is table N).`,
		Example: `  portwatch routes
  portwatch routes -4                    IPv4 routes only
  portwatch routes --table all           every table: main, local, ...
  portwatch routes --table local
  portwatch routes --json | jq '.routes[] | select(.dst == "0.0.0.0/0")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			return runRoutes(opts, f.asJSON, stdout)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "JSON output")
	fl.StringVar(&f.table, "table", "main", "the table to show: main, local, default, a number, or all")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 routes (with -6: both)")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 routes (with -4: both)")
	return cmd
}

// options turns the flags into routes.Read's options; a bad --table is a
// usage error.
func (f routesFlags) options() (routes.Options, error) {
	table, all, err := routes.ParseTable(f.table)
	if err != nil {
		return routes.Options{}, usagef("invalid --table: %v", err)
	}
	return routes.Options{Table: table, AllTables: all, Family: routeFamily(f.ipv4, f.ipv6)}, nil
}

// routeFamily is the family -4 and -6 choose: both or neither is both.
func routeFamily(ipv4, ipv6 bool) routes.Family {
	switch {
	case ipv4 && !ipv6:
		return routes.IPv4
	case ipv6 && !ipv4:
		return routes.IPv6
	}
	return routes.Family(0)
}

// runRoutes reads the routes opts choose and prints them.
func runRoutes(opts routes.Options, asJSON bool, stdout io.Writer) error {
	rs, err := routes.Read(opts)
	if err != nil {
		return failf("cannot read the routing tables: %v", err)
	}
	return writeBuffered(stdout, func(w io.Writer) error {
		if asJSON {
			return render.RoutesJSON(w, rs)
		}
		return render.RoutesText(w, rs)
	})
}
