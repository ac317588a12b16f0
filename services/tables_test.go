package services

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/portwatch/portwatch/services/internal/ianagen"
)

// TestTablesAreCurrent runs the generator as `go generate` does and
// requires its output to equal the committed tables_gen.go byte for byte.
// (TestDefaultMatchesReference checks the committed tables against the
// embedded data without IANA's CSV.)
func TestTablesAreCurrent(t *testing.T) {
	if _, err := os.Stat(ianaCSV); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("IANA data not found at %s (shared/ beside the repository): cannot check tables_gen.go", ianaCSV)
	}
	out := filepath.Join(t.TempDir(), "tables_gen.go")
	if err := ianagen.GenerateTablesFile(ianaCSV, ".", out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("tables_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("tables_gen.go is stale: regenerating gives %d bytes, committed file has %d; run `go generate ./services/`", len(got), len(want))
	}
}

// The generator refuses bad lines in the tables instead of leaving them out.
func TestTablesGeneratorRefusesBadLines(t *testing.T) {
	if _, err := os.Stat(ianaCSV); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("IANA data not found at %s", ianaCSV)
	}
	f, err := os.Open(ianaCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	err = ianagen.GenerateTables(f, &out, "iana.csv", curatedTSV+"70000\ttcp\tx\ty\n", displayTSV, riskTSV)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("curated.tsv:")) {
		t.Errorf("bad curated line: error %v", err)
	}
}
