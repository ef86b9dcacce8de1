package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/evx-project/evx/shared/custody"
	"github.com/transparency-dev/merkle/compact"
)

// Ledger is the custody ledger of the embedded mode, in the SQLite database it shares with the
// delivery queues. Tables (all prefixed custody_):
//
//	custody_events     (bundle, seq) -> leaf, hash, body: the event's JSON with hash and signature
//	custody_log_nodes  (level, idx)  -> hash: every perfect subtree of the RFC 6962 log, leaves at level 0
//	custody_log_state  one row: size, the number of leaves
//
// An append writes the event, its leaf, the subtrees it completes and the new size in one
// transaction (BEGIN IMMEDIATE, so concurrent writers queue instead of interleaving). Only the
// compact range of the log's right edge (at most 64 hashes) is cached in memory.
type Ledger struct {
	db *sql.DB

	mu        sync.Mutex // guards the cached compact range
	cacheSize uint64
	cacheRng  [][]byte
	cacheOK   bool
}

var _ custody.Ledger = (*Ledger)(nil)

const ledgerSchema = `
CREATE TABLE IF NOT EXISTS custody_events (
	bundle TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	leaf   INTEGER NOT NULL UNIQUE,
	hash   TEXT NOT NULL,
	body   BLOB NOT NULL,
	PRIMARY KEY (bundle, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS custody_log_nodes (
	level INTEGER NOT NULL,
	idx   INTEGER NOT NULL,
	hash  BLOB NOT NULL,
	PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS custody_log_state (
	id   INTEGER PRIMARY KEY CHECK (id = 0),
	size INTEGER NOT NULL
);
INSERT OR IGNORE INTO custody_log_state (id, size) VALUES (0, 0);
`

// NewLedger creates the ledger's tables in db if needed (db from OpenSQLite) and returns the
// ledger. It does not close db.
func NewLedger(ctx context.Context, db *sql.DB) (*Ledger, error) {
	if _, err := db.ExecContext(ctx, ledgerSchema); err != nil {
		return nil, fmt.Errorf("custody ledger schema: %w", err)
	}
	return &Ledger{db: db}, nil
}

// Append implements custody.Ledger.
func (l *Ledger) Append(ctx context.Context, e custody.Event) (uint64, error) {
	// Hashing needs no lock: do it before the transaction.
	if err := custody.CheckSealed(e); err != nil {
		return 0, err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	leafHash, err := hexHash(e.Hash)
	if err != nil {
		return 0, err
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
	}
	defer tx.Rollback()

	var last custody.Entry
	ok := true
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM custody_events WHERE bundle = ? ORDER BY seq DESC LIMIT 1`,
		e.BundleID).Scan(&last.Event.Seq, &last.Event.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		ok = false
	} else if err != nil {
		return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
	}
	if err := custody.CheckNext(e, last, ok); err != nil {
		return 0, err
	}
	var size uint64
	if err := tx.QueryRowContext(ctx, `SELECT size FROM custody_log_state WHERE id = 0`).Scan(&size); err != nil {
		return 0, fmt.Errorf("append: log size: %w", err)
	}
	rng, err := l.rangeAt(ctx, tx, size)
	if err != nil {
		return 0, err
	}
	newRng, nodes, err := custody.AppendLeaves(size, rng, [][]byte{leafHash})
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO custody_events (bundle, seq, leaf, hash, body) VALUES (?, ?, ?, ?, ?)`,
		e.BundleID, e.Seq, size, e.Hash, body); err != nil {
		if isConstraint(err) {
			return 0, &custody.ConflictError{BundleID: e.BundleID, Seq: e.Seq, WantSeq: last.Event.Seq + 1, WantPrev: last.Event.Hash}
		}
		return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
	}
	if err := insertNodes(ctx, tx, nodes); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE custody_log_state SET size = ? WHERE id = 0`, size+1); err != nil {
		return 0, fmt.Errorf("append: log size: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("append %s/%d: commit: %w", e.BundleID, e.Seq, err)
	}
	l.mu.Lock()
	l.cacheSize, l.cacheRng, l.cacheOK = size+1, newRng, true
	l.mu.Unlock()
	return size, nil
}

func insertNodes(ctx context.Context, tx *sql.Tx, nodes []custody.Node) error {
	if len(nodes) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO custody_log_nodes (level, idx, hash) VALUES `)
	args := make([]any, 0, 3*len(nodes))
	for i, n := range nodes {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, n.ID.Level, n.ID.Index, n.Hash)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("append: log nodes: %w", err)
	}
	return nil
}

// rangeAt returns the compact range [0, size), from the cache when it is of that size (nodes
// never change once written, so a cached range of the same size is the stored one).
func (l *Ledger) rangeAt(ctx context.Context, q querier, size uint64) ([][]byte, error) {
	l.mu.Lock()
	if l.cacheOK && l.cacheSize == size {
		rng := l.cacheRng
		l.mu.Unlock()
		return rng, nil
	}
	l.mu.Unlock()
	return nodes(ctx, q, custody.RangeIDs(size))
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// nodes reads node hashes in one query.
func nodes(ctx context.Context, q querier, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var sb strings.Builder
	sb.WriteString(`SELECT level, idx, hash FROM custody_log_nodes WHERE (level, idx) IN (VALUES `)
	args := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?)")
		args = append(args, id.Level, id.Index)
	}
	sb.WriteString(")")
	rows, err := q.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("log nodes: %w", err)
	}
	defer rows.Close()
	found := make(map[compact.NodeID][]byte, len(ids))
	for rows.Next() {
		var id compact.NodeID
		var h []byte
		if err := rows.Scan(&id.Level, &id.Index, &h); err != nil {
			return nil, fmt.Errorf("log nodes: %w", err)
		}
		found[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log nodes: %w", err)
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("log node %d/%d not stored", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// Events implements custody.Ledger.
func (l *Ledger) Events(ctx context.Context, bundleID string) ([]custody.Entry, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT leaf, body FROM custody_events WHERE bundle = ? ORDER BY seq`, bundleID)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", bundleID, err)
	}
	defer rows.Close()
	var out []custody.Entry
	for rows.Next() {
		en, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("events of %s: %w", bundleID, err)
		}
		out = append(out, en)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of %s: %w", bundleID, err)
	}
	return out, nil
}

// Last implements custody.Ledger.
func (l *Ledger) Last(ctx context.Context, bundleID string) (custody.Entry, bool, error) {
	row := l.db.QueryRowContext(ctx, `SELECT leaf, body FROM custody_events WHERE bundle = ? ORDER BY seq DESC LIMIT 1`, bundleID)
	en, err := scanEntry(row)
	if errors.Is(err, sql.ErrNoRows) {
		return custody.Entry{}, false, nil
	}
	if err != nil {
		return custody.Entry{}, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	return en, true, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanEntry(s scanner) (custody.Entry, error) {
	var en custody.Entry
	var body []byte
	if err := s.Scan(&en.Leaf, &body); err != nil {
		return en, err
	}
	if err := json.Unmarshal(body, &en.Event); err != nil {
		return en, fmt.Errorf("stored event: %w", err)
	}
	return en, nil
}

// LogSize implements custody.LogReader.
func (l *Ledger) LogSize(ctx context.Context) (uint64, error) {
	var size uint64
	if err := l.db.QueryRowContext(ctx, `SELECT size FROM custody_log_state WHERE id = 0`).Scan(&size); err != nil {
		return 0, fmt.Errorf("log size: %w", err)
	}
	return size, nil
}

// Nodes implements custody.LogReader.
func (l *Ledger) Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	return nodes(ctx, l.db, ids)
}

func hexHash(s string) ([]byte, error) {
	var b [32]byte
	if len(s) != 64 {
		return nil, fmt.Errorf("event hash %q: want 64 hex digits", s)
	}
	for i := range b {
		var v byte
		for _, c := range []byte{s[2*i], s[2*i+1]} {
			switch {
			case '0' <= c && c <= '9':
				v = v<<4 | (c - '0')
			case 'a' <= c && c <= 'f':
				v = v<<4 | (c - 'a' + 10)
			default:
				return nil, fmt.Errorf("event hash %q: want lowercase hex", s)
			}
		}
		b[i] = v
	}
	return b[:], nil
}

func isConstraint(err error) bool {
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}
