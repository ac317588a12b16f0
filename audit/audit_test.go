package audit

import (
	"bytes"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	cases := map[string]Exposure{
		"0.0.0.0":          ExposureAll,
		"::":               ExposureAll,
		"::ffff:0.0.0.0":   ExposureAll,
		"127.0.0.1":        ExposureLoopback,
		"127.53.0.1":       ExposureLoopback,
		"::1":              ExposureLoopback,
		"::ffff:127.0.0.1": ExposureLoopback,
		"192.0.2.10":       ExposureSpecific,
		"2001:db8::1":      ExposureSpecific,
		"fe80::1%eth0":     ExposureSpecific,
	}
	for addr, want := range cases {
		if got := Classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Classify(%s) = %s, want %s", addr, got, want)
		}
	}
}

// listener builds a test listener; owner is "exe:uid:status" or "".
func listener(proto, addrPort, service string, owners ...Owner) Listener {
	ap := netip.MustParseAddrPort(addrPort)
	return Listener{Proto: proto, Local: ap, Port: ap.Port(), Exposure: Classify(ap.Addr()),
		Service: service, UID: 0, User: "root", Owners: owners}
}

func owner(exe string, uid int, status string) Owner {
	user := map[int]string{0: "root", 65534: "nobody", 1000: "alice"}[uid]
	return Owner{PID: 100 + uid, Process: "p", UID: uid, User: user, Exe: exe, ExeStatus: status}
}

func ids(r *Report, l *Listener) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Listener == l {
			out = append(out, f.Rule.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestBuiltinRules(t *testing.T) {
	ok := owner("/usr/sbin/d", 0, "ok")
	cases := []struct {
		l    Listener
		want []string
	}{
		{listener("tcp", "0.0.0.0:23", "telnet", ok), []string{"cleartext-login"}},
		{listener("tcp", "127.0.0.1:23", "telnet", ok), nil},
		{listener("tcp", "192.0.2.1:21", "ftp", ok), []string{"cleartext-file-transfer"}},
		{listener("udp", "0.0.0.0:69", "tftp", ok), []string{"cleartext-file-transfer"}},
		{listener("tcp", "[::]:513", "login", ok), []string{"cleartext-login"}},
		{listener("tcp", "[::]:3389", "ms-wbt-server", ok), []string{"remote-desktop"}},
		{listener("tcp", "0.0.0.0:5903", "vnc", ok), []string{"remote-desktop"}},
		{listener("tcp", "127.0.0.1:5900", "vnc", ok), nil},
		{listener("tcp", "0.0.0.0:4899", "radmin", ok), []string{"remote-desktop"}},
		{listener("tcp", "0.0.0.0:445", "microsoft-ds", ok), []string{"file-sharing"}},
		{listener("udp", "192.0.2.1:137", "netbios-ns", ok), []string{"file-sharing"}},
		{listener("udp", "0.0.0.0:1900", "ssdp", ok), []string{"upnp"}},
		{listener("tcp", "0.0.0.0:6379", "redis", ok), []string{"database-exposed"}},
		{listener("tcp", "192.0.2.1:6379", "redis", ok), nil},
		{listener("tcp", "[::]:5432", "postgresql", ok), []string{"database-exposed"}},
		{listener("tcp", "0.0.0.0:27018", "mongodb", ok), []string{"database-exposed"}},
		{listener("udp", "0.0.0.0:11211", "memcache", ok), []string{"cache-udp-exposed"}},
		{listener("tcp", "127.0.0.1:8080", "http-alt", owner("/tmp/x/srv", 1000, "ok")), []string{"exe-world-writable"}},
		{listener("tcp", "127.0.0.1:8080", "http-alt", owner("/dev/shm/srv", 1000, "deleted")), []string{"exe-deleted", "exe-world-writable"}},
		{listener("tcp", "127.0.0.1:8080", "http-alt", owner("/usr/bin/srv", 1000, "replaced")), []string{"exe-replaced"}},
		{listener("tcp", "127.0.0.1:8080", "http-alt", owner("/tmpfoo/srv", 1000, "ok")), nil},
		{listener("tcp", "127.0.0.1:80", "http", owner("/usr/bin/srv", 65534, "ok")), []string{"privileged-port-non-root"}},
		{listener("tcp", "127.0.0.1:1024", "", owner("/usr/bin/srv", 65534, "ok")), []string{"unknown-port"}},
		{listener("tcp", "127.0.0.1:80", "http", ok), nil},
	}
	rules := Builtin()
	for _, c := range cases {
		l := c.l
		r := Evaluate([]Listener{l}, rules, nil)
		if got := ids(r, r.Listeners[0]); !slices.Equal(got, c.want) {
			t.Errorf("%s %s exe %s: findings %v, want %v", l.Proto, l.Local, l.Owners[0].Exe, got, c.want)
		}
	}

	// Without owners (a normal user's view of root's listener), the
	// socket's user decides; an unknown user matches no user rule.
	l := listener("tcp", "127.0.0.1:80", "http")
	l.UID = 1000
	if r := Evaluate([]Listener{l}, rules, nil); !slices.Equal(ids(r, r.Listeners[0]), []string{"privileged-port-non-root"}) {
		t.Errorf("socket uid 1000 on port 80: %v", ids(r, r.Listeners[0]))
	}
	l.UID = -1
	if r := Evaluate([]Listener{l}, rules, nil); ids(r, r.Listeners[0]) != nil {
		t.Errorf("unknown uid on port 80: %v", ids(r, r.Listeners[0]))
	}
}

func TestEvaluateOrder(t *testing.T) {
	ls := []Listener{
		listener("tcp", "127.0.0.1:1024", ""),
		listener("tcp", "0.0.0.0:6379", "redis"),
		listener("tcp", "192.0.2.1:21", "ftp"),
		listener("tcp", "0.0.0.0:22", "ssh"),
	}
	r := Evaluate(ls, Builtin(), nil)
	var order []string
	for _, l := range r.Listeners {
		order = append(order, l.Local.String())
	}
	if want := []string{"0.0.0.0:22", "0.0.0.0:6379", "192.0.2.1:21", "127.0.0.1:1024"}; !slices.Equal(order, want) {
		t.Errorf("listener order %v, want %v", order, want)
	}
	var found []string
	for _, f := range r.Findings {
		found = append(found, f.Rule.Severity.String()+":"+f.Rule.ID)
	}
	if want := []string{"high:cleartext-file-transfer", "high:database-exposed", "low:unknown-port"}; !slices.Equal(found, want) {
		t.Errorf("findings %v, want %v", found, want)
	}
}

func TestFailPolicy(t *testing.T) {
	rules := Builtin()
	rule := func(id string) *Rule {
		for i := range rules.Rules {
			if rules.Rules[i].ID == id {
				return &rules.Rules[i]
			}
		}
		t.Fatalf("no rule %s", id)
		return nil
	}
	cases := []struct {
		policy string
		fails  []string
	}{
		{DefaultFailOn, []string{"database-exposed", "new-listener"}},
		{"medium", []string{"database-exposed", "new-listener", "changed-listener", "privileged-port-non-root"}},
		{"info", []string{"database-exposed", "new-listener", "changed-listener", "privileged-port-non-root", "missing-listener", "unknown-port"}},
		{"missing", []string{"missing-listener"}},
		{"none", nil},
		{"HIGH, changed", []string{"database-exposed", "changed-listener"}},
	}
	all := []string{"database-exposed", "new-listener", "changed-listener", "privileged-port-non-root", "missing-listener", "unknown-port"}
	for _, c := range cases {
		p, err := ParseFailPolicy(c.policy)
		if err != nil {
			t.Fatalf("ParseFailPolicy(%q): %v", c.policy, err)
		}
		var got []string
		for _, id := range all {
			if p.Fails(Finding{Rule: rule(id)}) {
				got = append(got, id)
			}
		}
		if !slices.Equal(got, c.fails) {
			t.Errorf("--fail-on %s fails %v, want %v", c.policy, got, c.fails)
		}
	}
	for _, bad := range []string{"", "hgh", "new,,high", "critical"} {
		if _, err := ParseFailPolicy(bad); err == nil || !strings.Contains(err.Error(), "accepted") {
			t.Errorf("ParseFailPolicy(%q) = %v, want an error listing what is accepted", bad, err)
		}
	}
}

func TestRuleOverrides(t *testing.T) {
	user := `{"portwatch_audit_rules": 1, "rules": [
	  {"id": "unknown-port", "disabled": true},
	  {"id": "database-exposed", "severity": "medium"},
	  {"id": "grafana-exposed", "severity": "low", "title": "Grafana on every address",
	   "when": {"proto": "tcp", "ports": ["3000"], "exposure": ["all"]}}
	]}`
	rules, err := ParseRules([]byte(user), Builtin())
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != len(Builtin().Rules) {
		t.Errorf("%d rules after disabling one and adding one, want %d", len(rules.Rules), len(Builtin().Rules))
	}
	r := Evaluate([]Listener{
		listener("tcp", "0.0.0.0:6379", "redis"),
		listener("tcp", "0.0.0.0:3000", "grafana"),
		listener("tcp", "127.0.0.1:1024", ""),
	}, rules, nil)
	var found []string
	for _, f := range r.Findings {
		found = append(found, f.Rule.Severity.String()+":"+f.Rule.ID)
	}
	if want := []string{"medium:database-exposed", "low:grafana-exposed"}; !slices.Equal(found, want) {
		t.Errorf("findings %v, want %v", found, want)
	}
	// The overridden rule kept its condition, title and remedy.
	for _, rule := range rules.Rules {
		if rule.ID == "database-exposed" && (rule.Title == "" || rule.Remedy == "" || len(rule.When.Ports) == 0) {
			t.Errorf("severity override lost the rest of the rule: %+v", rule)
		}
	}

	// The embedded rules survive a round trip through MarshalJSON.
	out, err := Builtin().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseRules(out, nil)
	if err != nil {
		t.Fatalf("re-reading marshalled rules: %v", err)
	}
	if !slices.EqualFunc(again.Rules, Builtin().Rules, func(a, b Rule) bool {
		return a.ID == b.ID && a.Severity == b.Severity && a.Title == b.Title && a.Remedy == b.Remedy &&
			slices.Equal(a.When.Ports, b.When.Ports) && slices.Equal(a.When.Exposure, b.When.Exposure) &&
			slices.Equal(a.When.ExeUnder, b.When.ExeUnder) && a.When.Baseline == b.When.Baseline
	}) {
		t.Error("rules changed in a MarshalJSON/ParseRules round trip")
	}
}

func TestBadRuleFiles(t *testing.T) {
	good := string(builtinRules)
	cases := map[string]struct{ data, want string }{
		"truncated":        {good[:len(good)/2], "truncated"},
		"empty":            {"", "empty file"},
		"wrong version":    {`{"portwatch_audit_rules": 2, "rules": []}`, "version 2 is not supported"},
		"no version":       {`{"rules": []}`, "not a portwatch rules file"},
		"a baseline":       {`{"portwatch_baseline": 1, "listeners": []}`, `unknown field "portwatch_baseline"`},
		"version string":   {`{"portwatch_audit_rules": "1"}`, "line 1: portwatch_audit_rules: expected int, found a JSON string"},
		"ports not a list": {"{\"portwatch_audit_rules\": 1,\n \"rules\": [{\"id\": \"x\", \"severity\": \"low\", \"title\": \"t\",\n \"when\": {\"ports\": 22}}]}", "line 3: rules.when.ports: expected []string, found a JSON number"},
		"bad port range":   {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "low", "title": "t", "when": {"ports": ["90-80"]}}]}`, `rule "x": when: port "90-80"`},
		"bad severity":     {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "urgent", "title": "t", "when": {"proto": "tcp"}}]}`, `unknown severity "urgent"`},
		"incomplete":       {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "low"}]}`, "needs severity, title and when"},
		"no condition":     {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "low", "title": "t", "when": {}}]}`, "no condition"},
		"twice":            {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "disabled": true}, {"id": "x", "disabled": true}]}`, "defined twice"},
		"bad id":           {`{"portwatch_audit_rules": 1, "rules": [{"id": "X Y", "disabled": true}]}`, "invalid id"},
		"trailing":         {`{"portwatch_audit_rules": 1, "rules": []} {}`, "data after the JSON object"},
		"relative dir":     {`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "low", "title": "t", "when": {"exe_under": ["tmp"]}}]}`, "not an absolute directory"},
	}
	for name, c := range cases {
		_, err := ParseRules([]byte(c.data), Builtin())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error has several lines: %q", name, err)
		}
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	sshd := owner("/usr/sbin/sshd", 0, "ok")
	now := []Listener{
		listener("tcp", "0.0.0.0:22", "ssh", sshd),
		listener("tcp", "[::]:22", "ssh", sshd), // same entry as the line above
		listener("tcp", "127.0.0.1:5432", "postgresql", owner("/usr/lib/postgresql/bin/postgres", 1000, "ok")),
		listener("udp", "127.0.0.1:323", "", owner("/usr/sbin/chronyd", 0, "ok")),
	}
	saved := NewBaseline(now, "host1", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	if len(saved.Listeners) != 3 {
		t.Fatalf("baseline has %d entries, want 3: %+v", len(saved.Listeners), saved.Listeners)
	}
	data := saved.Encode()
	loaded, err := ParseBaseline(data)
	if err != nil {
		t.Fatalf("ParseBaseline of a saved baseline: %v\n%s", err, data)
	}
	if !slices.Equal(loaded.Listeners, saved.Listeners) || loaded.Host != "host1" || !loaded.Created.Equal(saved.Created) {
		t.Errorf("round trip changed the baseline:\n%+v\n%+v", saved, loaded)
	}
	if !strings.Contains(string(data), `{"portwatch_baseline":1,`) || strings.Contains(string(data), "pid") {
		t.Errorf("baseline file:\n%s", data)
	}

	// Unchanged host: no differences.
	r := Evaluate(slices.Clone(now), Builtin(), loaded)
	for _, l := range r.Listeners {
		if l.Change != Unchanged {
			t.Errorf("%s %s: %s against its own baseline", l.Proto, l.Local, l.Change)
		}
	}

	// postgres stopped, redis started, sshd upgraded into a new path, chronyd
	// moved to every address.
	later := []Listener{
		listener("tcp", "0.0.0.0:22", "ssh", owner("/usr/local/sbin/sshd", 0, "ok")),
		listener("tcp", "[::]:22", "ssh", owner("/usr/local/sbin/sshd", 0, "ok")),
		listener("tcp", "127.0.0.1:6379", "redis", owner("/usr/bin/redis-server", 1000, "ok")),
		listener("udp", "0.0.0.0:323", "", owner("/usr/sbin/chronyd", 0, "ok")),
	}
	r = Evaluate(later, Builtin(), loaded)
	got := map[string]string{}
	for _, l := range r.Listeners {
		if l.Change != Unchanged {
			key := l.Proto + "/" + l.Local.String()
			if l.Change == Missing {
				key = l.Proto + "/missing:" + l.Was.Exe
			}
			got[key] += string(l.Change)
		}
	}
	want := map[string]string{
		"tcp/0.0.0.0:22":     "changed",
		"tcp/[::]:22":        "changed",
		"tcp/127.0.0.1:6379": "new",
		"udp/0.0.0.0:323":    "changed",
		"tcp/missing:/usr/lib/postgresql/bin/postgres": "missing",
	}
	if len(got) != len(want) {
		t.Errorf("differences %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	var baselineFindings []string
	for _, f := range r.Findings {
		if f.Rule.When.Baseline != "" {
			baselineFindings = append(baselineFindings, f.Rule.ID)
		}
	}
	slices.Sort(baselineFindings)
	if want := []string{"changed-listener", "changed-listener", "changed-listener", "missing-listener", "new-listener"}; !slices.Equal(baselineFindings, want) {
		t.Errorf("baseline findings %v, want %v", baselineFindings, want)
	}
}

func TestBadBaselines(t *testing.T) {
	good := string(NewBaseline([]Listener{listener("tcp", "0.0.0.0:22", "ssh", owner("/usr/sbin/sshd", 0, "ok"))}, "h", time.Unix(0, 0)).Encode())
	cases := map[string]struct{ data, want string }{
		"truncated":       {good[:len(good)-10], "truncated"},
		"empty":           {"  \n", "empty file"},
		"wrong version":   {strings.Replace(good, `"portwatch_baseline":1`, `"portwatch_baseline":7`, 1), "baseline version 7 is not supported"},
		"snapshot":        {`{"version": 1, "sockets": []}`, "not a portwatch baseline"},
		"rules file":      {string(builtinRules), "not a portwatch baseline"},
		"no version":      {`{"listeners": []}`, "not a portwatch baseline"},
		"no listeners":    {`{"portwatch_baseline": 1}`, `no "listeners" list`},
		"port string":     {`{"portwatch_baseline": 1, "listeners": [{"proto": "tcp", "port": "22"}]}`, "listeners.port: expected uint16, found a JSON string"},
		"port too big":    {`{"portwatch_baseline": 1, "listeners": [{"proto": "tcp", "port": 70000}]}`, "listeners.port: expected uint16"},
		"bad proto":       {`{"portwatch_baseline": 1, "listeners": [{"proto": "sctp", "port": 22, "exposure": "all"}]}`, `proto "sctp"`},
		"bad exposure":    {`{"portwatch_baseline": 1, "listeners": [{"proto": "tcp", "port": 22, "exposure": "world"}]}`, `unknown exposure "world"`},
		"list at the top": {`[1, 2]`, "expected audit.baselineFile, found a JSON array"},
		"not JSON":        {"hello", "not valid JSON"},
	}
	for name, c := range cases {
		_, err := ParseBaseline([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error has several lines: %q", name, err)
		}
	}
}

// FuzzParseRules checks that whatever ParseRules accepts is a set of
// complete rules with unique ids that, written out with MarshalJSON, parses
// back to the same rules, and that writing it out again gives the same
// bytes.
func FuzzParseRules(f *testing.F) {
	f.Add(builtinRules)
	f.Add([]byte(`{"portwatch_audit_rules": 1, "rules": [{"id": "a", "disabled": true}]}`))
	f.Add([]byte(`{"portwatch_audit_rules": 1, "rules": [{"id": "x", "severity": "low", "title": "t", "when": {"ports": ["1-5"], "user": "root"}}]}`))
	f.Add([]byte(`{"portwatch_audit_rules": 1, "rules": [{"id": "unknown-port", "severity": "high"}, {"id": "y", "severity": "info", "title": "<&>", "remedy": "r", "when": {"exe_under": ["/opt", "C:\\x"], "exe": ["deleted"], "baseline": "new", "service": "known", "exposure": ["all", "loopback"]}}]}`))
	base := Builtin()
	ls := []Listener{listener("tcp", "0.0.0.0:3", ""), listener("udp", "[::1]:69", "tftp", owner("/tmp/a", 1000, "deleted"))}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, b := range []*Rules{nil, base} {
			rules, err := ParseRules(data, b)
			if err != nil {
				if rules != nil {
					t.Fatal("rules with an error")
				}
				continue
			}
			seen := map[string]bool{}
			for _, r := range rules.Rules {
				if r.ID == "" || r.Title == "" || r.Severity < SeverityInfo || r.Severity > SeverityHigh {
					t.Fatalf("accepted an incomplete rule %+v", r)
				}
				if seen[r.ID] {
					t.Fatalf("rule %q twice", r.ID)
				}
				seen[r.ID] = true
			}
			out, err := rules.MarshalJSON()
			if err != nil {
				t.Fatalf("accepted rules do not marshal: %v", err)
			}
			again, err := ParseRules(out, nil)
			if err != nil {
				t.Fatalf("accepted rules, written out, do not parse: %v\n%s", err, out)
			}
			if len(again.Rules) != len(rules.Rules) {
				t.Fatalf("%d rules written out, %d read back:\n%s", len(rules.Rules), len(again.Rules), out)
			}
			for i := range rules.Rules {
				if !reflect.DeepEqual(rules.Rules[i], again.Rules[i]) {
					t.Fatalf("rule %d written out and read back differs:\n%+v\n%+v", i+1, rules.Rules[i], again.Rules[i])
				}
			}
			if out2, _ := again.MarshalJSON(); !bytes.Equal(out, out2) {
				t.Fatalf("writing the rules out twice gives different files:\n%s\n%s", out, out2)
			}
			Evaluate(slices.Clone(ls), rules, nil)
		}
	})
}

// FuzzParseBaseline checks that whatever ParseBaseline accepts, encoded
// again, parses to the same baseline (listeners, host and time) and encodes
// to the same bytes; and that the listeners it records, listening now,
// compare as unchanged with nothing missing.
func FuzzParseBaseline(f *testing.F) {
	f.Add(NewBaseline([]Listener{listener("tcp", "0.0.0.0:22", "ssh", owner("/usr/sbin/sshd", 0, "ok"))}, "h", time.Unix(0, 0)).Encode())
	f.Add([]byte(`{"portwatch_baseline": 1, "listeners": [{"proto": "udp", "port": 53, "exposure": "all", "exe": "", "user": "0"}]}`))
	f.Add([]byte(`{"portwatch_baseline": 1, "created": "2026-11-21T12:00:00.5+05:30", "host": "h\u00e9<", "listeners": [
	  {"proto": "tcp", "port": 22, "exposure": "all", "exe": "/a", "user": "root"},
	  {"proto": "tcp", "port": 22, "exposure": "all", "exe": "/a", "user": "root"},
	  {"proto": "tcp", "port": 22, "exposure": "loopback", "exe": "", "user": ""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline(data)
		if err != nil {
			if b != nil {
				t.Fatal("a baseline with an error")
			}
			return
		}
		if !slices.IsSortedFunc(b.Listeners, compareEntries) || len(slices.Compact(slices.Clone(b.Listeners))) != len(b.Listeners) {
			t.Fatalf("listeners not sorted or not unique: %+v", b.Listeners)
		}
		enc := b.Encode()
		again, err := ParseBaseline(enc)
		if err != nil {
			t.Fatalf("a parsed baseline does not parse again: %v\n%s", err, enc)
		}
		if !slices.Equal(again.Listeners, b.Listeners) {
			t.Fatalf("round trip changed listeners: %+v -> %+v", b.Listeners, again.Listeners)
		}
		if again.Host != b.Host || !again.Created.Equal(b.Created) {
			t.Fatalf("round trip changed host or time: %q %v -> %q %v", b.Host, b.Created, again.Host, again.Created)
		}
		if enc2 := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding twice gives different files:\n%s\n%s", enc, enc2)
		}
		// The baseline's own listeners, listening now, are exactly it.
		var now []Listener
		for _, e := range b.Listeners {
			now = append(now, Listener{Proto: e.Proto, Port: e.Port, Exposure: e.Exposure, UID: -1, User: e.User,
				Owners: []Owner{{UID: -1, User: e.User, Exe: e.Exe}}})
		}
		rep := Evaluate(now, Builtin(), b)
		if len(rep.Listeners) != len(now) {
			t.Fatalf("its own listeners against the baseline: %d listeners reported, want %d", len(rep.Listeners), len(now))
		}
		for _, l := range rep.Listeners {
			if l.Change != Unchanged {
				t.Fatalf("its own listener %+v is %s against the baseline", l.Entry(), l.Change)
			}
		}
	})
}

// README's table of rules names every built-in rule.
func TestReadmeNamesEveryRule(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Builtin().Rules {
		if !strings.Contains(string(readme), "`"+r.ID+"`") {
			t.Errorf("README does not mention rule %s", r.ID)
		}
	}
}

// Rule ids are 1 to 63 of a-z, 0-9, '-' and '.', not starting with '-' or
// '.'.
func TestValidRuleID(t *testing.T) {
	for id, want := range map[string]bool{
		"telnet": true, "db.exposed-1": true, "0": true, strings.Repeat("a", 63): true,
		"": false, strings.Repeat("a", 64): false, "-x": false, ".x": false, "Telnet": false,
		"a b": false, "a_b": false, "é": false, "a\n": false, "x-": true, "x.": true,
	} {
		if got := validRuleID(id); got != want {
			t.Errorf("validRuleID(%q) = %v, want %v", id, got, want)
		}
	}
}

// Inside another namespace every non-loopback address is "namespace"
// exposure; loopback stays loopback; the host's classes are unchanged.
func TestClassifyIn(t *testing.T) {
	for _, c := range []struct {
		addr  string
		other bool
		want  Exposure
	}{
		{"0.0.0.0", true, ExposureNamespace}, {"::", true, ExposureNamespace}, {"10.88.0.2", true, ExposureNamespace},
		{"127.0.0.1", true, ExposureLoopback}, {"::1", true, ExposureLoopback},
		{"0.0.0.0", false, ExposureAll}, {"10.88.0.2", false, ExposureSpecific}, {"127.0.0.1", false, ExposureLoopback},
	} {
		if got := ClassifyIn(netip.MustParseAddr(c.addr), c.other); got != c.want {
			t.Errorf("ClassifyIn(%s, %v) = %s, want %s", c.addr, c.other, got, c.want)
		}
	}
	if e, err := ParseExposure("namespace"); err != nil || e != ExposureNamespace {
		t.Errorf("ParseExposure(namespace) = %q, %v", e, err)
	}
}

// A database on every address of a container's namespace is no finding
// of exposure; the same on the host is. Baselines keep where a listener is
// (container, else a named namespace), so two containers on one port are
// two entries, a container's listener pairs only with its own, and a
// baseline without these fields reads as before.
func TestNamespaceListeners(t *testing.T) {
	redis := owner("/usr/bin/redis-server", 0, "ok")
	host := listener("tcp", "0.0.0.0:6379", "redis", redis)
	inA := listener("tcp", "0.0.0.0:6379", "redis", redis)
	inA.Exposure, inA.Netns, inA.Container = ExposureNamespace, "netns-1", "cache-a"
	inB := inA
	inB.Container = "cache-b"
	vpn := listener("tcp", "0.0.0.0:6379", "redis", redis)
	vpn.Exposure, vpn.Netns, vpn.NetnsName = ExposureNamespace, "vpn", "vpn"

	r := Evaluate([]Listener{host, inA, inB, vpn}, Builtin(), nil)
	for _, l := range r.Listeners {
		exposed := slices.Contains(ids(r, l), "database-exposed")
		if exposed != (l.Netns == "") {
			t.Errorf("%s in %q/%q: database-exposed %v", l.Local, l.Container, l.Netns, exposed)
		}
	}

	saved := NewBaseline([]Listener{host, inA, inB, vpn}, "h", time.Unix(0, 0))
	if len(saved.Listeners) != 4 {
		t.Fatalf("baseline entries %+v, want 4", saved.Listeners)
	}
	loaded, err := ParseBaseline(saved.Encode())
	if err != nil || !slices.Equal(loaded.Listeners, saved.Listeners) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, saved.Listeners, loaded.Listeners)
	}
	if e := inA.Entry(); e.Container != "cache-a" || e.Netns != "" {
		t.Errorf("a container's entry %+v: want its container, no namespace name", e)
	}
	if e := vpn.Entry(); e.Netns != "vpn" || e.Container != "" {
		t.Errorf("a named namespace's entry %+v", e)
	}

	// cache-b went, cache-c came: cache-c is new, not cache-b changed.
	inC := inA
	inC.Container = "cache-c"
	r = Evaluate([]Listener{host, inA, inC, vpn}, Builtin(), loaded)
	changes := map[string]Change{}
	for _, l := range r.Listeners {
		changes[l.Container+"/"+l.Netns] = l.Change
	}
	if changes["cache-c/netns-1"] != New || changes["cache-b/"] != Missing || changes["cache-a/netns-1"] != Unchanged {
		t.Errorf("changes %v", changes)
	}
	old := `{"portwatch_baseline":1,"created":"2026-11-21T10:00:00Z","host":"h","listeners":[{"proto":"tcp","port":22,"exposure":"all","exe":"/usr/sbin/sshd","user":"root"}]}`
	if b, err := ParseBaseline([]byte(old)); err != nil || b.Listeners[0].Netns != "" || b.Listeners[0].Container != "" {
		t.Errorf("a baseline without places: %+v, %v", b, err)
	}
}
