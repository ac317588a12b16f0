package audit

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

func testBaseline() *Baseline {
	return NewBaseline([]Listener{listener("tcp", "0.0.0.0:22", "ssh", owner("/usr/sbin/sshd", 0, "ok"))}, "h", time.Unix(0, 0))
}

// noTempFiles fails when a directory holds anything but the names given:
// a temporary file left behind.
func noTempFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %q, want exactly %q", dir, names, want)
	}
}

func TestSaveThroughSymlink(t *testing.T) {
	root := t.TempDir()
	links, real := filepath.Join(root, "etc"), filepath.Join(root, "var")
	for _, d := range []string{links, real} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(real, "baseline.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// etc/baseline.json -> etc/current.json -> ../var/baseline.json: a
	// chain, the last link relative to its own directory.
	first, second := filepath.Join(links, "baseline.json"), filepath.Join(links, "current.json")
	if err := os.Symlink("current.json", first); err != nil {
		if runtime.GOOS == "windows" {
			testenv.SkipOrFail(t, "cannot make symbolic links (Windows needs developer mode or the privilege): %v", err)
		}
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "var", "baseline.json"), second); err != nil {
		t.Fatal(err)
	}
	b := testBaseline()
	if err := b.Save(first); err != nil {
		t.Fatal(err)
	}
	for link, dest := range map[string]string{first: "current.json", second: filepath.Join("..", "var", "baseline.json")} {
		if got, err := os.Readlink(link); err != nil || got != dest {
			t.Errorf("after Save, %s: readlink %q, %v; want the link to %s kept", link, got, err, dest)
		}
	}
	if data, _ := os.ReadFile(target); !bytes.Equal(data, b.Encode()) {
		t.Errorf("the link's target has %q, want the new baseline", data)
	}
	if fi, _ := os.Stat(target); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("the link's target has mode %v, want its 0600 kept", fi.Mode().Perm())
	}
	noTempFiles(t, links, "baseline.json", "current.json")
	noTempFiles(t, real, "baseline.json")

	// A link to a file that does not exist yet creates that file.
	dangling := filepath.Join(links, "next.json")
	if err := os.Symlink(filepath.Join("..", "var", "next.json"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(dangling); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("a dangling link was not kept as a link (%v)", err)
	}
	if data, _ := os.ReadFile(filepath.Join(real, "next.json")); !bytes.Equal(data, b.Encode()) {
		t.Errorf("a dangling link's target has %q, want the new baseline", data)
	}
}

func TestSaveRefuses(t *testing.T) {
	dir := t.TempDir()
	loop1, loop2 := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := os.Symlink("b.json", loop1); err != nil {
		if runtime.GOOS == "windows" {
			testenv.SkipOrFail(t, "cannot make symbolic links (Windows needs developer mode or the privilege): %v", err)
		}
		t.Fatal(err)
	}
	if err := os.Symlink("a.json", loop2); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		loop1: "symbolic links in a row",
		sub:   "is a directory",
	} {
		err := testBaseline().Save(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("Save(%s): %v, want an error naming the file and saying %q", path, err, want)
		}
	}
	noTempFiles(t, dir, "a.json", "b.json", "sub")
	noTempFiles(t, sub)
}
