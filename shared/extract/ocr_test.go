package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// shadedText is the text drawn in pdf/testdata/shaded.png (pdf/gen_testdata.go).
const shadedText = `MUTUAL LEGAL ASSISTANCE REQUEST
Reference EVX 2026 017, Rotterdam public prosecution office
The requesting authority asks for the records of two phones
seized on 14 March 2026, one ledger of payments and the
bank statements of the account named in annex three.
Please return the evidence through the secure channel.
`

// TestOCR reads the scans of pdf/testdata with Tesseract, when it is installed, and
// compares the words with the text drawn. scanned.* is Go's 7x13 bitmap font enlarged four
// times, which Tesseract 5.3 itself reads with 0.65 word agreement from the PNG and 0.56 from
// pdftoppm's 300 dpi page (run by hand, as evx runs it), so its bar is 0.5. shaded.* is an
// unevenly lit page of Go Regular at 300 dpi: with Tesseract's default, one Otsu threshold,
// its dark half is lost (0.31 from the PNG, 0.06 from the PDF page), with Sauvola's local
// threshold it reads in full (1.00 both), so its bar is 0.9. negative.png is the same text
// white on black, which Otsu's threshold reads in full and Sauvola's badly (0.23): evx keeps
// the better reading of the two, and must read both at 0.9 or more.
func TestOCR(t *testing.T) {
	if _, err := (OCR{}).Version(context.Background()); err != nil {
		if !errors.Is(err, ErrNoOCR) {
			t.Fatal(err)
		}
		t.Skip("tesseract not installed")
	}
	scanned := "MUTUAL LEGAL ASSISTANCE REQUEST\nReference EVX 2026 017\nSeized items: two phones, one ledger\n"
	for _, tc := range []struct {
		name, want string
		page       int // of the scan, in a PDF
		bar        float64
	}{
		{"scanned.png", scanned, 0, 0.5},
		{"scanned.pdf", scanned, 2, 0.5},
		{"shaded.png", shadedText, 0, 0.9},
		{"shaded.pdf", shadedText, 1, 0.9},
		{"negative.png", shadedText, 0, 0.9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.page > 0 {
				if _, err := exec.LookPath("pdftoppm"); err != nil {
					t.Skip("pdftoppm not installed")
				}
			}
			b := readTestdata(t, tc.name)
			res, err := extractBytes(t, b, tc.name, DefaultLimits())
			if err != nil || !res.NeedsOCR {
				t.Fatalf("Extract(%s) = %+v, %v; want NeedsOCR", tc.name, res, err)
			}
			if err := (OCR{Languages: []string{"eng"}}).Apply(context.Background(), bytes.NewReader(b), int64(len(b)), res, DefaultLimits()); err != nil {
				t.Fatalf("OCR(%s): %v", tc.name, err)
			}
			got := res.Text
			if tc.page > 0 {
				pages := strings.Split(got, "\f")
				if len(pages) < tc.page {
					t.Fatalf("OCR(%s): %d pages, want page %d: %q", tc.name, len(pages), tc.page, got)
				}
				got = pages[tc.page-1]
			}
			a := extracttest.Agreement(got, tc.want)
			t.Logf("%s: OCR by %s, word agreement %.2f", tc.name, res.OCR, a)
			if res.NeedsOCR || res.Unsupported != nil || !strings.HasPrefix(res.OCR, "tesseract") || a < tc.bar {
				t.Errorf("OCR(%s): text %q, OCR %q, agreement %.2f, want %.2f or more", tc.name, res.Text, res.OCR, a, tc.bar)
			}
			if tc.name == "scanned.pdf" && !strings.HasPrefix(res.Text, "Cover page") {
				t.Errorf("OCR(scanned.pdf): the text layer of page 1 was lost: %q", res.Text)
			}
		})
	}
	// The engine's address space is bounded: 16 MiB is too little for Tesseract to start.
	if _, err := exec.LookPath("prlimit"); err == nil {
		b := readTestdata(t, "scanned.png")
		res, _ := extractBytes(t, b, "scanned.png", DefaultLimits())
		if err := (OCR{MaxMemory: 16 << 20}).Apply(context.Background(), bytes.NewReader(b), int64(len(b)), res, DefaultLimits()); err == nil {
			t.Errorf("OCR within 16 MiB succeeded (%q); want the memory cap to stop it", res.Text)
		}
	}
	if _, err := (OCR{Command: "no-such-ocr-engine"}).Version(context.Background()); !errors.Is(err, ErrNoOCR) {
		t.Errorf("missing engine: %v, want ErrNoOCR", err)
	}
}

// fakeEngine writes a stand-in for tesseract that answers --version and --list-langs like
// it and "reads" an image as the languages and thresholding method it was given, surer of
// its reading with method 2 than with 0, so that the wiring of languages, limits, outcomes
// and the choice between readings is tested where tesseract is not installed.
func fakeEngine(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-tesseract")
	script := `#!/bin/sh
case "$1" in
--version) echo "fake-tesseract 1.0"; exit 0;;
--list-langs) echo 'List of available languages in "/x/" (4):'; echo eng; echo nld; echo osd; echo spa; exit 0;;
esac
base=$2; shift 2
langs=; method=
while [ $# -gt 0 ]; do
	case "$1" in
	-l) langs=$2; shift;;
	-c) method=${2#thresholding_method=}; shift;;
	esac
	shift
done
echo "read in $langs by $method" >"$base.txt"
printf 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n' >"$base.tsv"
printf '5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t%s\tread\n' "$((40 + 20 * method))" >>"$base.tsv"
`
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScore(t *testing.T) {
	const head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
	for _, tc := range []struct {
		name, tsv string
		want      float64
	}{
		{"empty", "", 0},
		{"header only", head, 0},
		{"words", head + "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t50\tphone,\n5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t100.000000\t2026\r\n", 0.5*5 + 4},
		{"not words", head + "4\t1\t1\t1\t1\t0\t0\t0\t9\t9\t-1\t\n5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t-1\t \n", 0},
		{"garbled", head + "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\tNaN\tword\n5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t1e9\tword\n5\tshort\n", 0},
	} {
		if got := score([]byte(tc.tsv)); got != tc.want {
			t.Errorf("score(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLanguagesFor(t *testing.T) {
	for _, tc := range []struct {
		installed, states, want []string
	}{
		{nil, []string{"NL", "ES"}, []string{"nld", "spa", "cat", "glg", "eus", "eng"}},
		{[]string{"eng", "nld", "spa"}, []string{"nl", " ES "}, []string{"nld", "spa", "eng"}},
		{[]string{"eng", "deu", "fra"}, []string{"BE", "LU"}, []string{"fra", "deu", "eng"}},
		{[]string{"eng"}, []string{"", "ZZ"}, []string{"eng"}},
		{[]string{"deu"}, []string{"GB"}, nil},
	} {
		if got := LanguagesFor(tc.installed, tc.states...); !slices.Equal(got, tc.want) {
			t.Errorf("LanguagesFor(%v, %v) = %v, want %v", tc.installed, tc.states, got, tc.want)
		}
	}
}

// TestRecordOCR: with OCR, the stored JSON says which engine and languages (from the
// bundle's states) read an image; with no engine, or an image past the size cap, it says
// why not and keeps needs_ocr.
func TestRecordOCR(t *testing.T) {
	png := readTestdata(t, "scanned.png")
	states := func(context.Context) (string, string) { return "NL", "ES" }
	var got struct {
		Text         string   `json:"text"`
		NeedsOCR     bool     `json:"needs_ocr"`
		OCR          string   `json:"ocr"`
		OCRLanguages []string `json:"ocr_languages"`
		OCRError     string   `json:"ocr_error"`
		Unsupported  *Unsupported
	}
	for _, tc := range []struct {
		name     string
		ocr      OCR
		text     string
		langs    []string
		errorHas string
	}{
		{"states", OCR{Command: fakeEngine(t)}, "read in nld+spa+eng by 2\n", []string{"nld", "spa", "eng"}, ""},
		{"set languages", OCR{Command: fakeEngine(t), Languages: []string{"deu"}}, "read in deu by 2\n", []string{"deu"}, ""},
		{"no engine", OCR{Command: "no-such-ocr-engine"}, "", nil, "OCR engine not installed"},
		{"too large", OCR{Command: fakeEngine(t), MaxPixels: 100}, "", nil, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := RecordWith(DefaultLimits(), RecordOptions{OCR: &tc.ocr, States: states})
			_, body, err := rec(context.Background(), bytes.NewReader(png), int64(len(png)), "scan.png")
			if err != nil {
				t.Fatal(err)
			}
			got.OCRLanguages, got.OCRError, got.OCR = nil, "", ""
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Text != tc.text || !slices.Equal(got.OCRLanguages, tc.langs) || !strings.Contains(got.OCRError, tc.errorHas) {
				t.Errorf("Record = text %q, languages %v, error %q; want %q, %v, %q", got.Text, got.OCRLanguages, got.OCRError, tc.text, tc.langs, tc.errorHas)
			}
			if read := tc.errorHas == ""; read == got.NeedsOCR || read != (got.OCR == "fake-tesseract 1.0") || read != (got.Unsupported == nil) {
				t.Errorf("Record = needs_ocr %v, ocr %q, unsupported %v; read %v", got.NeedsOCR, got.OCR, got.Unsupported, read)
			}
			if tc.errorHas != "" && got.OCRError == "" {
				t.Errorf("no ocr_error")
			}
		})
	}
}
