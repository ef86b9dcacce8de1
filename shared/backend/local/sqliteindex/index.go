// Package sqliteindex is the embedded identifier index (pipeline.IdentifierIndex): keyed
// hashes of the identifiers of accepted bundles in two SQLite tables of the data folder's
// database, and the secret that keys them in a file beside the signing key.
//
// The index holds no identifier value: only HMAC-SHA-256 keyed hashes (identify.Key), the
// identifier type, and which bundle of which agency holds each. A lookup is one primary-key
// range scan of identifier_index joined to identifier_bundles.
package sqliteindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

const schema = `
CREATE TABLE IF NOT EXISTS identifier_bundles (
	bundle      TEXT    PRIMARY KEY,
	agency      TEXT    NOT NULL,
	matching    INTEGER NOT NULL,
	identifiers INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS identifier_index (
	key    BLOB NOT NULL,
	bundle TEXT NOT NULL,
	type   TEXT NOT NULL,
	PRIMARY KEY (key, bundle)
) WITHOUT ROWID;
`

// Index is the SQLite identifier index.
type Index struct {
	db     *sql.DB
	lookup *sql.Stmt
}

var _ pipeline.IdentifierIndex = (*Index)(nil)

// New creates the tables if needed and returns the index.
func New(ctx context.Context, db *sql.DB) (*Index, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("identifier index schema: %w", err)
	}
	st, err := db.PrepareContext(ctx, `SELECT i.bundle, b.agency, b.matching FROM identifier_index i
		JOIN identifier_bundles b ON b.bundle = i.bundle WHERE i.key = ? LIMIT ?`)
	if err != nil {
		return nil, fmt.Errorf("identifier index: %w", err)
	}
	return &Index{db: db, lookup: st}, nil
}

// AddBundle implements pipeline.IdentifierIndex: one transaction, the bundle's row and its
// entries; a bundle already recorded is left as it is.
func (x *Index) AddBundle(ctx context.Context, b pipeline.IndexedBundle, entries []pipeline.IndexEntry) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO identifier_bundles (bundle, agency, matching, identifiers) VALUES (?, ?, ?, ?)`,
		b.BundleID, b.Agency, b.Matching, len(entries))
	if err != nil {
		return fmt.Errorf("add bundle %s: %w", b.BundleID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO identifier_index (key, bundle, type) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, e := range entries {
		if _, err := st.ExecContext(ctx, e.Key[:], b.BundleID, string(e.Type)); err != nil {
			return fmt.Errorf("add bundle %s: %w", b.BundleID, err)
		}
	}
	return tx.Commit()
}

// Lookup implements pipeline.IdentifierIndex.
func (x *Index) Lookup(ctx context.Context, key [32]byte, max int) ([]pipeline.Holding, error) {
	rows, err := x.lookup.QueryContext(ctx, key[:], max)
	if err != nil {
		return nil, fmt.Errorf("look up: %w", err)
	}
	defer rows.Close()
	var out []pipeline.Holding
	for rows.Next() {
		var h pipeline.Holding
		if err := rows.Scan(&h.BundleID, &h.Agency, &h.Matching); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Bundle implements pipeline.IdentifierIndex.
func (x *Index) Bundle(ctx context.Context, bundleID string) (pipeline.IndexedBundle, error) {
	b := pipeline.IndexedBundle{BundleID: bundleID}
	err := x.db.QueryRowContext(ctx, `SELECT agency, matching, identifiers FROM identifier_bundles WHERE bundle = ?`, bundleID).
		Scan(&b.Agency, &b.Matching, &b.Identifiers)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("bundle %s: %w", bundleID, pipeline.ErrNotFound)
	}
	return b, err
}

// Count returns the number of entries and of bundles in the index.
func (x *Index) Count(ctx context.Context) (entries, bundles int64, err error) {
	err = x.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM identifier_index), (SELECT count(*) FROM identifier_bundles)`).Scan(&entries, &bundles)
	return entries, bundles, err
}

// Types counts the entries by identifier type.
func (x *Index) Types(ctx context.Context) (map[identify.Type]int64, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT type, count(*) FROM identifier_index GROUP BY type`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[identify.Type]int64{}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[identify.Type(t)] = n
	}
	return out, rows.Err()
}
