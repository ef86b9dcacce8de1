package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// Record stores what Extract found, or for a document it cannot read, its media type, size
// and the reason; only an ended context is an error.
func TestRecord(t *testing.T) {
	pdf, err := os.ReadFile("pdf/testdata/helvetica.pdf")
	if err != nil {
		t.Fatal(err)
	}
	broken := []byte("%PDF-1.7\nnot a PDF at all")
	rec := Record(DefaultLimits())
	ctx := context.Background()

	mt, body, err := rec(ctx, bytes.NewReader(pdf), int64(len(pdf)), "a.pdf")
	res, xerr := Extract(ctx, bytes.NewReader(pdf), int64(len(pdf)), "a.pdf", DefaultLimits())
	want, _ := json.Marshal(Document{Result: res, Findings: Findings(res)})
	if err != nil || xerr != nil || mt != TypePDF || !bytes.Equal(body, want) {
		t.Errorf("Record(helvetica.pdf) = %q, %d bytes, %v; want %q and Extract's result as JSON (%v)", mt, len(body), err, TypePDF, xerr)
	}

	mt, body, err = rec(ctx, bytes.NewReader(broken), int64(len(broken)), "b.pdf")
	var got struct {
		MediaType string `json:"media_type"`
		Size      int64  `json:"size"`
		Error     string `json:"error"`
	}
	if err != nil || json.Unmarshal(body, &got) != nil || got.MediaType != mt || got.Size != int64(len(broken)) || got.Error == "" {
		t.Errorf("Record(broken) = %q, %s, %v; want its media type, size and the reason", mt, body, err)
	}

	// A type evx reads no text of is kept per document with its outcome.
	gz := []byte("7z\xbc\xaf\x27\x1c\x00\x04")
	mt, body, err = rec(ctx, bytes.NewReader(gz), int64(len(gz)), "c.7z")
	var unsup struct {
		Unsupported *Unsupported `json:"unsupported"`
	}
	if err != nil || mt != "application/x-7z-compressed" || json.Unmarshal(body, &unsup) != nil || unsup.Unsupported == nil || unsup.Unsupported.MediaType != mt {
		t.Errorf("Record(c.7z) = %q, %s, %v; want the unsupported outcome with its type", mt, body, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := rec(cctx, bytes.NewReader(pdf), int64(len(pdf)), "a.pdf"); !errors.Is(err, context.Canceled) {
		t.Errorf("Record(cancelled) error = %v, want context.Canceled", err)
	}
}

// The record holds the identifiers found in the document's text, the look-alikes apart, and
// reads phone numbers in national form with the bundle's states as regions.
func TestRecordFindings(t *testing.T) {
	text := []byte("Container MSKU 000000-6 (also written MSKU 000000-0), call 06 12345678.\n")
	scan := func(opt RecordOptions) (identifiers, lookAlikes map[string]string) {
		t.Helper()
		_, body, err := RecordWith(DefaultLimits(), opt)(context.Background(), bytes.NewReader(text), int64(len(text)), "note.txt")
		var rec struct {
			Text     string `json:"text"`
			Findings *struct {
				Identifiers []struct{ Type, Value, Text string } `json:"identifiers"`
				LookAlikes  []struct{ Type, Text string }        `json:"look_alikes"`
			} `json:"findings"`
		}
		if err != nil || json.Unmarshal(body, &rec) != nil || rec.Findings == nil || rec.Text == "" {
			t.Fatalf("RecordWith(note.txt) = %s, %v: want the text and its findings", body, err)
		}
		identifiers, lookAlikes = map[string]string{}, map[string]string{}
		for _, f := range rec.Findings.Identifiers {
			identifiers[f.Type] = f.Value
		}
		for _, f := range rec.Findings.LookAlikes {
			lookAlikes[f.Type] = f.Text
		}
		return identifiers, lookAlikes
	}
	ids, looks := scan(RecordOptions{})
	if ids["container"] != "MSKU0000006" || looks["container"] != "MSKU 000000-0" {
		t.Errorf("findings: identifiers %v, look-alikes %v; want container MSKU0000006, and MSKU 000000-0 apart", ids, looks)
	}
	if _, ok := ids["phone"]; ok {
		t.Errorf("a national phone number was read without a region: %v", ids)
	}
	ids, _ = scan(RecordOptions{States: func(context.Context) (string, string) { return "es", "NL" }})
	if ids["phone"] != "+31612345678" {
		t.Errorf("findings with states ES, NL: phone %q, want +31612345678", ids["phone"])
	}
}
