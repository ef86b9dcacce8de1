package witness

import (
	"context"
	"errors"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// FuzzCosign: whatever a server offers, Cosign never panics, and cosigns only a checkpoint
// signed by the log's key that extends the one held.
func FuzzCosign(f *testing.F) {
	k := keeper(f, "log")
	ctx := context.Background()
	for range 3 {
		if _, err := k.Record(ctx, "B", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, custody.Details{}); err != nil {
			f.Fatal(err)
		}
	}
	cp3, _ := k.Checkpoint(ctx)
	f.Add(cp3, uint64(0), []byte{})
	f.Add([]byte("evx.test/custody\n5\nAAAA\n\n\u2014 evx.test/custody AAAAAAAA\n"), uint64(3), make([]byte, 64))
	skey, _, err := GenerateKey("fuzz.example/w")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cp []byte, from uint64, proofBytes []byte) {
		w, err := New(skey, t.TempDir(), k.Signer.Public())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Cosign(Offer{Checkpoint: cp3}); err != nil {
			t.Fatal(err)
		}
		var proof [][]byte
		for len(proofBytes) >= 32 && len(proof) < 70 {
			proof, proofBytes = append(proof, proofBytes[:32]), proofBytes[32:]
		}
		res, err := w.Cosign(Offer{Checkpoint: cp, FromSize: from, Proof: proof})
		if err != nil {
			var ce *custody.CheckpointError
			var fe *ForkError
			var re *RollbackError
			if !errors.As(err, &ce) && !errors.As(err, &fe) && !errors.As(err, &re) && !errors.Is(err, ErrStaleProof) {
				t.Fatalf("Cosign: untyped error %T: %v", err, err)
			}
			return
		}
		if _, err := custody.OpenCheckpoint(cp, k.Signer.Public()); err != nil || res.Size < 3 {
			t.Fatalf("Cosign accepted %q (size %d): %v", cp, res.Size, err)
		}
	})
}
