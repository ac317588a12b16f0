package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/audit"
	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/process"
	"github.com/portwatch/portwatch/services"
)

// hostile is a process name that tries to end its row and forge another.
const hostile = "evil\x1b[2J\n0.0.0.0:22\u202e"

// auditScenario is a host with one listener per kind of finding, compared
// with a baseline that lost one listener and changed another. Addresses
// are documentation addresses.
func auditScenario(t *testing.T) *audit.Report {
	t.Helper()
	owner := func(pid, uid int, user, exe, status string) audit.Owner {
		return audit.Owner{PID: pid, Process: exe[strings.LastIndexByte(exe, '/')+1:], UID: uid, User: user, Exe: exe, ExeStatus: status}
	}
	l := func(proto, addr, service string, o ...audit.Owner) audit.Listener {
		ap := netip.MustParseAddrPort(addr)
		return audit.Listener{Proto: proto, Local: ap, Port: ap.Port(), Exposure: audit.Classify(ap.Addr()),
			Service: service, UID: 0, User: "root", Owners: o}
	}
	sshd := owner(612, 0, "root", "/usr/sbin/sshd", "ok")
	listeners := []audit.Listener{
		l("tcp", "0.0.0.0:22", "ssh", sshd),
		l("tcp", "[::]:22", "ssh", sshd),
		l("tcp", "0.0.0.0:6379", "redis", owner(812, 112, "redis", "/usr/bin/redis-server", "ok")),
		l("tcp", "192.0.2.10:21", "ftp", owner(900, 0, "root", "/usr/sbin/vsftpd", "replaced")),
		l("tcp", "127.0.0.1:8080", "http-alt", owner(4242, 1000, "alice", "/tmp/build/"+hostile, "deleted")),
		l("udp", "127.0.0.1:53", "domain", owner(700, 101, "", "/usr/sbin/unbound", "ok")),
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:2024"), Port: 2024, Exposure: audit.ExposureAll,
			Service: "", UID: 0, User: "root", OwnerUnknown: "permission"},
	}
	base := audit.NewBaseline([]audit.Listener{
		l("tcp", "0.0.0.0:22", "ssh", sshd),
		l("tcp", "0.0.0.0:6379", "redis", owner(812, 112, "redis", "/usr/bin/redis-server", "ok")),
		l("tcp", "192.0.2.10:21", "ftp", owner(900, 0, "root", "/usr/sbin/vsftpd", "ok")),
		l("udp", "127.0.0.1:53", "domain", owner(700, 101, "", "/usr/sbin/unbound", "ok")),
		l("tcp", "127.0.0.1:5432", "postgresql", owner(1500, 113, "postgres", "/usr/lib/postgresql/16/bin/postgres", "ok")),
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:2024"), Port: 2024, Exposure: audit.ExposureAll, UID: 0, User: "root"},
		l("tcp", "127.0.0.1:8080", "http-alt", owner(4242, 1000, "alice", "/opt/app/server", "ok")),
	}, "host", time.Unix(0, 0))
	return audit.Evaluate(listeners, audit.Builtin(), base)
}

func auditMeta(rep *audit.Report, color bool) *AuditMeta {
	policy, _ := audit.ParseFailPolicy(audit.DefaultFailOn)
	return &AuditMeta{Time: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Host: "host",
		Baseline: "/etc/portwatch/baseline.json", Policy: policy, FailOn: audit.DefaultFailOn,
		Report: rep, Color: color}
}

func TestAuditGolden(t *testing.T) {
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := AuditText(&b, auditMeta(auditScenario(t), color)); err != nil {
			t.Fatal(err)
		}
		name := "audit.txt"
		if color {
			name = "audit-color.txt"
		} else {
			checkNoForgery(t, b.String())
		}
		checkGolden(t, name, b.Bytes())
	}
	var b bytes.Buffer
	if err := AuditJSON(&b, auditMeta(auditScenario(t), false)); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatalf("audit JSON does not parse: %v", err)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\u202e") {
		t.Error("audit JSON carries raw escape or bidi characters")
	}
	checkGolden(t, "audit.json", b.Bytes())

	// Without a baseline there is no mark column and no baseline section.
	rep := audit.Evaluate([]audit.Listener{{Proto: "tcp", Local: netip.MustParseAddrPort("127.0.0.1:631"), Port: 631,
		Exposure: audit.ExposureLoopback, Service: "ipp", UID: 0, User: "root"}}, audit.Builtin(), nil)
	b.Reset()
	m := auditMeta(rep, false)
	m.Baseline = ""
	if err := AuditText(&b, m); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "audit-clean.txt", b.Bytes())
}

// checkNoForgery checks that no line of out starts a row that a hostile
// name injected: every line is the report's own.
func checkNoForgery(t *testing.T, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("raw escape or bidi control reached the output:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "0.0.0.0:22") {
			t.Errorf("a process name forged a line: %q", line)
		}
	}
}

func whoScenario() *Who {
	start := time.Date(2026, 11, 21, 9, 14, 3, 0, time.UTC)
	snap := &collector.Snapshot{Time: start, Host: "host", Source: collector.SourceNetlink, Sockets: []collector.Socket{
		{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, Local: netip.MustParseAddrPort("0.0.0.0:8080"),
			Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: collector.StateListen, UID: 1000, Inode: 1001,
			Owners: []collector.Owner{{PID: 4242, Process: "python3", FD: 3}, {PID: 4243, Process: hostile, FD: 3}}},
		{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, Local: netip.MustParseAddrPort("127.0.0.1:8080"),
			Remote: netip.MustParseAddrPort("127.0.0.1:51234"), State: collector.StateEstablished, UID: 1000, Inode: 1002,
			Owners: []collector.Owner{{PID: 4242, Process: "python3", FD: 5}}},
		{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, Local: netip.MustParseAddrPort("127.0.0.1:8080"),
			Remote: netip.MustParseAddrPort("127.0.0.1:51200"), State: collector.StateTimeWait, UID: 0,
			OwnerUnknown: collector.OwnerKernel},
		{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, Local: netip.MustParseAddrPort("127.0.0.1:51300"),
			Remote: netip.MustParseAddrPort("127.0.0.1:8080"), State: collector.StateEstablished, UID: 0, Inode: 1003,
			OwnerUnknown: collector.OwnerPermission},
	}}
	reg := services.Default()
	return &Who{
		Query: "8080/tcp", Port: 8080, Snapshot: snap,
		Services: []services.Info{reg.Lookup("tcp", 8080)},
		Processes: []WhoProcess{
			{Info: process.Info{PID: 4242, PPID: 4200, Name: "python3", Cmdline: []string{"python3", "-m", "http.server", "8080", "--directory", "/srv/my files", ""},
				Exe: "/usr/bin/python3.11", ExeStatus: process.ExeReplaced, UID: 1000, RealUID: 1000, Start: start,
				Cgroup: "/user.slice/user-1000.slice/user@1000.service/app.slice/web.service", Unit: "web.service", UserUnit: true},
				User: "alice", Parents: []process.Info{{PID: 4200, Name: "bash"}, {PID: 1100, Name: "sshd"}, {PID: 1, Name: "systemd"}}},
			{Info: process.Info{PID: 4243, PPID: 4242, Name: hostile, Cmdline: []string{"/tmp/x", hostile}, Exe: "/tmp/x" + hostile,
				ExeStatus: process.ExeDeleted, UID: 1000, RealUID: 1000, Start: start.Add(time.Hour),
				Cgroup:    "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
				Container: process.Container{Runtime: "docker", ID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
				Missing:   []string{"cgroup: permission denied"}},
				User: "alice", Parents: []process.Info{{PID: 4242, Name: "python3"}}},
			{Info: process.Info{PID: 4300, Name: "gone", UID: -1, RealUID: -1}, Err: "the process exited after its sockets were read"},
		},
	}
}

func TestWhoGolden(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 26, 5, 0, time.UTC)
	reg := services.Default()
	opts := Options{Services: reg, UserName: func(uid int) string { return map[int]string{0: "root", 1000: "alice"}[uid] }}
	var b bytes.Buffer
	if err := WhoText(&b, whoScenario(), opts, now); err != nil {
		t.Fatal(err)
	}
	checkNoForgery(t, b.String())
	checkGolden(t, "who.txt", b.Bytes())

	b.Reset()
	if err := WhoJSON(&b, whoScenario(), opts); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Sockets   []map[string]any `json:"sockets"`
		Processes []struct {
			Name    string   `json:"name"`
			Cmdline []string `json:"cmdline"`
		} `json:"processes"`
	}
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatalf("who JSON does not parse: %v", err)
	}
	if len(v.Sockets) != 4 || len(v.Processes) != 3 || v.Processes[1].Name != hostile || v.Processes[0].Cmdline[5] != "/srv/my files" {
		t.Errorf("who JSON lost data: %+v", v)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\u202e") {
		t.Error("who JSON carries raw escape or bidi characters")
	}
	checkGolden(t, "who.json", b.Bytes())
}

func TestCommandLine(t *testing.T) {
	cases := map[string][]string{
		"'nginx: master process'":   {"nginx: master process"},
		"python3 -m http.server":    {"python3", "-m", "http.server"},
		"sh -c 'echo '\\''hi'\\'''": {"sh", "-c", "echo 'hi'"},
		"a '' 'b c' '$HOME'":        {"a", "", "b c", "$HOME"},
		"":                          nil,
	}
	for want, argv := range cases {
		if got := CommandLine(argv); got != want {
			t.Errorf("CommandLine(%q) = %q, want %q", argv, got, want)
		}
	}
}

// Every count in the audit text agrees with its number: "1 listener",
// "2 listeners", "1 finding", "2 findings".
func TestAuditTextCounts(t *testing.T) {
	l := func(addr string) audit.Listener {
		ap := netip.MustParseAddrPort(addr)
		return audit.Listener{Proto: "tcp", Local: ap, Port: ap.Port(), Exposure: audit.Classify(ap.Addr()), UID: 0, User: "root"}
	}
	// With no service name every listener has one finding, unknown-port
	// (low); a policy of "low" makes each of them fail.
	policy, err := audit.ParseFailPolicy("low")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		listeners    []audit.Listener
		head, footer string
	}{
		{[]audit.Listener{l("127.0.0.1:40001")},
			"portwatch audit: 1 listener, 1 finding (1 low)\n", "\n1 finding at or above --fail-on low (marked !)\n"},
		{[]audit.Listener{l("127.0.0.1:40001"), l("127.0.0.1:40002")},
			"portwatch audit: 2 listeners, 2 findings (2 low)\n", "\n2 findings at or above --fail-on low (marked !)\n"},
		{nil, "portwatch audit: 0 listeners, 0 findings\n", ""},
	}
	for _, c := range cases {
		var b bytes.Buffer
		m := &AuditMeta{Policy: policy, FailOn: "low", Report: audit.Evaluate(c.listeners, audit.Builtin(), nil)}
		if err := AuditText(&b, m); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.HasPrefix(out, c.head) || c.footer != "" && !strings.HasSuffix(out, c.footer) {
			t.Errorf("%d listeners: want the first line %q and the last %q, got:\n%s", len(c.listeners), c.head, c.footer, out)
		}
	}
}
