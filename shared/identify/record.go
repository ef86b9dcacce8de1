package identify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// RecordError says that an extraction record could not be read.
type RecordError struct {
	Size int
	Err  error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("identify: extraction record of %d bytes: %v", e.Size, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// record is the part of an extraction record (the JSON extract.Record stores for each
// document) that holds text: the body, pages separated by form feeds, and the e-mail
// headers.
type record struct {
	Text string `json:"text"`
	Meta struct {
		From string   `json:"from"`
		To   []string `json:"to"`
		Cc   []string `json:"cc"`
	} `json:"meta"`
}

// FromRecord scans an extraction record: the text (part "text", numbered by page) and the
// e-mail headers (parts "from", "to", "cc"). A record of a document that could not be read
// has no text and gives an empty result. The record may be at most opt.MaxInput + 1 MiB.
func FromRecord(rec []byte, opt Options) (*Result, error) {
	if max := opt.maxInput() + 1<<20; len(rec) > max {
		return nil, &RecordError{Size: len(rec), Err: &LimitError{Limit: "input", Max: max}}
	}
	var r record
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, &RecordError{Size: len(rec), Err: err}
	}
	return FindParts(DocumentParts(r.Text, r.Meta.From, r.Meta.To, r.Meta.Cc), opt), nil
}

// DocumentParts are the parts of a document evx scans, as FromRecord reads them from an
// extraction record: the text (part "text", numbered by page) and the e-mail headers (parts
// "from", "to", "cc", when present).
func DocumentParts(text, from string, to, cc []string) []Part {
	parts := []Part{{Name: "text", Text: text, Pages: true}}
	if from != "" {
		parts = append(parts, Part{Name: "from", Text: from})
	}
	if len(to) > 0 {
		parts = append(parts, Part{Name: "to", Text: strings.Join(to, "\n")})
	}
	if len(cc) > 0 {
		parts = append(parts, Part{Name: "cc", Text: strings.Join(cc, "\n")})
	}
	return parts
}
