package main

import (
	"io"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// serveFlags are portwatch serve's flags.
type serveFlags struct {
	listen          string
	minInterval     intervalValue
	maxSeries       int
	maxRequests     int
	noProcessLabels bool
	webConfig       string
	netns           string
}

// exporterName is the build of portwatch that serve runs: this command
// built with -tags exporter.
const exporterName = "portwatch-exporter"

// defaultServeAddress is where serve listens unless told: loopback, so
// that nothing is exposed beyond the host by default.
const defaultServeAddress = "127.0.0.1:9717"

func newServeCommand(stdout io.Writer) *cobra.Command {
	f := &serveFlags{minInterval: intervalValue{d: time.Second}}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the host's sockets as Prometheus metrics",
		Long: `Serve the host's listeners, socket counts and changes as Prometheus
metrics on /metrics (the text format, or OpenMetrics when the scraper asks
for it), with /healthz for health checks. Scrapes that come within
--min-interval of a collection share it.

It listens on ` + defaultServeAddress + ` unless --web.listen-address says otherwise.
Listening beyond loopback shows process names to whoever can connect:
bind to loopback or a private address, require TLS and a password with
--web.config.file (the standard web config of Prometheus exporters), or
leave the process label out (--no-process-labels).

portwatch serve runs portwatch-exporter, the build of portwatch with the
Prometheus client library (kept out of portwatch so that its every other
command starts fast); it comes beside portwatch.`,
		Example: `  portwatch serve
  portwatch serve --web.listen-address 10.0.0.5:9717 --web.config.file /etc/portwatch/web.yml
  curl -s localhost:9717/metrics | grep portwatch_listener_info`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			return runServe(cmd.Context(), f, stdout, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.listen, "web.listen-address", defaultServeAddress, "address to listen on, HOST:PORT (as every Prometheus exporter names it)")
	fl.StringVar(&f.listen, "listen", defaultServeAddress, "the same as --web.listen-address")
	fl.Var(&f.minInterval, "min-interval", "least time between two collections: scrapes sooner share the last (500ms, 2s)")
	fl.IntVar(&f.maxSeries, "max-series", 500, "most series of portwatch_connections_by_remote_port (the busiest remote ports)")
	fl.IntVar(&f.maxRequests, "max-requests", 256, "most scrapes served at once; more get 503")
	fl.StringVar(&f.webConfig, "web.config.file", "", "TLS and basic auth: the web config file every Prometheus exporter reads (exporter-toolkit)")
	fl.BoolVar(&f.noProcessLabels, "no-process-labels", false, "leave process names out of the metrics")
	bindNetnsFlag(fl, &f.netns)
	return cmd
}

// check validates the flags' values.
func (f *serveFlags) check() error {
	_, port, err := net.SplitHostPort(f.listen)
	if err != nil {
		return usagef("invalid --web.listen-address %q: accepted: HOST:PORT, [IPv6]:PORT or :PORT", f.listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return usagef("invalid --web.listen-address %q: the port %q is not 0-65535", f.listen, port)
	}
	switch {
	case f.maxSeries < 1:
		return usagef("invalid --max-series %d: want 1 or more", f.maxSeries)
	case f.maxRequests < 1:
		return usagef("invalid --max-requests %d: want 1 or more", f.maxRequests)
	}
	return nil
}
