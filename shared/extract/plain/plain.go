// Package plain reads plain text and CSV for package extract, and decodes the character
// encoding of text that other formats (e-mail parts) carry without a usable label.
package plain

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// plain reads plain text and CSV.
func Read(j *extractor.Job) error {
	raw, err := j.ReadAll(j.Lim.MaxStreamBytes)
	if err != nil {
		return err
	}
	s, enc := Decode(raw)
	j.Res.Meta.Encoding = enc
	if j.Res.MediaType == extractor.TypeCSV {
		if t, ok := csvText(s); ok {
			s = t
		}
	}
	j.Write(s)
	return nil
}

// Decode decodes UTF-16 with a byte order mark, UTF-8 (with or without a BOM), and
// falls back to Latin-1 (Windows-1252) for bytes that are not UTF-8.
func Decode(b []byte) (string, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return utf16Text(b[2:], false), "utf-16le"
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return utf16Text(b[2:], true), "utf-16be"
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return strings.ToValidUTF8(string(b[3:]), "\ufffd"), "utf-8"
	}
	if utf8.Valid(b) {
		return string(b), "utf-8"
	}
	// A cut multi-byte sequence at the end (a capped read) is still UTF-8.
	if cut := len(b) - 3; cut > 0 && utf8.Valid(b[:cut]) {
		for i := len(b); i > cut; i-- {
			if utf8.Valid(b[:i]) {
				return string(b[:i]), "utf-8"
			}
		}
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\ufffd"), "unknown"
	}
	return string(s), "windows-1252"
}

func utf16Text(b []byte, bigEndian bool) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return string(utf16.Decode(u))
}

// csvText lays the records out one per line with tab-separated fields.
func csvText(s string) (string, bool) {
	sep := ','
	first, _, _ := strings.Cut(s, "\n")
	if strings.Count(first, ";") > strings.Count(first, ",") {
		sep = ';'
	} else if strings.Count(first, "\t") > strings.Count(first, ",") {
		sep = '\t'
	}
	cr := csv.NewReader(strings.NewReader(s))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var b strings.Builder
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return b.String(), true
		}
		if err != nil {
			return "", false
		}
		b.WriteString(strings.Join(rec, "\t"))
		b.WriteByte('\n')
	}
}
