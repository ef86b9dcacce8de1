// Command mkhostile writes the hostile archives of package bagittest to a folder, with
// EXPECTED.tsv giving the error each must raise:
//
//	go run ./shared/bagit/bagittest/mkhostile -o /tmp/hostile
//	for f in /tmp/hostile/*.{zip,tar,tar.gz,bin}; do evx bag validate "$f"; done
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evx-project/evx/shared/bagit/bagittest"
)

func main() {
	out := flag.String("o", "", "output folder (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "mkhostile: -o DIR is required")
		os.Exit(2)
	}
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mkhostile:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var tsv strings.Builder
	tsv.WriteString("file\twant\tlimit\tpath\tlimits\tstreamed\n")
	for _, c := range bagittest.Cases() {
		name := c.Name + ext(c.Data)
		if err := os.WriteFile(filepath.Join(dir, name), c.Data, 0o644); err != nil {
			return err
		}
		var lims []string
		for k, v := range c.Limits {
			lims = append(lims, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(lims)
		fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\t%s\t%v\n", name, c.Want, c.Limit, c.Path, strings.Join(lims, ","), c.Streamed)
	}
	return os.WriteFile(filepath.Join(dir, "EXPECTED.tsv"), []byte(tsv.String()), 0o644)
}

func ext(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PK")):
		return ".zip"
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return ".tar.gz"
	case len(b) >= 262 && string(b[257:262]) == "ustar":
		return ".tar"
	}
	return ".bin"
}
