package sqliteledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// Only the log's key appends: another key is refused until a KeyRotation signed by the
// current key introduces it, and then the retired key is refused, in one append and in a
// batch alike (a data-folder command opened before the rotation cannot append after it).
func TestAppendOnlyByTheLogsKey(t *testing.T) {
	l := newTestLedger(t, filepath.Join(t.TempDir(), "evx.db"))
	signer := func() *custody.Ed25519Signer {
		_, priv, _ := ed25519.GenerateKey(nil)
		s, err := custody.NewEd25519Signer(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := signer(), signer()
	ctx := context.Background()
	i := 0
	event := func(s custody.Signer, bundle string, seq uint64, prev string) custody.Event {
		i++
		e := custody.Event{BundleID: bundle, Seq: seq, Prev: prev, Type: custody.FixityCheck,
			Time: time.Date(2026, 11, 27, 8, 0, i, 0, time.UTC), Actor: custody.Actor{Kind: "system", ID: "evx"}}
		if err := custody.Seal(ctx, s, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	appendBy := func(s custody.Signer) error {
		_, err := l.Append(ctx, event(s, fmt.Sprintf("b-%d", i+1), 1, ""))
		return err
	}
	var ke *custody.LogKeyError
	if err := appendBy(a); err != nil {
		t.Fatalf("first append: %v", err)
	}
	if err := appendBy(b); !errors.As(err, &ke) || ke.Want != a.KeyID() || ke.Got != b.KeyID() {
		t.Fatalf("append by another key = %v, want *custody.LogKeyError naming both", err)
	}
	k := &custody.Keeper{Ledger: l, Signer: a, Origin: "evx.example/custody", Now: func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) }}
	if _, err := k.RotateKey(ctx, b.Public(), custody.Actor{Kind: "system", ID: "key-rotate"}, ""); err != nil {
		t.Fatalf("rotation by the log's key: %v", err)
	}
	if err := appendBy(a); !errors.As(err, &ke) || ke.Want != b.KeyID() {
		t.Fatalf("append by the retired key = %v, want *custody.LogKeyError wanting the new key", err)
	}
	e1 := event(b, "batch", 1, "")
	e2 := event(a, "batch", 2, e1.Hash)
	if _, err := l.AppendAll(ctx, []custody.Event{e1, e2}); !errors.As(err, &ke) {
		t.Fatalf("a batch ending with the retired key = %v, want *custody.LogKeyError", err)
	}
	if es, _ := l.Events(ctx, "batch"); len(es) != 0 {
		t.Errorf("a refused batch left %d events", len(es))
	}
	if err := appendBy(b); err != nil {
		t.Fatalf("append by the new key: %v", err)
	}
}
