package html

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	res, err := extracttest.Read(t, []byte(extracttest.HTML), extractor.TypeHTML, extractor.DefaultLimits(), Read)
	if err != nil {
		t.Fatalf("Read(case.html) error %v", err)
	}
	extracttest.Golden(t, "case.html", res, *update)
}

// TestCharset: a declared charset is obeyed; without one, the detector reads the bytes and
// says how sure it is.
func TestCharset(t *testing.T) {
	ru, err := os.ReadFile(filepath.Join("..", "plain", "testdata", "encodings", "ru-apt.windows-1251"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join("..", "plain", "testdata", "encodings", "ru-apt.utf-8"))
	firstLine, _, _ := strings.Cut(string(want), "\n")
	page := append([]byte("<html><body><p>"), ru...)
	res, err := extracttest.Read(t, page, extractor.TypeHTML, extractor.DefaultLimits(), Read)
	if err != nil || res.Meta.Encoding != "windows-1251" || !strings.Contains(res.Text, firstLine) {
		t.Errorf("HTML in Windows-1251 without charset: encoding %q, text %.60q, %v; want windows-1251 and %q", res.Meta.Encoding, res.Text, err, firstLine)
	}
	declared := append([]byte(`<html><head><meta charset="koi8-r"></head><body><p>`), ru...)
	res, _ = extracttest.Read(t, declared, extractor.TypeHTML, extractor.DefaultLimits(), Read)
	if res.Meta.Encoding != "koi8-r" || strings.Contains(res.Text, firstLine) {
		t.Errorf("HTML declared KOI8-R: encoding %q; want the declared charset obeyed", res.Meta.Encoding)
	}
}

// FuzzRead feeds markup to the HTML reader.
func FuzzRead(f *testing.F) {
	f.Add([]byte(extracttest.HTML))
	f.Add([]byte("<p>a<script>b</p><style>c<td>d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeHTML, extracttest.FuzzLimits(), Read)
		extracttest.CheckFuzz(t, res, err)
	})
}
