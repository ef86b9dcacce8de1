package sqlitesearch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// TestNewestFirstAgreesWithGeneral: on an index whose bundles were indexed as they arrived,
// the search that walks the words' rows from the newest (searchNewest) answers every query
// exactly as the general one does; once a bundle is indexed out of order, searches take the
// general way and still answer the same.
func TestNewestFirstAgreesWithGeneral(t *testing.T) {
	ctx := context.Background()
	x := newIndex(t)
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"cocaine", "heroin", "rotterdam", "algeciras", "wallet", "invoice", "vessel", "container"}
	text := func() string {
		var s string
		for range 6 {
			s += words[r.IntN(len(words))] + " "
		}
		return s
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(i int, at time.Time) pipeline.SearchRecord {
		return pipeline.SearchRecord{BundleID: fmt.Sprintf("%064x", i), CaseReference: fmt.Sprintf("CASE-%03d", i), Uploader: []string{"a", "b", "c"}[i%3],
			Counterparts: []string{[]string{"nl-om", "es-fge"}[i%2]}, Received: at,
			Documents: []pipeline.SearchDocument{{Name: "data/1.txt", Text: text()}, {Name: "data/2.txt", Text: text()}}}
	}
	for i := range 300 {
		if err := x.IndexBundle(ctx, rec(i, start.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	queries := []pipeline.SearchQuery{{Text: "cocaine"}, {Text: "cocaine heroin"}, {Text: "rot*"}, {Text: "wallet", Limit: 7},
		{Text: "vessel", Counterpart: "es-fge"}, {Text: "vessel", Party: "es-fge"}, {Text: "invoice", Uploader: "b", Limit: 500}, {Text: "algeciras", From: start.Add(time.Hour), To: start.Add(3 * time.Hour)},
		{Text: "container", Case: "CASE-1"}, {Text: "nowhere"}, {Text: "CASE-007"}}
	compare := func(stage string, wantOrdered bool) {
		var n int
		x.db.QueryRowContext(ctx, `SELECT count(*) FROM search_meta WHERE key = 'unordered'`).Scan(&n)
		if (n == 0) != wantOrdered {
			t.Fatalf("%s: in order = %v, want %v", stage, n == 0, wantOrdered)
		}
		for _, q := range queries {
			x.forceGeneral = false
			fast, err := x.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			x.forceGeneral = true
			general, err := x.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(fast, general, func(a, b pipeline.SearchHit) bool {
				return a.BundleID == b.BundleID && a.Snippet == b.Snippet && slices.Equal(a.Documents, b.Documents) && a.Received.Equal(b.Received)
			}) {
				t.Errorf("%s: Search(%+v): newest-first %v, general %v", stage, q, ids(fast), ids(general))
			}
			if q.Text == "cocaine" && len(general) == 0 {
				t.Fatalf("%s: no hit for cocaine: the test compares nothing", stage)
			}
		}
	}
	compare("in order", true)
	x.budget = 3 // every walk gives up early: the general way answers
	compare("walks cut short", true)
	x.budget = 0
	// Re-indexing the newest bundle keeps the order; an older one does not.
	if err := x.IndexBundle(ctx, rec(299, start.Add(299*time.Minute))); err != nil {
		t.Fatal(err)
	}
	compare("newest re-indexed", true)
	if err := x.IndexBundle(ctx, rec(10, start.Add(10*time.Minute))); err != nil {
		t.Fatal(err)
	}
	compare("older re-indexed", false)
}
