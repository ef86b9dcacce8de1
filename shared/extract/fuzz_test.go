package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzLimits are small so that each input runs fast; the target checks they hold.
func fuzzLimits() Limits {
	lim := DefaultLimits()
	lim.Timeout = 2 * time.Second
	lim.MaxPages = 20
	lim.MaxTextBytes = 1 << 16
	lim.MaxStreamBytes = 1 << 20
	lim.MaxObjects = 2000
	lim.MaxArchiveBytes = 4 << 20
	return lim
}

func checkFuzzResult(t *testing.T, data []byte, name string) {
	lim := fuzzLimits()
	res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), name, lim)
	if err != nil {
		var ue *UnreadableError
		if !errors.As(err, &ue) {
			t.Fatalf("Extract error %T %v, want *UnreadableError", err, err)
		}
		return
	}
	if len(res.Text) > lim.MaxTextBytes {
		t.Fatalf("text %d bytes > MaxTextBytes %d", len(res.Text), lim.MaxTextBytes)
	}
	if res.Partial != (res.Stop != nil) {
		t.Fatalf("Partial = %v but Stop = %v", res.Partial, res.Stop)
	}
	if p, ok := asPanic(res.Stop); ok {
		t.Logf("recovered: %v", p.Value)
	}
}

// FuzzExtract feeds PDFs and zip-based documents (seeds in testdata/fuzz/FuzzExtract).
// Extract must never panic, must keep its limits and returns only typed errors.
func FuzzExtract(f *testing.F) {
	for _, name := range []string{"helvetica.pdf", "cid.pdf", "broken-xref.pdf"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b, name)
		}
	}
	f.Add(docxFile(f), "a.docx")
	f.Add(xlsxFile(f), "a.xlsx")
	f.Add(pptxFile(f), "a.pptx")
	f.Add(odtFile(f), "a.odt")
	f.Add([]byte(emlFile), "a.eml")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		checkFuzzResult(t, data, name)
	})
}

// FuzzPDFContent runs the content-stream interpreter on arbitrary operators, inside the
// one-page frame of helvetica.pdf's fonts.
func FuzzPDFContent(f *testing.F) {
	f.Add([]byte("BT /F1 12 Tf 10 10 Td (Hello) Tj [(W) -300 (orld)] TJ ET"))
	f.Add([]byte("q 1 0 0 1 5 5 cm BI /W 2 /H 2 ID \x00\x01 EI Q T* ' \" /X Do"))
	f.Add([]byte("BT <48656c6c6f> Tj (a\\(b\\)\\101) Tj 1e999 Tz ET"))
	doc := readTestdataF(f, "helvetica.pdf")
	f.Fuzz(func(t *testing.T, content []byte) {
		r, _, _, err := openPDF(bytes.NewReader(doc), int64(len(doc)), fuzzLimits())
		if err != nil {
			t.Skip(err)
		}
		j := &job{ctx: context.Background(), lim: fuzzLimits(), res: &Result{}}
		d := &pdfDoc{j: j, r: r, lim: j.lim, fonts: map[string]*font{}, fontDicts: map[string]map[string]string{}}
		in := newInterp(d)
		res := r.Page(1).V.Key("Resources")
		if err := safely(func() { in.run(content, res, 0) }); err != nil {
			t.Fatalf("interpreter panicked: %v", err)
		}
		in.w.finish()
	})
}

func readTestdataF(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// TestWriteFuzzSeeds writes the seed corpus files under testdata/fuzz with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the fuzz seeds")
	}
	seeds := map[string][]byte{
		"docx": docxFile(t), "xlsx": xlsxFile(t), "pptx": pptxFile(t), "odt": odtFile(t),
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
	dir = filepath.Join("testdata", "fuzz", "FuzzPDFContent")
	os.MkdirAll(dir, 0o755)
	content := "BT /F1 12 Tf 72 700 Td (investi-) Tj 0 -14 Td (gation) Tj ET q 0.5 0 0 0.5 0 0 cm BT /F1 8 Tf 3 Tr 1 2 Td 120 Tz (x) Tj ET Q"
	os.WriteFile(filepath.Join(dir, "text-state"), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", content)), 0o644)
}
