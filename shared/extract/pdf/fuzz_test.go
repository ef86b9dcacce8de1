package pdf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// FuzzPDFContent runs the content-stream interpreter on arbitrary operators, inside the
// one-page frame of helvetica.pdf's fonts (seeds in testdata/fuzz/FuzzPDFContent).
func FuzzPDFContent(f *testing.F) {
	f.Add([]byte("BT /F1 12 Tf 10 10 Td (Hello) Tj [(W) -300 (orld)] TJ ET"))
	f.Add([]byte("q 1 0 0 1 5 5 cm BI /W 2 /H 2 ID \x00\x01 EI Q T* ' \" /X Do"))
	f.Add([]byte("BT <48656c6c6f> Tj (a\\(b\\)\\101) Tj 1e999 Tz ET"))
	doc := extracttest.Testdata(f, "helvetica.pdf")
	f.Fuzz(func(t *testing.T, content []byte) {
		lim := extracttest.FuzzLimits()
		r, _, _, err := openPDF(bytes.NewReader(doc), int64(len(doc)), lim)
		if err != nil {
			t.Skip(err)
		}
		j := &extractor.Job{Ctx: context.Background(), Lim: lim, Res: &extractor.Result{}}
		d := &pdfDoc{j: j, r: r, lim: j.Lim, fonts: map[string]*font{}, fontDicts: map[string]map[string]string{}}
		in := newInterp(d)
		res := r.Page(1).V.Key("Resources")
		if err := safely(func() { in.run(content, res, 0) }); err != nil {
			t.Fatalf("interpreter panicked: %v", err)
		}
		in.w.finish()
	})
}

// FuzzRead feeds whole files to the PDF reader (seeds: the PDFs of testdata/).
func FuzzRead(f *testing.F) {
	for _, name := range []string{"helvetica.pdf", "cid.pdf", "broken-xref.pdf", "filters.pdf", "enc-rc4-40.pdf", "enc-aes-256.pdf"} {
		f.Add(extracttest.Testdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypePDF, extracttest.FuzzLimits(), Read)
		extracttest.CheckFuzz(t, res, err)
	})
}

// TestWriteFuzzSeeds writes the seed corpus of FuzzPDFContent with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the fuzz seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzPDFContent")
	os.MkdirAll(dir, 0o755)
	content := "BT /F1 12 Tf 72 700 Td (investi-) Tj 0 -14 Td (gation) Tj ET q 0.5 0 0 0.5 0 0 cm BT /F1 8 Tf 3 Tr 1 2 Td 120 Tz (x) Tj ET Q"
	if err := os.WriteFile(filepath.Join(dir, "text-state"), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", content)), 0o644); err != nil {
		t.Fatal(err)
	}
}
