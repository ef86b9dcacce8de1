package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"github.com/evx-project/evx/shared/extract/internal/rawpdf"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden and the fuzz seeds")

func extractBytes(t testing.TB, b []byte, name string, lim Limits) (*Result, error) {
	t.Helper()
	return Extract(context.Background(), bytes.NewReader(b), int64(len(b)), name, lim)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden is the part of a Result compared with testdata/golden/NAME.json.
type golden struct {
	MediaType  string       `json:"media_type"`
	NameType   string       `json:"name_type,omitempty"`
	Meta       Meta         `json:"meta"`
	Text       string       `json:"text"`
	Partial    bool         `json:"partial"`
	Stop       string       `json:"stop,omitempty"`
	PageErrors []string     `json:"page_errors,omitempty"`
	Attach     []Attachment `json:"attachments,omitempty"`
}

func checkGolden(t *testing.T, name string, res *Result) {
	t.Helper()
	got, err := json.MarshalIndent(golden{res.MediaType, res.NameType, res.Meta, res.Text, res.Partial, res.StopReason, res.PageErrorText, res.Attach}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(bytes.TrimSpace(want)) != string(got) {
		t.Errorf("Extract(%s) =\n%s\nwant\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		file string
		data func(testing.TB) []byte
	}{
		{name: "helvetica.pdf", file: "helvetica.pdf"},
		{name: "cid.pdf", file: "cid.pdf"},
		{name: "pdf20.pdf", file: "pdf20.pdf"},
		{name: "broken-xref.pdf", file: "broken-xref.pdf"},
		{name: "bad-page2.pdf", file: "bad-page2.pdf"},
		{name: "filters.pdf", file: "filters.pdf"},
		{name: "report.docx", data: docxFile},
		{name: "exhibits.xlsx", data: xlsxFile},
		{name: "briefing.pptx", data: pptxFile},
		{name: "statement.odt", data: odtFile},
		{name: "request.eml", data: func(testing.TB) []byte { return []byte(emlFile) }},
		{name: "case.html", data: func(testing.TB) []byte { return []byte(htmlFile) }},
		{name: "photo.png", data: pngFile},
		{name: "list.csv", data: func(testing.TB) []byte { return []byte("item,count\n\"phone, black\",3\nledger,1\n") }},
		{name: "latin1.txt", data: func(testing.TB) []byte { return []byte("Se\xf1or Garc\xeda\n") }},
		{name: "utf16.txt", data: func(testing.TB) []byte { return []byte("\xff\xfeO\x00k\x00 \x00\xe9\x00\n\x00") }},
		{name: "pdf-named.docx", file: "helvetica.pdf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			if tc.file != "" {
				b = readTestdata(t, tc.file)
			} else {
				b = tc.data(t)
			}
			res, err := extractBytes(t, b, tc.name, DefaultLimits())
			if err != nil {
				t.Fatalf("Extract(%s) error %v", tc.name, err)
			}
			checkGolden(t, tc.name, res)
		})
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
		res, err := extractBytes(t, readTestdata(t, tc.file), tc.file, DefaultLimits())
		if err != nil {
			t.Fatalf("Extract(%s) error %v", tc.file, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(res.Text, w) {
				t.Errorf("Extract(%s).Text = %q, want it to contain %q", tc.file, res.Text, w)
			}
		}
		if res.Partial != tc.partial {
			t.Errorf("Extract(%s).Partial = %v, want %v", tc.file, res.Partial, tc.partial)
		}
		if res.Meta.Pages == 0 {
			t.Errorf("Extract(%s).Meta.Pages = 0", tc.file)
		}
	}
	res, _ := extractBytes(t, readTestdata(t, "bad-page2.pdf"), "x.pdf", DefaultLimits())
	var pe *PageError
	if !errors.As(res.Stop, &pe) || pe.Page != 2 || len(res.PageErrors) != 1 {
		t.Errorf("bad-page2.pdf: Stop = %v, PageErrors = %v, want a *PageError for page 2", res.Stop, res.PageErrors)
	}
	res, _ = extractBytes(t, readTestdata(t, "helvetica.pdf"), "x.pdf", DefaultLimits())
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

func TestLimits(t *testing.T) {
	pdf := readTestdata(t, "helvetica.pdf")
	lim := DefaultLimits()
	lim.MaxPages = 1
	res, err := extractBytes(t, pdf, "a.pdf", lim)
	if err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if !res.Partial || !errors.As(res.Stop, &le) || le.Limit != LimitPages || strings.Contains(res.Text, "Second page") {
		t.Errorf("MaxPages=1: Partial=%v Stop=%v, text %q", res.Partial, res.Stop, res.Text)
	}

	lim = DefaultLimits()
	lim.MaxTextBytes = 20
	for _, tc := range []struct {
		name string
		b    []byte
	}{{"a.pdf", pdf}, {"a.docx", docxFile(t)}, {"a.txt", bytes.Repeat([]byte("é"), 100)}, {"a.xlsx", xlsxFile(t)}} {
		res, err = extractBytes(t, tc.b, tc.name, lim)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.As(res.Stop, &le) || le.Limit != LimitText || len(res.Text) > 20 || !strings.HasPrefix(strings.ToValidUTF8(res.Text, "?"), res.Text) {
			t.Errorf("%s MaxTextBytes=20: Stop=%v, len %d", tc.name, res.Stop, len(res.Text))
		}
	}

	// A zip bomb: one member that inflates 1000-fold.
	bomb := zipOf(t, [][2]string{{"[Content_Types].xml", "<Types/>"},
		{"word/document.xml", "<w:document><w:body><w:p><w:t>" + strings.Repeat("A", 8<<20) + "</w:t></w:p></w:body></w:document>"}})
	res, err = extractBytes(t, bomb, "bomb.docx", DefaultLimits())
	if err != nil {
		t.Fatalf("zip bomb: error %v", err)
	}
	if !errors.As(res.Stop, &le) || le.Limit != LimitRatio || len(res.Text) > 0 {
		t.Errorf("zip bomb: Stop=%v, text %d bytes; want the compression-ratio limit and no text", res.Stop, len(res.Text))
	}

	lim = DefaultLimits()
	lim.MaxArchiveBytes = 100
	res, err = extractBytes(t, docxFile(t), "a.docx", lim)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(res.Stop, &le) || le.Limit != LimitArchive {
		t.Errorf("MaxArchiveBytes=100: Stop=%v", res.Stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, bytes.NewReader(pdf), int64(len(pdf)), "a.pdf", DefaultLimits()); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: error %v, want context.Canceled", err)
	}
	lim = DefaultLimits()
	lim.Timeout = time.Nanosecond
	res, err = extractBytes(t, pdf, "a.pdf", lim)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(res.Stop, &le) || le.Limit != LimitDeadline {
		t.Errorf("1ns timeout: Stop=%v", res.Stop)
	}
}

func TestUnreadable(t *testing.T) {
	pdf := readTestdata(t, "helvetica.pdf")
	cases := []struct {
		name string
		b    []byte
	}{
		{"header-only.pdf", []byte("%PDF-1.7\n")},
		{"truncated.pdf", pdf[:300]},
		{"no-objects.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xff, 0x00}, 500)...)},
		{"bad.docx", append([]byte("PK\x03\x04"), bytes.Repeat([]byte{1}, 100)...)},
		{"bad.png", []byte("\x89PNG\r\n\x1a\nxx")},
	}
	for _, tc := range cases {
		res, err := extractBytes(t, tc.b, tc.name, DefaultLimits())
		var ue *UnreadableError
		if tc.name == "bad.docx" && err == nil {
			if res.MediaType != TypeZip && res.MediaType != TypeUnknown {
				t.Errorf("Extract(%s) = %s", tc.name, res.MediaType)
			}
			continue
		}
		if !errors.As(err, &ue) {
			t.Errorf("Extract(%s) = %v, %v; want an *UnreadableError", tc.name, res, err)
		}
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"a.bin", readTestdata(t, "helvetica.pdf"), TypePDF},
		{"a.bin", append([]byte("garbage\n"), readTestdata(t, "helvetica.pdf")...), TypePDF},
		{"a.zip", docxFile(t), TypeDOCX},
		{"a.zip", xlsxFile(t), TypeXLSX},
		{"a.zip", pptxFile(t), TypePPTX},
		{"a.zip", odtFile(t), TypeODT},
		{"a.txt", []byte(emlFile), TypeEML},
		{"a.txt", []byte(htmlFile), TypeHTML},
		{"a", []byte("a;b;c\n1;2;3\n"), TypeCSV},
		{"a", []byte("just words, with a comma\nand another line\n"), TypeText},
		{"a", pngFile(t), TypePNG},
		{"a", zipOf(t, [][2]string{{"x.txt", "x"}}), TypeZip},
		{"a", []byte{0, 1, 2, 3, 0, 0}, TypeUnknown},
	}
	for _, tc := range cases {
		res, err := extractBytes(t, tc.b, tc.name, DefaultLimits())
		if err != nil {
			t.Errorf("Extract(%s as %s) error %v", tc.name, tc.want, err)
			continue
		}
		if res.MediaType != tc.want {
			t.Errorf("Extract(%q).MediaType = %s, want %s", tc.b[:min(len(tc.b), 20)], res.MediaType, tc.want)
		}
	}
	res, _ := extractBytes(t, readTestdata(t, "helvetica.pdf"), "report.docx", DefaultLimits())
	if res.NameType != TypeDOCX {
		t.Errorf("PDF named .docx: NameType = %q, want %s", res.NameType, TypeDOCX)
	}
}

// TestHostileXref: cross-reference data that would make the PDF library allocate tables of
// billions of entries is refused before the library sees it, and the file is rebuilt.
func TestHostileXref(t *testing.T) {
	pdf := string(readTestdata(t, "helvetica.pdf"))
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
		res, err := extractBytes(t, []byte(doc), name+".pdf", DefaultLimits())
		if err != nil {
			t.Errorf("Extract(%s) error %v", name, err)
			continue
		}
		if !strings.Contains(res.Text, "the investigation continues") {
			t.Errorf("Extract(%s).Text = %q", name, res.Text)
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
	lim := DefaultLimits()
	lim.MaxObjects = 2000 // the default (100,000) holds too, in about a second
	for name, doc := range cases {
		res, err := extractBytes(t, doc, name+".pdf", lim)
		if err != nil {
			t.Errorf("Extract(%s) error %v", name, err)
			continue
		}
		var le *LimitError
		if name == "self-drawing-form" && (!errors.As(res.Stop, &le) || le.Limit != LimitObjects) {
			t.Errorf("Extract(%s).Stop = %v, want the objects limit", name, res.Stop)
		}
		if !strings.Contains(res.Text, "Visible text") {
			t.Errorf("Extract(%s).Text = %.200q, want it to contain %q", name, res.Text, "Visible text")
		}
	}
}
