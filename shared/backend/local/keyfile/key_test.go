package keyfile

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

func TestKeyCreateAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "signing.key")
	s, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}
	msg := []byte("checkpoint\n42\n")
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := custody.VerifySignature(s.Public(), msg, sig); err != nil {
		t.Errorf("VerifySignature = %v", err)
	}
	again, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.KeyID() != s.KeyID() || !strings.HasPrefix(s.KeyID(), "sha256:") {
		t.Errorf("reloaded key id %s, want %s", again.KeyID(), s.KeyID())
	}
	block, _ := pem.Decode(s.PublicKeyPEM())
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := custody.KeyIDOf(pub); id != s.KeyID() {
		t.Errorf("PublicKeyPEM has key id %s, want %s", id, s.KeyID())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".tmp-*")); len(left) != 0 {
		t.Errorf("left behind %v", left)
	}
}

func TestKeyConcurrentFirstRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := LoadOrCreate(path)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = s.KeyID()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent first runs made different keys: %v", ids)
		}
	}
}

func TestKeyRefuses(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(p256)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tests := []struct {
		name string
		data []byte
		mode os.FileMode
		want string
	}{
		{"world-readable", nil, 0o644, "chmod 600"},
		{"group-writable", nil, 0o620, "chmod 600"},
		{"garbage", []byte("not a key"), 0o600, "want a PEM PRIVATE KEY"},
		{"empty", []byte{}, 0o600, "want a PEM PRIVATE KEY"},
		{"public-key", []byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAOrnaIH4mUcEAVJWWOZiHJNSL0lgppOsSKJD16oLhTaA=\n-----END PUBLIC KEY-----\n"), 0o600, "want a PEM PRIVATE KEY"},
		{"ecdsa", ecPEM, 0o600, "want Ed25519"},
		{"bad-der", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600, "signing key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "signing.key")
			if _, err := LoadOrCreate(path); err != nil { // a good key first
				t.Fatal(err)
			}
			if tc.data != nil {
				if err := os.WriteFile(path, tc.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreate(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadOrCreate(%s) = %v, want an error containing %q", tc.name, err, tc.want)
			}
			// A refused key is never silently replaced by a new one.
			if tc.data != nil {
				if got, _ := os.ReadFile(path); string(got) != string(tc.data) {
					t.Errorf("the refused key file was rewritten")
				}
			}
		})
	}
	if _, err := LoadOrCreate(t.TempDir()); err == nil {
		t.Errorf("LoadOrCreate(a folder) = nil, want an error")
	}
}
