package bagit_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/bagit"
)

// Ingest's use: open an uploaded bag, stream each payload file once to storage under
// the SHA-256 its manifest claims, and act on the report. (The digest below is
// printf 'seizure report\n' | sha256sum.)
func ExampleBag_Validate() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "report.txt")
	os.WriteFile(src, []byte("seizure report\n"), 0o644)
	bagPath := filepath.Join(dir, "case.zip")
	if _, err := bagit.Create(bagPath, []string{src}, bagit.CreateOptions{
		Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "BE-FPP"}},
	}); err != nil {
		panic(err)
	}

	b, err := bagit.Open(bagPath, bagit.DefaultLimits())
	if err != nil {
		panic(err) // a typed error: *bagit.ArchiveError, *bagit.LimitError, ...
	}
	defer b.Close()
	rep, err := b.Validate(bagit.Options{Mode: bagit.ModeEVX, Consume: func(f bagit.File, r io.Reader) error {
		n, err := io.Copy(io.Discard, r) // a blob store would keep r under f.Claimed["sha256"]
		fmt.Printf("%s: %d bytes, claimed sha256 %s...\n", f.Path, n, f.Claimed["sha256"][:12])
		return err
	}})
	if err != nil {
		panic(err) // the consumer failed
	}
	fmt.Println("valid:", rep.Valid(), "counterparts:", rep.Fields.Counterparts)
	// Output:
	// data/report.txt: 15 bytes, claimed sha256 0ef35448fdbb...
	// valid: true counterparts: [BE-FPP]
}
