package office

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	cases := []struct {
		name, mediaType string
		data            func(testing.TB) []byte
	}{
		{"report.docx", extractor.TypeDOCX, extracttest.DOCX},
		{"exhibits.xlsx", extractor.TypeXLSX, extracttest.XLSX},
		{"briefing.pptx", extractor.TypePPTX, extracttest.PPTX},
		{"statement.odt", extractor.TypeODT, extracttest.ODT},
		{"register.ods", extractor.TypeODS, extracttest.ODS},
		{"meeting.odp", extractor.TypeODP, extracttest.ODP},
		{"handbook.epub", extractor.TypeEPUB, extracttest.EPUB},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := extracttest.Read(t, tc.data(t), tc.mediaType, extractor.DefaultLimits(), Read)
			if err != nil {
				t.Fatalf("Read(%s) error %v", tc.name, err)
			}
			extracttest.Golden(t, tc.name, res, *update)
		})
	}
}

// TestArchiveLimits: a zip bomb stops at the compression ratio before any text, and the
// total of decompressed bytes is capped.
func TestArchiveLimits(t *testing.T) {
	bomb := extracttest.ZipOf(t, [][2]string{{"[Content_Types].xml", "<Types/>"},
		{"word/document.xml", "<w:document><w:body><w:p><w:t>" + strings.Repeat("A", 8<<20) + "</w:t></w:p></w:body></w:document>"}})
	res, err := extracttest.Read(t, bomb, extractor.TypeDOCX, extractor.DefaultLimits(), Read)
	if err != nil {
		t.Fatalf("zip bomb: error %v", err)
	}
	var le *extractor.LimitError
	if !errors.As(res.Stop, &le) || le.Limit != extractor.LimitRatio || len(res.Text) > 0 {
		t.Errorf("zip bomb: Stop=%v, text %d bytes; want the compression-ratio limit and no text", res.Stop, len(res.Text))
	}

	lim := extractor.DefaultLimits()
	lim.MaxArchiveBytes = 100
	res, err = extracttest.Read(t, extracttest.DOCX(t), extractor.TypeDOCX, lim, Read)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(res.Stop, &le) || le.Limit != extractor.LimitArchive {
		t.Errorf("MaxArchiveBytes=100: Stop=%v", res.Stop)
	}
}

// FuzzRead feeds zip-based documents to the office reader under each of its types.
func FuzzRead(f *testing.F) {
	f.Add(extracttest.DOCX(f), 0)
	f.Add(extracttest.XLSX(f), 1)
	f.Add(extracttest.PPTX(f), 2)
	f.Add(extracttest.ODT(f), 3)
	f.Add(extracttest.ODS(f), 4)
	f.Add(extracttest.ODP(f), 5)
	f.Add(extracttest.EPUB(f), 6)
	f.Add(extracttest.Testdata(f, filepath.Join("epub", "el-apt.epub")), 6) // pandoc's, from the corpus
	types := []string{extractor.TypeDOCX, extractor.TypeXLSX, extractor.TypePPTX, extractor.TypeODT, extractor.TypeODS, extractor.TypeODP, extractor.TypeEPUB}
	f.Fuzz(func(t *testing.T, data []byte, kind int) {
		mt := types[uint(kind)%uint(len(types))]
		res, err := extracttest.Read(t, data, mt, extracttest.FuzzLimits(), Read)
		extracttest.CheckFuzz(t, res, err)
	})
}
