// Package sqlitesearch is the embedded search index of evx's bundles: what is known of each
// accepted bundle (references, uploader, counterparts, arrival) in plain tables and the
// documents' extracted text in an SQLite FTS5 table (unicode61 tokenizer, diacritics
// folded, so "incautacion" finds "incautación"), in the data folder's one database. It
// implements pipeline.SearchIndex; the index can always be rebuilt from the trail.
package sqlitesearch

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
)

const schema = `
CREATE TABLE IF NOT EXISTS search_bundles (
	bundle      TEXT    PRIMARY KEY,
	case_ref    TEXT    NOT NULL,
	request_ref TEXT    NOT NULL,
	uploader    TEXT    NOT NULL,
	received    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS search_bundles_received ON search_bundles (received);
CREATE TABLE IF NOT EXISTS search_counterparts (
	bundle      TEXT NOT NULL,
	counterpart TEXT NOT NULL,
	PRIMARY KEY (bundle, counterpart)
);
CREATE INDEX IF NOT EXISTS search_counterparts_cp ON search_counterparts (counterpart, bundle);
CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(
	bundle, name, text, tokenize = 'unicode61 remove_diacritics 2'
);
`

// docsSchema maps each row of search_text (by its rowid) to its bundle, so that a search
// learns the bundles of the rows its words match from the full-text index and this table
// alone, and a bundle's rows are found without reading search_text's content: FTS5 reads a
// row's columns from its stored content, and cannot look a column up by value. An index
// made before the table existed gets it filled from search_text once.
const docsSchema = `
CREATE TABLE search_docs (
	docid  INTEGER PRIMARY KEY,
	bundle TEXT NOT NULL
);
CREATE INDEX search_docs_bundle ON search_docs (bundle);
INSERT INTO search_docs (docid, bundle) SELECT rowid, bundle FROM search_text;
`

// Index is the FTS5 index. Safe for concurrent use.
type Index struct{ db *sql.DB }

var _ pipeline.SearchIndex = (*Index)(nil)

// New creates the index's tables in db (from sqlitedb.Open) if needed.
func New(ctx context.Context, db *sql.DB) (*Index, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("search index schema: %w", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'search_docs'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("search index schema: %w", err)
	}
	if n == 0 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("search index schema: %w", err)
		}
		if _, err := tx.ExecContext(ctx, docsSchema); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("search index schema: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("search index schema: %w", err)
		}
	}
	return &Index{db: db}, nil
}

// IndexBundle implements pipeline.SearchIndex: one transaction replaces the bundle's rows.
// The case and request references are indexed as text too (a row named ""), so that a word
// of a reference finds its bundle.
func (x *Index) IndexBundle(ctx context.Context, rec pipeline.SearchRecord) error {
	return x.indexAll(ctx, []pipeline.SearchRecord{rec})
}

// indexAll indexes recs in one transaction.
func (x *Index) indexAll(ctx context.Context, recs []pipeline.SearchRecord) (err error) {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, rec := range recs {
		if err = indexOne(ctx, tx, rec); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func indexOne(ctx context.Context, tx *sql.Tx, rec pipeline.SearchRecord) (err error) {
	for _, q := range []string{
		`DELETE FROM search_text WHERE rowid IN (SELECT docid FROM search_docs WHERE bundle = ?)`,
		`DELETE FROM search_docs WHERE bundle = ?`,
		`DELETE FROM search_counterparts WHERE bundle = ?`,
	} {
		if _, err = tx.ExecContext(ctx, q, rec.BundleID); err != nil {
			return err
		}
	}
	if _, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO search_bundles (bundle, case_ref, request_ref, uploader, received) VALUES (?, ?, ?, ?, ?)`,
		rec.BundleID, rec.CaseReference, rec.RequestReference, rec.Uploader, rec.Received.UnixNano()); err != nil {
		return err
	}
	for _, cp := range rec.Counterparts {
		if _, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO search_counterparts (bundle, counterpart) VALUES (?, ?)`, rec.BundleID, cp); err != nil {
			return err
		}
	}
	doc, err := tx.PrepareContext(ctx, `INSERT INTO search_docs (bundle) VALUES (?)`)
	if err != nil {
		return err
	}
	defer doc.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO search_text (rowid, bundle, name, text) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	add := func(name, text string) error {
		r, err := doc.ExecContext(ctx, rec.BundleID)
		if err != nil {
			return err
		}
		id, err := r.LastInsertId()
		if err != nil {
			return err
		}
		_, err = ins.ExecContext(ctx, id, rec.BundleID, name, text)
		return err
	}
	if err = add("", strings.TrimSpace(rec.CaseReference+" "+rec.RequestReference)); err != nil {
		return err
	}
	for _, d := range rec.Documents {
		if err = add(d.Name, d.Text); err != nil {
			return err
		}
	}
	return nil
}

// Indexed implements pipeline.SearchIndex.
func (x *Index) Indexed(ctx context.Context, bundleID string) (bool, error) {
	var n int
	err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM search_bundles WHERE bundle = ?`, bundleID).Scan(&n)
	return n > 0, err
}

// Search implements pipeline.SearchIndex.
func (x *Index) Search(ctx context.Context, q pipeline.SearchQuery) ([]pipeline.SearchHit, error) {
	match := MatchExpression(q.Text)
	if strings.TrimSpace(q.Text) != "" && match == "" {
		return nil, nil // nothing searchable in q: no word, no hit
	}
	var where []string
	var args []any
	if match != "" {
		match = "{name text}: (" + match + ")" // the words, never the bundle column
		where = append(where, `b.bundle IN (SELECT d.bundle FROM search_docs d WHERE d.docid IN (SELECT rowid FROM search_text WHERE search_text MATCH ?))`)
		args = append(args, match)
	}
	if q.Case != "" {
		where = append(where, `b.case_ref LIKE ? ESCAPE '\'`)
		args = append(args, likePrefix(q.Case))
	}
	if q.Uploader != "" {
		where = append(where, `b.uploader = ?`)
		args = append(args, q.Uploader)
	}
	if q.Counterpart != "" {
		where = append(where, `EXISTS (SELECT 1 FROM search_counterparts c WHERE c.bundle = b.bundle AND c.counterpart = ?)`)
		args = append(args, q.Counterpart)
	}
	if !q.From.IsZero() {
		where = append(where, `b.received >= ?`)
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, `b.received < ?`)
		args = append(args, q.To.UnixNano())
	}
	query := `SELECT b.bundle, b.case_ref, b.request_ref, b.uploader, b.received FROM search_bundles b`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = pipeline.DefaultSearchLimit
	}
	query += ` ORDER BY b.received DESC, b.bundle LIMIT ?`
	args = append(args, limit)
	hits, err := sqlitedb.QueryAll(ctx, x.db, func(s sqlitedb.Scanner) (pipeline.SearchHit, error) {
		var h pipeline.SearchHit
		var received int64
		err := s.Scan(&h.BundleID, &h.CaseReference, &h.RequestReference, &h.Uploader, &received)
		h.Received = time.Unix(0, received).UTC()
		return h, err
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	byID := map[string]*pipeline.SearchHit{}
	for i := range hits {
		h := &hits[i]
		byID[h.BundleID] = h
		if h.Counterparts, err = sqlitedb.QueryAll(ctx, x.db, func(s sqlitedb.Scanner) (string, error) {
			var cp string
			return cp, s.Scan(&cp)
		}, `SELECT counterpart FROM search_counterparts WHERE bundle = ? ORDER BY counterpart`, h.BundleID); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	if match == "" || len(hits) == 0 {
		return hits, nil
	}
	if err := x.snippets(ctx, match, byID); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}

// snippets fills in, for the hits, the documents that match and the first snippet. A
// bundle's rows have consecutive rowids (indexOne adds them together), so one query over the
// rowid range of the hits reads only their rows of the words' posting lists; it does not rank
// them (bm25 counts every phrase over the whole index).
func (x *Index) snippets(ctx context.Context, match string, hits map[string]*pipeline.SearchHit) error {
	ph := strings.Repeat(",?", len(hits))[1:]
	args := make([]any, 0, len(hits)+3)
	for id := range hits {
		args = append(args, id)
	}
	var lo, hi sql.NullInt64
	if err := x.db.QueryRowContext(ctx, `SELECT min(docid), max(docid) FROM search_docs WHERE bundle IN (`+ph+`)`, args...).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	rows, err := x.db.QueryContext(ctx, `SELECT d.bundle, t.name, snippet(search_text, 2, '[', ']', '…', 12)
		FROM search_text t JOIN search_docs d ON d.docid = t.rowid
		WHERE search_text MATCH ? AND t.rowid BETWEEN ? AND ? AND d.bundle IN (`+ph+`) ORDER BY t.rowid`,
		append([]any{match, lo.Int64, hi.Int64}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var bundle, name, snip string
		if err := rows.Scan(&bundle, &name, &snip); err != nil {
			return err
		}
		h := hits[bundle]
		if name != "" && len(h.Documents) < maxDocumentsPerHit {
			h.Documents = append(h.Documents, name)
		}
		if h.Snippet == "" && strings.Contains(snip, "[") {
			h.Snippet = snip
		}
	}
	return rows.Err()
}

// maxDocumentsPerHit bounds the names of matching documents a hit lists.
const maxDocumentsPerHit = 20

// MatchExpression turns what a person typed into an FTS5 query that cannot be read as FTS5
// syntax: each whitespace-separated field becomes a quoted phrase of its words (so
// "CASE-2026-114" matches those three tokens in a row), all fields required; a field ending
// in * matches its last word as a prefix. It returns "" when s holds no word.
func MatchExpression(s string) string {
	// Control characters (NUL ends an SQLite string) and invalid UTF-8 separate words.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	var terms []string
	for _, f := range strings.Fields(s) {
		core, prefix := strings.CutSuffix(f, "*")
		core = strings.ReplaceAll(core, `"`, " ")
		if !strings.ContainsFunc(core, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			continue
		}
		t := `"` + core + `"`
		if prefix {
			t += "*"
		}
		terms = append(terms, t)
		if len(terms) == 64 {
			break
		}
	}
	return strings.Join(terms, " ")
}

// likePrefix escapes s for LIKE and matches it as a prefix.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
