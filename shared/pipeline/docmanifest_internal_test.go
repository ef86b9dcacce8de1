package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// TestManifestThresholds: an event lists up to InlineDocumentsMax documents whose canonical
// list takes up to InlineDocumentsBytesMax inline; one document or one byte more goes to a
// manifest.
func TestManifestThresholds(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	docs := func(n int) []custody.Document {
		out := make([]custody.Document, n)
		for i := range out {
			out[i] = custody.Document{Name: fmt.Sprintf("data/%05d", i), Size: 1, SHA256: sum}
		}
		return out
	}
	// A list of exactly InlineDocumentsBytesMax bytes: the last name padded to fill it.
	exact := func(extra int) []custody.Document {
		ds := docs(300)
		data, _, _, err := manifestFor(ds)
		if err != nil {
			t.Fatal(err)
		}
		short := InlineDocumentsBytesMax - (len(data) - manifestOverhead)
		if short < 0 {
			t.Fatalf("300 documents already take %d bytes", len(data)-manifestOverhead)
		}
		ds[len(ds)-1].Name += strings.Repeat("x", short+extra)
		return ds
	}
	for _, tc := range []struct {
		name   string
		docs   []custody.Document
		inline bool
	}{
		{"one", docs(1), true},
		{"count at the limit", docs(InlineDocumentsMax), true},
		{"one document more", docs(InlineDocumentsMax + 1), false},
		{"bytes at the limit", exact(0), true},
		{"one byte more", exact(1), false},
	} {
		data, ref, inline, err := manifestFor(tc.docs)
		if err != nil {
			t.Fatal(err)
		}
		if inline != tc.inline || ref.Count != int64(len(tc.docs)) || ref.Size != int64(len(data)) {
			t.Errorf("%s: manifestFor(%d documents, %d bytes) inline %v (ref %+v), want %v", tc.name, len(tc.docs), len(data), inline, ref, tc.inline)
		}
		// The list the threshold measures is the event's inline list, brackets aside.
		e := custody.Event{BundleID: "B", Seq: 1, Type: custody.Hashed, Actor: custody.Actor{Kind: "system", ID: "x"}, Details: custody.Details{Documents: tc.docs}}
		e.Time = e.Time.AddDate(2026, 0, 0)
		c, err := e.CanonicalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(c), string(data[len(`{"documents":`):len(data)-len(`,"format":"`+custody.DocumentManifestFormat+`"}`)])) {
			t.Errorf("%s: the manifest's list is not the event's inline list", tc.name)
		}
	}
}
