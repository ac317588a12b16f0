// Command geniana generates the services package's embedded IANA table from
// IANA's service-names-port-numbers CSV. The services package runs it with
// `go generate`:
//
//	go run ./internal/geniana -in ../../shared/data/iana/service-names-port-numbers.csv -out iana_gen.go
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
	flag.Parse()
	if *in == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: geniana -in service-names-port-numbers.csv [-out iana_gen.go]")
		os.Exit(2)
	}
	if err := ianagen.GenerateFile(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "geniana:", err)
		os.Exit(1)
	}
}
