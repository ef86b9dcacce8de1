package sqliteindex

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/indextest"
)

func openIndex(t testing.TB) *Index {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "evx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) pipeline.IdentifierIndex { return openIndex(t) })
}

// TestIndex checks what the SQLite index adds to the conformance suite: its counts.
func TestIndex(t *testing.T) {
	ctx := context.Background()
	x := openIndex(t)
	secret := make([]byte, 32)
	k1 := identify.Key(secret, identify.Container, "CSQU3054383")
	k2 := identify.Key(secret, identify.IBAN, "NL91ABNA0417164300")
	if err := x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: "a", Agency: "nl-politie", Matching: true},
		[]pipeline.IndexEntry{{Key: k1, Type: identify.Container}, {Key: k2, Type: identify.IBAN}}); err != nil {
		t.Fatal(err)
	}
	if err := x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: "b", Agency: "nl-politie"}, []pipeline.IndexEntry{{Key: k1, Type: identify.Container}}); err != nil {
		t.Fatal(err)
	}
	if e, n, err := x.Count(ctx); err != nil || e != 3 || n != 2 {
		t.Errorf("Count = %d entries, %d bundles, %v; want 3, 2", e, n, err)
	}
	if ts, err := x.Types(ctx); err != nil || ts[identify.Container] != 2 || ts[identify.IBAN] != 1 {
		t.Errorf("Types = %v, %v", ts, err)
	}
}

func TestSecret(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data", SecretFile)
	s1, err := LoadOrCreateSecret(p)
	if err != nil || len(s1) != 32 {
		t.Fatalf("LoadOrCreateSecret(new) = %d bytes, %v", len(s1), err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret mode %04o, want 0600", fi.Mode().Perm())
	}
	s2, err := LoadOrCreateSecret(p)
	if err != nil || string(s1) != string(s2) {
		t.Fatalf("LoadOrCreateSecret(existing) = %x, %v; want %x", s2, err, s1)
	}
	os.Chmod(p, 0o640)
	var pe *SecretPermissionError
	if _, err := LoadOrCreateSecret(p); !errors.As(err, &pe) {
		t.Errorf("LoadOrCreateSecret(mode 0640) = %v, want *SecretPermissionError", err)
	}
	os.Chmod(p, 0o600)
	os.WriteFile(p, []byte("abcd\n"), 0o600)
	if _, err := LoadOrCreateSecret(p); err == nil {
		t.Error("LoadOrCreateSecret(short) = nil, want an error")
	}
}
