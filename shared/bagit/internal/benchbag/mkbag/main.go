// Command mkbag writes a large synthetic evx bag for the speed and memory benchmarks:
//
//	go run ./shared/bagit/internal/benchbag/mkbag -o /tmp/bag.zip -mib 1024 [-files 64] [-deflate] [-counterpart ID [-legal-basis B]]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/evx-project/evx/shared/bagit/internal/benchbag"
)

func main() {
	out := flag.String("o", "", "output zip")
	mib := flag.Int64("mib", 100, "payload size in MiB")
	files := flag.Int("files", 64, "number of payload files")
	deflate := flag.Bool("deflate", false, "deflated members with text-like content")
	counterpart := flag.String("counterpart", "BE-FPP", "the counterpart the bag names (EVX-Counterpart)")
	basis := flag.String("legal-basis", "", "the bag's EVX-Legal-Basis, if any")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "mkbag: -o OUT is required")
		os.Exit(2)
	}
	info := "EVX-Counterpart: " + *counterpart + "\n"
	if *basis != "" {
		info += "EVX-Legal-Basis: " + *basis + "\n"
	}
	if err := benchbag.WriteInfo(*out, *mib<<20, *files, *deflate, info); err != nil {
		fmt.Fprintln(os.Stderr, "mkbag:", err)
		os.Exit(1)
	}
}
