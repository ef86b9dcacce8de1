package local

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/evx-project/evx/shared/custody"
)

// KeyPermissionError: the signing key file is readable or writable by others than its owner;
// evx refuses to use it until its mode is 0600 (or stricter).
type KeyPermissionError struct {
	Path string
	Mode fs.FileMode
}

func (e *KeyPermissionError) Error() string {
	return fmt.Sprintf("signing key %s has permissions %04o; it must be readable by its owner only: chmod 600 %s", e.Path, e.Mode.Perm(), e.Path)
}

// LoadOrCreateKey returns the Ed25519 signer whose private key is kept at path as a PEM
// "PRIVATE KEY" (PKCS #8), creating the key with mode 0600 if the file does not exist. A key
// file whose permissions allow anyone but its owner is a *KeyPermissionError; created
// reports whether the key was made now.
func LoadOrCreateKey(path string) (s *custody.Ed25519Signer, created bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			f.Close()
			os.Remove(path)
			return nil, false, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err == nil {
			err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, false, fmt.Errorf("create signing key %s: %w", path, err)
		}
		s, err := custody.NewEd25519Signer(priv)
		return s, true, err
	case !errors.Is(err, fs.ErrExist):
		return nil, false, fmt.Errorf("signing key %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("signing key %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("signing key %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, false, &KeyPermissionError{Path: path, Mode: fi.Mode()}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("signing key %s: %w", path, err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, false, fmt.Errorf("signing key %s: not a PEM PRIVATE KEY", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, false, fmt.Errorf("signing key %s: %T, want an Ed25519 key", path, k)
	}
	s, err = custody.NewEd25519Signer(priv)
	return s, false, err
}
