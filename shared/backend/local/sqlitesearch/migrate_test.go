package sqlitesearch

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestIndexMadeBeforeDocsTable: an index written before search_docs existed (rows in
// search_text only) is searched and re-indexed as one made now, once New has filled the
// table; re-indexing a bundle leaves one copy of its rows.
func TestIndexMadeBeforeDocsTable(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "evx.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO search_bundles VALUES ('b1', 'CASE-1', '', 'inspector', 1)`,
		`INSERT INTO search_bundles VALUES ('b2', 'CASE-2', '', 'inspector', 2)`,
		`INSERT INTO search_text (bundle, name, text) VALUES ('b1', '', 'CASE-1'), ('b1', 'data/a.txt', 'cocaine in the container'),
			('b2', '', 'CASE-2'), ('b2', 'data/b.txt', 'cocaine and heroin')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	x, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := x.Search(ctx, pipeline.SearchQuery{Text: "cocaine"})
	if err != nil || !slices.Equal(ids(hits), []string{"b2", "b1"}) || hits[1].Snippet == "" {
		t.Fatalf("Search(cocaine) = %+v, %v; want b2 and b1 with snippets", hits, err)
	}
	if err := x.IndexBundle(ctx, pipeline.SearchRecord{BundleID: "b1", CaseReference: "CASE-1", Received: time.Unix(0, 1),
		Documents: []pipeline.SearchDocument{{Name: "data/a.txt", Text: "precursor chemicals"}}}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{"cocaine": {"b2"}, "precursor": {"b1"}, "container": nil} {
		hits, err := x.Search(ctx, pipeline.SearchQuery{Text: q})
		if err != nil || !slices.Equal(ids(hits), want) {
			t.Errorf("after re-indexing b1, Search(%s) = %v, %v; want %v", q, ids(hits), err, want)
		}
	}
	var rows, docs int
	db.QueryRowContext(ctx, `SELECT count(*) FROM search_text`).Scan(&rows)
	db.QueryRowContext(ctx, `SELECT count(*) FROM search_docs`).Scan(&docs)
	if rows != 4 || docs != 4 {
		t.Errorf("%d text rows and %d docs rows, want 4 of each (two per bundle)", rows, docs)
	}
	// Opening it again changes nothing.
	if _, err := New(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.QueryRowContext(ctx, `SELECT count(*) FROM search_docs`).Scan(&docs)
	if docs != 4 {
		t.Errorf("reopened: %d docs rows, want 4", docs)
	}
}
