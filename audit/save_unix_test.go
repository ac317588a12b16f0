//go:build unix

package audit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// An existing file keeps its permission bits.
func TestSaveKeepsMode(t *testing.T) {
	dir := t.TempDir()
	b := testBaseline()
	for _, mode := range []fs.FileMode{0o600, 0o640, 0o444} {
		path := filepath.Join(dir, "baseline.json")
		os.Remove(path)
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := b.Save(path); err != nil {
			t.Fatalf("Save over a %v file: %v", mode, err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("Save over a %v file left mode %v", mode, fi.Mode().Perm())
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, b.Encode()) {
			t.Errorf("Save over a %v file: content %q", mode, data)
		}
		noTempFiles(t, dir, "baseline.json")
	}
}

// A new file gets 0644 less the umask, as a file the shell creates.
func TestSaveNewFileUmask(t *testing.T) {
	dir := t.TempDir()
	for umask, want := range map[int]os.FileMode{0o022: 0o644, 0o077: 0o600, 0o002: 0o644} {
		old := syscall.Umask(umask)
		path := filepath.Join(dir, "new.json")
		err := testBaseline().Save(path)
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("umask %03o: new baseline has mode %v, want %v", umask, fi.Mode().Perm(), want)
		}
		os.Remove(path)
	}
}

// A file root replaces keeps its owner and group.
func TestSaveKeepsOwner(t *testing.T) {
	testenv.NeedRoot(t, "give a file to another user")
	dir := t.TempDir()
	path := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := testBaseline().Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 65534 || st.Gid != 65534 || fi.Mode().Perm() != 0o640 {
		t.Errorf("after Save: owner %d:%d mode %v, want 65534:65534 0640 kept", st.Uid, st.Gid, fi.Mode().Perm())
	}
}

// A write that fails (here a file size limit of 0: EFBIG) leaves the old
// file as it was and no temporary file.
func TestSaveFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	zero := lim
	zero.Cur = 0
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &zero); err != nil {
		t.Fatal(err)
	}
	err := testBaseline().Save(path)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); rerr != nil {
		t.Fatal(rerr)
	}
	if !errors.Is(err, syscall.EFBIG) {
		t.Errorf("Save with a file size limit of 0: %v, want EFBIG", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("a failed Save changed the file: %q", data)
	}
	noTempFiles(t, dir, "baseline.json")
}
