package s3blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// byteObject answers HeadObject and ranged GetObject from a byte slice, checking the Range
// header the way S3 reads it. It stands in for S3 where the unit tests check the block cache
// arithmetic; the integration tests run the same reader against moto_server.
type byteObject struct {
	data []byte
	mu   sync.Mutex
	gets int
}

func (o *byteObject) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(o.data))), ETag: aws.String(`"e"`)}, nil
}

func (o *byteObject) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	o.mu.Lock()
	o.gets++
	o.mu.Unlock()
	var from, to int64
	if in.Range == nil {
		return nil, fmt.Errorf("GET without a range")
	}
	if _, err := fmt.Sscanf(*in.Range, "bytes=%d-%d", &from, &to); err != nil {
		return nil, fmt.Errorf("range %q: %v", *in.Range, err)
	}
	if from < 0 || to < from || from >= int64(len(o.data)) {
		return nil, fmt.Errorf("range %q outside an object of %d bytes", *in.Range, len(o.data))
	}
	if in.IfMatch == nil || *in.IfMatch != `"e"` {
		return nil, fmt.Errorf("GET without the pinned ETag")
	}
	to = min(to, int64(len(o.data))-1)
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(o.data[from : to+1]))}, nil
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// checkReads compares ReadAt with bytes.Reader's for the same offsets and lengths.
func checkReads(t *testing.T, ra io.ReaderAt, data []byte, off int64, n int) {
	t.Helper()
	want := make([]byte, n)
	wn, werr := bytes.NewReader(data).ReadAt(want, off)
	got := make([]byte, n)
	gn, gerr := ra.ReadAt(got, off)
	if off < 0 {
		if gerr == nil {
			t.Fatalf("ReadAt(%d, %d) = nil error, want one", n, off)
		}
		return
	}
	if gn != wn || (gerr == nil) != (werr == nil) || !bytes.Equal(got[:gn], want[:wn]) {
		t.Fatalf("ReadAt(%d bytes at %d) = %d, %v, want %d, %v", n, off, gn, gerr, wn, werr)
	}
}

func TestReaderAtMatchesBytesReader(t *testing.T) {
	for _, size := range []int{0, 1, 99, 100, 101, 1000, 4096} {
		data := pattern(size)
		obj := &byteObject{data: data}
		ra, err := NewReaderAt(context.Background(), obj, "b", "k", 100, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			off int64
			n   int
		}{{0, 0}, {0, 1}, {0, size}, {0, size + 1}, {int64(size), 1}, {int64(size) + 5, 3}, {99, 2}, {150, 500}, {-1, 1}, {0, 3 * size}} {
			checkReads(t, ra, data, c.off, c.n)
		}
	}
}

func TestReaderAtReadAheadAndBound(t *testing.T) {
	data := pattern(10000)
	obj := &byteObject{data: data}
	ra, err := NewReaderAt(context.Background(), obj, "b", "k", 100, 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	// Sequential small reads: one GET per four blocks.
	p := make([]byte, 10)
	for off := int64(0); off < 10000; off += 10 {
		if _, err := ra.ReadAt(p, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, data[off:off+10]) {
			t.Fatalf("bytes at %d differ", off)
		}
	}
	if got, want := ra.Gets(), 25; got != want {
		t.Errorf("sequential read of 100 blocks made %d GETs, want %d", got, want)
	}
	ra.mu.Lock()
	cached := len(ra.cache)
	ra.mu.Unlock()
	if cached > 6 {
		t.Errorf("%d blocks cached, want at most 6", cached)
	}
	// Re-reading the tail hits the cache.
	before := ra.Gets()
	if _, err := ra.ReadAt(p, 9990); err != nil {
		t.Fatal(err)
	}
	if ra.Gets() != before {
		t.Errorf("re-reading a cached block made a GET")
	}
}

func TestReaderAtConcurrent(t *testing.T) {
	data := pattern(50000)
	ra, err := NewReaderAt(context.Background(), &byteObject{data: data}, "b", "k", 512, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 200 {
				off, n := r.Int64N(51000), r.IntN(3000)
				got := make([]byte, n)
				gn, _ := ra.ReadAt(got, off)
				want := make([]byte, n)
				wn, _ := bytes.NewReader(data).ReadAt(want, off)
				if gn != wn || !bytes.Equal(got[:gn], want[:wn]) {
					t.Errorf("ReadAt(%d at %d) = %d bytes differing from bytes.Reader's %d", n, off, gn, wn)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzReaderAt reads at fuzzed offsets and lengths through fuzzed block geometry and checks
// every answer against bytes.Reader.
func FuzzReaderAt(f *testing.F) {
	f.Add(uint16(1000), uint16(64), uint8(2), uint8(3), int64(0), uint16(10))
	f.Add(uint16(1), uint16(1), uint8(1), uint8(1), int64(0), uint16(2))
	f.Add(uint16(0), uint16(7), uint8(9), uint8(0), int64(0), uint16(0))
	f.Add(uint16(999), uint16(100), uint8(4), uint8(2), int64(998), uint16(500))
	f.Add(uint16(500), uint16(3), uint8(1), uint8(1), int64(-4), uint16(1))
	f.Fuzz(func(t *testing.T, size, block uint16, ahead, cache uint8, off int64, n uint16) {
		data := pattern(int(size))
		ra, err := NewReaderAt(context.Background(), &byteObject{data: data}, "b", "k", int64(block), int(ahead), int(cache))
		if err != nil {
			t.Fatal(err)
		}
		checkReads(t, ra, data, off, int(n))
		checkReads(t, ra, data, off/2, int(n)/2+1)
	})
}
