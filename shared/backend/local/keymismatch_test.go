package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// A data folder whose ledger holds events refuses to open when signing.key is missing (it is
// not silently replaced) or is another key; an empty ledger still gets its key created.
func TestOpenNodeKeyMustMatchLedger(t *testing.T) {
	dir := t.TempDir()
	open := func() (*Node, error) {
		return OpenNode(context.Background(), dir, NodeOptions{Directory: "../../../infra/counterparts.yaml"})
	}
	n, err := open()
	if err != nil {
		t.Fatal(err)
	}
	k := &custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: DefaultOrigin}
	if _, err := k.Record(context.Background(), "B1", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "test"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	kid := n.Signer.KeyID()
	n.Close()
	keyPath := filepath.Join(dir, KeyFile)
	saved, _ := os.ReadFile(keyPath)

	os.Remove(keyPath)
	var km *KeyMismatchError
	if _, err := open(); !errors.As(err, &km) || km.Ledger != kid || km.Key != "" {
		t.Fatalf("open with signing.key deleted = %v, want *KeyMismatchError naming the ledger's key %s", err, kid)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Error("a new signing.key was created for a ledger signed by another")
	}

	other := t.TempDir() // a key made elsewhere put in its place
	n2, err := OpenNode(context.Background(), other, NodeOptions{Directory: "../../../infra/counterparts.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	n2.Close()
	b, _ := os.ReadFile(filepath.Join(other, KeyFile))
	os.WriteFile(keyPath, b, 0o600)
	if _, err := open(); !errors.As(err, &km) || km.Key == "" || km.Key == kid {
		t.Fatalf("open with another key = %v, want *KeyMismatchError naming both keys", err)
	}

	os.WriteFile(keyPath, saved, 0o600)
	n, err = open()
	if err != nil {
		t.Fatalf("open with the right key restored: %v", err)
	}
	n.Close()
}
