package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/backend/local/keyfile"
)

func TestKeyCreatedPrivateAndReused(t *testing.T) {
	p := filepath.Join(t.TempDir(), KeyFile)
	s1, err := keyfile.LoadOrCreate(p)
	if err != nil {
		t.Fatalf("keyfile.LoadOrCreate(new) = %v", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode %04o, want 0600", got)
	}
	s2, err := keyfile.LoadOrCreate(p)
	if err != nil {
		t.Fatalf("keyfile.LoadOrCreate(existing) = %v", err)
	}
	if s1.KeyID() != s2.KeyID() {
		t.Errorf("reloaded key id %s, want %s", s2.KeyID(), s1.KeyID())
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		var pe *keyfile.PermissionError
		if _, err := keyfile.LoadOrCreate(p); !errors.As(err, &pe) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("keyfile.LoadOrCreate(mode %04o) = %v, want *keyfile.PermissionError telling how to fix it", mode, err)
		}
	}
	os.Chmod(p, 0o400)
	if _, err := keyfile.LoadOrCreate(p); err != nil {
		t.Errorf("keyfile.LoadOrCreate(mode 0400) = %v, want nil", err)
	}
	os.Chmod(p, 0o600)
	os.WriteFile(p, []byte("not a key"), 0o600)
	if _, err := keyfile.LoadOrCreate(p); err == nil {
		t.Error("keyfile.LoadOrCreate(garbage) = nil, want an error")
	}
}

func TestOpenNodeRefusesWideKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opt := NodeOptions{Directory: filepath.Join("..", "..", "..", "infra", "counterparts.yaml")}
	n, err := OpenNode(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	kid := n.Signer.KeyID()
	n.Close()
	n, err = OpenNode(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if n.Signer.KeyID() != kid {
		t.Errorf("second open key id %s, want %s", n.Signer.KeyID(), kid)
	}
	n.Close()
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	if _, err := OpenNode(ctx, dir, opt); !errors.As(err, new(*keyfile.PermissionError)) {
		t.Errorf("OpenNode with a 0644 key = %v, want *keyfile.PermissionError", err)
	}
	if _, err := OpenNode(ctx, t.TempDir(), NodeOptions{}); err == nil {
		t.Error("OpenNode without a directory = nil, want an error")
	}
}

func TestDataDir(t *testing.T) {
	t.Setenv(DataDirEnv, "")
	for _, tc := range []struct{ flag, env, want string }{
		{"", "", ".evx"}, {"", "/srv/evx", "/srv/evx"}, {"x", "/srv/evx", "x"},
	} {
		t.Setenv(DataDirEnv, tc.env)
		if got := DataDir(tc.flag); got != tc.want {
			t.Errorf("DataDir(%q) with EVX_DATA=%q = %q, want %q", tc.flag, tc.env, got, tc.want)
		}
	}
}
