package local

import (
	"context"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/backend/local/keyfile"
	"github.com/evx-project/evx/shared/custody"
)

const testDirectory = "../../../infra/counterparts.yaml"

func record(t *testing.T, n *Node, bundle string) {
	t.Helper()
	k := &custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: DefaultOrigin}
	if _, err := k.Record(context.Background(), bundle, custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "test"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
}

// RotateKey replaces the signing key through a statement the old key signs; the data folder
// opens with the new key, and a trail spanning the rotation verifies with the old key.
func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opt := NodeOptions{Directory: testDirectory}
	n, err := OpenNode(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	record(t, n, "B1")
	oldPub, oldID := n.Signer.Public(), n.Signer.KeyID()
	n.Close()

	rot, err := RotateKey(ctx, dir, opt, "yearly")
	if err != nil {
		t.Fatalf("RotateKey: %v", err)
	}
	if rot.Retired != oldID || rot.Introduced == oldID || rot.Event.Event.BundleID != custody.KeyLogSubject {
		t.Fatalf("rotation %+v: want %s retired for a new key, on %s", rot, oldID, custody.KeyLogSubject)
	}
	if _, err := os.Stat(filepath.Join(dir, NextKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left behind: %v", NextKeyFile, err)
	}
	n, err = OpenNode(ctx, dir, opt)
	if err != nil {
		t.Fatalf("open after rotation: %v", err)
	}
	defer n.Close()
	if n.Signer.KeyID() != rot.Introduced {
		t.Fatalf("signing key after rotation %s, want %s", n.Signer.KeyID(), rot.Introduced)
	}
	record(t, n, "B1")
	tr, err := custody.Export(ctx, n.Ledger, n.Signer, DefaultOrigin, "B1", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.Verify(tr, oldPub, custody.VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify(trail across the rotation, old key) = %v", err)
	}
	if rep.Rotation == nil || len(rep.Rotation.Keys) != 2 || rep.Rotation.Keys[0].Events != 1 || rep.Rotation.Keys[1].Events != 1 {
		t.Errorf("report rotation = %+v, want one event by each key", rep.Rotation)
	}
	// The trail served again at the log size before the rotation (a report's, a delivery's)
	// carries the rotation as a later one and verifies with either key.
	early, err := custody.Export(ctx, n.Ledger, n.Signer, DefaultOrigin, "B1", custody.ExportOptions{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(early.Events) != 1 || early.LaterRotations == nil || len(early.LaterRotations.Rotations) != 1 {
		t.Fatalf("export at size 1: %d events, later rotations %+v; want 1 event and the rotation", len(early.Events), early.LaterRotations)
	}
	for _, pub := range []crypto.PublicKey{oldPub, n.Signer.Public()} {
		if _, err := custody.Verify(early, pub, custody.VerifyOptions{}); err != nil {
			t.Errorf("Verify(trail at size 1 after the rotation) = %v", err)
		}
	}
}

// A rotation interrupted after its statement was recorded, before the new key took
// signing.key's place, is finished when the data folder is opened next; the old key file
// alone is still refused once the statement names another key.
func TestRotateKeyInterrupted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opt := NodeOptions{Directory: testDirectory}
	n, err := OpenNode(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	record(t, n, "B1")
	next, err := keyfile.LoadOrCreate(filepath.Join(dir, NextKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	k := &custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: DefaultOrigin}
	if _, err := k.RotateKey(ctx, next.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "key-rotate"}, ""); err != nil {
		t.Fatal(err)
	}
	n.Close()
	n, err = OpenNode(ctx, dir, opt)
	if err != nil {
		t.Fatalf("open after an interrupted rotation: %v", err)
	}
	if n.Signer.KeyID() != next.KeyID() {
		t.Errorf("signing key %s, want the rotation's new key %s", n.Signer.KeyID(), next.KeyID())
	}
	n.Close()
	// The retired key put back: refused, naming the key the rotation introduced.
	b, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	n2dir := t.TempDir()
	n2, err := OpenNode(ctx, n2dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	n2.Close()
	other, _ := os.ReadFile(filepath.Join(n2dir, KeyFile))
	os.WriteFile(filepath.Join(dir, KeyFile), other, 0o600)
	var km *KeyMismatchError
	if _, err := OpenNode(ctx, dir, opt); !errors.As(err, &km) || km.Ledger != next.KeyID() {
		t.Fatalf("open with a stranger's key = %v, want *KeyMismatchError naming %s", err, next.KeyID())
	}
	os.WriteFile(filepath.Join(dir, KeyFile), b, 0o600)
}

// RotateKey refuses while another process holds the data folder (evx serve).
func TestRotateKeyWhileServing(t *testing.T) {
	dir := t.TempDir()
	lock, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	var inUse *InUseError
	if _, err := RotateKey(context.Background(), dir, NodeOptions{Directory: testDirectory}, ""); !errors.As(err, &inUse) {
		t.Fatalf("RotateKey while locked = %v, want *InUseError", err)
	}
}
