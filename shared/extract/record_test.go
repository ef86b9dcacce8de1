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
	want, _ := json.Marshal(res)
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
	gz := []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")
	mt, body, err = rec(ctx, bytes.NewReader(gz), int64(len(gz)), "c.gz")
	var unsup struct {
		Unsupported *Unsupported `json:"unsupported"`
	}
	if err != nil || mt != "application/gzip" || json.Unmarshal(body, &unsup) != nil || unsup.Unsupported == nil || unsup.Unsupported.MediaType != mt {
		t.Errorf("Record(c.gz) = %q, %s, %v; want the unsupported outcome with its type", mt, body, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := rec(cctx, bytes.NewReader(pdf), int64(len(pdf)), "a.pdf"); !errors.Is(err, context.Canceled) {
		t.Errorf("Record(cancelled) error = %v, want context.Canceled", err)
	}
}
