package pdf

import (
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
	"github.com/evx-project/evx/shared/extract/pdf/internal/rawpdf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden and the fuzz seeds")

func readPDF(t testing.TB, b []byte, lim extractor.Limits) (*extractor.Result, error) {
	t.Helper()
	return extracttest.Read(t, b, extractor.TypePDF, lim, Read)
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"helvetica.pdf", "cid.pdf", "pdf20.pdf", "broken-xref.pdf", "bad-page2.pdf", "filters.pdf"} {
		t.Run(name, func(t *testing.T) {
			res, err := readPDF(t, extracttest.Testdata(t, name), extractor.DefaultLimits())
			if err != nil {
				t.Fatalf("Read(%s) error %v", name, err)
			}
			extracttest.Golden(t, name, res, *update)
		})
	}
}

// TestScanned: a page that draws images but has no text layer is reported, and the
// document flagged as needing OCR; pages with text are not.
func TestScanned(t *testing.T) {
	res, err := readPDF(t, extracttest.Testdata(t, "scanned.pdf"), extractor.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !res.NeedsOCR || len(res.ImagePages) != 1 || res.ImagePages[0] != 2 || !strings.Contains(res.Text, "Cover page") {
		t.Errorf("scanned.pdf: NeedsOCR %v, ImagePages %v, text %q; want page 2 only", res.NeedsOCR, res.ImagePages, res.Text)
	}
	inline := rawpdf.Of(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		rawpdf.Stream("", []byte("q 100 0 0 100 0 0 cm BI /W 2 /H 2 /BPC 8 /CS /G ID \x00\xff\xff\x00 EI Q")),
	)
	res, err = readPDF(t, inline, extractor.DefaultLimits())
	if err != nil || !res.NeedsOCR || len(res.ImagePages) != 1 {
		t.Errorf("inline image page: %+v, %v; want it reported", res, err)
	}
	res, _ = readPDF(t, extracttest.Testdata(t, "helvetica.pdf"), extractor.DefaultLimits())
	if res.NeedsOCR || len(res.ImagePages) > 0 {
		t.Errorf("helvetica.pdf: NeedsOCR %v, ImagePages %v", res.NeedsOCR, res.ImagePages)
	}
}

// TestLimits: the page cap and the deadline stop a PDF early, with what was read so far.
func TestLimits(t *testing.T) {
	doc := extracttest.Testdata(t, "helvetica.pdf")
	lim := extractor.DefaultLimits()
	lim.MaxPages = 1
	res, err := readPDF(t, doc, lim)
	if err != nil {
		t.Fatal(err)
	}
	var le *extractor.LimitError
	if !res.Partial || !errors.As(res.Stop, &le) || le.Limit != extractor.LimitPages || strings.Contains(res.Text, "Second page") {
		t.Errorf("MaxPages=1: Partial=%v Stop=%v, text %q", res.Partial, res.Stop, res.Text)
	}
	lim = extractor.DefaultLimits()
	lim.Timeout = time.Nanosecond
	res, err = readPDF(t, doc, lim)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(res.Stop, &le) || le.Limit != extractor.LimitDeadline {
		t.Errorf("1ns timeout: Stop=%v", res.Stop)
	}
}

// TestPDFText checks the properties the golden files encode, so that a regenerated golden
// file cannot hide a regression.
func TestPDFText(t *testing.T) {
	cases := []struct {
		file    string
		want    []string
		partial bool
	}{
		{"helvetica.pdf", []string{"legal assistance request", "the investigation continues", "Positioned words without spaces", "Glued", "Second page in Times Bold"}, false},
		{"cid.pdf", []string{"Göteborg und Kraków", "Ελληνικά κείμενα", "final findings of the office", "Zeugin bestätigt Übergabe"}, false},
		{"pdf20.pdf", []string{"the investigation continues", "Second page"}, false},
		{"broken-xref.pdf", []string{"the investigation continues", "Second page"}, false},
		{"bad-page2.pdf", []string{"the investigation continues"}, true},
		{"filters.pdf", []string{"Page one was compressed with LZW", "Page two is raw deflate without a zlib header", "Page three used run length and hex"}, false},
	}
	for _, tc := range cases {
		res, err := readPDF(t, extracttest.Testdata(t, tc.file), extractor.DefaultLimits())
		if err != nil {
			t.Fatalf("Read(%s) error %v", tc.file, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(res.Text, w) {
				t.Errorf("Read(%s).Text = %q, want it to contain %q", tc.file, res.Text, w)
			}
		}
		if res.Partial != tc.partial {
			t.Errorf("Read(%s).Partial = %v, want %v", tc.file, res.Partial, tc.partial)
		}
		if res.Meta.Pages == 0 {
			t.Errorf("Read(%s).Meta.Pages = 0", tc.file)
		}
	}
	res, _ := readPDF(t, extracttest.Testdata(t, "bad-page2.pdf"), extractor.DefaultLimits())
	var pe *extractor.PageError
	if !errors.As(res.Stop, &pe) || pe.Page != 2 || len(res.PageErrors) != 1 {
		t.Errorf("bad-page2.pdf: Stop = %v, PageErrors = %v, want a *extractor.PageError for page 2", res.Stop, res.PageErrors)
	}
	res, _ = readPDF(t, extracttest.Testdata(t, "helvetica.pdf"), extractor.DefaultLimits())
	if res.Meta.Title != "Request for assistance" || res.Meta.Author != "Public Prosecutor" ||
		!res.Meta.Created.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || res.Meta.Pages != 2 {
		t.Errorf("helvetica.pdf meta = %+v", res.Meta)
	}
}

func TestStandardMetrics(t *testing.T) {
	cases := []struct {
		font string
		r    rune
		want uint16
	}{
		{"Helvetica", 'W', 944},
		{"ABCDEF+Helvetica-Bold", 'i', 278},
		{"Arial,BoldItalic", 'm', 889},
		{"Times-Roman", 'a', 444},
		{"TimesNewRomanPS-ItalicMT", 'e', 444},
		{"Courier-Oblique", 'x', 600},
		{"Helvetica", 'é', 556},
	}
	for _, tc := range cases {
		m := standardMetrics(tc.font)
		if m == nil {
			t.Errorf("standardMetrics(%q) = nil", tc.font)
			continue
		}
		if got := m[tc.r]; got != tc.want {
			t.Errorf("standardMetrics(%q)[%q] = %d, want %d", tc.font, tc.r, got, tc.want)
		}
	}
	if m := standardMetrics("ZapfChancery"); m != nil {
		t.Errorf("standardMetrics(ZapfChancery) = %d entries, want nil", len(m))
	}
}

func TestGlyphText(t *testing.T) {
	cases := []struct{ name, want string }{
		{"A", "A"}, {"eacute", "é"}, {"uni00E9", "é"}, {"uni00660069", "fi"}, {"u1F600", "😀"},
		{"f_f_i", "ffi"}, {"a.sc", "a"}, {"fi", "\ufb01"},
	}
	for _, tc := range cases {
		if got, _ := glyphText(tc.name); got != tc.want {
			t.Errorf("glyphText(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestHostileXref: cross-reference data that would make the PDF library allocate tables of
// billions of entries is refused before the library sees it, and the file is rebuilt.
func TestHostileXref(t *testing.T) {
	pdf := string(extracttest.Testdata(t, "helvetica.pdf"))
	cases := map[string]string{
		"huge-size":           regexpReplace(pdf, `/Size \d+`, "/Size 4000000000"),
		"huge-subsection":     regexpReplace(pdf, `xref\n0 (\d+)`, "xref\n3999999990 $1"),
		"huge-index":          regexpReplace(pdf, `trailer\n<<`, "trailer\n<</Index [0 1 4000000000 1]"),
		"huge-2nd-subsection": regexpReplace(pdf, `\ntrailer`, "\n3999999990 1\n0000000009 00000 n \ntrailer"),
	}
	if bogusSize(strings.NewReader(pdf), int64(len(pdf))) {
		t.Errorf("bogusSize(helvetica.pdf) = true, want false")
	}
	for name, doc := range cases {
		if doc == pdf {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if !bogusSize(strings.NewReader(doc), int64(len(doc))) {
			t.Errorf("bogusSize(%s) = false, want true", name)
		}
		res, err := readPDF(t, []byte(doc), extractor.DefaultLimits())
		if err != nil {
			t.Errorf("Read(%s) error %v", name, err)
			continue
		}
		if !strings.Contains(res.Text, "the investigation continues") {
			t.Errorf("Read(%s).Text = %q", name, res.Text)
		}
	}
}

func regexpReplace(s, re, repl string) string {
	return regexp.MustCompile(re).ReplaceAllString(s, repl)
}

// TestHostilePDF: structures that loop or multiply work end within the limits.
func TestHostilePDF(t *testing.T) {
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	cases := map[string][]byte{
		// A form that draws itself ten times: 10^8 runs without the object cap.
		"self-drawing-form": rawpdf.Of(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /Resources << /XObject << /X 4 0 R >> /Font << /F 5 0 R >> >> /Contents 6 0 R >>",
			rawpdf.Stream("/Type /XObject /Subtype /Form /Resources << /XObject << /X 4 0 R >> /Font << /F 5 0 R >> >>",
				[]byte("BT /F 9 Tf (loop) Tj ET"+strings.Repeat(" /X Do", 10))),
			font,
			rawpdf.Stream("", []byte("BT /F 12 Tf 72 700 Td (Visible text) Tj ET /X Do")),
		),
		// A page tree whose node lists itself as a kid.
		"cyclic-page-tree": rawpdf.Of(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [2 0 R 3 0 R 2 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F 4 0 R >> >> /Contents 5 0 R >>",
			font,
			rawpdf.Stream("", []byte("BT /F 12 Tf 72 700 Td (Visible text) Tj ET")),
		),
		// A /Parent chain that loops, and resources only on the (cyclic) parent.
		"cyclic-parent": rawpdf.Of(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 2 0 R /Resources << /Font << /F 4 0 R >> >> >>",
			"<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>",
			font,
			rawpdf.Stream("", []byte("BT /F 12 Tf 72 700 Td (Visible text) Tj ET")),
		),
	}
	lim := extractor.DefaultLimits()
	lim.MaxObjects = 2000 // the default (100,000) holds too, in about a second
	for name, doc := range cases {
		res, err := readPDF(t, doc, lim)
		if err != nil {
			t.Errorf("Read(%s) error %v", name, err)
			continue
		}
		var le *extractor.LimitError
		if name == "self-drawing-form" && (!errors.As(res.Stop, &le) || le.Limit != extractor.LimitObjects) {
			t.Errorf("Read(%s).Stop = %v, want the objects limit", name, res.Stop)
		}
		if !strings.Contains(res.Text, "Visible text") {
			t.Errorf("Read(%s).Text = %.200q, want it to contain %q", name, res.Text, "Visible text")
		}
	}
}
