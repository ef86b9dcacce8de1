//go:build ignore

// gen_testdata writes the PDFs the tests read into testdata/, with go-pdf/fpdf:
//
//	helvetica.pdf       standard 14 font (Helvetica, no /Widths), words, an end-of-line
//	                    hyphen, two pages, title and author
//	cid.pdf             a Type0/CIDFontType2 font (DejaVu Sans Condensed subset, shipped with
//	                    fpdf) with /W widths and a ToUnicode map; accents, a ligature U+FB01
//	pdf20.pdf           helvetica.pdf with a %PDF-2.0 header
//	broken-xref.pdf     helvetica.pdf with its startxref offset pointing nowhere
//	bad-page2.pdf       helvetica.pdf whose second page's stream names an unsupported filter
//	scanned.png         a picture of typewritten text (Go's bitmap font, enlarged)
//	scanned.pdf         a page of text, then a page that is only scanned.png
//	filters.pdf         written by hand: page 1 LZW-encoded (EarlyChange 0), page 2 raw
//	                    deflate data without the zlib header, page 3 RunLength then ASCIIHex
//
// Run with: go generate ./shared/extract/pdf
package main

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"encoding/hex"
	"image"
	"image/draw"
	"image/png"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/evx-project/evx/shared/extract/pdf/internal/rawpdf"
)

var when = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func main() {
	hel := helvetica()
	write("helvetica.pdf", hel)
	write("cid.pdf", cid())
	write("pdf20.pdf", bytes.Replace(hel, []byte("%PDF-1.3"), []byte("%PDF-2.0"), 1))
	broken := regexp.MustCompile(`startxref\n\d+`).ReplaceAll(hel, []byte("startxref\n999999"))
	write("broken-xref.pdf", broken)
	write("bad-page2.pdf", badPage2(hel))
	write("filters.pdf", filters())
	img := scan()
	write("scanned.png", img)
	write("scanned.pdf", scannedPDF(img))
}

// scan draws a page of typewritten text as a picture: Go's 7x13 bitmap font, enlarged
// four times, black on white, as a scanner would deliver it.
func scan() []byte {
	lines := []string{"MUTUAL LEGAL ASSISTANCE REQUEST", "Reference EVX 2026 017", "Seized items: two phones, one ledger"}
	small := image.NewGray(image.Rect(0, 0, 300, 20+16*len(lines)))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: small, Src: image.Black, Face: basicfont.Face7x13}
	for i, l := range lines {
		d.Dot = fixed.P(10, 20+16*i)
		d.DrawString(l)
	}
	const k = 4
	big := image.NewGray(image.Rect(0, 0, small.Bounds().Dx()*k, small.Bounds().Dy()*k))
	for y := 0; y < big.Bounds().Dy(); y++ {
		for x := 0; x < big.Bounds().Dx(); x++ {
			big.SetGray(x, y, small.GrayAt(x/k, y/k))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, big); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// scannedPDF writes a two-page PDF: a page of text, then a page that is only the scan.
func scannedPDF(img []byte) []byte {
	pdf := newDoc()
	pdf.SetFont("Helvetica", "", 12)
	pdf.AddPage()
	pdf.Text(20, 30, "Cover page with a text layer")
	pdf.AddPage()
	pdf.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(img))
	pdf.ImageOptions("scan", 10, 10, 190, 0, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	return out(pdf)
}

// filters writes a three-page PDF whose content streams use encodings the PDF library
// does not decode.
func filters() []byte {
	page := func(s string) []byte {
		return []byte("BT /F1 14 Tf 72 720 Td (" + s + ") Tj ET")
	}
	var lz bytes.Buffer
	w := lzw.NewWriter(&lz, lzw.MSB, 8)
	w.Write(page("Page one was compressed with LZW"))
	w.Close()
	var fl bytes.Buffer
	fw, _ := flate.NewWriter(&fl, flate.BestCompression)
	fw.Write(page("Page two is raw deflate without a zlib header"))
	fw.Close()
	rl := runLengthEncode(page("Page three used run length and hex"))
	hexed := []byte(hex.EncodeToString(rl) + ">")

	return rawpdf.Of(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 /Resources << /Font << /F1 6 0 R >> >> >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 7 0 R >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 8 0 R >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 9 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		rawpdf.Stream("/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", lz.Bytes()),
		rawpdf.Stream("/Filter /FlateDecode", fl.Bytes()),
		rawpdf.Stream("/Filter [/ASCIIHexDecode /RunLengthDecode]", hexed),
	)
}

// runLengthEncode writes literal runs only, which every decoder must accept.
func runLengthEncode(p []byte) []byte {
	var out []byte
	for len(p) > 0 {
		n := min(len(p), 128)
		out = append(out, byte(n-1))
		out = append(out, p[:n]...)
		p = p[n:]
	}
	return append(out, 128)
}

func newDoc() *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(when)
	pdf.SetModificationDate(when)
	pdf.SetCompression(true)
	return pdf
}

func helvetica() []byte {
	pdf := newDoc()
	pdf.SetTitle("Request for assistance", true)
	pdf.SetAuthor("Public Prosecutor", true)
	pdf.SetFont("Helvetica", "", 12)
	pdf.AddPage()
	pdf.Text(20, 30, "Mutual legal assistance request concerning")
	pdf.Text(20, 36, "the seizure of 12 kg of cocaine at the port of")
	pdf.Text(20, 42, "Rotterdam on 3 March; the investi-")
	pdf.Text(20, 48, "gation continues.")
	pdf.Text(120, 60, "Reference: EVX-2026-001")
	// Words placed one by one, with no space characters: the gaps alone separate them,
	// measured with the standard 14 metrics since the font has no /Widths.
	x := 20.0
	for _, w := range []string{"Positioned", "words", "without", "spaces"} {
		pdf.Text(x, 70, w)
		x += pdf.GetStringWidth(w) + 1.5
	}
	pdf.Text(20, 80, "Glu")
	pdf.Text(20+pdf.GetStringWidth("Glu")+0.1, 80, "ed")
	pdf.AddPage()
	pdf.SetFont("Times", "B", 14)
	pdf.Text(20, 30, "Second page in Times Bold")
	pdf.SetFont("Courier", "", 10)
	pdf.Text(20, 40, "Exhibit list: phone, ledger, 3 SIM cards")
	return out(pdf)
}

func cid() []byte {
	dir := moduleDir("github.com/go-pdf/fpdf")
	pdf := fpdf.New("P", "mm", "A4", filepath.Join(dir, "font"))
	pdf.SetCreationDate(when)
	pdf.SetModificationDate(when)
	pdf.SetTitle("Übersetzung", true)
	pdf.AddUTF8Font("dejavu", "", "DejaVuSansCondensed.ttf")
	pdf.SetFont("dejavu", "", 12)
	pdf.AddPage()
	pdf.Text(20, 30, "Beschlagnahme in Göteborg und Kraków")
	pdf.Text(20, 38, "Ελληνικά κείμενα και Кириллица")
	pdf.Text(20, 46, "ﬁnal ﬁndings of the ofﬁce")
	x := 20.0
	for _, w := range []string{"Zeugin", "bestätigt", "Übergabe"} {
		pdf.Text(x, 54, w)
		x += pdf.GetStringWidth(w) + 1.5
	}
	return out(pdf)
}

// badPage2 renames the filter of the second page's content stream to one the library
// does not know, keeping every byte offset.
func badPage2(doc []byte) []byte {
	b := append([]byte(nil), doc...)
	idx := regexp.MustCompile(`/Filter /FlateDecode`).FindAllIndex(b, -1)
	if len(idx) < 2 {
		log.Fatal("fewer than two compressed streams")
	}
	copy(b[idx[1][0]:idx[1][1]], "/Filter /JBIG2Decode")
	return b
}

func out(pdf *fpdf.Fpdf) []byte {
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func moduleDir(path string) string {
	o, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		log.Fatal(err)
	}
	return strings.TrimSpace(string(o))
}

func write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
		log.Fatal(err)
	}
}
