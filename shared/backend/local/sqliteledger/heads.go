package sqliteledger

import (
	"context"
	"fmt"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/custody"
)

var _ custody.HeadLister = (*Ledger)(nil)

// Heads implements custody.HeadLister: one query over the events below size, the last of each
// bundle (seq and leaf grow together within a bundle, so the row with the largest leaf).
func (l *Ledger) Heads(ctx context.Context, size uint64) ([]custody.Head, error) {
	out, err := sqlitedb.QueryAll(ctx, l.db, func(r sqlitedb.Scanner) (custody.Head, error) {
		var h custody.Head
		var leaf int64
		err := r.Scan(&h.BundleID, &h.Seq, &h.Hash, &leaf)
		h.Leaf = uint64(leaf)
		return h, err
	}, `SELECT bundle, seq, hash, MAX(leaf) FROM custody_events WHERE leaf < ? GROUP BY bundle`, int64(size))
	if err != nil {
		return nil, fmt.Errorf("heads at %d: %w", size, err)
	}
	return out, nil
}

var _ custody.LeafLister = (*Ledger)(nil)

// Leaves implements custody.LeafLister over the events' unique leaf column.
func (l *Ledger) Leaves(ctx context.Context, from, to uint64) ([]custody.Head, error) {
	if from > to || to >= 1<<63 {
		return nil, fmt.Errorf("leaves [%d, %d): bad range", from, to)
	}
	out, err := sqlitedb.QueryAll(ctx, l.db, func(r sqlitedb.Scanner) (custody.Head, error) {
		var h custody.Head
		var leaf int64
		err := r.Scan(&h.BundleID, &h.Seq, &h.Hash, &leaf)
		h.Leaf = uint64(leaf)
		return h, err
	}, `SELECT bundle, seq, hash, leaf FROM custody_events WHERE leaf >= ? AND leaf < ? ORDER BY leaf`, int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("leaves [%d, %d): %w", from, to, err)
	}
	if uint64(len(out)) != to-from {
		return nil, fmt.Errorf("leaves [%d, %d): %d stored", from, to, len(out))
	}
	return out, nil
}
