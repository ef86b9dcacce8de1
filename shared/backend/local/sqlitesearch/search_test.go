package sqlitesearch

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

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

var day = searchtest.Day

// fixture is an index of the conformance suite's three bundles.
func fixture(t *testing.T) *Index {
	x := newIndex(t)
	for _, r := range searchtest.Records() {
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

// TestSearchSnippet: what this index has beyond the conformance suite (TestConformance): a
// snippet around the first match, matches in brackets.
func TestSearchSnippet(t *testing.T) {
	x := fixture(t)
	hits, err := x.Search(context.Background(), pipeline.SearchQuery{Text: "cocaína"})
	if err != nil || len(hits) != 1 {
		t.Fatalf("Search = %v, %v", hits, err)
	}
	if want := "[cocaína]"; !contains(hits[0].Snippet, want) {
		t.Errorf("snippet %q lacks %q", hits[0].Snippet, want)
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
