// Package plain reads plain text and CSV for package extract, and decodes the character
// encoding of text that other formats (e-mail parts) carry without a usable label.
package plain

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// Read reads plain text and CSV, in the encoding [Decode] finds.
func Read(j *extractor.Job) error {
	raw, err := j.ReadAll(j.Lim.MaxStreamBytes)
	if err != nil {
		return err
	}
	s, d := DecodeHint(raw, j.Languages())
	j.Res.Meta.Encoding = d.Encoding
	if d.Confidence < 1 {
		j.Res.Meta.EncodingConfidence = d.Confidence
		j.Res.Meta.EncodingOthers = d.Others
		j.Res.Meta.EncodingHint = d.Hint
	}
	if j.Res.MediaType == extractor.TypeCSV {
		if t, ok := csvText(s); ok {
			s = t
		}
	}
	j.Write(s)
	return nil
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
