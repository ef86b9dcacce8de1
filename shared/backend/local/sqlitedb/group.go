package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commits the short write transactions of concurrent callers together (group commit),
// as the custody ledger does its appends: the first caller to find no commit in progress
// runs every queued write in one transaction, each in a savepoint of its own, and commits
// once, so that a batch costs one fsync instead of one each. A write that fails is rolled
// back to its savepoint alone and its caller gets its error; the others are committed. Do
// returns only once the transaction holding its write is committed, so a write is as
// durable when Do returns as one committed alone (synchronous=FULL).
//
// A Group also takes turns with the writers that run transactions of their own (the
// ledger's batches, a re-index: Exclusive), so that the writers of one process never meet
// as SQLITE_BUSY, whose handler sleeps for milliseconds at a time while the database may
// long be free: under concurrent uploads that sleep, not the fsyncs, was what bounded them.
//
// The zero value is not usable; call NewGroup. A write must not itself begin a transaction
// or call Do or Exclusive.
type Group struct {
	db         *sql.DB
	write      sync.Mutex // held by the transaction writing
	mu         sync.Mutex // guards queue and committing
	queue      []*groupWrite
	committing bool
}

type groupWrite struct {
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// NewGroup returns a Group writing to db.
func NewGroup(db *sql.DB) *Group { return &Group{db: db} }

// Do runs fn in a transaction shared with the writes queued beside it and returns fn's error,
// or the commit's. fn gets a context that is not cancelled with ctx (the batch outlives a
// cancelled caller); Do itself returns ctx's error when ctx ends first, and fn's write may
// then still be committed.
func (g *Group) Do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	w := &groupWrite{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	leader := !g.committing
	g.committing = true
	g.mu.Unlock()
	if leader {
		g.drain(context.WithoutCancel(ctx), true)
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain commits queued batches until the queue is empty. A caller that became the leader
// commits one batch (which holds its own write) and hands what arrived meanwhile to a
// goroutine, so that no caller waits on other callers' writes under sustained load.
func (g *Group) drain(ctx context.Context, caller bool) {
	for {
		g.mu.Lock()
		batch := g.queue
		g.queue = nil
		if len(batch) == 0 {
			g.committing = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.commit(ctx, batch)
		if caller {
			go g.drain(ctx, false)
			return
		}
	}
}

// Exclusive runs fn, which writes in a transaction of its own, while no other write of g
// runs. On a nil Group it just runs fn.
func (g *Group) Exclusive(fn func() error) error {
	if g == nil {
		return fn()
	}
	g.write.Lock()
	defer g.write.Unlock()
	return fn()
}

// commit runs a batch in one transaction, each write in a savepoint.
func (g *Group) commit(ctx context.Context, batch []*groupWrite) {
	errs := make([]error, len(batch))
	err := g.Exclusive(func() error {
		tx, err := g.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for i, w := range batch {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT grouped`); err != nil {
				return err
			}
			if errs[i] = w.fn(ctx, tx); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO grouped`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE grouped`); err != nil {
				return err
			}
		}
		return tx.Commit()
	})
	for i, w := range batch {
		if err != nil {
			w.done <- fmt.Errorf("commit: %w", err)
			continue
		}
		w.done <- errs[i]
	}
}

// Write runs fn in g (see Group.Do), or, when g is nil, in a transaction of its own on db.
func Write(ctx context.Context, db *sql.DB, g *Group, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if g != nil {
		return g.Do(ctx, fn)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
