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

// ianaCSV is IANA's data, outside the repository: shared/ lies beside the
// repository's root.
const ianaCSV = "../../shared/data/iana/service-names-port-numbers.csv"

// TestGeneratedIsCurrent runs the generator as `go generate` does and
// requires its output to equal the committed iana_gen.go byte for byte.
func TestGeneratedIsCurrent(t *testing.T) {
	if _, err := os.Stat(ianaCSV); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("IANA data not found at %s (shared/ beside the repository): cannot check iana_gen.go", ianaCSV)
	}
	out := filepath.Join(t.TempDir(), "iana_gen.go")
	if err := ianagen.GenerateFile(ianaCSV, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("iana_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("iana_gen.go is stale: regenerating gives %d bytes, committed file has %d; run `go generate ./services/`", len(got), len(want))
	}
}

func TestGeneratedTable(t *testing.T) {
	if len(ianaTable) < 5000 {
		t.Fatalf("ianaTable has %d records", len(ianaTable))
	}
	for i := range ianaTable {
		rec := &ianaTable[i]
		if rec.name == "" || rec.hi < rec.lo || rec.proto&pTU == 0 || rec.proto&^pTU != 0 {
			t.Fatalf("bad record %d: %+v", i, *rec)
		}
		if i > 0 && ianaTable[i-1].lo > rec.lo {
			t.Fatalf("ianaTable not sorted at %d", i)
		}
	}
	// IANA gives 226 port/protocol pairs several names; all are kept.
	names := make(map[key][]string)
	for i := range ianaTable {
		rec := &ianaTable[i]
		eachKey(rec.lo, rec.hi, rec.proto, func(k key) { names[k] = appendDistinct(names[k], rec.name) })
	}
	several := 0
	for _, n := range names {
		if len(n) > 1 {
			several++
		}
	}
	if several != 226 {
		t.Errorf("%d port/protocol pairs with several IANA names, want 226", several)
	}
	if IANADate == "" {
		t.Error("IANADate is empty")
	}
}
