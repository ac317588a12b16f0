// Command geniana generates the services package's embedded IANA table from
// IANA's service-names-port-numbers CSV and, with -tables, the static display
// and risk tables from the same CSV and the package's curated.tsv,
// display.tsv and risk.tsv. The services package runs it with `go generate`:
//
//	go run ./internal/geniana -in ../../shared/data/iana/service-names-port-numbers.csv -out iana_gen.go -tables tables_gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/portwatch/portwatch/services/internal/ianagen"
)

func main() {
	in := flag.String("in", "", "IANA service-names-port-numbers.csv to read")
	out := flag.String("out", "iana_gen.go", "Go file to write")
	tables := flag.String("tables", "", "Go file to write the display and risk tables to (none when empty)")
	tsvDir := flag.String("tsvdir", ".", "directory holding curated.tsv, display.tsv and risk.tsv, for -tables")
	flag.Parse()
	if *in == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: geniana -in service-names-port-numbers.csv [-out iana_gen.go] [-tables tables_gen.go [-tsvdir dir]]")
		os.Exit(2)
	}
	if err := ianagen.GenerateFile(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "geniana:", err)
		os.Exit(1)
	}
	if *tables != "" {
		if err := ianagen.GenerateTablesFile(*in, *tsvDir, *tables); err != nil {
			fmt.Fprintln(os.Stderr, "geniana:", err)
			os.Exit(1)
		}
	}
}
