// Package searchtest is the conformance suite of pipeline.SearchIndex: the embedded index
// (sqlitesearch) and the DynamoDB one (dynamosearch) answer the same queries over the same
// bundles.
package searchtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// Day is the arrival of the suite's first bundle.
var Day = time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)

// Records are the suite's three bundles.
func Records() []pipeline.SearchRecord {
	return []pipeline.SearchRecord{
		{BundleID: "b1", CaseReference: "CASE-2026-114", RequestReference: "MLA-2026-0042", Uploader: "inspector-vries",
			Counterparts: []string{"nl-om", "es-fge"}, Received: Day,
			Documents: []pipeline.SearchDocument{
				{Name: "data/seizure-report.pdf", Text: "Acta de incautación: 312 kg de cocaína en el contenedor MSCU1234566."},
				{Name: "data/invoice.csv", Text: "banana, 20 boxes"},
			}},
		{BundleID: "b2", CaseReference: "CASE-2026-200", Uploader: "inspector-vries", Counterparts: []string{"nl-om"}, Received: Day.Add(24 * time.Hour),
			Documents: []pipeline.SearchDocument{{Name: "data/statement.txt", Text: "The vessel left Guayaquil with bananas and cocaine."}}},
		{BundleID: "b3", CaseReference: "OM-77", Uploader: "be-fpp/officer-b", Counterparts: []string{"be-fpp"}, Received: Day.Add(48 * time.Hour),
			Documents: []pipeline.SearchDocument{{Name: "data/bank.csv", Text: "IBAN NL91ABNA0417164300 transfer"}}},
	}
}

// Cases are the queries every index answers alike, with the bundles each finds.
var Cases = []struct {
	Name string
	Q    pipeline.SearchQuery
	Want []string
}{
	{"everything, newest first", pipeline.SearchQuery{}, []string{"b3", "b2", "b1"}},
	{"a word of a document", pipeline.SearchQuery{Text: "cocaína"}, []string{"b1"}},
	{"diacritics folded", pipeline.SearchQuery{Text: "incautacion"}, []string{"b1"}},
	{"case folded", pipeline.SearchQuery{Text: "GUAYAQUIL"}, []string{"b2"}},
	{"all words required", pipeline.SearchQuery{Text: "bananas vessel"}, []string{"b2"}},
	{"no bundle has both", pipeline.SearchQuery{Text: "bananas IBAN"}, nil},
	{"prefix", pipeline.SearchQuery{Text: "banana*"}, []string{"b2", "b1"}},
	{"a word and a prefix", pipeline.SearchQuery{Text: "vessel banan*"}, []string{"b2"}},
	{"a container number", pipeline.SearchQuery{Text: "MSCU1234566"}, []string{"b1"}},
	{"a reference as text", pipeline.SearchQuery{Text: "MLA-2026-0042"}, []string{"b1"}},
	{"a document's name", pipeline.SearchQuery{Text: "invoice"}, []string{"b1"}},
	{"case reference prefix", pipeline.SearchQuery{Case: "CASE-2026"}, []string{"b2", "b1"}},
	{"case reference exact", pipeline.SearchQuery{Case: "CASE-2026-114"}, []string{"b1"}},
	{"like wildcards are literal", pipeline.SearchQuery{Case: "CASE_2026%"}, nil},
	{"counterpart scope", pipeline.SearchQuery{Counterpart: "nl-om"}, []string{"b2", "b1"}},
	{"counterpart scope and text", pipeline.SearchQuery{Counterpart: "be-fpp", Text: "cocaine"}, nil},
	{"uploader scope", pipeline.SearchQuery{Uploader: "be-fpp/officer-b"}, []string{"b3"}},
	{"party as a counterpart", pipeline.SearchQuery{Party: "es-fge"}, []string{"b1"}},
	{"party as the sender and a counterpart", pipeline.SearchQuery{Party: "be-fpp"}, []string{"b3"}},
	{"party and text", pipeline.SearchQuery{Party: "nl-om", Text: "cocaine"}, []string{"b2"}},
	{"party is not a prefix of an agency", pipeline.SearchQuery{Party: "be"}, nil},
	{"party with like metacharacters", pipeline.SearchQuery{Party: "be_fpp"}, nil},
	{"party without bundles", pipeline.SearchQuery{Party: "co-fgn"}, nil},
	{"home party: uploaders of no agency are its", pipeline.SearchQuery{Party: "co-fgn", PartyHome: true}, []string{"b2", "b1"}},
	{"from", pipeline.SearchQuery{From: Day.Add(time.Hour)}, []string{"b3", "b2"}},
	{"to is exclusive", pipeline.SearchQuery{To: Day.Add(24 * time.Hour)}, []string{"b1"}},
	{"a word within dates", pipeline.SearchQuery{Text: "cocaine", From: Day.Add(time.Hour), To: Day.Add(25 * time.Hour)}, []string{"b2"}},
	{"limit", pipeline.SearchQuery{Limit: 1}, []string{"b3"}},
	{"FTS syntax is read as words", pipeline.SearchQuery{Text: `NEAR(cocaine bananas) OR "x`}, nil},
	{"only punctuation", pipeline.SearchQuery{Text: `"* - ^ :`}, nil},
}

func ids(hits []pipeline.SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.BundleID)
	}
	return out
}

// Run checks an index; newIndex returns an empty one.
func Run(t *testing.T, newIndex func(t *testing.T) pipeline.SearchIndex) {
	ctx := context.Background()
	x := newIndex(t)
	for _, r := range Records() {
		if err := x.IndexBundle(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range Cases {
		t.Run(tc.Name, func(t *testing.T) {
			hits, err := x.Search(ctx, tc.Q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(hits); !slices.Equal(got, tc.Want) {
				t.Errorf("Search(%+v) = %v, want %v", tc.Q, got, tc.Want)
			}
		})
	}
	t.Run("hit", func(t *testing.T) {
		hits, err := x.Search(ctx, pipeline.SearchQuery{Text: "cocaína"})
		if err != nil || len(hits) != 1 {
			t.Fatalf("Search = %v, %v", hits, err)
		}
		h := hits[0]
		if !slices.Equal(h.Documents, []string{"data/seizure-report.pdf"}) || !slices.Equal(h.Counterparts, []string{"es-fge", "nl-om"}) ||
			h.CaseReference != "CASE-2026-114" || h.RequestReference != "MLA-2026-0042" || h.Uploader != "inspector-vries" || !h.Received.Equal(Day) {
			t.Errorf("hit = %+v", h)
		}
	})
	t.Run("reindex-replaces", func(t *testing.T) {
		if err := x.IndexBundle(ctx, pipeline.SearchRecord{BundleID: "b1", CaseReference: "CASE-2026-114", Received: Day,
			Documents: []pipeline.SearchDocument{{Name: "data/x.txt", Text: "replaced"}}}); err != nil {
			t.Fatal(err)
		}
		if hits, _ := x.Search(ctx, pipeline.SearchQuery{Text: "cocaína"}); len(hits) != 0 {
			t.Errorf("old text still found: %v", ids(hits))
		}
		if hits, _ := x.Search(ctx, pipeline.SearchQuery{Text: "replaced"}); !slices.Equal(ids(hits), []string{"b1"}) {
			t.Errorf("new text not found: %v", ids(hits))
		}
		if hits, _ := x.Search(ctx, pipeline.SearchQuery{Counterpart: "es-fge"}); len(hits) != 0 {
			t.Errorf("old counterparts kept: %v", ids(hits))
		}
		if ok, err := x.Indexed(ctx, "b1"); !ok || err != nil {
			t.Errorf("Indexed(b1) = %v, %v", ok, err)
		}
		if ok, err := x.Indexed(ctx, "nope"); ok || err != nil {
			t.Errorf("Indexed(nope) = %v, %v", ok, err)
		}
	})
}
