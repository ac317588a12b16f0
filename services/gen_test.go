package services

import (
	"bytes"
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
	checkGenerated(t, "iana_gen.go", func(out string) error { return ianagen.GenerateFile(ianaCSV, out) })
}

// checkGenerated runs generate into a temporary file and requires it to
// equal the committed file name byte for byte. It skips (or fails, when
// every test must run) when the IANA data (shared/ beside the repository)
// is absent.
func checkGenerated(t *testing.T, name string, generate func(out string) error) {
	t.Helper()
	needIANACSV(t)
	out := filepath.Join(t.TempDir(), name)
	if err := generate(out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: regenerating gives %d bytes, committed file has %d; run `go generate ./services/`", name, len(got), len(want))
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
