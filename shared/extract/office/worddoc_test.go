package office

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestDOC reads a Word 97-2003 file (testdata/NOTICE) and compares it with catdoc's text
// of the same file (gen_testdata.go).
func TestDOC(t *testing.T) {
	b := extracttest.Testdata(t, "mscfb-novpapplan.doc")
	want := extracttest.Testdata(t, "mscfb-novpapplan.doc.txt")
	res, err := extracttest.Read(t, b, extractor.TypeDOC, extractor.DefaultLimits(), ReadDOC)
	if err != nil {
		t.Fatal(err)
	}
	a := extracttest.Agreement(res.Text, string(want))
	t.Logf(".doc: word agreement %.3f with catdoc", a)
	if a < 0.95 || !strings.Contains(res.Text, "wider insights into the character of British imperialism") {
		t.Errorf("agreement %.3f with catdoc, want >= 0.95: %.300q", a, res.Text)
	}
	if _, err := extracttest.Read(t, append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 1000)...), extractor.TypeDOC, extractor.DefaultLimits(), ReadDOC); err == nil {
		t.Errorf("ReadDOC(empty compound file) = nil error")
	}
}

// FuzzDOC feeds compound files to the Word 97-2003 reader.
func FuzzDOC(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "mscfb-novpapplan.doc"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeDOC, extracttest.FuzzLimits(), ReadDOC)
		extracttest.CheckFuzz(t, res, err)
	})
}
