// Package blobtest is the conformance suite for [pipeline.BlobStore]: every backend (the
// data folder of package local, the S3 store) runs [Run] so that the use cases can rely on
// one behaviour.
//
// A backend's test runs it with a factory that returns an empty store per subtest:
//
//	func TestBlobStore(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) pipeline.BlobStore {
//			return newStoreWithFreshPrefix(t) // cleans up with t.Cleanup
//		})
//	}
//
// The suite stores blobs of up to 64 MiB (8 MiB with -short); the store it is given must
// have room for about twice that.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// Option changes what Run checks.
type Option func(*config)

type config struct {
	largeSize int64
	heapCheck bool
}

// LargeSize sets the size of the blob streamed through Put and Open (default 64 MiB, or
// 8 MiB with -short).
func LargeSize(n int64) Option { return func(c *config) { c.largeSize = n } }

// NoHeapCheck turns off the check that Put and Open of the large blob do not hold it in
// memory (for a backend whose client library buffers on its own, noted where it is used).
func NoHeapCheck() Option { return func(c *config) { c.heapCheck = false } }

// Run checks the BlobStore contract. newStore returns an empty store for each subtest; it
// registers its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) pipeline.BlobStore, opts ...Option) {
	cfg := config{largeSize: 64 << 20, heapCheck: true}
	if testing.Short() {
		cfg.largeSize = 8 << 20
	}
	for _, o := range opts {
		o(&cfg)
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("InvalidSum", func(t *testing.T) { testInvalidSum(t, newStore(t)) })
	t.Run("DigestMismatch", func(t *testing.T) { testDigestMismatch(t, newStore(t)) })
	t.Run("SizeMismatch", func(t *testing.T) { testSizeMismatch(t, newStore(t)) })
	t.Run("PutExisting", func(t *testing.T) { testPutExisting(t, newStore(t)) })
	t.Run("FailingReader", func(t *testing.T) { testFailingReader(t, newStore(t)) })
	t.Run("NotVisibleUntilDone", func(t *testing.T) { testNotVisibleUntilDone(t, newStore(t)) })
	t.Run("ConcurrentSameBlob", func(t *testing.T) { testConcurrentSame(t, newStore(t)) })
	t.Run("ConcurrentDistinct", func(t *testing.T) { testConcurrentDistinct(t, newStore(t)) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, newStore(t)) })
	t.Run("CanceledMidway", func(t *testing.T) { testCanceledMidway(t, newStore(t)) })
	t.Run("Large", func(t *testing.T) { testLarge(t, newStore(t), cfg) })
}

// Sum returns the lowercase hex SHA-256 of b.
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Generate returns a reader of n pseudo-random bytes determined by seed, made as they are
// read: a large blob never has to sit in memory.
func Generate(seed uint64, n int64) io.Reader {
	return &genReader{state: seed*0x9E3779B97F4A7C15 + 1, left: n, off: 8}
}

type genReader struct {
	state uint64
	left  int64
	buf   [8]byte
	off   int // unread bytes of buf start here; 8 means none
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	for n < len(p) {
		if g.off == 8 {
			// Whole words straight into p while they fit.
			for len(p)-n >= 8 {
				binary.LittleEndian.PutUint64(p[n:], g.next())
				n += 8
			}
			if n == len(p) {
				break
			}
			binary.LittleEndian.PutUint64(g.buf[:], g.next())
			g.off = 0
		}
		c := copy(p[n:], g.buf[g.off:])
		g.off += c
		n += c
	}
	g.left -= int64(n)
	return n, nil
}

// next steps xorshift64*.
func (g *genReader) next() uint64 {
	g.state ^= g.state >> 12
	g.state ^= g.state << 25
	g.state ^= g.state >> 27
	return g.state * 0x2545F4914F6CDD1D
}

// GenerateSum returns the SHA-256 of Generate(seed, n), computed by streaming.
func GenerateSum(seed uint64, n int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, Generate(seed, n)); err != nil {
		panic(err) // Generate never fails
	}
	return hex.EncodeToString(h.Sum(nil))
}

func put(t *testing.T, s pipeline.BlobStore, b []byte) string {
	t.Helper()
	sum := Sum(b)
	if err := s.Put(context.Background(), sum, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatalf("Put(%.12s…, %d bytes) = %v, want nil", sum, len(b), err)
	}
	return sum
}

func read(t *testing.T, s pipeline.BlobStore, sum string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), sum)
	if err != nil {
		t.Fatalf("Open(%.12s…) = %v, want nil", sum, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %.12s…: %v", sum, err)
	}
	return b
}

func wantAbsent(t *testing.T, s pipeline.BlobStore, sum string) {
	t.Helper()
	rc, err := s.Open(context.Background(), sum)
	if err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		t.Fatalf("Open(%.12s…) returned %d bytes, want an error wrapping ErrNotFound", sum, len(b))
	}
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("Open(%.12s…) = %v, want an error wrapping ErrNotFound", sum, err)
	}
}

func wantBytes(t *testing.T, s pipeline.BlobStore, sum string, want []byte) {
	t.Helper()
	if got := read(t, s, sum); !bytes.Equal(got, want) {
		t.Fatalf("Open(%.12s…) read %d bytes (sha256 %.12s…), want %d bytes (sha256 %.12s…)",
			sum, len(got), Sum(got), len(want), Sum(want))
	}
}

func testRoundTrip(t *testing.T, s pipeline.BlobStore) {
	cases := []struct {
		name string
		data []byte
	}{
		{"one-byte", []byte{0}},
		{"text", []byte("Acta de incautación nº 2026/118 — 3,2 kg\n")},
		{"4KiB", readAll(Generate(1, 4<<10))},
		{"1MiB+7", readAll(Generate(2, 1<<20+7))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sum := put(t, s, tc.data)
			wantBytes(t, s, sum, tc.data)
		})
	}
	// Each blob is still there after the others were stored.
	for _, tc := range cases {
		wantBytes(t, s, Sum(tc.data), tc.data)
	}
}

func testEmpty(t *testing.T, s pipeline.BlobStore) {
	// echo -n | sha256sum
	const emptySum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := Sum(nil); got != emptySum {
		t.Fatalf("Sum(nil) = %s, want %s", got, emptySum)
	}
	if err := s.Put(context.Background(), emptySum, 0, strings.NewReader("")); err != nil {
		t.Fatalf("Put(empty) = %v, want nil", err)
	}
	if got := read(t, s, emptySum); len(got) != 0 {
		t.Fatalf("Open(empty) read %d bytes, want 0", len(got))
	}
}

func testNotFound(t *testing.T, s pipeline.BlobStore) {
	put(t, s, []byte("present"))
	wantAbsent(t, s, Sum([]byte("absent")))
}

func testInvalidSum(t *testing.T, s pipeline.BlobStore) {
	good := Sum([]byte("x"))
	bad := []struct{ name, sum string }{
		{"empty", ""},
		{"short", good[:63]},
		{"long", good + "0"},
		{"uppercase", strings.ToUpper(good)},
		{"non-hex", "g" + good[1:]},
		{"dotdot", "../x"},
		{"dotdot-64", "../" + good[3:]},
		{"slash-64", good[:2] + "/" + good[3:]},
		{"backslash-64", good[:2] + `\` + good[3:]},
		{"absolute", "/etc/passwd"},
		{"nul", good[:63] + "\x00"},
		{"space", " " + good[1:]},
		{"newline", good[:63] + "\n"},
		{"unicode", "é" + good[2:]},
		{"prefixed", "sha256:" + good[7:]},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			err := s.Put(ctx, tc.sum, 1, strings.NewReader("x"))
			if !errors.Is(err, pipeline.ErrInvalidSum) {
				t.Errorf("Put(%q) = %v, want an error wrapping ErrInvalidSum", tc.sum, err)
			}
			rc, err := s.Open(ctx, tc.sum)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, pipeline.ErrInvalidSum) {
				t.Errorf("Open(%q) = %v, want an error wrapping ErrInvalidSum", tc.sum, err)
			}
		})
	}
	// None of those stored anything under the real name either.
	wantAbsent(t, s, good)
}

func testDigestMismatch(t *testing.T, s pipeline.BlobStore) {
	want := []byte("the document the uploader hashed")
	got := []byte("the document that arrived instead") // same length is not needed
	got = got[:len(want)]
	wantSum, gotSum := Sum(want), Sum(got)
	err := s.Put(context.Background(), wantSum, int64(len(got)), bytes.NewReader(got))
	var dm *pipeline.DigestMismatchError
	if !errors.As(err, &dm) {
		t.Fatalf("Put(wrong bytes) = %v, want a *DigestMismatchError", err)
	}
	if dm.Want != wantSum || dm.Got != gotSum {
		t.Errorf("DigestMismatchError{Want: %s, Got: %s}, want {Want: %s, Got: %s}", dm.Want, dm.Got, wantSum, gotSum)
	}
	wantAbsent(t, s, wantSum)
	wantAbsent(t, s, gotSum)
	// The right bytes are still welcome afterwards.
	put(t, s, want)
	wantBytes(t, s, wantSum, want)
}

func testSizeMismatch(t *testing.T, s pipeline.BlobStore) {
	data := readAll(Generate(3, 100<<10))
	sum := Sum(data)
	cases := []struct {
		name string
		size int64
		body []byte
		got  int64 // exact Got, or -1 for "at least size+1"
	}{
		{"short", int64(len(data)), data[:len(data)-1], int64(len(data) - 1)},
		{"long", int64(len(data)) - 1, data, -1},
		{"much-longer", 10, data, -1},
		{"empty-body", 5, nil, 0},
		{"body-for-empty", 0, data[:1], -1},
		{"right-bytes-size-over", int64(len(data)) + 1, data, int64(len(data))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Put(context.Background(), sum, tc.size, bytes.NewReader(tc.body))
			var sm *pipeline.SizeMismatchError
			if !errors.As(err, &sm) {
				t.Fatalf("Put(size %d, %d bytes) = %v, want a *SizeMismatchError", tc.size, len(tc.body), err)
			}
			if sm.Want != tc.size {
				t.Errorf("SizeMismatchError.Want = %d, want %d", sm.Want, tc.size)
			}
			if tc.got >= 0 && sm.Got != tc.got {
				t.Errorf("SizeMismatchError.Got = %d, want %d", sm.Got, tc.got)
			}
			if tc.got < 0 && sm.Got <= tc.size {
				t.Errorf("SizeMismatchError.Got = %d, want more than %d", sm.Got, tc.size)
			}
			wantAbsent(t, s, sum)
		})
	}
	t.Run("negative", func(t *testing.T) {
		if err := s.Put(context.Background(), sum, -1, bytes.NewReader(data)); err == nil {
			t.Fatalf("Put(size -1) = nil, want an error")
		}
		wantAbsent(t, s, sum)
	})
}

func testPutExisting(t *testing.T, s pipeline.BlobStore) {
	orig := []byte("original statement, page 1 of 1")
	sum := put(t, s, orig)
	// The same bytes again: success, same content.
	put(t, s, orig)
	wantBytes(t, s, sum, orig)
	// Other bytes of the same length under the same name: refused, the original stays.
	other := []byte("ORIGINAL STATEMENT, PAGE 1 OF 1")
	err := s.Put(context.Background(), sum, int64(len(other)), bytes.NewReader(other))
	var dm *pipeline.DigestMismatchError
	if !errors.As(err, &dm) {
		t.Fatalf("Put(other bytes over an existing blob) = %v, want a *DigestMismatchError", err)
	}
	wantBytes(t, s, sum, orig)
	// A failing reader over an existing blob does not remove it.
	boom := errors.New("uplink lost")
	err = s.Put(context.Background(), sum, int64(len(orig)), &failingReader{r: bytes.NewReader(orig[:5]), err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Put(failing reader over an existing blob) = %v, want it to wrap %v", err, boom)
	}
	wantBytes(t, s, sum, orig)
}

// failingReader returns r's bytes, then err instead of EOF.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testFailingReader(t *testing.T, s pipeline.BlobStore) {
	data := readAll(Generate(4, 3<<20+5))
	sum := Sum(data)
	for _, at := range []int{0, 1, 1<<20 + 3, len(data) - 1} {
		t.Run(fmt.Sprintf("at-%d", at), func(t *testing.T) {
			boom := fmt.Errorf("disk of the uploader failed at byte %d", at)
			err := s.Put(context.Background(), sum, int64(len(data)), &failingReader{r: bytes.NewReader(data[:at]), err: boom})
			if !errors.Is(err, boom) {
				t.Fatalf("Put(reader failing at %d) = %v, want it to wrap %v", at, err, boom)
			}
			wantAbsent(t, s, sum)
		})
	}
	put(t, s, data)
	wantBytes(t, s, sum, data)
}

// gateReader hands out first, then signals reached and waits for release before the rest.
type gateReader struct {
	first, rest []byte
	reached     chan struct{}
	release     chan struct{}
	stage       int
}

func (g *gateReader) Read(p []byte) (int, error) {
	switch g.stage {
	case 0:
		n := copy(p, g.first)
		g.first = g.first[n:]
		if len(g.first) == 0 {
			g.stage = 1
		}
		return n, nil
	case 1:
		close(g.reached)
		<-g.release
		g.stage = 2
		fallthrough
	default:
		if len(g.rest) == 0 {
			return 0, io.EOF
		}
		n := copy(p, g.rest)
		g.rest = g.rest[n:]
		return n, nil
	}
}

func testNotVisibleUntilDone(t *testing.T, s pipeline.BlobStore) {
	data := readAll(Generate(5, 2<<20))
	sum := Sum(data)
	g := &gateReader{first: data[:1<<20], rest: data[1<<20:], reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- s.Put(context.Background(), sum, int64(len(data)), g) }()
	select {
	case <-g.reached:
	case err := <-done:
		t.Fatalf("Put returned %v before reading the whole blob", err)
	case <-time.After(30 * time.Second):
		close(g.release)
		t.Fatal("Put did not read the first half of the blob within 30 s")
	}
	// Half the bytes are in: the blob must not be visible yet.
	rc, err := s.Open(context.Background(), sum)
	if err == nil {
		rc.Close()
	}
	close(g.release)
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Open during Put = %v, want an error wrapping ErrNotFound", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Put = %v, want nil", err)
	}
	wantBytes(t, s, sum, data)
}

func testConcurrentSame(t *testing.T, s pipeline.BlobStore) {
	data := readAll(Generate(6, 1<<20))
	sum := Sum(data)
	wrong := readAll(Generate(7, 1<<20))
	const good, bad = 8, 4
	errs := make([]error, good+bad)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range good + bad {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			b := data
			if i >= good {
				b = wrong
			}
			errs[i] = s.Put(context.Background(), sum, int64(len(b)), iotestHalfReader(b))
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i < good && err != nil {
			t.Errorf("concurrent Put #%d of the right bytes = %v, want nil", i, err)
		}
		var dm *pipeline.DigestMismatchError
		if i >= good && !errors.As(err, &dm) {
			t.Errorf("concurrent Put #%d of wrong bytes = %v, want a *DigestMismatchError", i, err)
		}
	}
	wantBytes(t, s, sum, data)
}

// iotestHalfReader returns b in small reads so that concurrent Puts interleave.
func iotestHalfReader(b []byte) io.Reader { return &smallReader{b: b} }

type smallReader struct{ b []byte }

func (r *smallReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) > 7919 {
		p = p[:7919]
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func testConcurrentDistinct(t *testing.T, s pipeline.BlobStore) {
	const n = 16
	blobs := make([][]byte, n)
	for i := range blobs {
		blobs[i] = readAll(Generate(uint64(100+i), int64(1000*i+1)))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Put(context.Background(), Sum(blobs[i]), int64(len(blobs[i])), iotestHalfReader(blobs[i]))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("concurrent Put #%d = %v, want nil", i, errs[i])
		}
		wantBytes(t, s, Sum(blobs[i]), blobs[i])
	}
}

func testCanceled(t *testing.T, s pipeline.BlobStore) {
	data := []byte("sealed exhibit 7")
	sum := Sum(data)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, sum, int64(len(data)), bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(canceled context) = %v, want an error wrapping context.Canceled", err)
	}
	wantAbsent(t, s, sum)
	put(t, s, data)
	rc, err := s.Open(ctx, sum)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Open(canceled context) = %v, want an error wrapping context.Canceled", err)
	}
}

// cancelReader cancels its context once after bytes have been read, and goes on reading.
type cancelReader struct {
	r      io.Reader
	after  int64
	read   int64
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read >= c.after && c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	return n, err
}

func testCanceledMidway(t *testing.T, s pipeline.BlobStore) {
	const size = 8 << 20
	sum := GenerateSum(8, size)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancelReader{r: Generate(8, size), after: 1 << 20, cancel: cancel}
	if err := s.Put(ctx, sum, size, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(context canceled after 1 MiB of 8) = %v, want an error wrapping context.Canceled", err)
	}
	wantAbsent(t, s, sum)
}

// heapWatch samples the live heap until stop is called and returns the peak growth.
func heapWatch() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-done
		return peak.Load()
	}
}

func testLarge(t *testing.T, s pipeline.BlobStore, cfg config) {
	size := cfg.largeSize
	const seed = 9
	sum := GenerateSum(seed, size)

	stop := heapWatch()
	start := time.Now()
	if err := s.Put(context.Background(), sum, size, Generate(seed, size)); err != nil {
		stop()
		t.Fatalf("Put(%d MiB streamed) = %v, want nil", size>>20, err)
	}
	putTook := time.Since(start)
	putPeak := stop()

	stop = heapWatch()
	start = time.Now()
	rc, err := s.Open(context.Background(), sum)
	if err != nil {
		stop()
		t.Fatalf("Open(large) = %v, want nil", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	openTook := time.Since(start)
	openPeak := stop()
	if err != nil {
		t.Fatalf("reading the large blob: %v", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != size || got != sum {
		t.Fatalf("Open(large) read %d bytes with sha256 %s, want %d bytes with sha256 %s", n, got, size, sum)
	}
	t.Logf("%d MiB: Put %v (heap peak +%d KiB), Open+hash %v (heap peak +%d KiB)",
		size>>20, putTook.Round(time.Millisecond), putPeak>>10, openTook.Round(time.Millisecond), openPeak>>10)
	if cfg.heapCheck {
		// A store that buffers the blob grows the heap by at least its size.
		if putPeak >= uint64(size) {
			t.Errorf("Put of a %d MiB blob grew the heap by %d MiB: it must stream", size>>20, putPeak>>20)
		}
		if openPeak >= uint64(size) {
			t.Errorf("Open of a %d MiB blob grew the heap by %d MiB: it must stream", size>>20, openPeak>>20)
		}
	}
	// Putting it again streams too and changes nothing.
	if err := s.Put(context.Background(), sum, size, Generate(seed, size)); err != nil {
		t.Fatalf("second Put(large) = %v, want nil", err)
	}
}

func readAll(r io.Reader) []byte {
	b, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	return b
}
