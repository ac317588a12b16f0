package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// deployDir holds the files people deploy portwatch with.
const deployDir = "../../deploy"

// TestAlertingRules: promtool accepts the alerting rules and their unit
// tests pass (a new listener fires once, not at start; an exposed database
// fires; a failing collection fires), and every portwatch metric they use
// is one the exporter serves.
func TestAlertingRules(t *testing.T) {
	promtool := testenv.NeedProgram(t, "promtool", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "portwatch-alerts.yml"},
		{"test", "rules", "portwatch-alerts.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = deployDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	rules, err := os.ReadFile(filepath.Join(deployDir, "portwatch-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var served strings.Builder
	sources, _ := filepath.Glob("../../exporter/*.go")
	for _, p := range sources {
		if !strings.HasSuffix(p, "_test.go") {
			data, _ := os.ReadFile(p)
			served.Write(data)
		}
	}
	for _, name := range regexp.MustCompile(`portwatch_[a-z_]+`).FindAllString(string(rules), -1) {
		if !strings.Contains(served.String(), `"`+name+`"`) {
			t.Errorf("the rules use %s, which the exporter does not serve", name)
		}
	}
}

// TestSystemdUnit: the unit runs portwatch serve on loopback under a
// dynamic user with the two capabilities that reading other users'
// owners takes, and keeps /proc whole.
func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "portwatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("not a setting: %q", line)
			}
			settings[section+"."+k] = v
		}
	}
	for k, want := range map[string]string{
		"Service.ExecStart":               "/usr/local/bin/portwatch serve --web.listen-address 127.0.0.1:9717",
		"Service.DynamicUser":             "yes",
		"Service.AmbientCapabilities":     "CAP_SYS_PTRACE CAP_DAC_READ_SEARCH",
		"Service.CapabilityBoundingSet":   "CAP_SYS_PTRACE CAP_DAC_READ_SEARCH",
		"Service.RestrictAddressFamilies": "AF_NETLINK AF_INET AF_INET6 AF_UNIX",
		"Install.WantedBy":                "multi-user.target",
	} {
		if got := settings[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"Service.ProtectProc", "Service.ProcSubset"} {
		if v, ok := settings[k]; ok {
			t.Errorf("%s=%s hides the processes whose owners serve names", k, v)
		}
	}
	// systemd itself finds nothing wrong: no unknown key, no bad value
	// (it says so on stderr and exits 0), with ExecStart on this test's
	// binary, which it wants to exist.
	analyze := testenv.NeedProgram(t, "systemd-analyze", "systemd")
	unit := filepath.Join(t.TempDir(), "portwatch.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(data), "/usr/local/bin/portwatch", binPath)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The flags it passes are serve's.
	args := strings.Fields(settings["Service.ExecStart"])[1:]
	if r := runCmd(t, exec.Command(binPath, append(append([]string{}, args...), "--help")...)); r.code != 0 {
		t.Errorf("%v --help: exit %d: %s", args, r.code, r.stderr)
	}
}
