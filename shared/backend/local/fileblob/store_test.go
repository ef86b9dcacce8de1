package fileblob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/blobtest"
)

func newTestBlobs(t *testing.T) *Store {
	t.Helper()
	b, err := New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlobsConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) pipeline.BlobStore { return newTestBlobs(t) })
}

// files lists every file and folder under root, relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "." {
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestBlobsLayout(t *testing.T) {
	b := newTestBlobs(t)
	data := []byte("hello")
	// echo -n hello | sha256sum
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if err := b.Put(context.Background(), sum, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	got := files(t, b.Root())
	want := []string{"2c", "2c/f2", "2c/f2/" + sum}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files under root = %q, want %q", got, want)
	}
	fi, err := os.Stat(filepath.Join(b.Root(), "2c/f2", sum))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o400 {
		t.Errorf("blob file mode = %v, want 0400", got)
	}
	di, err := os.Stat(filepath.Join(b.Root(), "2c"))
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("fan-out folder mode = %v, want 0700", got)
	}
}

// TestBlobsStayInRoot puts hostile names and failing streams and checks that nothing was
// written outside root, and nothing but finished blobs inside it.
func TestBlobsStayInRoot(t *testing.T) {
	parent := t.TempDir()
	b, err := New(filepath.Join(parent, "root"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := blobtest.Sum([]byte("x"))
	for _, sum := range []string{"../x", "../../etc/passwd", "/tmp/x", "..", ".", good[:2] + "/../../" + good[8:], "ab/cd/" + good[6:]} {
		if err := b.Put(ctx, sum, 1, strings.NewReader("x")); !errors.Is(err, pipeline.ErrInvalidSum) {
			t.Errorf("Put(%q) = %v, want ErrInvalidSum", sum, err)
		}
	}
	boom := errors.New("boom")
	data := bytes.Repeat([]byte("y"), 1<<20)
	_ = b.Put(ctx, blobtest.Sum(data), int64(len(data)), io.MultiReader(bytes.NewReader(data[:1000]), iotestErr(boom)))
	_ = b.Put(ctx, blobtest.Sum(data), int64(len(data)), bytes.NewReader(data[1:]))
	_ = b.Put(ctx, blobtest.Sum(data), int64(len(data)), bytes.NewReader(bytes.Repeat([]byte("z"), 1<<20)))
	// Root itself, and the fan-out folders of the refused blob, empty.
	ds := blobtest.Sum(data)
	want := []string{"root", "root/" + ds[:2], "root/" + ds[:2] + "/" + ds[2:4]}
	if got := files(t, parent); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files under parent = %q, want %q", got, want)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func iotestErr(err error) io.Reader { return errReader{err} }

func TestBlobsPutExistingKeepsFile(t *testing.T) {
	b := newTestBlobs(t)
	data := []byte("exhibit 12, photograph of the seized vessel")
	sum := blobtest.Sum(data)
	ctx := context.Background()
	if err := b.Put(ctx, sum, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	f, err := b.OpenFile(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Stat()
	f.Close()
	if err := b.Put(ctx, sum, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	f, err = b.OpenFile(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := f.Stat()
	f.Close()
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("second Put replaced the stored file")
	}
	if st, ok := after.Sys().(*syscall.Stat_t); ok && st.Nlink != 1 {
		t.Errorf("stored file has %d links, want 1 (the temporary name removed)", st.Nlink)
	}
}

func TestBlobsOpenFileReaderAt(t *testing.T) {
	b := newTestBlobs(t)
	data, _ := io.ReadAll(blobtest.Generate(11, 100_000))
	sum := blobtest.Sum(data)
	ctx := context.Background()
	if err := b.Put(ctx, sum, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	f, err := b.OpenFile(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ra io.ReaderAt = f
	tail := make([]byte, 1000)
	if _, err := ra.ReadAt(tail, int64(len(data)-1000)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tail, data[len(data)-1000:]) {
		t.Errorf("ReadAt(last 1000 bytes) differs from what was stored")
	}
	if fi, _ := f.Stat(); fi.Size() != int64(len(data)) {
		t.Errorf("Stat().Size() = %d, want %d", fi.Size(), len(data))
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Errorf("Write to an opened blob succeeded, want an error")
	}
	if _, err := b.OpenFile(ctx, blobtest.Sum([]byte("absent"))); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("OpenFile(absent) = %v, want ErrNotFound", err)
	}
}

func TestBlobsRemoveTemp(t *testing.T) {
	b := newTestBlobs(t)
	data := []byte("kept")
	sum := blobtest.Sum(data)
	if err := b.Put(context.Background(), sum, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	// What a crash between create and link leaves.
	dir := filepath.Join(b.Root(), sum[:2], sum[2:4])
	for _, name := range []string{".tmp-" + sum[:8] + "-1", ".tmp-" + sum[:8] + "-2"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.RemoveTemp()
	if err != nil || n != 2 {
		t.Fatalf("RemoveTemp() = %d, %v, want 2, nil", n, err)
	}
	if got := files(t, b.Root()); len(got) != 3 {
		t.Errorf("files after RemoveTemp = %q, want the two folders and the blob", got)
	}
	if _, err := b.Open(context.Background(), sum); err != nil {
		t.Errorf("Open after RemoveTemp = %v", err)
	}
}

// BenchmarkBlobsPut measures Put of 16 MiB (hash, write, fsync, link) against hashing the
// same bytes with crypto/sha256 alone in the same run, reported as ratio-vs-sha256
// (Put time / hash time).
func BenchmarkBlobsPut(b *testing.B) {
	const size = 16 << 20
	data, _ := io.ReadAll(blobtest.Generate(12, size))
	b.SetBytes(size)
	var hashTime time.Duration
	round := 0
	for b.Loop() {
		b.StopTimer()
		s, err := New(filepath.Join(b.TempDir(), "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		data[round%size]++ // another blob each round
		round++
		start := time.Now()
		sum := blobtest.Sum(data)
		hashTime += time.Since(start)
		b.StartTimer()
		if err := s.Put(context.Background(), sum, size, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(hashTime), "ratio-vs-sha256")
}

// BenchmarkBlobsPutExisting measures Put of a blob already stored (hash only, no write).
func BenchmarkBlobsPutExisting(b *testing.B) {
	const size = 16 << 20
	data, _ := io.ReadAll(blobtest.Generate(13, size))
	s, err := New(filepath.Join(b.TempDir(), "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	sum := blobtest.Sum(data)
	if err := s.Put(context.Background(), sum, size, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	var hashTime time.Duration
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		blobtest.Sum(data)
		hashTime += time.Since(start)
		b.StartTimer()
		if err := s.Put(context.Background(), sum, size, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(hashTime), "ratio-vs-sha256")
}

// Delete removes a blob, once or twice alike, and refuses a name that is not a SHA-256.
func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("seizure report")
	sum := fmt.Sprintf("%x", sha256.Sum256(data))
	if err := s.Put(ctx, sum, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Delete(ctx, sum); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if _, err := s.Open(ctx, sum); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Open after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "../"+sum[3:]); !errors.Is(err, pipeline.ErrInvalidSum) {
		t.Errorf("Delete(../...) = %v, want ErrInvalidSum", err)
	}
}

// hashingReader is a pipeline.HashingReader, as bag validation hands ingest.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func (h *hashingReader) SHA256() string { return hex.EncodeToString(h.h.Sum(nil)) }

// TestPutHashingReader: with a HashingReader, Put takes the sum from it and still stores
// nothing for bytes that do not hash to the sum named.
func TestPutHashingReader(t *testing.T) {
	ctx := context.Background()
	b := newTestBlobs(t)
	data := bytes.Repeat([]byte("seized ledger\n"), 40000)
	sum := sha256hex(data)
	tampered := bytes.Clone(data)
	tampered[1000] ^= 1
	var dm *pipeline.DigestMismatchError
	err := b.Put(ctx, sum, int64(len(tampered)), &hashingReader{r: bytes.NewReader(tampered), h: sha256.New()})
	if !errors.As(err, &dm) || dm.Got != sha256hex(tampered) {
		t.Fatalf("Put(tampered) = %v, want *DigestMismatchError got %s", err, sha256hex(tampered))
	}
	if _, err := b.Open(ctx, sum); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("Open after a mismatch = %v, want ErrNotFound", err)
	}
	if err := b.Put(ctx, sum, int64(len(data)), &hashingReader{r: bytes.NewReader(data), h: sha256.New()}); err != nil {
		t.Fatal(err)
	}
	rc, err := b.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("Open = %d bytes, want the %d put", len(got), len(data))
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
