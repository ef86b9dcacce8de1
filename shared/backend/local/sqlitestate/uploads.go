// Package sqlitestate keeps the embedded uploads and deliveries: the bags as received,
// spooled to files named by their SHA-256, and the uploads and deliveries tables in SQLite.
// Its AWS mirrors are dynamostate (the tables) and s3bags (the bags).
package sqlitestate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/evx-project/evx/shared/backend/local/internal/fsync"
	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

// Uploads keeps uploaded bags awaiting ingest: each bag a file under a folder, named by the
// SHA-256 of its bytes (which is its bundle id), and the uploads table in the shared SQLite
// database. It implements pipeline.Uploads and pipeline.Bags.
type Uploads struct {
	db  *sql.DB
	dir string
	// MaxSize bounds the bytes Spool accepts; 0 means no bound.
	MaxSize int64
	// Group, when set, commits the writes together with those of other callers (group
	// commit; sqlitedb.Group); nil: each write commits alone.
	Group *sqlitedb.Group
}

const uploadsSchema = `
CREATE TABLE IF NOT EXISTS uploads (
	bundle      TEXT    PRIMARY KEY,
	uploader    TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	state       TEXT    NOT NULL,
	received_at INTEGER NOT NULL
) WITHOUT ROWID;
`

// NewUploads creates the uploads table in db if needed and keeps bag files under dir
// (created 0700).
func NewUploads(ctx context.Context, db *sql.DB, dir string) (*Uploads, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("uploads folder: %w", err)
	}
	if _, err := db.ExecContext(ctx, uploadsSchema); err != nil {
		return nil, fmt.Errorf("create uploads table: %w", err)
	}
	return &Uploads{db: db, dir: dir}, nil
}

// UploadTooLargeError: an upload longer than Uploads.MaxSize; nothing was kept.
type UploadTooLargeError struct{ Max int64 }

func (e *UploadTooLargeError) Error() string {
	return fmt.Sprintf("upload is larger than %d bytes", e.Max)
}

// Spool streams r to a temporary file in the uploads folder while hashing it, syncs it and
// renames it to its SHA-256, which it returns as the bundle id with the size. The same bytes
// spooled twice give the same id and one file. Nothing is held in memory; on any error nothing
// is left behind.
func (u *Uploads) Spool(ctx context.Context, r io.Reader) (bundleID string, size int64, err error) {
	tmp, err := os.CreateTemp(u.dir, ".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("spool upload: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	src := io.Reader(&ctxReader{ctx: ctx, r: r})
	if u.MaxSize > 0 {
		src = io.LimitReader(src, u.MaxSize+1)
	}
	size, err = io.Copy(io.MultiWriter(fsync.NewBehind(tmp).KeepCached(), h), src)
	if err != nil {
		return "", 0, fmt.Errorf("spool upload: %w", err)
	}
	if u.MaxSize > 0 && size > u.MaxSize {
		return "", 0, &UploadTooLargeError{Max: u.MaxSize}
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("spool upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("spool upload: %w", err)
	}
	id := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(tmp.Name(), u.path(id)); err != nil {
		return "", 0, fmt.Errorf("spool upload: %w", err)
	}
	tmp = nil
	if err := fsync.Dir(u.dir); err != nil {
		return "", 0, fmt.Errorf("spool upload: %w", err)
	}
	return id, size, nil
}

func (u *Uploads) path(id string) string { return filepath.Join(u.dir, id+".bag") }

// OpenBag implements pipeline.Bags: the spooled file, opened by content (zip, tar, tar.gz).
func (u *Uploads) OpenBag(ctx context.Context, bundleID string, lim bagit.Limits) (*bagit.Bag, error) {
	if !pipeline.ValidSum(bundleID) {
		return nil, fmt.Errorf("upload %q: %w", bundleID, pipeline.ErrNotFound)
	}
	p := u.path(bundleID)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("upload %s: %w", bundleID, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() { // a folder would be opened as a bag folder: never from here
		return nil, &bagit.ArchiveError{Reason: "the upload is not a regular file"}
	}
	b, err := bagit.Open(p, lim)
	var ae *bagit.ArchiveError
	if errors.As(err, &ae) && ae.Path == p { // the spool file's name means nothing to the uploader
		ae.Path = "the upload"
	}
	return b, err
}

// AddUpload implements pipeline.Uploads.
func (u *Uploads) AddUpload(ctx context.Context, up pipeline.Upload) (pipeline.Upload, error) {
	if err := sqlitedb.Write(ctx, u.db, u.Group, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO uploads (bundle, uploader, size, state, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (bundle) DO NOTHING`,
			up.BundleID, up.Uploader, up.Size, string(up.State), up.Received.UnixNano())
		return err
	}); err != nil {
		return pipeline.Upload{}, fmt.Errorf("add upload %s: %w", up.BundleID, err)
	}
	return u.Upload(ctx, up.BundleID)
}

const uploadCols = `bundle, uploader, size, state, received_at`

func scanUpload(row sqlitedb.Scanner) (pipeline.Upload, error) {
	var up pipeline.Upload
	var state string
	var received int64
	if err := row.Scan(&up.BundleID, &up.Uploader, &up.Size, &state, &received); err != nil {
		return up, err
	}
	up.State, up.Received = pipeline.UploadState(state), time.Unix(0, received).UTC()
	return up, nil
}

// Upload implements pipeline.Uploads.
func (u *Uploads) Upload(ctx context.Context, bundleID string) (pipeline.Upload, error) {
	up, err := scanUpload(u.db.QueryRowContext(ctx, `SELECT `+uploadCols+` FROM uploads WHERE bundle = ?`, bundleID))
	if errors.Is(err, sql.ErrNoRows) {
		return up, fmt.Errorf("upload %s: %w", bundleID, pipeline.ErrNotFound)
	}
	if err != nil {
		return up, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	return up, nil
}

// SetUploadState implements pipeline.Uploads.
func (u *Uploads) SetUploadState(ctx context.Context, bundleID string, s pipeline.UploadState) error {
	found := true
	if err := sqlitedb.Write(ctx, u.db, u.Group, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE uploads SET state = ? WHERE bundle = ?`, string(s), bundleID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			found = false
		}
		return nil
	}); err != nil {
		return fmt.Errorf("upload %s state: %w", bundleID, err)
	}
	if !found {
		return fmt.Errorf("upload %s: %w", bundleID, pipeline.ErrNotFound)
	}
	return nil
}

// Pending implements pipeline.Uploads.
func (u *Uploads) Pending(ctx context.Context) ([]pipeline.Upload, error) {
	return sqlitedb.QueryAll(ctx, u.db, scanUpload, `SELECT `+uploadCols+` FROM uploads WHERE state IN (?, ?) ORDER BY received_at, bundle`,
		string(pipeline.UploadReceived), string(pipeline.UploadAccepted))
}

// All lists every upload, oldest first (evx audit checks each accepted one).
func (u *Uploads) All(ctx context.Context) ([]pipeline.Upload, error) {
	return sqlitedb.QueryAll(ctx, u.db, scanUpload, `SELECT `+uploadCols+` FROM uploads ORDER BY received_at, bundle`)
}

// RemoveTemp deletes partial uploads a crash left behind. Call it when no Spool is running.
func (u *Uploads) RemoveTemp() (int, error) {
	m, err := filepath.Glob(filepath.Join(u.dir, ".tmp-*"))
	if err != nil {
		return 0, err
	}
	for _, p := range m {
		if err := os.Remove(p); err != nil {
			return 0, err
		}
	}
	return len(m), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
