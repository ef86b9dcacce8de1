package custody

import (
	"context"
	"crypto"
	"strings"
	"testing"
)

// TestFollowRotations: a witness holding evx's first key follows the log's rotation to the
// key that signs the checkpoint; one holding the current key needs no rotation; a checkpoint
// signed by a key the chain does not reach, a rotation missing, or a trusted key that is not
// a key, is refused. RotationsAt gives the rotations below a size, each with its proof.
func TestFollowRotations(t *testing.T) {
	ctx := context.Background()
	k, a, b := rotatedLog(t)
	size, err := k.Ledger.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := k.CheckpointAt(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	rots, err := RotationsAt(ctx, k.Ledger, size)
	if err != nil || len(rots) != 1 || len(rots[0].Proof) == 0 {
		t.Fatalf("RotationsAt(%d) = %+v, %v; want the one rotation with its proof", size, rots, err)
	}
	if early, err := RotationsAt(ctx, k.Ledger, rots[0].Leaf); err != nil || len(early) != 0 {
		t.Errorf("RotationsAt(the rotation's own leaf) = %+v, %v; want none: it is not below that size", early, err)
	}
	if at, err := RotationsAt(ctx, k.Ledger, rots[0].Leaf+1); err != nil || len(at) != 1 {
		t.Errorf("RotationsAt(one past the rotation) = %d, %v; want it", len(at), err)
	}
	c, _, after, err := FollowRotations(cp, a.Public(), rots)
	if err != nil || c.Size != size || len(after) != 1 || keyID(t, after[0]) != b.KeyID() {
		t.Fatalf("FollowRotations(first key) = %v, %d keys after, %v; want size %d and the new key", c, len(after), err, size)
	}
	if c, _, after, err := FollowRotations(cp, b.Public(), rots); err != nil || c.Size != size || len(after) != 0 {
		t.Errorf("FollowRotations(current key) = %v, %d keys after, %v; want no key after", c, len(after), err)
	}
	if _, _, _, err := FollowRotations(cp, a.Public(), nil); err == nil {
		t.Error("FollowRotations(first key, no rotation) = nil error, want the checkpoint refused")
	}
	stranger := newTestSigner(t)
	if _, _, _, err := FollowRotations(cp, stranger.Public(), rots); err == nil {
		t.Error("FollowRotations(a key the log never had) = nil error")
	}
	if _, _, _, err := FollowRotations(cp, "not a key", rots); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("FollowRotations(not a key) = %v, want refused", err)
	}
	bad := append([]TrailEvent(nil), rots...)
	bad[0].Proof = append([]string(nil), bad[0].Proof...)
	bad[0].Proof[0] = flipHex(bad[0].Proof[0])
	if _, _, _, err := FollowRotations(cp, a.Public(), bad); err == nil {
		t.Error("FollowRotations(rotation with a broken inclusion proof) = nil error")
	}
}

func keyID(t *testing.T, k crypto.PublicKey) string {
	t.Helper()
	id, err := KeyIDOf(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
