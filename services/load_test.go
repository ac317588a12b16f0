package services

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Load lays the host's file and then the user's over the built-in names,
// later ones winning; bad lines are warnings naming the file, a missing
// optional file is nothing, a missing required one is the error.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	system := write("system", "sysonly 4711/tcp\nboth 4712/tcp\nnot-a-line\n")
	user := write("user", "mine 4712/tcp\nssh-alt 22/tcp\n")
	missing := filepath.Join(dir, "missing")

	reg, warnings, err := Load(Files{System: system, User: user})
	if err != nil {
		t.Fatal(err)
	}
	for port, want := range map[uint16]string{4711: "sysonly", 4712: "mine", 22: "ssh-alt", 443: "https"} {
		if got := reg.Name("tcp", port); got != want {
			t.Errorf("tcp %d: %q, want %q", port, got, want)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], system) || !strings.Contains(warnings[0], ":3") {
		t.Errorf("warnings %q, want one naming %s line 3", warnings, system)
	}

	// Missing files that are optional: the built-in registry, no warning.
	reg, warnings, err = Load(Files{System: missing, User: missing})
	if err != nil || len(warnings) != 0 || reg.Name("tcp", 22) != "ssh" {
		t.Errorf("missing optional files: err %v, warnings %q, tcp 22 %q", err, warnings, reg.Name("tcp", 22))
	}
	// No files at all.
	if reg, warnings, err = Load(Files{}); err != nil || len(warnings) != 0 || reg.Name("tcp", 22) != "ssh" {
		t.Errorf("no files: err %v, warnings %q", err, warnings)
	}

	// A required user file that is missing is the error.
	reg, _, err = Load(Files{System: system, User: missing, UserRequired: true})
	if !errors.Is(err, fs.ErrNotExist) || reg != nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing required file: reg %v, err %v; want nil and an error naming it", reg, err)
	}
	// A file that exists but cannot be read (here a directory) is a
	// warning when optional, the error when required.
	_, warnings, err = Load(Files{System: dir})
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], dir) {
		t.Errorf("unreadable system file: err %v, warnings %q; want one warning naming it", err, warnings)
	}
	if _, _, err = Load(Files{User: dir, UserRequired: true}); err == nil {
		t.Error("unreadable required file: no error")
	}
	// Bad lines in a required file are warnings, not the error.
	if _, warnings, err = Load(Files{User: system, UserRequired: true}); err != nil || len(warnings) != 1 {
		t.Errorf("required file with a bad line: err %v, warnings %q", err, warnings)
	}
}
