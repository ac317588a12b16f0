// Package exporter serves a host's sockets as Prometheus metrics: counts
// per state, one series per listener (never one per connection), the
// busiest remote ports within a bound, and the listeners that came, went
// or changed since the start. It is built on prometheus/client_golang and
// knows nothing of flags: it takes a collect function and options.
package exporter

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portwatch/portwatch/audit"
	"github.com/portwatch/portwatch/collector"
)

// Options configure an Exporter.
type Options struct {
	// Collect takes one snapshot of the host's sockets, with owners when
	// the process label is wanted. Required.
	Collect func(ctx context.Context) (*collector.Snapshot, error)
	// MinInterval is the least time between two collections: scrapes that
	// come sooner share the last one. 0 means one second.
	MinInterval time.Duration
	// MaxSeries bounds the series of portwatch_connections_by_remote_port;
	// the remote ports with the fewest connections are left out first,
	// and counted in portwatch_series_dropped_total. 0 means 500.
	MaxSeries int
	// Places returns, for one collection, what names its listeners:
	// service, user, network namespace, container and exposure; nil
	// leaves those labels empty and classifies the exposure by address.
	Places func(snap *collector.Snapshot) func(s *collector.Socket) ListenerNames
	// NoProcessLabels leaves the process label of every listener empty,
	// for a server reachable by people who should not see process names.
	NoProcessLabels bool
	// Audit, when set, judges each collection's listeners against Rules
	// for portwatch_audit_findings and portwatch_audit_finding_info. It is
	// called after Places, with the same snapshot.
	Audit func(snap *collector.Snapshot) *audit.Report
	Rules *audit.Rules
	// Version is the build's version, for portwatch_build_info.
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ListenerNames are the names of a listener that the exporter cannot find
// from the socket alone. Exposure, when not empty, is the listener's
// exposure as the audit judges it (a container's port published on the
// host's addresses); empty, the exporter classifies the address.
type ListenerNames struct {
	Service, User, Netns, Container string
	Exposure                        audit.Exposure
}

// Exporter is a prometheus.Collector of the host's sockets, with a cache
// that makes concurrent scrapes share one collection.
type Exporter struct {
	opts Options

	mu          sync.Mutex // held during a collection, so that scrapes wait for it
	last        *collection
	lastAt      time.Time
	collections int
	changes     listenerChanges
	// Totals since the start, written by each scrape with the collection
	// they count, so a scrape never shows one without the other.
	collectErrors int
	dropped       int
}

// New returns an Exporter for opts.
func New(opts Options) *Exporter {
	if opts.MinInterval <= 0 {
		opts.MinInterval = time.Second
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = 500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Exporter{opts: opts}
}

// Collections is how many times the socket tables were read.
func (e *Exporter) Collections() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.collections
}

// Registry returns a registry with the exporter's metrics, the Go runtime's
// and the process's.
func (e *Exporter) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(e,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the exporter's registry: /metrics in the Prometheus text
// format, or OpenMetrics when the scraper asks for it, at most
// maxInFlight at a time (more get 503), each within timeout.
func (e *Exporter) Handler(maxInFlight int, timeout time.Duration) http.Handler {
	reg := e.Registry()
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		EnableOpenMetrics:   true,
		ErrorHandling:       promhttp.ContinueOnError, // a failed collection still serves the rest
		MaxRequestsInFlight: maxInFlight,
		Timeout:             timeout,
		Registry:            reg, // promhttp_metric_handler_errors_total
	})
}

// collection is what one read of the socket tables gave, ready to be
// written as metrics.
type collection struct {
	err      error
	duration time.Duration
	metrics  []prometheus.Metric // with the totals as they stood after it
}

// current returns the latest collection, reading the tables again when the
// last one is older than MinInterval. Callers that come during a
// collection wait for it and share it.
func (e *Exporter) current(ctx context.Context) *collection {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Now()
	if e.last != nil && now.Sub(e.lastAt) < e.opts.MinInterval {
		return e.last
	}
	start := time.Now()
	snap, err := e.opts.Collect(ctx)
	c := &collection{err: err, duration: time.Since(start)}
	e.collections++
	if err != nil {
		e.collectErrors++
	} else {
		var dropped int
		c.metrics, dropped = e.build(snap)
		e.dropped += dropped
		if e.opts.Audit != nil {
			c.metrics = append(c.metrics, AuditMetrics(e.opts.Audit(snap), e.opts.Rules, e.opts.NoProcessLabels)...)
		}
	}
	c.metrics = append(c.metrics,
		prometheus.MustNewConstMetric(descCollectDuration, prometheus.GaugeValue, c.duration.Seconds()),
		prometheus.MustNewConstMetric(descCollectErrors, prometheus.CounterValue, float64(e.collectErrors)),
		prometheus.MustNewConstMetric(descCollections, prometheus.CounterValue, float64(e.collections)),
		prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(e.dropped), "portwatch_connections_by_remote_port"))
	e.last, e.lastAt = c, now
	return c
}

// Describe implements prometheus.Collector. The exporter's series change
// with the host, so it describes none and is an unchecked collector.
func (e *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	c := e.current(context.Background())
	ch <- prometheus.MustNewConstMetric(descBuildInfo, prometheus.GaugeValue, 1, e.opts.Version)
	for _, m := range c.metrics {
		ch <- m
	}
	if c.err != nil {
		ch <- prometheus.NewInvalidMetric(descSockets, c.err)
	}
}
