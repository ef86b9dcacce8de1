package extract

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

func checkFuzzResult(t *testing.T, data []byte, name string) {
	res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), name, extracttest.FuzzLimits())
	extracttest.CheckFuzz(t, res, err)
	if err == nil {
		if p, ok := extracttest.AsPanic(res.Stop); ok {
			t.Logf("recovered: %v", p.Value)
		}
	}
}

// FuzzExtract feeds PDFs and zip-based documents (seeds in testdata/fuzz/FuzzExtract).
// Extract must never panic, must keep its limits and returns only typed errors.
func FuzzExtract(f *testing.F) {
	for _, name := range []string{"helvetica.pdf", "cid.pdf", "broken-xref.pdf"} {
		if b, err := os.ReadFile(filepath.Join("pdf", "testdata", name)); err == nil {
			f.Add(b, name)
		}
	}
	f.Add(extracttest.DOCX(f), "a.docx")
	f.Add(extracttest.XLSX(f), "a.xlsx")
	f.Add(extracttest.PPTX(f), "a.pptx")
	f.Add(extracttest.ODT(f), "a.odt")
	f.Add([]byte(extracttest.EML), "a.eml")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		checkFuzzResult(t, data, name)
	})
}

// TestWriteFuzzSeeds writes the seed corpus of FuzzExtract under testdata/fuzz with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the fuzz seeds")
	}
	seeds := map[string][]byte{
		"docx": extracttest.DOCX(t), "xlsx": extracttest.XLSX(t), "pptx": extracttest.PPTX(t), "odt": extracttest.ODT(t),
		"cid-pdf": readTestdata(t, "cid.pdf"), "bad-page2-pdf": readTestdata(t, "bad-page2.pdf"),
		"pdf20-pdf": readTestdata(t, "pdf20.pdf"),
	}
	names := map[string]string{"docx": "a.docx", "xlsx": "a.xlsx", "pptx": "a.pptx", "odt": "a.odt",
		"cid-pdf": "a.pdf", "bad-page2-pdf": "a.pdf", "pdf20-pdf": "a.pdf"}
	dir := filepath.Join("testdata", "fuzz", "FuzzExtract")
	os.MkdirAll(dir, 0o755)
	for k, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nstring(%q)\n", b, names[k])
		if err := os.WriteFile(filepath.Join(dir, k), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
