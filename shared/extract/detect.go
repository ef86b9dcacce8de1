package extract

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/pdf"
	"github.com/evx-project/evx/shared/extract/plain"
)

// detect names the media type of the content from its first bytes and, for zip
// archives, from the members that OOXML and ODF packages must contain.
func detect(head []byte, r io.ReaderAt, size int64) string {
	switch {
	case pdf.HeaderOffset(head) >= 0:
		return TypePDF
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return TypeJPEG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return TypeGIF
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return extractor.TypeTIFF
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return extractor.TypeWebP
	case bytes.HasPrefix(head, []byte("BM")) && len(head) > 18 && isBMPHeader(head):
		return extractor.TypeBMP
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return extractor.TypeGzip
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return zipType(r, size)
	case bytes.HasPrefix(head, oleMagic):
		return oleType(r)
	case bytes.HasPrefix(head, []byte("{\\rtf")):
		return extractor.TypeRTF
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return extractor.Type7z
	case bytes.HasPrefix(head, []byte("Rar!\x1a\x07")):
		return extractor.TypeRar
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 10 && string(head[4:10]) == "1AY&SY":
		return extractor.TypeBzip2
	case bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")):
		return extractor.TypeXz
	case len(head) > 262 && string(head[257:262]) == "ustar":
		return extractor.TypeTar
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return extractor.TypeMP4
	}
	if !plain.LooksUTF16(head) && looksBinary(head) {
		return TypeUnknown
	}
	text := decodeHead(head)
	trim := strings.TrimLeft(text, " \t\r\n\ufeff")
	lower := strings.ToLower(trim[:min(len(trim), 512)])
	switch {
	case strings.HasPrefix(lower, "<!doctype html"), strings.HasPrefix(lower, "<html"),
		strings.HasPrefix(lower, "<head"), strings.HasPrefix(lower, "<body"),
		strings.HasPrefix(lower, "<!--") && strings.Contains(lower, "<html"),
		strings.HasPrefix(lower, "<?xml") && strings.Contains(lower, "<html"):
		return TypeHTML
	case looksLikeMbox(trim):
		return extractor.TypeMbox
	case looksLikeMail(trim):
		return TypeEML
	case looksLikeCSV(trim):
		return TypeCSV
	}
	return TypeText
}

// zipType tells OOXML and ODF packages from other zip archives.
func zipType(r io.ReaderAt, size int64) string {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return TypeZip
	}
	names := map[string]*zip.File{}
	for i, f := range zr.File {
		if i > 10000 {
			break
		}
		names[f.Name] = f
	}
	if f := names["mimetype"]; f != nil && f.UncompressedSize64 < 200 {
		if rc, err := f.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 200))
			rc.Close()
			mt := strings.TrimSpace(string(b))
			if mt == TypeODT || mt == extractor.TypeEPUB {
				return mt
			}
			if strings.HasPrefix(mt, extractor.TypeOpenDocX) {
				return mt
			}
		}
	}
	if names["[Content_Types].xml"] != nil {
		switch {
		case names["word/document.xml"] != nil:
			return TypeDOCX
		case names["xl/workbook.xml"] != nil:
			return TypeXLSX
		case names["ppt/presentation.xml"] != nil:
			return TypePPTX
		}
	}
	return TypeZip
}

// looksBinary reports NUL bytes or many control characters, unless the text carries a
// UTF-16 byte order mark.
func looksBinary(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return false
	}
	ctl := 0
	for _, c := range head {
		if c == 0 {
			return true
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			ctl++
		}
	}
	return ctl > len(head)/20+1
}

// looksLikeMail reports a block of RFC 5322 header lines at the start, ended by an empty
// line (or the end of the head), with at least two header fields of which one a message
// or MIME header names.
func looksLikeMail(s string) bool {
	lines := strings.SplitN(s, "\n", 200)
	seen, known := 0, 0
	mime, multi, ended := false, false, false
	for _, l := range lines {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			ended = true
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		i := strings.IndexByte(l, ':')
		if i <= 0 || strings.ContainsAny(l[:i], " \t") {
			if seen >= 2 && known >= 2 {
				break // a body without the empty line before it
			}
			return false
		}
		seen++
		switch k := strings.ToLower(l[:i]); k {
		case "from", "to", "subject", "date", "message-id", "mime-version", "received", "return-path",
			"cc", "bcc", "reply-to", "sender", "delivered-to", "in-reply-to", "references",
			"dkim-signature", "authentication-results", "x-mailer", "user-agent", "thread-topic":
			known++
		case "content-type", "content-transfer-encoding":
			mime = true
			known++
			multi = multi || strings.HasPrefix(strings.ToLower(strings.TrimSpace(l[i+1:])), "multipart/")
		}
	}
	return seen >= 2 && (known >= 2 || mime && known >= 1) || seen == 1 && multi && ended
}

// isBMPHeader checks the reserved bytes and the DIB header size of a bitmap, so that text
// starting with "BM" stays text.
func isBMPHeader(h []byte) bool {
	if h[6]|h[7]|h[8]|h[9] != 0 {
		return false
	}
	switch uint32(h[14]) | uint32(h[15])<<8 | uint32(h[16])<<16 | uint32(h[17])<<24 {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// looksLikeMbox reports a "From " envelope line followed by a message's header lines: an
// mbox file, or one message saved with its envelope.
func looksLikeMbox(s string) bool {
	first, rest, ok := strings.Cut(s, "\n")
	return ok && strings.HasPrefix(first, "From ") && looksLikeMail(rest)
}

// looksLikeCSV reports at least two lines with the same number (> 1) of commas or
// semicolons outside quotes.
func looksLikeCSV(s string) bool {
	lines := strings.SplitN(s, "\n", 6)
	if len(lines) < 2 {
		return false
	}
	if len(lines) == 6 || !strings.HasSuffix(s, "\n") || lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the last may be cut, or empty
	}
	if len(lines) < 2 {
		return false
	}
	for _, sep := range []byte{',', ';', '\t'} {
		want := -1
		ok := true
		for _, l := range lines {
			n := countOutsideQuotes(strings.TrimRight(l, "\r"), sep)
			if n == 0 || (want >= 0 && n != want) {
				ok = false
				break
			}
			want = n
		}
		if ok && !prose(lines, want+1) {
			return true
		}
	}
	return false
}

// prose reports lines whose fields average more than four words: sentences with commas,
// not records.
func prose(lines []string, fields int) bool {
	words := 0
	for _, l := range lines {
		words += len(strings.Fields(l))
	}
	return words > 4*fields*len(lines)
}

func countOutsideQuotes(l string, sep byte) int {
	n, q := 0, false
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '"':
			q = !q
		case sep:
			if !q {
				n++
			}
		}
	}
	return n
}

// decodeHead returns the head as UTF-8 for sniffing.
func decodeHead(head []byte) string {
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		s, _ := plain.Decode(head)
		return s
	}
	if utf8.Valid(head) {
		return string(head)
	}
	return strings.ToValidUTF8(string(head), "\ufffd")
}
