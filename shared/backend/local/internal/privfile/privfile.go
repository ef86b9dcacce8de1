// Package privfile keeps the data folder's secrets (the signing key, the index secret):
// files readable by their owner alone, created once and never replaced.
package privfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/backend/local/internal/fsync"
)

// ErrTooOpen is returned (wrapped in a *ModeError) for a file that group or others may read
// or write.
var ErrTooOpen = errors.New("readable or writable by others than its owner")

// ModeError says which file is too open, and how.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("%s has permissions %04o: %v", e.Path, e.Mode.Perm(), ErrTooOpen)
}

func (e *ModeError) Unwrap() error { return ErrTooOpen }

// Read returns at most max bytes of the regular file at path, refusing one that group or
// others may read or write (*ModeError). A missing file is an error wrapping fs.ErrNotExist.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, &ModeError{Path: path, Mode: fi.Mode()}
	}
	data, err := io.ReadAll(io.LimitReader(f, max))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// Create writes data to path with mode 0600, once: to a temporary file in the same folder
// (created 0700 if missing), synced, then linked under its name, which never replaces a
// file already there; so two processes starting together end up with one file, the first's.
func Create(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return fsync.Dir(dir)
}
