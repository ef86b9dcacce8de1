// Package sqliteledger is the embedded custody ledger: per-bundle chains and the RFC 6962
// log in SQLite, appended in transactions shared by concurrent callers (group commit). Its
// AWS mirror is dynamoledger. Like it, it appends only events signed by the key that signs
// the log (the latest event's, or the key a latest custody.KeyRotation introduced); another
// key gets a *custody.LogKeyError, so that a command that opened the data folder before
// evx key rotate cannot append with the retired key after it.
package sqliteledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
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
// transaction (BEGIN IMMEDIATE, so writers of several processes queue instead of
// interleaving); appends arriving together in one process share a transaction. Only the
// compact range of the log's right edge (at most 64 hashes) is cached in memory.
type Ledger struct {
	db *sql.DB
	// Group, when set, is the database's write group: each batch is written while no other
	// write of the group runs (sqlitedb.Group.Exclusive), so that the ledger and the other
	// stores of the database take turns instead of meeting as SQLITE_BUSY.
	Group                                     *sqlitedb.Group
	lastHead, lastEntry, insertEvent, logSize *sql.Stmt
	insertNode, setSize                       *sql.Stmt

	mu        sync.Mutex // guards the cached compact range and log key
	cacheSize uint64
	cacheRng  [][]byte
	cacheKey  string // the key that signs the log at cacheSize (see logKey)
	cacheOK   bool

	qmu        sync.Mutex // guards the group-commit queue
	queue      []*pending
	committing bool
}

var (
	_ custody.Ledger        = (*Ledger)(nil)
	_ custody.BatchAppender = (*Ledger)(nil)
)

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
// ledger. It does not close db; Close releases the ledger's prepared statements.
func New(ctx context.Context, db *sql.DB) (*Ledger, error) {
	if _, err := db.ExecContext(ctx, ledgerSchema); err != nil {
		return nil, fmt.Errorf("custody ledger schema: %w", err)
	}
	l := &Ledger{db: db}
	for _, st := range []struct {
		p *(*sql.Stmt)
		q string
	}{
		{&l.lastHead, `SELECT seq, hash FROM custody_events WHERE bundle = ? ORDER BY seq DESC LIMIT 1`},
		{&l.lastEntry, `SELECT leaf, body FROM custody_events WHERE bundle = ? ORDER BY seq DESC LIMIT 1`},
		{&l.insertEvent, `INSERT INTO custody_events (bundle, seq, leaf, hash, body) VALUES (?, ?, ?, ?, ?)`},
		{&l.logSize, `SELECT size FROM custody_log_state WHERE id = 0`},
		{&l.insertNode, `INSERT INTO custody_log_nodes (level, idx, hash) VALUES (?, ?, ?)`},
		{&l.setSize, `UPDATE custody_log_state SET size = ? WHERE id = 0`},
	} {
		var err error
		if *st.p, err = db.PrepareContext(ctx, st.q); err != nil {
			return nil, fmt.Errorf("custody ledger: prepare: %w", err)
		}
	}
	return l, nil
}

// Append implements custody.Ledger. Concurrent appends are committed together (group
// commit): the first caller to find no commit in progress writes every queued event in one
// transaction, each still conditional on its bundle's sequence, so a batch costs one fsync.
func (l *Ledger) Append(ctx context.Context, e custody.Event) (uint64, error) {
	leaves, err := l.AppendAll(ctx, []custody.Event{e})
	if err != nil {
		return 0, err
	}
	return leaves[0], nil
}

// AppendAll implements custody.BatchAppender: evs, consecutive events of one bundle, are
// appended in one transaction, all or none.
func (l *Ledger) AppendAll(ctx context.Context, evs []custody.Event) ([]uint64, error) {
	if err := custody.CheckBatch(evs); err != nil {
		return nil, err
	}
	p := &pending{evs: evs, done: make(chan result, 1)}
	for _, e := range evs {
		// Hashing needs no lock: do it before queueing.
		if err := custody.CheckSealed(e); err != nil {
			return nil, err
		}
		body, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		leafHash, err := hexHash(e.Hash)
		if err != nil {
			return nil, err
		}
		p.bodies, p.leaves = append(p.bodies, body), append(p.leaves, leafHash)
	}
	l.qmu.Lock()
	l.queue = append(l.queue, p)
	leader := !l.committing
	l.committing = true
	l.qmu.Unlock()
	if leader {
		// The batch outlives a cancelled caller.
		l.drain(context.WithoutCancel(ctx), true)
	}
	select {
	case r := <-p.done:
		return r.leaves, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drain commits queued batches until the queue is empty. A caller that became the leader
// commits one batch (which holds its own append) and hands what arrived meanwhile to a
// goroutine, so that no caller waits on other callers' appends under sustained load.
func (l *Ledger) drain(ctx context.Context, caller bool) {
	for {
		l.qmu.Lock()
		batch := l.queue
		l.queue = nil
		if len(batch) == 0 {
			l.committing = false
			l.qmu.Unlock()
			return
		}
		l.qmu.Unlock()
		l.commit(ctx, batch)
		if caller {
			go l.drain(ctx, false)
			return
		}
	}
}

// pending is a queued append of one or more events of a bundle and where its result goes.
type pending struct {
	evs    []custody.Event
	bodies [][]byte
	leaves [][]byte
	done   chan result
}

type result struct {
	leaves []uint64
	err    error
}

// commit writes a batch in one transaction. An append that is not its bundle's next event gets
// a *ConflictError and writes nothing; any other failure fails the whole batch.
func (l *Ledger) commit(ctx context.Context, batch []*pending) {
	var results []result
	var newSize uint64
	var newRng [][]byte
	var newKey string
	// With a Group, the batch is one write of the group's shared transaction: the appends and
	// the other stores' writes made meanwhile commit together, with one fsync.
	err := sqlitedb.Write(ctx, l.db, l.Group, func(ctx context.Context, tx *sql.Tx) (err error) {
		results, newSize, newRng, newKey, err = l.writeBatch(ctx, tx, batch)
		return err
	})
	if err == nil {
		l.mu.Lock()
		l.cacheSize, l.cacheRng, l.cacheKey, l.cacheOK = newSize, newRng, newKey, true
		l.mu.Unlock()
	}
	for i, p := range batch {
		if err != nil {
			p.done <- result{err: fmt.Errorf("append %s/%d: %w", p.evs[0].BundleID, p.evs[0].Seq, err)}
			continue
		}
		p.done <- results[i]
	}
}

// logKey is the key that signs the log of size (custody.NextLogKey of its latest event; ""
// for an empty log), from the cache when it is of that size: the latest event of a given
// size never changes.
func (l *Ledger) logKey(ctx context.Context, tx *sql.Tx, size uint64) (string, error) {
	if size == 0 {
		return "", nil
	}
	l.mu.Lock()
	if l.cacheOK && l.cacheSize == size && l.cacheKey != "" {
		key := l.cacheKey
		l.mu.Unlock()
		return key, nil
	}
	l.mu.Unlock()
	last, err := scanEntry(tx.QueryRowContext(ctx, `SELECT leaf, body FROM custody_events ORDER BY leaf DESC LIMIT 1`))
	if err != nil {
		return "", fmt.Errorf("latest event: %w", err)
	}
	return custody.NextLogKey(last.Event), nil
}

// writeBatch writes a batch in tx, which the caller commits.
func (l *Ledger) writeBatch(ctx context.Context, tx *sql.Tx, batch []*pending) ([]result, uint64, [][]byte, string, error) {
	var size uint64
	if err := tx.StmtContext(ctx, l.logSize).QueryRowContext(ctx).Scan(&size); err != nil {
		return nil, 0, nil, "", fmt.Errorf("log size: %w", err)
	}
	lastHead, insertEvent := tx.StmtContext(ctx, l.lastHead), tx.StmtContext(ctx, l.insertEvent)
	rng, err := l.rangeAt(ctx, tx, size)
	if err != nil {
		return nil, 0, nil, "", err
	}
	type head struct {
		seq  uint64
		hash string
	}
	heads := map[string]head{} // bundles' last events, as this batch leaves them
	results := make([]result, len(batch))
	var nodes []custody.Node
	// The key that signs the log: only it appends (custody.LogKeyError).
	key, err := l.logKey(ctx, tx, size)
	if err != nil {
		return nil, 0, nil, "", err
	}
	for i, p := range batch {
		first := p.evs[0]
		if kerr := checkLogKey(p.evs, key); kerr != nil {
			results[i].err = kerr
			continue
		}
		h, seen := heads[first.BundleID]
		if !seen {
			err := lastHead.QueryRowContext(ctx, first.BundleID).Scan(&h.seq, &h.hash)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, 0, nil, "", err
			}
		}
		// CheckBatch made the events a chain: only the first needs checking here.
		last := custody.Entry{Event: custody.Event{Seq: h.seq, Hash: h.hash}}
		if err := custody.CheckNext(first, last, h.seq > 0); err != nil {
			results[i].err = err
			continue
		}
		var nn []custody.Node
		rng, nn, err = custody.AppendLeaves(size, rng, p.leaves)
		if err != nil {
			return nil, 0, nil, "", err
		}
		nodes = append(nodes, nn...)
		for j, e := range p.evs {
			if _, err := insertEvent.ExecContext(ctx, e.BundleID, e.Seq, size, e.Hash, p.bodies[j]); err != nil {
				return nil, 0, nil, "", err
			}
			results[i].leaves = append(results[i].leaves, size)
			size++
		}
		lastEv := p.evs[len(p.evs)-1]
		heads[first.BundleID] = head{lastEv.Seq, lastEv.Hash}
		key = custody.NextLogKey(lastEv)
	}
	if len(nodes) <= smallNodeBatch {
		// A commit of a few events completes about as many nodes: the prepared one-row
		// statement, run per node, costs less than preparing a multi-row one.
		insertNode := tx.StmtContext(ctx, l.insertNode)
		for _, n := range nodes {
			if _, err := insertNode.ExecContext(ctx, n.ID.Level, n.ID.Index, n.Hash); err != nil {
				return nil, 0, nil, "", fmt.Errorf("append: log nodes: %w", err)
			}
		}
	} else if err := insertNodes(ctx, tx, nodes); err != nil {
		return nil, 0, nil, "", err
	}
	if _, err := tx.StmtContext(ctx, l.setSize).ExecContext(ctx, size); err != nil {
		return nil, 0, nil, "", fmt.Errorf("log size: %w", err)
	}
	return results, size, rng, key, nil
}

// smallNodeBatch is the most nodes a commit inserts one prepared row at a time.
const smallNodeBatch = 8

func insertNodes(ctx context.Context, tx *sql.Tx, nodes []custody.Node) error {
	const chunk = 300 // 900 variables, below SQLite's limit
	for len(nodes) > chunk {
		if err := insertNodes(ctx, tx, nodes[:chunk]); err != nil {
			return err
		}
		nodes = nodes[chunk:]
	}
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

// LatestKeyID returns the key id of the event last appended to the log (the key the ledger
// is being signed with), and false for an empty ledger.
func (l *Ledger) LatestKeyID(ctx context.Context) (string, bool, error) {
	en, err := scanEntry(l.db.QueryRowContext(ctx, `SELECT leaf, body FROM custody_events ORDER BY leaf DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("latest event: %w", err)
	}
	return en.Event.KeyID, true, nil
}

// Events implements custody.Ledger.
func (l *Ledger) Events(ctx context.Context, bundleID string) ([]custody.Entry, error) {
	out, err := sqlitedb.QueryAll(ctx, l.db, scanEntry, `SELECT leaf, body FROM custody_events WHERE bundle = ? ORDER BY seq`, bundleID)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", bundleID, err)
	}
	return out, nil
}

// Subjects returns the ids of the bundles (and other custody subjects, such as requests) that
// start with prefix, in order. It reads the primary key's range, no other table.
func (l *Ledger) Subjects(ctx context.Context, prefix string) ([]string, error) {
	q := `SELECT bundle FROM custody_events WHERE seq = 1 AND bundle >= ? ORDER BY bundle`
	args := []any{prefix}
	if n := len(prefix); n > 0 && prefix[n-1] < 0xff {
		q = `SELECT bundle FROM custody_events WHERE seq = 1 AND bundle >= ? AND bundle < ? ORDER BY bundle`
		args = append(args, prefix[:n-1]+string([]byte{prefix[n-1] + 1}))
	}
	out, err := sqlitedb.QueryAll(ctx, l.db, func(s sqlitedb.Scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("subjects %q: %w", prefix, err)
	}
	return out, nil
}

// Last implements custody.Ledger.
func (l *Ledger) Last(ctx context.Context, bundleID string) (custody.Entry, bool, error) {
	row := l.lastEntry.QueryRowContext(ctx, bundleID)
	en, err := scanEntry(row)
	if errors.Is(err, sql.ErrNoRows) {
		return custody.Entry{}, false, nil
	}
	if err != nil {
		return custody.Entry{}, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	return en, true, nil
}

func scanEntry(s sqlitedb.Scanner) (custody.Entry, error) {
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
	if err := l.logSize.QueryRowContext(ctx).Scan(&size); err != nil {
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

// checkLogKey refuses a batch with an event signed by another key than the log's (key; ""
// for an empty log), following the rotations inside the batch.
func checkLogKey(evs []custody.Event, key string) error {
	for _, e := range evs {
		if key != "" && e.KeyID != key {
			return &custody.LogKeyError{Bundle: e.BundleID, Seq: e.Seq, Want: key, Got: e.KeyID}
		}
		key = custody.NextLogKey(e)
	}
	return nil
}
