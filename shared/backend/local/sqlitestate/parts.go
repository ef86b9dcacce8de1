package sqlitestate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/evx-project/evx/shared/backend/local/internal/fsync"
	"github.com/evx-project/evx/shared/multipart"
)

// Parts keeps resumable uploads (package multipart) in the data folder: each upload a folder
// of part files named by number under dir, written to a temporary file, checked against the
// declared SHA-256, synced and renamed; the uploads and their parts in two SQLite tables. A
// part is listed only once its file is durable.
type Parts struct {
	db    *sql.DB
	dir   string
	lim   multipart.Limits
	clock func() time.Time
}

const partsSchema = `
CREATE TABLE IF NOT EXISTS part_uploads (
	id        TEXT    PRIMARY KEY,
	uploader  TEXT    NOT NULL,
	size      INTEGER NOT NULL,
	sha256    TEXT    NOT NULL,
	part_size INTEGER NOT NULL,
	parts     INTEGER NOT NULL,
	created   INTEGER NOT NULL,
	touched   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS upload_parts (
	upload TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	size   INTEGER NOT NULL,
	sha256 TEXT    NOT NULL,
	PRIMARY KEY (upload, n)
) WITHOUT ROWID;
`

// NewParts creates the tables in db if needed and keeps parts under dir (created 0700).
// clock may be nil (time.Now). Leftover temporary part files are removed.
func NewParts(ctx context.Context, db *sql.DB, dir string, lim multipart.Limits, clock func() time.Time) (*Parts, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("parts folder: %w", err)
	}
	if _, err := db.ExecContext(ctx, partsSchema); err != nil {
		return nil, fmt.Errorf("create parts tables: %w", err)
	}
	if clock == nil {
		clock = time.Now
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*", ".tmp-*"))
	for _, t := range tmps {
		os.Remove(t)
	}
	return &Parts{db: db, dir: dir, lim: lim.Defaults(), clock: clock}, nil
}

// Limits returns the limits in force.
func (p *Parts) Limits() multipart.Limits { return p.lim }

// Create opens an upload for uploader, refusing one beyond the limits (*multipart.LimitError)
// or a malformed one (*multipart.InvalidError). When uploader has an upload open already for
// the same bag (size, SHA-256 and part size), that one is returned, Resumed, with the parts it
// holds: a client that lost its upload's id (a page reloaded, another machine) goes on from
// there instead of sending the bag again.
func (p *Parts) Create(ctx context.Context, uploader string, size int64, sha string, partSize int64) (*multipart.Upload, error) {
	n, err := multipart.Plan(size, sha, partSize, p.lim)
	if err != nil {
		return nil, err
	}
	var open string
	err = p.db.QueryRowContext(ctx, `SELECT id FROM part_uploads WHERE uploader = ? AND sha256 = ? AND size = ? AND part_size = ? ORDER BY created DESC LIMIT 1`,
		uploader, sha, size, partSize).Scan(&open)
	switch {
	case err == nil:
		if _, err := p.db.ExecContext(ctx, `UPDATE part_uploads SET touched = ? WHERE id = ?`, p.clock().UnixNano(), open); err != nil {
			return nil, fmt.Errorf("resume upload: %w", err)
		}
		u, err := p.Get(ctx, uploader, open)
		if err != nil {
			return nil, err
		}
		u.Resumed = true
		return u, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("create upload: %w", err)
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	now := p.clock().UnixNano()
	// One statement: the count of open uploads and the insert are atomic.
	res, err := p.db.ExecContext(ctx, `INSERT INTO part_uploads (id, uploader, size, sha256, part_size, parts, created, touched)
		SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM part_uploads WHERE uploader = ?) < ?`,
		id, uploader, size, sha, partSize, n, now, now, uploader, p.lim.MaxOpen)
	if err != nil {
		return nil, fmt.Errorf("create upload: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return nil, &multipart.LimitError{Field: "open uploads", Got: int64(p.lim.MaxOpen) + 1, Limit: int64(p.lim.MaxOpen)}
	}
	if err := os.Mkdir(filepath.Join(p.dir, id), 0o700); err != nil {
		return nil, fmt.Errorf("create upload: %w", err)
	}
	return p.Get(ctx, uploader, id)
}

// Get returns uploader's upload id with the parts held; another uploader's is
// multipart.ErrNotFound.
func (p *Parts) Get(ctx context.Context, uploader, id string) (*multipart.Upload, error) {
	u := &multipart.Upload{ID: id, Uploader: uploader}
	var created, touched int64
	err := p.db.QueryRowContext(ctx, `SELECT size, sha256, part_size, parts, created, touched FROM part_uploads WHERE id = ? AND uploader = ?`, id, uploader).
		Scan(&u.Size, &u.SHA256, &u.PartSize, &u.Parts, &created, &touched)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("upload %s: %w", id, multipart.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	u.Created = time.Unix(0, created).UTC()
	u.Expires = time.Unix(0, touched).Add(p.lim.TTL).UTC()
	rows, err := p.db.QueryContext(ctx, `SELECT n, size, sha256 FROM upload_parts WHERE upload = ? ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("upload %s parts: %w", id, err)
	}
	defer rows.Close()
	u.Held = []multipart.Part{}
	for rows.Next() {
		var pt multipart.Part
		if err := rows.Scan(&pt.N, &pt.Size, &pt.SHA256); err != nil {
			return nil, err
		}
		u.Held = append(u.Held, pt)
	}
	return u, rows.Err()
}

// Put stores part n of uploader's upload id from r, which must be exactly the part's length
// (*multipart.PartSizeError) and hash to sha (*multipart.ChecksumError); a part refused
// leaves nothing behind. A part put again replaces the one held, as in S3.
func (p *Parts) Put(ctx context.Context, uploader, id string, n int, sha string, r io.Reader) (multipart.Part, error) {
	u, err := p.Get(ctx, uploader, id)
	if err != nil {
		return multipart.Part{}, err
	}
	if n < 1 || n > u.Parts {
		return multipart.Part{}, &multipart.InvalidError{Reason: fmt.Sprintf("part %d: this upload has parts 1 to %d", n, u.Parts)}
	}
	if !multipart.ValidSum(sha) {
		return multipart.Part{}, &multipart.InvalidError{Reason: "part sha256: want 64 lowercase hex digits"}
	}
	want := u.PartLen(n)
	dir := filepath.Join(p.dir, id)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return multipart.Part{}, fmt.Errorf("put part %d: %w", n, err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	got, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(&ctxReader{ctx: ctx, r: r}, want+1))
	if err != nil {
		return multipart.Part{}, fmt.Errorf("put part %d: %w", n, err)
	}
	if got != want {
		return multipart.Part{}, &multipart.PartSizeError{N: n, Want: want, Got: got}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != sha {
		return multipart.Part{}, &multipart.ChecksumError{N: n, Want: sha, Got: sum}
	}
	if err := tmp.Sync(); err != nil {
		return multipart.Part{}, fmt.Errorf("put part %d: %w", n, err)
	}
	if err := tmp.Close(); err != nil {
		return multipart.Part{}, fmt.Errorf("put part %d: %w", n, err)
	}
	if err := os.Rename(tmp.Name(), p.partPath(id, n)); err != nil {
		return multipart.Part{}, fmt.Errorf("put part %d: %w", n, err)
	}
	tmp = nil
	if err := fsync.Dir(dir); err != nil {
		return multipart.Part{}, fmt.Errorf("put part %d: %w", n, err)
	}
	pt := multipart.Part{N: n, Size: got, SHA256: sha}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return pt, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE part_uploads SET touched = ? WHERE id = ? AND uploader = ?`, p.clock().UnixNano(), id, uploader)
	if err != nil {
		return pt, fmt.Errorf("put part %d: %w", n, err)
	}
	if k, _ := res.RowsAffected(); k == 0 { // aborted or swept while the part arrived
		os.Remove(p.partPath(id, n))
		return pt, fmt.Errorf("upload %s: %w", id, multipart.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO upload_parts (upload, n, size, sha256) VALUES (?, ?, ?, ?)
		ON CONFLICT (upload, n) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256`, id, n, got, sha); err != nil {
		return pt, fmt.Errorf("put part %d: %w", n, err)
	}
	return pt, tx.Commit()
}

func (p *Parts) partPath(id string, n int) string {
	return filepath.Join(p.dir, id, strconv.Itoa(n)+".part")
}

// Open returns the parts of a complete upload put together, in order. At the end of the
// bytes the reader checks their SHA-256 against the declared one and ends with a
// *multipart.ChecksumError (N 0) instead of io.EOF when they differ, so a consumer that
// spools it (Uploads.Spool) keeps nothing. Missing parts are a *multipart.IncompleteError.
func (p *Parts) Open(ctx context.Context, uploader, id string) (*multipart.Upload, io.ReadCloser, error) {
	u, err := p.Get(ctx, uploader, id)
	if err != nil {
		return nil, nil, err
	}
	if m := u.Missing(); len(m) > 0 {
		return nil, nil, &multipart.IncompleteError{Missing: m}
	}
	return u, &joined{p: p, u: u, h: sha256.New()}, nil
}

// joined reads the parts one after another, opening one file at a time.
type joined struct {
	p    *Parts
	u    *multipart.Upload
	h    hashWriter
	n    int // part open, 0 before the first
	f    *os.File
	read int64
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func (j *joined) Read(b []byte) (int, error) {
	for {
		if j.f == nil {
			if j.n == j.u.Parts {
				if sum := hex.EncodeToString(j.h.Sum(nil)); sum != j.u.SHA256 || j.read != j.u.Size {
					return 0, &multipart.ChecksumError{Want: j.u.SHA256, Got: sum}
				}
				return 0, io.EOF
			}
			j.n++
			f, err := os.Open(j.p.partPath(j.u.ID, j.n))
			if err != nil {
				return 0, fmt.Errorf("upload %s part %d: %w", j.u.ID, j.n, err)
			}
			j.f = f
		}
		k, err := j.f.Read(b)
		j.h.Write(b[:k])
		j.read += int64(k)
		if err == io.EOF {
			j.f.Close()
			j.f = nil
			if k > 0 {
				return k, nil
			}
			continue
		}
		return k, err
	}
}

func (j *joined) Close() error {
	if j.f != nil {
		return j.f.Close()
	}
	return nil
}

// Remove forgets uploader's upload id and deletes its parts (abort, or after completion).
func (p *Parts) Remove(ctx context.Context, uploader, id string) error {
	res, err := p.db.ExecContext(ctx, `DELETE FROM part_uploads WHERE id = ? AND uploader = ?`, id, uploader)
	if err != nil {
		return fmt.Errorf("remove upload %s: %w", id, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("upload %s: %w", id, multipart.ErrNotFound)
	}
	return p.drop(ctx, id)
}

func (p *Parts) drop(ctx context.Context, id string) error {
	if _, err := p.db.ExecContext(ctx, `DELETE FROM upload_parts WHERE upload = ?`, id); err != nil {
		return fmt.Errorf("remove upload %s parts: %w", id, err)
	}
	if err := os.RemoveAll(filepath.Join(p.dir, id)); err != nil {
		return fmt.Errorf("remove upload %s parts: %w", id, err)
	}
	return fsync.Dir(p.dir)
}

// Sweep removes the uploads untouched for longer than the TTL and returns how many.
func (p *Parts) Sweep(ctx context.Context) (int, error) {
	cut := p.clock().Add(-p.lim.TTL).UnixNano()
	rows, err := p.db.QueryContext(ctx, `SELECT id FROM part_uploads WHERE touched < ?`, cut)
	if err != nil {
		return 0, fmt.Errorf("sweep uploads: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := p.db.ExecContext(ctx, `DELETE FROM part_uploads WHERE id = ?`, id); err != nil {
			return 0, fmt.Errorf("sweep upload %s: %w", id, err)
		}
		if err := p.drop(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
