package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
)

// TestListLimits: past the limits, events and documents are counted, not listed, and the
// report points to the JSON trail for the rest.
func TestListLimits(t *testing.T) {
	defer func(e, d int) { maxEvents, maxDocuments = e, d }(maxEvents, maxDocuments)
	maxEvents, maxDocuments = 3, 2
	docs := []custody.Document{
		{Name: "data/a.pdf", Size: 1, SHA256: strings.Repeat("a", 64)},
		{Name: "data/b.pdf", Size: 2, SHA256: strings.Repeat("b", 64)},
		{Name: "data/c.pdf", Size: 3, SHA256: strings.Repeat("c", 64)},
	}
	tr := &custody.Trail{BundleID: "b"}
	for i := range 5 {
		e := custody.Event{BundleID: "b", Seq: uint64(i + 1), Type: custody.ContentAccessTracking,
			Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Hash: strings.Repeat("0", 64)}
		if i == 0 {
			e.Type, e.Details.Documents = custody.SubmissionAcceptance, docs
		}
		tr.Events = append(tr.Events, custody.TrailEvent{Event: e})
	}
	var b bytes.Buffer
	if err := PDF(&b, tr, Verdict{Failure: &Failure{Summary: "not checked"}}, Options{Fonts: embeddedFonts(t), Generated: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	res, err := extract.Extract(context.Background(), bytes.NewReader(b.Bytes()), int64(b.Len()), "r.pdf", extract.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	text := res.Text
	for _, want := range []string{"1 more document is listed in the JSON trail", "2 more events are listed in the JSON trail", "data/b.pdf"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(text, "2026-01-01 00:00:03.000 UTC") {
		t.Error("event 4 is listed past the limit of 3")
	}
}
