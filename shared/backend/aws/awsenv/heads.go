package awsenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/backend/aws/s3heads"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Heads on AWS (docs/witnesses.md). The audit function, which may scan the custody table,
// signs every checkpoint with every bundle's head and keeps those heads in the evidence
// bucket (package s3heads) before the checkpoint is kept for witnesses; the api function,
// which may not scan it, proves a bundle's head from the heads kept at a kept checkpoint's
// size, and commits to none at the other sizes. Each ledger below is the plain ledger with
// that custody.HeadLister.

// keptCheckpoints is the store of the checkpoints kept for witnesses (dynamostate.Table).
type keptCheckpoints interface {
	Checkpoint(ctx context.Context, size uint64) ([]byte, error)
}

// keptHeads returns the heads kept at size when the checkpoint kept at size commits to heads,
// checked against its heads line; found is false when no checkpoint is kept at size, or the
// one kept commits to none.
func keptHeads(ctx context.Context, cps keptCheckpoints, store *s3heads.Store, size uint64) (hs []custody.Head, found bool, err error) {
	note, err := cps.Checkpoint(ctx, size)
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	hc, has, err := custody.NoteHeads(note)
	if err != nil {
		return nil, false, fmt.Errorf("kept checkpoint of size %d: %w", size, err)
	}
	if !has {
		return nil, false, nil
	}
	if hs, err = store.Get(ctx, size); err != nil {
		return nil, false, err
	}
	tree, err := custody.NewHeadsTree(hs)
	if err != nil {
		return nil, false, err
	}
	if tree.Size() != hc.Size || !bytes.Equal(tree.Root(), hc.Root) {
		return nil, false, fmt.Errorf("heads kept at log size %d: %d heads with root %x, the kept checkpoint commits to %d with root %x",
			size, tree.Size(), tree.Root(), hc.Size, hc.Root)
	}
	return hs, true, nil
}

// recordingHeadsLedger is the audit function's ledger: heads from a Scan of the custody table,
// kept in S3 before any checkpoint that commits to them is signed; at a size whose checkpoint
// is kept already (the log did not grow since the last run), the heads kept then.
type recordingHeadsLedger struct {
	*dynamoledger.HeadsLedger
	kept  keptCheckpoints
	store *s3heads.Store
}

func (l recordingHeadsLedger) Heads(ctx context.Context, size uint64) ([]custody.Head, error) {
	if hs, found, err := keptHeads(ctx, l.kept, l.store, size); err != nil || found {
		return hs, err
	}
	hs, err := l.HeadsLedger.Heads(ctx, size)
	if err != nil {
		return nil, err
	}
	if err := l.store.Put(ctx, size, hs); err != nil {
		return nil, fmt.Errorf("keep heads at log size %d: %w", size, err)
	}
	return hs, nil
}

// keptHeadsLedger is the api function's ledger: the heads kept at a kept checkpoint's size,
// custody.ErrHeadsUnknown at every other.
type keptHeadsLedger struct {
	*dynamoledger.Ledger
	kept  keptCheckpoints
	store *s3heads.Store
	// last keeps the heads of the last size read, checked: heads kept at a size never change
	// (the checkpoint kept there is the first written, the heads object is written before it),
	// so the exports of one warm function between two checkpoints read them once.
	last *headsCache
}

type headsCache struct {
	mu   sync.Mutex
	size uint64
	hs   []custody.Head
}

func (l keptHeadsLedger) Heads(ctx context.Context, size uint64) ([]custody.Head, error) {
	if l.last != nil {
		l.last.mu.Lock()
		defer l.last.mu.Unlock()
		if l.last.hs != nil && l.last.size == size {
			return slices.Clone(l.last.hs), nil
		}
	}
	hs, found, err := keptHeads(ctx, l.kept, l.store, size)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("log size %d: no checkpoint with heads kept there: %w", size, custody.ErrHeadsUnknown)
	}
	if l.last != nil {
		l.last.size, l.last.hs = size, slices.Clone(hs)
	}
	return hs, nil
}

var (
	_ custody.HeadLister = recordingHeadsLedger{}
	_ custody.HeadLister = keptHeadsLedger{}
)
