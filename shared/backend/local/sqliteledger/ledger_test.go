package sqliteledger

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

func newTestLedger(t *testing.T, path string) *Ledger {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLedgerConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) custody.Ledger {
		return newTestLedger(t, filepath.Join(t.TempDir(), "evx.db"))
	})
}

// TestLedgerReopen checks that a second ledger on the same file (another process, or a restart)
// sees the same events and log, and continues the log where the first left it.
func TestLedgerReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "evx.db")
	k := &custody.Keeper{Ledger: newTestLedger(t, path), Signer: ledgertest.Signer(), Origin: "evx.test/custody"}
	for i := 0; i < 5; i++ {
		if _, err := k.Record(ctx, "b", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{}); err != nil {
			t.Fatal(err)
		}
	}
	older, err := k.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second ledger value on the same database: its cache is cold, the first one's stale.
	k2 := &custody.Keeper{Ledger: newTestLedger(t, path), Signer: k.Signer, Origin: k.Origin}
	for i := 0; i < 3; i++ {
		if _, err := k2.Record(ctx, "b", custody.ConsignmentAcceptance, custody.Actor{Kind: custody.ActorCounterpart, ID: "BE-FPS"}, custody.Details{}); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Record(ctx, "c", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := k.Export(ctx, "b", custody.ExportOptions{ConsistencyFrom: 5})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.Verify(tr, k.Signer.Public(), custody.VerifyOptions{Older: older})
	if err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	if rep.Events != 8 || rep.LogSize != 11 {
		t.Errorf("Verify report = %+v, want 8 events in a log of 11", rep)
	}
}

// TestLedgerAppendIsAtomic makes the log-node insert of an append fail (a node row already
// there, as corruption would leave it) and checks that the event was not written either.
func TestLedgerAppendIsAtomic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "evx.db")
	l := newTestLedger(t, path)
	k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.test/custody"}
	actor := custody.Actor{Kind: custody.ActorSystem, ID: "t"}
	if _, err := k.Record(ctx, "b", custody.Hashed, actor, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	// The second leaf (level 0, index 1) will collide.
	if _, err := l.db.ExecContext(ctx, `INSERT INTO custody_log_nodes (level, idx, hash) VALUES (0, 1, x'00')`); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Record(ctx, "b", custody.Stored, actor, custody.Details{}); err == nil {
		t.Fatal("Record succeeded although its log node could not be written")
	}
	evs, err := l.Events(ctx, "b")
	if err != nil || len(evs) != 1 {
		t.Errorf("Events = %d, %v after a failed append, want 1 (the event must not outlive its leaf)", len(evs), err)
	}
	if n, _ := l.LogSize(ctx); n != 1 {
		t.Errorf("LogSize = %d after a failed append, want 1", n)
	}
	// Once repaired, the ledger goes on from where it was.
	if _, err := l.db.ExecContext(ctx, `DELETE FROM custody_log_nodes WHERE level = 0 AND idx = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Record(ctx, "b", custody.Stored, actor, custody.Details{}); err != nil {
		t.Fatalf("Record after repair: %v", err)
	}
	tr, err := k.Export(ctx, "b", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, k.Signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("Verify after repair = %v, want nil", err)
	}
}

// TestLedgerCancelledCaller: a caller whose context ends while its append is queued gets the
// context's error; the ledger stays consistent.
func TestLedgerCancelledCaller(t *testing.T) {
	l := newTestLedger(t, filepath.Join(t.TempDir(), "evx.db"))
	k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.test/custody"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Record(ctx, "b", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{}); err == nil {
		t.Errorf("Record with a cancelled context succeeded")
	}
	bg := context.Background()
	n, _ := l.LogSize(bg)
	evs, _ := l.Events(bg, "b")
	if uint64(len(evs)) != n {
		t.Errorf("after a cancelled append: %d events, log size %d, want equal", len(evs), n)
	}
}

// TestLedgerTwoHandles appends concurrently through two database handles on one file, as two
// processes would: no append is lost, no sequence is written twice, every trail verifies.
func TestLedgerTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "evx.db")
	signer := ledgertest.Signer()
	keepers := []*custody.Keeper{
		{Ledger: newTestLedger(t, path), Signer: signer, Origin: "evx.test/custody", Retries: 1000},
		{Ledger: newTestLedger(t, path), Signer: signer, Origin: "evx.test/custody", Retries: 1000},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for h, k := range keepers {
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 8; i++ {
					bundle := fmt.Sprint("shared-", i%2) // both handles write these
					if w == 0 {
						bundle = fmt.Sprint("own-", h)
					}
					if _, err := k.Record(ctx, bundle, custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: fmt.Sprint(h, "/", w)}, custody.Details{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Record: %v", err)
	}
	n, _ := keepers[0].Ledger.LogSize(ctx)
	if n != 2*3*8 {
		t.Errorf("LogSize = %d, want %d", n, 2*3*8)
	}
	for _, b := range []string{"shared-0", "shared-1", "own-0", "own-1"} {
		tr, err := keepers[1].Export(ctx, b, custody.ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := custody.Verify(tr, signer.Public(), custody.VerifyOptions{}); err != nil {
			t.Errorf("Verify(%s) = %v", b, err)
		}
	}
}
