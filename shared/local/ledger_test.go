package local

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

func newTestLedger(t *testing.T, path string) *Ledger {
	t.Helper()
	ctx := context.Background()
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := NewLedger(ctx, db)
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
