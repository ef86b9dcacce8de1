package office

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestEPUBCorpus compares the text of pandoc-written EPUBs (testdata/epub, gen_testdata.go)
// with pandoc's plain text of the same source.
func TestEPUBCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "epub", "*.epub"))
	if len(files) == 0 {
		t.Fatal("no EPUB corpus (go generate)")
	}
	var agree []float64
	for _, f := range files {
		doc, _ := os.ReadFile(f)
		want, _ := os.ReadFile(strings.TrimSuffix(f, ".epub") + ".txt")
		res, err := extracttest.Read(t, doc, extractor.TypeEPUB, extractor.DefaultLimits(), Read)
		if err != nil {
			t.Fatalf("Read(%s) error %v", f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".epub")
		if res.Meta.Title != name {
			t.Errorf("%s: title %q", f, res.Meta.Title)
		}
		// The title page carries the title and date (gen_testdata.go), which pandoc's plain text
		// of the body lacks.
		a := extracttest.Agreement(res.Text, name+"\n2026-01-02\n"+string(want))
		agree = append(agree, a)
		if a < 0.95 {
			t.Errorf("%s: word agreement %.3f with pandoc's text, want >= 0.95: %.200q", filepath.Base(f), a, res.Text)
		}
	}
	sort.Float64s(agree)
	t.Logf("EPUB: %d files, word agreement with pandoc's text of the source: min %.3f, median %.3f", len(agree), agree[0], agree[len(agree)/2])
}

// TestODSLimits: repeated empty rows and columns cost nothing, and the page cap holds.
func TestODSLimits(t *testing.T) {
	lim := extractor.DefaultLimits()
	lim.MaxPages = 1
	res, err := extracttest.Read(t, extracttest.ODS(t), extractor.TypeODS, lim, Read)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || strings.Contains(res.Text, "Sealed") || len(res.Text) > 200 {
		t.Errorf("MaxPages=1: Partial=%v, text %q", res.Partial, res.Text)
	}
}
