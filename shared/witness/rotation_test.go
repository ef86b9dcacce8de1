package witness

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

func signerOf(t *testing.T, seed string) *custody.Ed25519Signer {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	sg, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(s[:]))
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// TestFollowsKeyRotation: after evx rotates its key, a witness shown the rotation (signed by
// the key it holds, in the checkpoint's log) follows the new key and keeps following it; a
// "rotation" signed by another key leads nowhere.
func TestFollowsKeyRotation(t *testing.T) {
	ctx := context.Background()
	k := keeper(t, "log")
	w := newWitness(t, k, "nl-om.example/witness")
	grow(t, k, "B1", 3, "")
	if _, err := w.Cosign(offer(t, k, 0)); err != nil {
		t.Fatal(err)
	}
	next := signerOf(t, "log, second key")
	if _, err := k.RotateKey(ctx, next.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "operator"}, "yearly"); err != nil {
		t.Fatal(err)
	}
	k.Signer = next
	grow(t, k, "B1", 2, "")

	o := offer(t, k, 3)
	if _, err := w.Cosign(o); err == nil {
		t.Fatal("Cosign of a checkpoint by the new key without the rotations: no error")
	}
	size, _ := k.Ledger.LogSize(ctx)
	rots, err := custody.RotationsAt(ctx, k.Ledger, size)
	if err != nil || len(rots) != 1 {
		t.Fatalf("RotationsAt = %d, %v", len(rots), err)
	}
	o.Rotations = rots
	res, err := w.Cosign(o)
	if err != nil || res.NewKeys != 1 || res.HeldSize != 3 {
		t.Fatalf("Cosign with the rotation = %+v, %v; want the new key followed", res, err)
	}
	// The next round needs no rotation: the witness keeps the key it learnt.
	grow(t, k, "B2", 1, "")
	if res, err := w.Cosign(offer(t, k, size)); err != nil || res.NewKeys != 0 {
		t.Fatalf("Cosign after the rotation = %+v, %v", res, err)
	}
	if n, ok, err := w.HeldSize(origin); err != nil || !ok || n != size+1 {
		t.Fatalf("HeldSize = %d %v %v, want %d", n, ok, err, size+1)
	}

	// Another log whose "rotation" is signed by a key the witness never held.
	k2 := keeper(t, "log")
	w2 := newWitness(t, k2, "es-fge.example/witness")
	grow(t, k2, "B1", 3, "")
	if _, err := w2.Cosign(offer(t, k2, 0)); err != nil {
		t.Fatal(err)
	}
	k2.Signer = signerOf(t, "thief")
	if _, err := k2.RotateKey(ctx, next.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "thief"}, ""); err != nil {
		t.Fatal(err)
	}
	k2.Signer = next
	grow(t, k2, "B1", 1, "")
	o2 := offer(t, k2, 3)
	size2, _ := k2.Ledger.LogSize(ctx)
	o2.Rotations, _ = custody.RotationsAt(ctx, k2.Ledger, size2)
	var ce *custody.CheckpointError
	if _, err := w2.Cosign(o2); !errors.As(err, &ce) {
		t.Fatalf("Cosign after a rotation signed by another key = %v, want *custody.CheckpointError", err)
	}
}
