package services

import (
	"bytes"
	"os"
	"testing"

	"github.com/portwatch/portwatch/services/internal/ianagen"
)

// TestTablesAreCurrent runs the generator as `go generate` does and
// requires its output to equal the committed tables_gen.go byte for byte.
// (TestDefaultMatchesTSVs checks the committed tables against the embedded
// data without IANA's CSV, TestDefaultMatchesIANACSV against the CSV.)
func TestTablesAreCurrent(t *testing.T) {
	checkGenerated(t, "tables_gen.go", func(out string) error { return ianagen.GenerateTablesFile(ianaCSV, ".", out) })
}

// The generator refuses bad lines in the tables instead of leaving them out.
func TestTablesGeneratorRefusesBadLines(t *testing.T) {
	needIANACSV(t)
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
