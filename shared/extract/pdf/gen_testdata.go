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
//	shaded.png          a scanned letter lit unevenly: Go Regular 11 pt at 300 dpi on a page
//	                    whose brightness falls from white to 35% towards the left edge (a
//	                    shadow, a photographed page); its words are shadedText
//	shaded.pdf          a page that is only shaded.png, 300 dpi
//	negative.png        shadedText evenly lit, white on black (a microfilm negative, a
//	                    screenshot in a dark theme)
//	filters.pdf         written by hand: page 1 LZW-encoded (EarlyChange 0), page 2 raw
//	                    deflate data without the zlib header, page 3 RunLength then ASCIIHex
//	enc-rc4-40.pdf      helvetica.pdf encrypted by qpdf, the reference writer, with an empty
//	enc-rc4-128.pdf     user password and the owner password "owner": RC4 40-bit (R2),
//	enc-aes-128.pdf     RC4 128-bit (R3), AES-128 (R4); qpdf's --static-id and
//	                    --static-aes-iv make its output the same on every run
//	enc-rc4-40-user.pdf the same with the user password "secret" (a password is required)
//	enc-aes-256.pdf     AES-256 (R6) written here, since qpdf draws R6's salts and key at
//	enc-aes-256-user.pdf random: empty user password, then "secret"; pdftotext (poppler, the
//	                    reference reader) must read each file written here as
//	                    helvetica.pdf or encText, and refuse the "-user" files without
//	                    their password
//
// Run with: go generate ./shared/extract/pdf (needs qpdf and pdftotext).
package main

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"log"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
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
	sh := shaded()
	write("shaded.png", sh)
	write("shaded.pdf", shadedPDF(sh))
	write("negative.png", letter(false, true))
	encrypted()
}

// encText is the text of the AES-256 files written here.
const encText = "Sealed request: AES-256 protects this page"

func encrypted() {
	src := filepath.Join("testdata", "helvetica.pdf")
	for _, c := range []struct{ name, user, bits, aes string }{
		{"enc-rc4-40.pdf", "", "40", ""},
		{"enc-rc4-128.pdf", "", "128", "n"},
		{"enc-aes-128.pdf", "", "128", "y"},
		{"enc-rc4-40-user.pdf", "secret", "40", ""},
	} {
		args := []string{"--static-id", "--static-aes-iv", "--allow-weak-crypto", "--encrypt", c.user, "owner", c.bits}
		if c.aes != "" {
			args = append(args, "--use-aes="+c.aes)
		}
		args = append(args, "--", src, filepath.Join("testdata", c.name))
		if o, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
			log.Fatalf("qpdf %v: %v: %s", args, err, o)
		}
	}
	want := pdftotext(src, "")
	for _, name := range []string{"enc-rc4-40.pdf", "enc-rc4-128.pdf", "enc-aes-128.pdf"} {
		if got := pdftotext(filepath.Join("testdata", name), ""); got != want {
			log.Fatalf("pdftotext %s = %q, want %q", name, got, want)
		}
	}
	write("enc-aes-256.pdf", aes256PDF(""))
	write("enc-aes-256-user.pdf", aes256PDF("secret"))
	if got := pdftotext(filepath.Join("testdata", "enc-aes-256.pdf"), ""); !strings.Contains(got, encText) {
		log.Fatalf("pdftotext enc-aes-256.pdf = %q, want %q", got, encText)
	}
	for _, name := range []string{"enc-aes-256-user.pdf", "enc-rc4-40-user.pdf"} {
		p := filepath.Join("testdata", name)
		if err := exec.Command("pdftotext", p, "-").Run(); err == nil {
			log.Fatalf("pdftotext read %s without its password", name)
		}
		if got := pdftotext(p, "secret"); !strings.Contains(got, "Mutual legal") && !strings.Contains(got, encText) {
			log.Fatalf("pdftotext -upw secret %s = %q", name, got)
		}
	}
}

func pdftotext(path, password string) string {
	args := []string{"-layout", path, "-"}
	if password != "" {
		args = append([]string{"-upw", password}, args...)
	}
	o, err := exec.Command("pdftotext", args...).Output()
	if err != nil {
		log.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(o)
}

// aes256PDF writes a one-page PDF encrypted with AES-256 (ISO 32000-2, 7.6.4.4, revision
// 6) under user password user and owner password "owner". The file key, salts and IVs are
// derived from fixed labels, so the file is the same on every run.
func aes256PDF(user string) []byte {
	seed := func(label string, n int) []byte {
		h := sha256.Sum256([]byte("evx test data: " + user + ": " + label))
		return h[:n]
	}
	key := seed("file key", 32)
	uvs, uks, ovs, oks := seed("user validation salt", 8), seed("user key salt", 8), seed("owner validation salt", 8), seed("owner key salt", 8)
	wrap := func(k, data []byte) []byte { // AES-256, CBC, zero IV, no padding
		b, _ := aes.NewCipher(k)
		out := make([]byte, len(data))
		cipher.NewCBCEncrypter(b, make([]byte, 16)).CryptBlocks(out, data)
		return out
	}
	u := append(append(hash2B([]byte(user), uvs, nil), uvs...), uks...)
	ue := wrap(hash2B([]byte(user), uks, nil), key)
	o := append(append(hash2B([]byte("owner"), ovs, u), ovs...), oks...)
	oe := wrap(hash2B([]byte("owner"), oks, u), key)
	const p = -4
	perms := []byte{byte(p & 0xff), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'T', 'a', 'd', 'b'}
	perms = append(perms, seed("perms", 4)...)
	pb, _ := aes.NewCipher(key)
	pb.Encrypt(perms, perms)
	// Strings and streams: IV then AES-256-CBC with PKCS#7 padding, under the file key.
	encrypt := func(label string, data []byte) []byte {
		iv := seed("iv "+label, 16)
		pad := 16 - len(data)%16
		data = append(bytes.Clone(data), bytes.Repeat([]byte{byte(pad)}, pad)...)
		b, _ := aes.NewCipher(key)
		out := make([]byte, len(data))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
		return append(iv, out...)
	}
	str := func(label, s string) string { return "<" + hex.EncodeToString(encrypt(label, []byte(s))) + ">" }
	content := encrypt("content", []byte("BT /F1 14 Tf 72 720 Td ("+encText+") Tj ET"))
	id := hex.EncodeToString(seed("id", 16))
	return rawpdf.WithTrailer(fmt.Sprintf(" /Info 6 0 R /Encrypt 7 0 R /ID [<%s><%s>]", id, id),
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		rawpdf.Stream("", content),
		"<< /Title "+str("title", "Sealed request")+" /Author "+str("author", "Central Authority")+" >>",
		fmt.Sprintf("<< /Filter /Standard /V 5 /R 6 /Length 256 /P %d /CF << /StdCF << /AuthEvent /DocOpen /CFM /AESV3 /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <%x> /U <%x> /OE <%x> /UE <%x> /Perms <%x> >>",
			p, o, u, oe, ue, perms),
	)
}

// hash2B is Algorithm 2.B of ISO 32000-2 (7.6.4.3.4), written out again here so that the
// test data does not depend on the code it tests.
func hash2B(pw, salt, udata []byte) []byte {
	k0 := sha256.Sum256(append(append(append([]byte{}, pw...), salt...), udata...))
	k := k0[:]
	for round := 1; ; round++ {
		k1 := bytes.Repeat(append(append(append([]byte{}, pw...), k...), udata...), 64)
		b, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(b, k[16:32]).CryptBlocks(e, k1)
		n := new(big.Int).SetBytes(e[:16])
		switch new(big.Int).Mod(n, big.NewInt(3)).Int64() {
		case 0:
			h := sha256.Sum256(e)
			k = h[:]
		case 1:
			h := sha512.Sum384(e)
			k = h[:]
		default:
			h := sha512.Sum512(e)
			k = h[:]
		}
		if round >= 64 && int(e[len(e)-1]) <= round-32 {
			return k[:32]
		}
	}
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

// shadedText is the text drawn in shaded.png, one line a line; the OCR tests compare with it.
var shadedText = []string{
	"MUTUAL LEGAL ASSISTANCE REQUEST",
	"Reference EVX 2026 017, Rotterdam public prosecution office",
	"The requesting authority asks for the records of two phones",
	"seized on 14 March 2026, one ledger of payments and the",
	"bank statements of the account named in annex three.",
	"Please return the evidence through the secure channel.",
}

// shaded draws shadedText in Go Regular, 11 pt at 300 dpi, on a 6.2 x 2.4 inch page whose
// brightness falls linearly from 100% at the right edge to 35% at the left.
func shaded() []byte { return letter(true, false) }

// letter draws shadedText in Go Regular, 11 pt at 300 dpi, on a 6.2 x 2.4 inch page, black
// on white or (negative) white on black; shade darkens it linearly from 100% at the right
// edge to 35% at the left.
func letter(shade, negative bool) []byte {
	const dpi = 300
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		log.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 11, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		log.Fatal(err)
	}
	w, h := int(6.2*dpi), int(2.4*dpi)
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	lh := 11 * 3 / 2 * dpi / 72
	for i, l := range shadedText {
		d.Dot = fixed.P(dpi/3, dpi/4+lh*(i+1))
		d.DrawString(l)
	}
	for x := 0; shade && x < w; x++ {
		k := 35 + 65*x/w // percent
		for y := 0; y < h; y++ {
			px := img.GrayAt(x, y)
			px.Y = uint8(int(px.Y) * k / 100)
			img.SetGray(x, y, px)
		}
	}
	if negative {
		for i, v := range img.Pix {
			img.Pix[i] = 255 - v
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// shadedPDF writes a one-page PDF that is only the shaded scan, at its 300 dpi.
func shadedPDF(img []byte) []byte {
	pdf := newDoc()
	pdf.AddPage()
	pdf.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(img))
	pdf.ImageOptions("scan", 10, 10, 6.2*25.4, 0, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	return out(pdf)
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
	pdf.SetCatalogSort(true) // fonts and images in name order, not map order
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
	pdf.SetCatalogSort(true)
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
