// Package sqlitesearch is the embedded search index of evx's bundles: what is known of each
// accepted bundle (references, uploader, counterparts, arrival) in plain tables and the
// documents' extracted text in an SQLite FTS5 table (unicode61 tokenizer, diacritics
// folded, so "incautacion" finds "incautación"), in the data folder's one database. It
// implements pipeline.SearchIndex; the index can always be rebuilt from the trail.
package sqlitesearch

import (
	"context"
	"database/sql"
	"errors"
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
CREATE TABLE IF NOT EXISTS search_meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
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
INSERT OR REPLACE INTO search_meta (key, value) SELECT 'unordered', 1 WHERE EXISTS (SELECT 1 FROM search_text);
`

// Rows are "in order" while every bundle's rows have higher rowids than those of every bundle
// that arrived before it, as when bundles are indexed as they arrive. Then a search walks the
// words' rows from the newest and stops at the bundles it needs (searchNewest). Indexing a
// bundle that arrived no later than one already indexed (Reindex after a loss) records
// 'unordered' in search_meta for good, and searches take the general way.

// Index is the FTS5 index. Safe for concurrent use.
type Index struct {
	db *sql.DB
	// Group, when set, commits each bundle's rows together with the database's other writes
	// (sqlitedb.Group); nil: each commits alone.
	Group *sqlitedb.Group
	// forceGeneral makes every search take the general way, and budget, when not 0, replaces
	// searchNewest's least budget (tests compare the ways).
	forceGeneral bool
	budget       int
}

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
	if x.Group != nil {
		return x.Group.Do(ctx, func(ctx context.Context, tx *sql.Tx) error { return indexOne(ctx, tx, rec) })
	}
	return x.indexAll(ctx, []pipeline.SearchRecord{rec})
}

// indexAll indexes recs in one transaction.
func (x *Index) indexAll(ctx context.Context, recs []pipeline.SearchRecord) error {
	return x.Group.Exclusive(func() error { return x.indexTx(ctx, recs) })
}

func (x *Index) indexTx(ctx context.Context, recs []pipeline.SearchRecord) (err error) {
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
	var later int
	if err = tx.QueryRowContext(ctx, `SELECT count(*) FROM search_bundles WHERE received >= ? AND bundle <> ?`, rec.Received.UnixNano(), rec.BundleID).Scan(&later); err != nil {
		return err
	}
	if later > 0 {
		if _, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO search_meta (key, value) VALUES ('unordered', 1)`); err != nil {
			return err
		}
	}
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
	if q.Party != "" {
		home := ""
		if q.PartyHome {
			home = ` OR instr(b.uploader, '/') = 0` // an uploader of no agency: the home agency's
		}
		where = append(where, `(b.uploader LIKE ? ESCAPE '\'`+home+` OR EXISTS (SELECT 1 FROM search_counterparts c WHERE c.bundle = b.bundle AND c.counterpart = ?))`)
		args = append(args, likePrefix(q.Party+"/"), q.Party)
	}
	if !q.From.IsZero() {
		where = append(where, `b.received >= ?`)
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, `b.received < ?`)
		args = append(args, q.To.UnixNano())
	}
	limit := q.Limit
	if limit <= 0 {
		limit = pipeline.DefaultSearchLimit
	}
	var hits []pipeline.SearchHit
	var err error
	if match != "" {
		match = "{name text}: (" + match + ")" // the words, never the bundle column
	}
	ordered := false
	// The walk from the newest pays when most bundles pass the filters; an uploader's own
	// bundles or a date range may be few among many, and go the general way at once.
	if match != "" && !x.forceGeneral && q.Uploader == "" && q.From.IsZero() && q.To.IsZero() {
		var n int
		if err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM search_meta WHERE key = 'unordered'`).Scan(&n); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		ordered = n == 0
	}
	done := false
	if ordered {
		hits, done, err = x.searchNewest(ctx, match, where, args, limit)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	if !done {
		if match != "" {
			where = append(where, `b.bundle IN (SELECT d.bundle FROM search_docs d WHERE d.docid IN (SELECT rowid FROM search_text WHERE search_text MATCH ?))`)
			args = append(args, match)
		}
		query := `SELECT b.bundle, b.case_ref, b.request_ref, b.uploader, b.received FROM search_bundles b`
		if len(where) > 0 {
			query += ` WHERE ` + strings.Join(where, ` AND `)
		}
		query += ` ORDER BY b.received DESC, b.bundle LIMIT ?`
		hits, err = sqlitedb.QueryAll(ctx, x.db, scanHit, query, append(args, limit)...)
	}
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

func scanHit(s sqlitedb.Scanner) (pipeline.SearchHit, error) {
	var h pipeline.SearchHit
	var received int64
	err := s.Scan(&h.BundleID, &h.CaseReference, &h.RequestReference, &h.Uploader, &received)
	h.Received = time.Unix(0, received).UTC()
	return h, err
}

// searchNewest answers a search with words on an index in order: it walks the rows the words
// match from the highest rowid down (FTS5 reads its posting lists in that order, without
// sorting), takes each new bundle that passes the other filters, and stops at limit. All on
// one connection, so that every read sees the same state of the index. It gives up (done
// false) after newestBudget rows per hit asked for, when the filters pass too few bundles
// for the walk to pay (a narrow date range long ago, an uploader with few bundles): the
// general way answers those.
func (x *Index) searchNewest(ctx context.Context, match string, where []string, args []any, limit int) (_ []pipeline.SearchHit, done bool, _ error) {
	conn, err := x.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	bundleOf, err := conn.PrepareContext(ctx, `SELECT bundle FROM search_docs WHERE docid = ?`)
	if err != nil {
		return nil, false, err
	}
	defer bundleOf.Close()
	one, err := conn.PrepareContext(ctx, `SELECT b.bundle, b.case_ref, b.request_ref, b.uploader, b.received FROM search_bundles b WHERE `+
		strings.Join(append([]string{`b.bundle = ?`}, where...), ` AND `))
	if err != nil {
		return nil, false, err
	}
	defer one.Close()
	rows, err := conn.QueryContext(ctx, `SELECT rowid FROM search_text WHERE search_text MATCH ? ORDER BY rowid DESC`, match)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var hits []pipeline.SearchHit
	seen := map[string]bool{}
	budget := max(200, newestBudget*limit)
	if x.budget > 0 {
		budget = x.budget
	}
	for n := 0; len(hits) < limit; n++ {
		if n == budget {
			return nil, false, nil
		}
		if !rows.Next() {
			break
		}
		var docid int64
		if err := rows.Scan(&docid); err != nil {
			return nil, false, err
		}
		var bundle string
		if err := bundleOf.QueryRowContext(ctx, docid).Scan(&bundle); err != nil {
			return nil, false, fmt.Errorf("row %d: %w", docid, err)
		}
		if seen[bundle] {
			continue
		}
		seen[bundle] = true
		h, err := scanHit(one.QueryRowContext(ctx, append([]any{bundle}, args...)...))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue // filtered out
		case err != nil:
			return nil, false, err
		}
		hits = append(hits, h)
	}
	return hits, true, rows.Err()
}

// newestBudget is how many of the words' rows searchNewest reads per hit asked for before it
// leaves the search to the general way.
const newestBudget = 4

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
