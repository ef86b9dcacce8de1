package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DefaultDataDir is the data folder used when neither a flag nor EVX_DATA names one.
const DefaultDataDir = ".evx"

// DefaultMaxReceives is how often [OpenData]'s queue hands a message out before moving it
// to the dead-letter queue.
const DefaultMaxReceives = 5

// DataDir resolves the data folder: flag if not empty, else $EVX_DATA, else ./.evx.
func DataDir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("EVX_DATA"); env != "" {
		return env
	}
	return DefaultDataDir
}

// Data is an opened data folder and the embedded backends in it:
//
//	<dir>/blobs/        documents, by SHA-256 ([Blobs])
//	<dir>/evx.db        SQLite: the queues ([Queue]) and the custody ledger, WAL
//	<dir>/signing.key   the Ed25519 signing key, mode 0600 ([KeySigner])
//
// The custody ledger is built by its own constructor over DB.
type Data struct {
	Dir    string
	Blobs  *Blobs
	DB     *sql.DB
	Queue  *Queue
	Signer *KeySigner
}

// OpenData opens the data folder dir, creating it (0700) and what is missing in it on first
// run, and clears temporary files a crash left among the blobs. The caller closes it.
func OpenData(ctx context.Context, dir string) (*Data, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	d := &Data{Dir: dir}
	var err error
	if d.Blobs, err = NewBlobs(filepath.Join(dir, "blobs")); err != nil {
		return nil, err
	}
	if _, err := d.Blobs.RemoveTemp(); err != nil {
		return nil, err
	}
	if d.Signer, err = LoadOrCreateKey(filepath.Join(dir, "signing.key")); err != nil {
		return nil, err
	}
	if d.DB, err = OpenSQLite(ctx, filepath.Join(dir, "evx.db")); err != nil {
		return nil, err
	}
	q, err := NewQueue(ctx, d.DB, nil)
	if err != nil {
		d.DB.Close()
		return nil, err
	}
	d.Queue = q.WithDeadLetter(DefaultMaxReceives)
	return d, nil
}

// Close closes the database.
func (d *Data) Close() error {
	if d.DB == nil {
		return errors.New("data folder: not open")
	}
	return d.DB.Close()
}
