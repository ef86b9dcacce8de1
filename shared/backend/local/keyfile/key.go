// Package keyfile is the embedded signer: an Ed25519 key in a PEM file readable by its
// owner alone, created on first use. Its AWS mirror is kmssign.
package keyfile

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"

	"github.com/evx-project/evx/shared/backend/local/internal/privfile"
	"github.com/evx-project/evx/shared/custody"
)

// Signer is the embedded [custody.Signer]: an Ed25519 key kept in a PEM file (PKCS #8,
// "PRIVATE KEY") readable by its owner alone.
type Signer struct {
	priv  ed25519.PrivateKey
	keyID string
}

var _ custody.Signer = (*Signer)(nil)

// PermissionError: the signing key file is readable or writable by others than its owner;
// evx refuses to use it until its mode is 0600 (or stricter).
type PermissionError struct {
	Path string
	Mode fs.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("signing key %s has permissions %04o; it must be readable by its owner only: chmod 600 %s", e.Path, e.Mode.Perm(), e.Path)
}

// LoadOrCreate reads the signing key at path, or, on first run, creates it: a new
// Ed25519 key written with mode 0600 to a temporary file, synced and linked under its name,
// so that two processes starting together end up with one key. A key file that group or
// others can read or write is refused (chmod 600 it), as is one that holds anything but an
// Ed25519 private key.
func LoadOrCreate(path string) (*Signer, error) {
	s, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := createKey(path); err != nil {
		return nil, err
	}
	return loadKey(path)
}

func loadKey(path string) (*Signer, error) {
	data, err := privfile.Read(path, 16<<10)
	var me *privfile.ModeError
	switch {
	case errors.As(err, &me):
		return nil, &PermissionError{Path: path, Mode: me.Mode}
	case err != nil:
		return nil, fmt.Errorf("signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: want a PEM PRIVATE KEY block (PKCS #8)", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: a %T, want Ed25519", path, key)
	}
	id, err := custody.KeyIDOf(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return &Signer{priv: priv, keyID: id}, nil
}

func createKey(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	// Create never replaces: if another process created the key meanwhile, its key stands.
	if err := privfile.Create(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	return nil
}

// KeyID names the key; see [custody.KeyIDOf].
func (s *Signer) KeyID() string { return s.keyID }

// Public returns the ed25519.PublicKey.
func (s *Signer) Public() crypto.PublicKey { return s.priv.Public() }

// PublicKeyPEM returns the public key as PEM (PKIX), to hand to whoever verifies.
func (s *Signer) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(s.priv.Public())
	if err != nil {
		panic(err) // an Ed25519 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Sign signs message itself with Ed25519, as the Signer contract asks.
func (s *Signer) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ed25519.Sign(s.priv, message), nil
}
