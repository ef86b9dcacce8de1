package s3blob

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/shared/pipeline"
)

// rangeGetter is the part of *s3.Client a ReaderAt uses.
type rangeGetter interface {
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ rangeGetter = (*s3.Client)(nil)

// Read-ahead defaults: a miss fetches ReadAhead blocks of BlockSize in one ranged GET, and at
// most CacheBlocks blocks are kept, so a ReaderAt holds at most BlockSize*CacheBlocks bytes.
const (
	DefaultBlockSize   = 1 << 20
	DefaultReadAhead   = 4
	DefaultCacheBlocks = 8
)

// ReaderAt reads one S3 object through ranged GETs, for archive/zip and the like. It pins
// the object's ETag when opened: if the object changes, reads fail instead of mixing versions.
// It is safe for concurrent use; concurrent misses are served one at a time.
type ReaderAt struct {
	ctx       context.Context
	client    rangeGetter
	bucket    string
	key       string
	etag      *string
	size      int64
	blockSize int64
	ahead     int64
	capacity  int

	mu    sync.Mutex
	cache map[int64][]byte // block index -> bytes
	order []int64          // block indexes, least recently used first
	gets  int              // ranged GETs made, for tests and figures
}

// NewReaderAt opens bucket/key for ranged reads. ctx bounds every GET the reader makes.
// blockSize, readAhead and cacheBlocks of 0 take the defaults; cacheBlocks is raised to
// readAhead when smaller.
func NewReaderAt(ctx context.Context, client rangeGetter, bucket, key string, blockSize int64, readAhead, cacheBlocks int) (*ReaderAt, error) {
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("open %s: %w", key, pipeline.ErrNotFound)
		}
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	if head.ContentLength == nil {
		return nil, fmt.Errorf("open %s: no content length", key)
	}
	if blockSize <= 0 {
		blockSize = DefaultBlockSize
	}
	if readAhead <= 0 {
		readAhead = DefaultReadAhead
	}
	if cacheBlocks <= 0 {
		cacheBlocks = DefaultCacheBlocks
	}
	return &ReaderAt{
		ctx: ctx, client: client, bucket: bucket, key: key, etag: head.ETag,
		size: *head.ContentLength, blockSize: blockSize, ahead: int64(readAhead),
		capacity: max(cacheBlocks, readAhead), cache: map[int64][]byte{},
	}, nil
}

// Size is the object's length in bytes.
func (r *ReaderAt) Size() int64 { return r.size }

// Gets counts the ranged GETs made so far.
func (r *ReaderAt) Gets() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets
}

// ReadAt implements io.ReaderAt.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s at %d: negative offset", r.key, off)
	}
	if off >= r.size {
		return 0, io.EOF // as bytes.Reader, also for an empty p
	}
	n := 0
	for n < len(p) && off+int64(n) < r.size {
		pos := off + int64(n)
		b, err := r.block(pos / r.blockSize)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b[pos%r.blockSize:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *ReaderAt) block(i int64) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.cache[i]; ok {
		r.touch(i)
		return b, nil
	}
	// Fetch block i and the blocks after it that are not cached, in one GET.
	last := min(i+r.ahead, (r.size+r.blockSize-1)/r.blockSize) - 1
	for j := i + 1; j <= last; j++ {
		if _, ok := r.cache[j]; ok {
			last = j - 1
			break
		}
	}
	from, to := i*r.blockSize, min((last+1)*r.blockSize, r.size)-1
	rng := fmt.Sprintf("bytes=%d-%d", from, to)
	r.gets++
	out, err := r.client.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket: &r.bucket, Key: &r.key, Range: &rng, IfMatch: r.etag,
	}, quietChecksums)
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", r.key, rng, err)
	}
	defer out.Body.Close()
	var want []byte
	for j := i; j <= last; j++ {
		b := make([]byte, min(r.blockSize, r.size-j*r.blockSize))
		if _, err := io.ReadFull(out.Body, b); err != nil {
			return nil, fmt.Errorf("read %s %s: %w", r.key, rng, err)
		}
		if j == i {
			want = b
		}
		r.cache[j] = b
		r.touch(j)
	}
	for len(r.order) > r.capacity {
		delete(r.cache, r.order[0])
		r.order = r.order[1:]
	}
	return want, nil
}

// touch marks block i as the most recently used.
func (r *ReaderAt) touch(i int64) {
	for k, j := range r.order {
		if j == i {
			r.order = append(r.order[:k], r.order[k+1:]...)
			break
		}
	}
	r.order = append(r.order, i)
}
