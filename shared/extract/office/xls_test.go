package office

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestXLS reads an Excel 97-2003 workbook (testdata/NOTICE) and compares it with
// xls2csv's reading of the same file (gen_testdata.go).
func TestXLS(t *testing.T) {
	b := extracttest.Testdata(t, "mscfb-test.xls")
	want := extracttest.Testdata(t, "mscfb-test.xls.csv")
	res, err := extracttest.Read(t, b, extractor.TypeXLS, extractor.DefaultLimits(), ReadXLS)
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.NewReplacer(`"`, "", ",", " ").Replace(string(want))
	sheets := "Test sheet 1\nTest sheet 2\nSheet3\n" // xls2csv does not print sheet names
	a := extracttest.Agreement(res.Text, sheets+ref)
	t.Logf(".xls: word agreement %.3f with xls2csv", a)
	if a < 0.95 || !strings.Contains(res.Text, "Test1\tLorem\tIpsum\nAvocado\t1\t2\n\t3\t5\n") || res.Meta.Pages != 3 {
		t.Errorf("agreement %.3f, pages %d, text %q", a, res.Meta.Pages, res.Text)
	}
}

func TestSST(t *testing.T) {
	// Two strings; the second's characters continue, as UTF-16, in a CONTINUE record.
	sst := []byte{2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 'a', 'b', 'c', 4, 0, 0, 'd', 'e'}
	cont := []byte{1, 'f', 0, 0x14, 0x04}
	got := parseSST([][]byte{sst, cont})
	if len(got) != 2 || got[0] != "abc" || got[1] != "defД" {
		t.Errorf("parseSST = %q", got)
	}
	if rk(0x3ff00000) != "1" || rk(0x0000000a) != "2" || rk(0x00000193) != "1" { // 1.0; 2 as integer; 100/100
		t.Errorf("rk = %s %s %s", rk(0x3ff00000), rk(0x0000000a), rk(0x00000193))
	}
}

// FuzzXLS feeds compound files to the Excel 97-2003 reader.
func FuzzXLS(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "mscfb-test.xls"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := extracttest.Read(t, data, extractor.TypeXLS, extracttest.FuzzLimits(), ReadXLS)
		extracttest.CheckFuzz(t, res, err)
	})
}
