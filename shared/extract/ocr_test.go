package extract

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestOCR reads the scanned page of pdf/testdata (a picture of typewritten text) with
// Tesseract, when it is installed, and compares the words with the text drawn (a 7x13 bitmap
// font enlarged: Tesseract 5.3 reads about 0.6 of the words of it, so the bar is 0.5).
func TestOCR(t *testing.T) {
	if _, err := (OCR{}).Version(context.Background()); err != nil {
		if !errors.Is(err, ErrNoOCR) {
			t.Fatal(err)
		}
		t.Skip("tesseract not installed")
	}
	want := "MUTUAL LEGAL ASSISTANCE REQUEST\nReference EVX 2026 017\nSeized items: two phones, one ledger\n"
	for _, name := range []string{"scanned.png", "scanned.pdf"} {
		if name == "scanned.pdf" {
			if _, err := exec.LookPath("pdftoppm"); err != nil {
				continue
			}
		}
		b := readTestdata(t, name)
		res, err := extractBytes(t, b, name, DefaultLimits())
		if err != nil || !res.NeedsOCR {
			t.Fatalf("Extract(%s) = %+v, %v; want NeedsOCR", name, res, err)
		}
		if err := (OCR{Languages: []string{"eng"}}).Apply(context.Background(), bytes.NewReader(b), int64(len(b)), res, DefaultLimits()); err != nil {
			t.Fatalf("OCR(%s): %v", name, err)
		}
		got := res.Text
		if name == "scanned.pdf" {
			_, got, _ = strings.Cut(got, "\f") // page 2, the scan
		}
		a := extracttest.Agreement(got, want)
		t.Logf("%s: OCR by %s, word agreement %.2f", name, res.OCR, a)
		if res.NeedsOCR || res.Unsupported != nil || !strings.HasPrefix(res.OCR, "tesseract") || a < 0.5 {
			t.Errorf("OCR(%s): text %q, OCR %q, agreement %.2f", name, res.Text, res.OCR, a)
		}
		if name == "scanned.pdf" && !strings.HasPrefix(res.Text, "Cover page") {
			t.Errorf("OCR(scanned.pdf): the text layer of page 1 was lost: %q", res.Text)
		}
	}
	if _, err := (OCR{Command: "no-such-ocr-engine"}).Version(context.Background()); !errors.Is(err, ErrNoOCR) {
		t.Errorf("missing engine: %v, want ErrNoOCR", err)
	}
}
