package sqliteindex

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/evx-project/evx/shared/backend/local/internal/privfile"
	"github.com/evx-project/evx/shared/identify"
)

// SecretFile is the index secret's name in the data folder, beside signing.key.
const SecretFile = "index.secret"

// SecretPermissionError: the secret file is readable or writable by others than its owner.
type SecretPermissionError struct {
	Path string
	Mode fs.FileMode
}

func (e *SecretPermissionError) Error() string {
	return fmt.Sprintf("index secret %s has permissions %04o; it must be readable by its owner only: chmod 600 %s", e.Path, e.Mode.Perm(), e.Path)
}

// LoadOrCreateSecret reads the index secret at path (64 hex digits and a newline), or on
// first run creates it (32 random bytes) with mode 0600, as the signing key is kept: written
// to a temporary file, synced, linked under its name so that two processes starting together
// end up with one secret. A file others may read is refused (*SecretPermissionError). Losing
// the secret orphans the index (every keyed hash changes): back it up with the signing key.
func LoadOrCreateSecret(path string) ([]byte, error) {
	s, err := loadSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := createSecret(path); err != nil {
		return nil, err
	}
	return loadSecret(path)
}

func loadSecret(path string) ([]byte, error) {
	data, err := privfile.Read(path, 1024)
	var me *privfile.ModeError
	switch {
	case errors.As(err, &me):
		return nil, &SecretPermissionError{Path: path, Mode: me.Mode}
	case err != nil:
		return nil, fmt.Errorf("index secret: %w", err)
	}
	s, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(s) < identify.MinSecret {
		return nil, fmt.Errorf("index secret %s: want at least %d bytes as hex digits", path, identify.MinSecret)
	}
	return s, nil
}

func createSecret(path string) error {
	s := make([]byte, 32)
	if _, err := rand.Read(s); err != nil {
		return fmt.Errorf("index secret: %w", err)
	}
	if err := privfile.Create(path, []byte(hex.EncodeToString(s)+"\n")); err != nil {
		return fmt.Errorf("index secret: %w", err)
	}
	return nil
}
