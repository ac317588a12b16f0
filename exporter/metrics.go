package exporter

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portwatch/portwatch/audit"
	"github.com/portwatch/portwatch/collector"
)

// The exporter's metrics. Their names and labels are stable: README lists
// them.
var (
	descSockets = prometheus.NewDesc("portwatch_sockets",
		"Sockets by protocol, family and state.",
		[]string{"proto", "family", "state"}, nil)
	descListenerInfo = prometheus.NewDesc("portwatch_listener_info",
		"One series per listening socket (TCP LISTEN, UDP bound without a peer), always 1.",
		[]string{"proto", "address", "port", "exposure", "service", "process", "user", "netns", "container"}, nil)
	descRemotePorts = prometheus.NewDesc("portwatch_connections_by_remote_port",
		"Outgoing connections by remote port (accepted ones, whose local port is a listener's, are left out), the busiest ports within --max-series.",
		[]string{"proto", "port"}, nil)
	descListenerChanges = prometheus.NewDesc("portwatch_listener_changes_total",
		"Listeners that appeared (new), went away (gone) or changed exposure, process or user (changed) since the start, keyed by protocol, address, port and namespace, so that a restart with a new PID is no change.",
		[]string{"event"}, nil)
	descCollectDuration = prometheus.NewDesc("portwatch_collect_duration_seconds",
		"How long the last collection of the socket tables took.", nil, nil)
	descCollections = prometheus.NewDesc("portwatch_collections_total",
		"Collections of the socket tables: at most one per --min-interval, however many scrapes come.", nil, nil)
	descCollectErrors = prometheus.NewDesc("portwatch_collect_errors_total",
		"Collections of the socket tables that failed.", nil, nil)
	descDropped = prometheus.NewDesc("portwatch_series_dropped_total",
		"Series left out by the --max-series bound, added at every collection, by metric.", []string{"metric"}, nil)
	descBuildInfo = prometheus.NewDesc("portwatch_build_info",
		"portwatch's version, always 1.", []string{"version"}, nil)
)

// build turns a snapshot into the exporter's metrics and returns how many
// remote-port series it left out.
func (e *Exporter) build(snap *collector.Snapshot) ([]prometheus.Metric, int) {
	type stateKey struct{ proto, family, state string }
	states := map[stateKey]int{}
	type portKey struct {
		proto string
		port  uint16
	}
	remote := map[portKey]int{}
	listeners := map[listenerKey]listenerValue{}
	var names func(*collector.Socket) ListenerNames
	if e.opts.Places != nil {
		names = e.opts.Places(snap)
	}
	// A connection whose local port is a listener's was accepted by it:
	// its remote port is the client's, ephemeral, and not counted.
	listening := map[portKey]bool{}
	for i := range snap.Sockets {
		if s := &snap.Sockets[i]; s.Listening() {
			listening[portKey{s.Proto.String(), s.Local.Port()}] = true
		}
	}
	var metrics []prometheus.Metric
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		states[stateKey{s.Proto.String(), s.Family.String(), s.StateName()}]++
		if s.Listening() {
			k, v := e.listener(s, snap, names)
			if _, dup := listeners[k]; dup {
				continue // one series per listener: a second holder is the same one
			}
			listeners[k] = v
			metrics = append(metrics, prometheus.MustNewConstMetric(descListenerInfo, prometheus.GaugeValue, 1,
				k.proto, k.address, k.port, v.exposure, v.service, v.process, v.user, k.netns, v.container))
			continue
		}
		if p := s.Remote.Port(); p != 0 && s.State != collector.StateTimeWait && !listening[portKey{s.Proto.String(), s.Local.Port()}] {
			remote[portKey{s.Proto.String(), p}]++
		}
	}
	for k, n := range states {
		metrics = append(metrics, prometheus.MustNewConstMetric(descSockets, prometheus.GaugeValue, float64(n), k.proto, k.family, k.state))
	}
	ports := make([]portKey, 0, len(remote))
	for k := range remote {
		ports = append(ports, k)
	}
	slices.SortFunc(ports, func(a, b portKey) int {
		if c := cmp.Compare(remote[b], remote[a]); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port))
	})
	dropped := max(len(ports)-e.opts.MaxSeries, 0)
	for _, k := range ports[:len(ports)-dropped] {
		metrics = append(metrics, prometheus.MustNewConstMetric(descRemotePorts, prometheus.GaugeValue, float64(remote[k]),
			k.proto, strconv.Itoa(int(k.port))))
	}
	e.changes.update(listeners)
	for _, ev := range [...]string{"new", "gone", "changed"} {
		metrics = append(metrics, prometheus.MustNewConstMetric(descListenerChanges, prometheus.CounterValue,
			float64(e.changes.counts[ev]), ev))
	}
	return metrics, dropped
}

// listenerKey is what identifies a listener across collections: not its
// PID, which a restart changes.
type listenerKey struct {
	proto, address, port, netns string
}

// listenerValue is what a listener's change is seen in, and its other
// labels.
type listenerValue struct {
	exposure, process, user string
	service, container      string
}

// listener returns the key and labels of the listening socket s.
func (e *Exporter) listener(s *collector.Socket, snap *collector.Snapshot, place func(*collector.Socket) ListenerNames) (listenerKey, listenerValue) {
	var names ListenerNames
	if place != nil {
		names = place(s)
	}
	otherNetns := false
	for _, n := range snap.Namespaces {
		if n.Inode == s.Netns && !n.Current {
			otherNetns = true
		}
	}
	k := listenerKey{proto: s.Proto.String(), address: s.Local.Addr().Unmap().String(),
		port: strconv.Itoa(int(s.Local.Port())), netns: names.Netns}
	exposure := names.Exposure
	if exposure == "" {
		exposure = audit.ClassifyIn(s.Local.Addr(), otherNetns)
	}
	v := listenerValue{exposure: string(exposure),
		user: names.User, service: names.Service, container: names.Container}
	if len(s.Owners) > 0 && !e.opts.NoProcessLabels {
		v.process = s.Owners[0].Process
	}
	return k, v
}

// listenerChanges counts the listeners that came, went and changed from
// one collection to the next. The first collection is the start: nothing
// is a change.
type listenerChanges struct {
	prev    map[listenerKey]listenerValue
	started bool
	counts  map[string]int
}

// update takes the listeners of a collection.
func (c *listenerChanges) update(cur map[listenerKey]listenerValue) {
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	if c.started {
		for k, v := range cur {
			old, ok := c.prev[k]
			switch {
			case !ok:
				c.counts["new"]++
			case old.exposure != v.exposure || old.process != v.process || old.user != v.user:
				c.counts["changed"]++
			}
		}
		for k := range c.prev {
			if _, ok := cur[k]; !ok {
				c.counts["gone"]++
			}
		}
	}
	c.prev, c.started = cur, true
}
