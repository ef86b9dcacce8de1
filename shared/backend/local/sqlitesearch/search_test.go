package sqlitesearch

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/searchtest"
)

func newIndex(t testing.TB) *Index {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "evx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

var day = time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)

func fixture(t *testing.T) *Index {
	x := newIndex(t)
	recs := []pipeline.SearchRecord{
		{BundleID: "b1", CaseReference: "CASE-2026-114", RequestReference: "MLA-2026-0042", Uploader: "inspector-vries",
			Counterparts: []string{"nl-om", "es-fge"}, Received: day,
			Documents: []pipeline.SearchDocument{
				{Name: "data/seizure-report.pdf", Text: "Acta de incautación: 312 kg de cocaína en el contenedor MSCU1234566."},
				{Name: "data/invoice.csv", Text: "banana, 20 boxes"},
			}},
		{BundleID: "b2", CaseReference: "CASE-2026-200", Uploader: "inspector-vries", Counterparts: []string{"nl-om"}, Received: day.Add(24 * time.Hour),
			Documents: []pipeline.SearchDocument{{Name: "data/statement.txt", Text: "The vessel left Guayaquil with bananas and cocaine."}}},
		{BundleID: "b3", CaseReference: "OM-77", Uploader: "be-fpp/officer-b", Counterparts: []string{"be-fpp"}, Received: day.Add(48 * time.Hour),
			Documents: []pipeline.SearchDocument{{Name: "data/bank.csv", Text: "IBAN NL91ABNA0417164300 transfer"}}},
	}
	for _, r := range recs {
		if err := x.IndexBundle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func ids(hits []pipeline.SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.BundleID)
	}
	return out
}

func TestSearch(t *testing.T) {
	x := fixture(t)
	for _, tc := range []struct {
		name string
		q    pipeline.SearchQuery
		want []string
	}{
		{"everything, newest first", pipeline.SearchQuery{}, []string{"b3", "b2", "b1"}},
		{"a word of a document", pipeline.SearchQuery{Text: "cocaína"}, []string{"b1"}},
		{"diacritics folded", pipeline.SearchQuery{Text: "incautacion"}, []string{"b1"}},
		{"case folded", pipeline.SearchQuery{Text: "GUAYAQUIL"}, []string{"b2"}},
		{"all words required", pipeline.SearchQuery{Text: "bananas vessel"}, []string{"b2"}},
		{"no bundle has both", pipeline.SearchQuery{Text: "bananas IBAN"}, nil},
		{"prefix", pipeline.SearchQuery{Text: "banana*"}, []string{"b2", "b1"}},
		{"a container number", pipeline.SearchQuery{Text: "MSCU1234566"}, []string{"b1"}},
		{"a reference as text", pipeline.SearchQuery{Text: "MLA-2026-0042"}, []string{"b1"}},
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
		{"from", pipeline.SearchQuery{From: day.Add(time.Hour)}, []string{"b3", "b2"}},
		{"to is exclusive", pipeline.SearchQuery{To: day.Add(24 * time.Hour)}, []string{"b1"}},
		{"limit", pipeline.SearchQuery{Limit: 1}, []string{"b3"}},
		{"FTS syntax is read as words", pipeline.SearchQuery{Text: `NEAR(cocaine bananas) OR "x`}, nil},
		{"only punctuation", pipeline.SearchQuery{Text: `"* - ^ :`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := x.Search(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(hits); !slices.Equal(got, tc.want) {
				t.Errorf("Search(%+v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestSearchHitDetails(t *testing.T) {
	x := fixture(t)
	hits, err := x.Search(context.Background(), pipeline.SearchQuery{Text: "cocaína"})
	if err != nil || len(hits) != 1 {
		t.Fatalf("Search = %v, %v", hits, err)
	}
	h := hits[0]
	if !slices.Equal(h.Documents, []string{"data/seizure-report.pdf"}) || !slices.Equal(h.Counterparts, []string{"es-fge", "nl-om"}) ||
		h.CaseReference != "CASE-2026-114" || !h.Received.Equal(day) || h.Snippet == "" {
		t.Errorf("hit = %+v", h)
	}
	if want := "[cocaína]"; !contains(h.Snippet, want) {
		t.Errorf("snippet %q lacks %q", h.Snippet, want)
	}
}

func TestReindexReplaces(t *testing.T) {
	x := fixture(t)
	ctx := context.Background()
	if err := x.IndexBundle(ctx, pipeline.SearchRecord{BundleID: "b1", CaseReference: "CASE-2026-114", Received: day,
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
}

func TestMatchExpression(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"cocaine":       `"cocaine"`,
		"CASE-2026-114": `"CASE-2026-114"`,
		`ba"nana*`:      `"ba nana"*`,
		"a b":           `"a" "b"`,
		`" * -`:         "",
		"NEAR(x y)":     `"NEAR(x" "y)"`,
	} {
		if got := MatchExpression(in); got != want {
			t.Errorf("MatchExpression(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzSearch: whatever a person types, the query is valid FTS5 (no error) and finds only
// indexed bundles.
func FuzzSearch(f *testing.F) {
	x := newIndex(f)
	ctx := context.Background()
	x.IndexBundle(ctx, pipeline.SearchRecord{BundleID: "b1", Received: day, Documents: []pipeline.SearchDocument{{Name: "a", Text: "alpha beta"}}})
	for _, s := range []string{"alpha", `"`, "*", "NEAR(", "a OR b", "-x", "col:val", "^a", "a AND", "(", "\x00", "é*", `""*`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		hits, err := x.Search(ctx, pipeline.SearchQuery{Text: q})
		if err != nil {
			t.Fatalf("Search(%q) = %v", q, err)
		}
		for _, h := range hits {
			if h.BundleID != "b1" {
				t.Fatalf("Search(%q) found %s", q, h.BundleID)
			}
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// The conformance suite the DynamoDB index runs too.
func TestConformance(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) pipeline.SearchIndex { return newIndex(t) })
}
