package exporter

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portwatch/portwatch/audit"
)

// auditReport evaluates the built-in rules on a database on every address
// (IPv4 and IPv6, one process) and a loopback web server.
func auditReport(t *testing.T) (*audit.Report, *audit.Rules) {
	t.Helper()
	owner := []audit.Owner{{PID: 42, Process: "postgres", UID: 100, User: "postgres", Exe: "/usr/bin/postgres", ExeStatus: "ok"}}
	listeners := []audit.Listener{
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:5432"), Port: 5432, Exposure: audit.ExposureAll,
			Service: "postgresql", UID: 100, User: "postgres", Owners: owner},
		{Proto: "tcp", Local: netip.MustParseAddrPort("[::]:5432"), Port: 5432, Exposure: audit.ExposureAll,
			Service: "postgresql", UID: 100, User: "postgres", Owners: owner},
		{Proto: "tcp", Local: netip.MustParseAddrPort("127.0.0.1:8080"), Port: 8080, Exposure: audit.ExposureLoopback,
			Service: "http-alt", UID: 0, User: "root", Owners: []audit.Owner{{PID: 7, Process: "web", UID: 0, User: "root", Exe: "/usr/bin/web", ExeStatus: "ok"}}},
	}
	rules := audit.Builtin()
	return audit.Evaluate(listeners, rules, nil), rules
}

// Every rule has a count, 0 when nothing breaks it; a finding on IPv4 and
// IPv6 of one port is one series; --no-process-labels empties the label.
func TestAuditMetricsTextfile(t *testing.T) {
	rep, rules := auditReport(t)
	path := filepath.Join(t.TempDir(), "portwatch.prom")
	if err := WriteTextfile(path, AuditMetrics(rep, rules, false)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		`portwatch_audit_findings{rule="database-exposed",severity="high"} 2`,
		`portwatch_audit_findings{rule="cleartext-login",severity="high"} 0`,
		`portwatch_audit_finding_info{port="5432",process="postgres",proto="tcp",rule="database-exposed",severity="high"} 1`,
		"# TYPE portwatch_audit_findings gauge",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("textfile lacks %s:\n%s", want, text)
		}
	}
	if n := strings.Count(text, `rule="database-exposed",severity="high"} 1`); n != 1 {
		t.Errorf("%d finding series for the database on IPv4 and IPv6, want 1", n)
	}
	if n := strings.Count(text, "portwatch_audit_findings{"); n != len(rules.Rules) {
		t.Errorf("%d rule counts, want one per rule (%d)", n, len(rules.Rules))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want the textfile alone (no temporary left)", len(entries))
	}
	for _, m := range AuditMetrics(rep, rules, true) {
		if strings.Contains(m.Desc().String(), "finding_info") {
			if err := WriteTextfile(path, []prometheus.Metric{m}); err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(path); strings.Contains(string(data), "postgres") {
				t.Errorf("without process labels: %s", data)
			}
		}
	}
}
