package exporter

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portwatch/portwatch/audit"
)

// The audit's metrics, served by portwatch serve and written by portwatch
// audit --textfile.
var (
	descAuditFindings = prometheus.NewDesc("portwatch_audit_findings",
		"Listeners that break an audit rule, by rule and severity; every rule has a series, 0 when nothing breaks it.",
		[]string{"rule", "severity"}, nil)
	descAuditFindingInfo = prometheus.NewDesc("portwatch_audit_finding_info",
		"One series per finding (a rule broken by a listener), always 1.",
		[]string{"rule", "severity", "proto", "port", "process"}, nil)
)

// AuditMetrics returns the metrics of an audit report made with rules: a
// count per rule (0 for a rule nothing breaks, so that an alert can tell
// "fixed" from "not scraped") and a series per finding. With noProcess
// the process label is empty.
func AuditMetrics(rep *audit.Report, rules *audit.Rules, noProcess bool) []prometheus.Metric {
	type ruleKey struct{ id, severity string }
	counts := map[ruleKey]int{}
	var order []ruleKey
	if rules != nil {
		for _, r := range rules.Rules {
			k := ruleKey{r.ID, r.Severity.String()}
			if _, ok := counts[k]; !ok {
				counts[k] = 0
				order = append(order, k)
			}
		}
	}
	type findingKey struct{ rule, severity, proto, port, process string }
	var seen []findingKey
	var metrics []prometheus.Metric
	for _, f := range rep.Findings {
		k := ruleKey{f.Rule.ID, f.Rule.Severity.String()}
		if _, ok := counts[k]; !ok {
			order = append(order, k)
		}
		counts[k]++
		fk := findingKey{k.id, k.severity, f.Listener.Proto, strconv.Itoa(int(f.Listener.Port)), ""}
		if len(f.Listener.Owners) > 0 && !noProcess {
			fk.process = f.Listener.Owners[0].Process
		}
		if slices.Contains(seen, fk) {
			continue // the same rule on the same port for IPv4 and IPv6
		}
		seen = append(seen, fk)
		metrics = append(metrics, prometheus.MustNewConstMetric(descAuditFindingInfo, prometheus.GaugeValue, 1,
			fk.rule, fk.severity, fk.proto, fk.port, fk.process))
	}
	for _, k := range order {
		metrics = append(metrics, prometheus.MustNewConstMetric(descAuditFindings, prometheus.GaugeValue, float64(counts[k]), k.id, k.severity))
	}
	return metrics
}

// metricsCollector is a prometheus.Collector of fixed metrics.
type metricsCollector []prometheus.Metric

// Describe implements prometheus.Collector: unchecked.
func (metricsCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// WriteTextfile writes metrics to path in the Prometheus text format, for
// node_exporter's textfile collector: into a temporary file beside it,
// then renamed over it, so that a reader sees the old file or the new one,
// never a part.
func WriteTextfile(path string, metrics []prometheus.Metric) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(metricsCollector(metrics)); err != nil {
		return err
	}
	return prometheus.WriteToTextfile(path, reg)
}
