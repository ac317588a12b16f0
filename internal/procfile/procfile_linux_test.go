package procfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestReadProc reads a real /proc file: this process's stat starts with
// its PID, whole, as os.ReadFile reads it.
func TestReadProc(t *testing.T) {
	got, err := Read("/proc/self/stat", 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(os.Getpid()) + " ("; !bytes.HasPrefix(got, []byte(want)) || got[len(got)-1] != '\n' {
		t.Errorf("/proc/self/stat = %q, want it to start with %q and end in a newline", got, want)
	}
}

// TestReadLimit reads a file larger than the first read, whole and cut
// at limits on either side of it.
func TestReadLimit(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16,000 bytes
	path := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{0, 1, 100, firstRead, firstRead + 1, 9000, len(data), len(data) + 1, 1 << 20} {
		got, err := Read(path, limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if want := data[:min(limit, len(data))]; !bytes.Equal(got, want) {
			t.Errorf("limit %d: read %d bytes, want the first %d", limit, len(got), len(want))
		}
	}
}

// TestReadErrors names the file, and a file that is not there is
// fs.ErrNotExist; reading a directory fails at the read.
func TestReadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Read(missing, 10)
	var pe *os.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != missing || pe.Op != "open" {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	if _, err := Read(dir, 10); !errors.As(err, &pe) || pe.Op != "read" || pe.Path != dir {
		t.Errorf("directory: %v", err)
	}
}
