package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestGroup: concurrent writes through a Group are all committed, except those that fail,
// which are rolled back alone and get their own error.
func TestGroup(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	g := NewGroup(db)
	errOdd := errors.New("odd")
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = g.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, i, fmt.Sprint(i)); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd // after its insert: the insert must be rolled back
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if want := error(nil); i%2 == 1 {
			if !errors.Is(err, errOdd) {
				t.Errorf("Do #%d = %v, want %v", i, err, errOdd)
			}
		} else if err != want {
			t.Errorf("Do #%d = %v, want nil", i, err)
		}
	}
	var count, odd int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN k % 2 = 1 THEN 1 END) FROM t`).Scan(&count, &odd); err != nil {
		t.Fatal(err)
	}
	if count != n/2 || odd != 0 {
		t.Errorf("rows = %d (%d odd), want %d (0 odd)", count, odd, n/2)
	}
	// A constraint failure is one write's too.
	err := g.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (0, 'again')`)
		return err
	})
	if err == nil {
		t.Error("Do(duplicate key) = nil, want an error")
	}
	if err := Write(ctx, db, nil, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (1000, 'alone')`)
		return err
	}); err != nil {
		t.Errorf("Write without a group = %v", err)
	}
}
