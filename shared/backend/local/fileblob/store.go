// Package fileblob is the embedded blob store: content-addressed, read-only files under a
// folder, each appearing whole or not at all. Its AWS mirror is s3blob.
package fileblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/evx-project/evx/shared/backend/local/internal/fsync"
	"github.com/evx-project/evx/shared/pipeline"
)

// Store is the embedded [pipeline.BlobStore]: one read-only file per blob under a root
// folder, named by its SHA-256 and fanned out by its first four hex digits:
//
//	<root>/ab/cd/abcd…(64 hex digits)
//
// Put writes a temporary file in the blob's own folder while hashing, syncs it, links it
// under its name (never replacing a file already there) and syncs the folder, so a blob
// appears whole or not at all, and survives power loss once Put returns. A temporary file
// left by a crash is named .tmp-* and is never mistaken for a blob; [Blobs.RemoveTemp]
// clears them. The fan-out folders a Put needs are synced into their parents while the blob
// is written, not before: a Put that made a folder waits for two fsyncs in turn (the file,
// then its folder), not four.
type Store struct {
	root string
	// durable holds the fan-out folders ("ab", "ab/cd") whose entry in their parent is known
	// synced by this Store; a folder that exists but is not in it (made by another process, or
	// by a Put still syncing it) has its parent synced again before the next Put returns.
	durable sync.Map
}

var _ pipeline.BlobStore = (*Store)(nil)

// NewBlobs returns the blob store kept under root, creating the folder (0700) if needed.
func New(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("blob store: empty root folder")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob store %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &Store{root: abs}, nil
}

// Root is the folder the blobs are kept in.
func (b *Store) Root() string { return b.root }

// path returns where the blob named sum lives, after checking sum so that nothing but 64
// hex digits ever reaches the file system.
func (b *Store) path(op, sum string) (dir, file string, err error) {
	if !pipeline.ValidSum(sum) {
		return "", "", fmt.Errorf("%s blob %.80q: %w", op, sum, pipeline.ErrInvalidSum)
	}
	dir = filepath.Join(b.root, sum[0:2], sum[2:4])
	return dir, filepath.Join(dir, sum), nil
}

// copyBufs holds the buffers Put reads through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// Put stores the bytes of r under sum; see [pipeline.BlobStore].
func (b *Store) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	dir, final, err := b.path("put", sum)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("put blob %s: negative size %d", sum, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() {
		// Already stored: check the caller's bytes all the same, write nothing.
		return check(ctx, sum, size, r, io.Discard)
	}
	synced, err := b.mkdirs(sum)
	if err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	defer func() { <-synced }() // no goroutine outlives Put
	tmp, err := os.CreateTemp(dir, ".tmp-"+sum[:8]+"-*")
	if err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	closed := false
	defer func() {
		if !closed {
			tmp.Close()
		}
		os.Remove(tmp.Name())
	}()
	if err := check(ctx, sum, size, r, fsync.NewBehind(tmp)); err != nil {
		return err
	}
	if err := tmp.Chmod(0o400); err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("put blob %s: sync: %w", sum, err)
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	if err := <-synced; err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	synced = closedSync
	// Link, unlike rename, never replaces: a concurrent Put of the same bytes that got
	// there first wins, and its file is as good as ours.
	if err := os.Link(tmp.Name(), final); err != nil && !errors.Is(err, fs.ErrExist) {
		// A file system without hard links: rename is just as atomic.
		if rerr := os.Rename(tmp.Name(), final); rerr != nil {
			return fmt.Errorf("put blob %s: %w", sum, rerr)
		}
	}
	if err := fsync.Dir(dir); err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	return nil
}

// check copies r to w, hashing, and reports a size or digest mismatch, a read error or a
// canceled ctx. It reads at most one buffer past size. When r is a pipeline.HashingReader
// (bag validation's, which hashes every payload byte anyway) the sum is its SHA256 once r is
// read to the end, and check does not hash the bytes a second time.
func check(ctx context.Context, sum string, size int64, r io.Reader, w io.Writer) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	hr, hashed := r.(pipeline.HashingReader)
	h := sha256.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("put blob %s: %w", sum, err)
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			n += int64(m)
			if n > size {
				return &pipeline.SizeMismatchError{Key: sum, Want: size, Got: n}
			}
			if !hashed {
				h.Write(buf[:m])
			}
			if _, err := w.Write(buf[:m]); err != nil {
				return fmt.Errorf("put blob %s: %w", sum, err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("put blob %s: read: %w", sum, rerr)
		}
	}
	if n != size {
		return &pipeline.SizeMismatchError{Key: sum, Want: size, Got: n}
	}
	got := hex.EncodeToString(h.Sum(nil))
	if hashed {
		got = hr.SHA256()
	}
	if got != sum {
		return &pipeline.DigestMismatchError{Key: sum, Want: sum, Got: got}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put blob %s: %w", sum, err)
	}
	return nil
}

// closedSync is a finished mkdirs sync with no error.
var closedSync = func() chan error { c := make(chan error, 1); close(c); return c }()

// mkdirs creates the two fan-out folders of sum and syncs, in the background, each parent
// whose entry for them is not known durable; the channel yields that sync's error once.
func (b *Store) mkdirs(sum string) (<-chan error, error) {
	var parents []string
	var marks []string
	parent := b.root
	for _, name := range []string{sum[0:2], filepath.Join(sum[0:2], sum[2:4])} {
		dir := filepath.Join(b.root, name)
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if _, ok := b.durable.Load(name); !ok {
			parents, marks = append(parents, parent), append(marks, name)
		}
		parent = dir
	}
	if len(parents) == 0 {
		return closedSync, nil
	}
	done := make(chan error, 1)
	go func() {
		for i, p := range parents {
			if err := fsync.Dir(p); err != nil {
				done <- err
				return
			}
			b.durable.Store(marks[i], true)
		}
		done <- nil
	}()
	return done, nil
}

// Open returns the stored bytes of sum; see [pipeline.BlobStore].
func (b *Store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	return b.OpenFile(ctx, sum)
}

// OpenFile opens the stored file of sum for random access (io.ReaderAt, io.Seeker; Stat
// gives the size), as PDF extraction needs. The caller closes it and must not write.
func (b *Store) OpenFile(ctx context.Context, sum string) (*os.File, error) {
	_, file, err := b.path("open", sum)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open blob %s: %w", sum, err)
	}
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", sum, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", sum, err)
	}
	return f, nil
}

// RemoveTemp deletes the temporary files a crash during Put left behind and returns how
// many it removed. Call it when no Put is running (at start-up).
func (b *Store) RemoveTemp() (int, error) {
	n := 0
	tops, err := os.ReadDir(b.root)
	if err != nil {
		return 0, fmt.Errorf("blob store: %w", err)
	}
	for _, top := range tops {
		if !top.IsDir() || len(top.Name()) != 2 {
			continue
		}
		subs, err := os.ReadDir(filepath.Join(b.root, top.Name()))
		if err != nil {
			return n, fmt.Errorf("blob store: %w", err)
		}
		for _, sub := range subs {
			dir := filepath.Join(b.root, top.Name(), sub.Name())
			matches, err := filepath.Glob(filepath.Join(dir, ".tmp-*"))
			if err != nil {
				return n, err
			}
			for _, m := range matches {
				if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return n, fmt.Errorf("blob store: %w", err)
				}
				n++
			}
		}
	}
	return n, nil
}

// OpenReaderAt opens the stored file of sum for random access and returns its size; it
// implements pipeline.RandomAccess, so ingest extracts text from the stored file in place.
func (b *Store) OpenReaderAt(ctx context.Context, sum string) (pipeline.ReaderAtCloser, int64, error) {
	f, err := b.OpenFile(ctx, sum)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open blob %s: %w", sum, err)
	}
	return f, fi.Size(), nil
}

// Delete removes the stored bytes of sum (pipeline.BlobDeleter: disposal, once no retention
// forbids it; the pipeline decides that). A blob that is not there is not an error; the
// folder is synced so that the deletion survives a crash.
func (b *Store) Delete(ctx context.Context, sum string) error {
	dir, file, err := b.path("delete", sum)
	if err != nil {
		return err
	}
	if err := os.Remove(file); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete blob %s: %w", sum, err)
	}
	return fsync.Dir(dir)
}
