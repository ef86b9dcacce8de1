package awsenv

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// A new signing key named in the configuration is introduced once, by a statement the
// retired key signs; a trail spanning it verifies with the retired key.
func TestRecordRotation(t *testing.T) {
	signer := func() *custody.Ed25519Signer {
		_, priv, _ := ed25519.GenerateKey(nil)
		s, err := custody.NewEd25519Signer(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old, cur := signer(), signer()
	ctx := context.Background()
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	l := custody.NewMemLedger()
	k := &custody.Keeper{Ledger: l, Signer: old, Origin: DefaultOrigin, Now: now}
	if _, err := k.Record(ctx, "B", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} { // the second cold start finds the statement
		got, err := RecordRotation(ctx, l, old, cur, DefaultOrigin, now)
		if err != nil || got != want {
			t.Fatalf("RecordRotation #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	if es, _ := l.Events(ctx, custody.KeyLogSubject); len(es) != 1 || es[0].Event.KeyID != old.KeyID() || es[0].Event.Details.Reference != cur.KeyID() {
		t.Fatalf("key log %+v: want one rotation from the old key to the new", es)
	}
	k.Signer = cur
	if _, err := k.Record(ctx, "B", custody.FixityCheck, custody.Actor{Kind: custody.ActorSystem, ID: "audit"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "B", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, old.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("Verify(trail across the configured rotation, retired key) = %v", err)
	}
	if _, err := RecordRotation(ctx, l, cur, cur, DefaultOrigin, now); err != nil {
		t.Errorf("RecordRotation when the rotation is recorded: %v", err)
	}
	other := signer()
	if _, err := RecordRotation(ctx, l, other, other, DefaultOrigin, now); err == nil {
		t.Error("RecordRotation with the retired key equal to the current one: no error")
	}
}
