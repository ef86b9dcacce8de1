package extract

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden and the fuzz seeds")

func extractBytes(t testing.TB, b []byte, name string, lim Limits) (*Result, error) {
	t.Helper()
	return Extract(context.Background(), bytes.NewReader(b), int64(len(b)), name, lim)
}

// readTestdata reads a PDF of the pdf package's testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("pdf", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		file string
		data func(testing.TB) []byte
	}{
		{name: "photo.png", data: extracttest.PNG},
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
			extracttest.Golden(t, tc.name, res, *update)
		})
	}
}

// TestLimits: the text cap holds for every format, cut on a UTF-8 boundary, and an ended
// context is an error. (Page, archive and deadline limits are tested by the format packages.)
func TestLimits(t *testing.T) {
	pdf := readTestdata(t, "helvetica.pdf")
	lim := DefaultLimits()
	lim.MaxTextBytes = 20
	var le *LimitError
	for _, tc := range []struct {
		name string
		b    []byte
	}{{"a.pdf", pdf}, {"a.docx", extracttest.DOCX(t)}, {"a.txt", bytes.Repeat([]byte("é"), 100)}, {"a.xlsx", extracttest.XLSX(t)},
		{"a.eml", []byte(extracttest.EML)}, {"a.html", []byte(extracttest.HTML)}} {
		res, err := extractBytes(t, tc.b, tc.name, lim)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.As(res.Stop, &le) || le.Limit != LimitText || len(res.Text) > 20 || !strings.HasPrefix(strings.ToValidUTF8(res.Text, "?"), res.Text) {
			t.Errorf("%s MaxTextBytes=20: Stop=%v, len %d", tc.name, res.Stop, len(res.Text))
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, bytes.NewReader(pdf), int64(len(pdf)), "a.pdf", DefaultLimits()); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: error %v, want context.Canceled", err)
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

// TestImageDimensions: every image type evx detects gives its width and height.
func TestImageDimensions(t *testing.T) {
	for _, kind := range []string{"png", "tiff", "bmp", "webp"} {
		res, err := extractBytes(t, imageFile(t, kind), "a."+kind, DefaultLimits())
		if err != nil || res.Meta.Width != 7 || res.Meta.Height != 3 {
			t.Errorf("Extract(%s) = %+v, %v; want 7x3", kind, res, err)
		}
	}
}

// imageFile writes a 7x3 image: PNG, TIFF and BMP with Go's encoders, WebP as a lossless
// (VP8L) header, written by hand since Go has no WebP encoder.
func imageFile(t *testing.T, kind string) []byte {
	img := image.NewGray(image.Rect(0, 0, 7, 3))
	var buf bytes.Buffer
	var err error
	switch kind {
	case "png":
		return extracttest.PNG(t)
	case "tiff":
		err = tiff.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	case "webp":
		// VP8L: signature 0x2f, then 14 bits width-1, 14 bits height-1, alpha, version.
		bits := uint32(7-1) | uint32(3-1)<<14
		vp8l := []byte{0x2f, byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24), 0, 0, 0}
		buf.WriteString("RIFF")
		binary.Write(&buf, binary.LittleEndian, uint32(4+8+len(vp8l)))
		buf.WriteString("WEBPVP8L")
		binary.Write(&buf, binary.LittleEndian, uint32(len(vp8l)))
		buf.Write(vp8l)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUnsupported: a type evx reads no text of says so, with the detected type and a
// reason, rather than returning empty text as if the document had none.
func TestUnsupported(t *testing.T) {
	tar := make([]byte, 1024)
	copy(tar, "evidence.txt")
	copy(tar[257:], "ustar\x0000")
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...)
	cases := []struct {
		name, want, reason string
		b                  []byte
	}{
		{"a.zip", TypeZip, "archive", extracttest.ZipOf(t, [][2]string{{"x.txt", "x"}})},
		{"a.gz", "application/gzip", "archive", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00")},
		{"a.tar", "application/x-tar", "archive", tar},
		{"a.tif", "image/tiff", "OCR", imageFile(t, "tiff")},
		{"a.png", TypePNG, "OCR", extracttest.PNG(t)},
		{"a.doc", "application/x-ole-storage", "no text reader", ole},
		{"a.bin", TypeUnknown, "no known type", []byte{0, 1, 2, 3, 0, 0}},
	}
	for _, tc := range cases {
		res, err := extractBytes(t, tc.b, tc.name, DefaultLimits())
		if err != nil {
			t.Errorf("Extract(%s) error %v", tc.name, err)
			continue
		}
		if res.Unsupported == nil || res.Unsupported.MediaType != tc.want || !strings.Contains(res.Unsupported.Reason, tc.reason) {
			t.Errorf("Extract(%s).Unsupported = %+v, want %s and a reason naming %q", tc.name, res.Unsupported, tc.want, tc.reason)
		}
	}
	for _, name := range []string{"helvetica.pdf", "bad-page2.pdf"} {
		res, err := extractBytes(t, readTestdata(t, name), name, DefaultLimits())
		if err != nil || res.Unsupported != nil {
			t.Errorf("Extract(%s) = %+v, %v; want a supported result", name, res.Unsupported, err)
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
		{"a.zip", extracttest.DOCX(t), TypeDOCX},
		{"a.zip", extracttest.XLSX(t), TypeXLSX},
		{"a.zip", extracttest.PPTX(t), TypePPTX},
		{"a.zip", extracttest.ODT(t), TypeODT},
		{"a.txt", []byte(extracttest.EML), TypeEML},
		{"a.txt", []byte(extracttest.HTML), TypeHTML},
		{"a", []byte("a;b;c\n1;2;3\n"), TypeCSV},
		{"a", []byte("just words, with a comma\nand another line\n"), TypeText},
		{"a", extracttest.PNG(t), TypePNG},
		{"a", extracttest.ZipOf(t, [][2]string{{"x.txt", "x"}}), TypeZip},
		{"a", []byte{0, 1, 2, 3, 0, 0}, TypeUnknown},
		{"a", []byte("{\\rtf1\\ansi Hello}"), "application/rtf"},
		{"a", []byte("BMW vehicles seized at the border, list follows\n"), TypeText},
		{"a", []byte("E\x00v\x00i\x00d\x00e\x00n\x00c\x00e\x00 \x00l\x00i\x00s\x00t\x00\n\x00"), TypeText},
		{"a", []byte("\x1f\x04>\x04;\x048\x04F\x048\x04O\x04 \x00@\x04>\x04A\x04A\x048\x048\x04"), TypeText},
		{"a", []byte("From someone@example.org Tue Mar  3 10:15:00 2026\nFrom: a@example.org\nSubject: x\n\nbody\n"), "application/mbox"},
		{"a", extracttest.EPUB(t), "application/epub+zip"},
		{"a", extracttest.ODS(t), "application/vnd.oasis.opendocument.spreadsheet"},
		{"a", extracttest.ODP(t), "application/vnd.oasis.opendocument.presentation"},
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

// TestEncodingCorpus: the files of plain's encoding corpus are detected as text, whatever
// their encoding (UTF-16 without a byte order mark included), and read exactly.
func TestEncodingCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("plain", "testdata", "encodings", "*"))
	n, ok := 0, 0
	for _, f := range files {
		name, enc, _ := strings.Cut(filepath.Base(f), ".")
		if enc == "utf-8" || strings.HasSuffix(name, "-short") {
			continue
		}
		want, _ := os.ReadFile(filepath.Join("plain", "testdata", "encodings", name+".utf-8"))
		b, _ := os.ReadFile(f)
		res, err := extractBytes(t, b, filepath.Base(f), DefaultLimits())
		n++
		switch {
		case err != nil:
			t.Errorf("Extract(%s) error %v", filepath.Base(f), err)
		case res.MediaType != TypeText:
			t.Errorf("Extract(%s).MediaType = %s, want %s", filepath.Base(f), res.MediaType, TypeText)
		case res.Text != string(want):
			t.Errorf("Extract(%s) read %s: %.60q", filepath.Base(f), res.Meta.Encoding, res.Text)
		default:
			ok++
		}
	}
	t.Logf("%d of %d encoded files read exactly through Extract", ok, n)
}
