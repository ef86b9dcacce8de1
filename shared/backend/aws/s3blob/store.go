// Package s3blob keeps evx's documents in an S3 bucket, content-addressed by SHA-256.
//
// [Store] implements pipeline.BlobStore. Each document lies under evidence/<sha256> and is
// written at most once: every write carries If-None-Match: "*", so S3 refuses to replace an
// object, and a 412 answer means the document is already there. Every write also carries the
// SHA-256 checksum the caller claimed (x-amz-checksum-sha256), so S3 itself refuses bytes that
// do not match; Store checks the same sum locally before completing a write, so a mismatch
// stores nothing. Bodies larger than one part go up as a multipart upload whose parts carry
// their own SHA-256; memory stays bounded by the part size.
//
// [Store.PresignGet] hands a counterpart a short-lived URL any HTTP client can fetch, and
// [NewReaderAt] reads an object where it lies (a zip bundle, say) through ranged GETs with
// read-ahead, never holding more than a bounded window in memory.
package s3blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/evx-project/evx/shared/pipeline"
)

// Prefix is where documents lie in the bucket: Prefix + lowercase hex SHA-256.
const Prefix = "evidence/"

// Part sizes bound the memory a Put holds: one part at a time.
const (
	DefaultPartSize = 16 << 20
	MinPartSize     = 5 << 20 // S3's smallest part but the last
	maxParts        = 10000   // S3's limit
)

// api is the part of *s3.Client the store uses; the signatures are the SDK's.
type api interface {
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, params *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, params *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, params *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, params *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ api = (*s3.Client)(nil)

// Store is a pipeline.BlobStore on one S3 bucket. It is safe for concurrent use.
type Store struct {
	client   api
	presign  *s3.PresignClient // nil when built over something other than *s3.Client
	bucket   string
	partSize int64
}

var _ pipeline.BlobStore = (*Store)(nil)

// Option changes a Store.
type Option func(*Store)

// WithPartSize sets the multipart part size (at least MinPartSize); bodies up to one part go
// up in a single PutObject. Memory held by a Put is about one part.
func WithPartSize(n int64) Option {
	return func(s *Store) { s.partSize = max(n, MinPartSize) }
}

// New returns a Store over bucket.
func New(client *s3.Client, bucket string, opts ...Option) *Store {
	s := &Store{client: client, presign: s3.NewPresignClient(client), bucket: bucket, partSize: DefaultPartSize}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Key returns the object key of the document with the given SHA-256, or an error wrapping
// pipeline.ErrInvalidSum when sum is not 64 lowercase hex digits.
func Key(sum string) (string, error) {
	if !pipeline.ValidSum(sum) {
		return "", fmt.Errorf("sha256 %q: %w", sum, pipeline.ErrInvalidSum)
	}
	return Prefix + sum, nil
}

// checksum is the x-amz-checksum-sha256 form of a digest: base64 of the raw 32 bytes.
func checksum(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }

// Put stores the size bytes of r under sum, as pipeline.BlobStore promises.
func (s *Store) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	key, err := Key(sum)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("put %s: size %d is negative", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	want, _ := hex.DecodeString(sum)
	if size <= s.partSize {
		return s.putSingle(ctx, key, sum, want, size, r)
	}
	return s.putMultipart(ctx, key, sum, want, size, r)
}

// readBody reads exactly len(buf) bytes of r into buf; done bytes of the body came before.
// On the last buffer it also makes sure the body ends there.
func readBody(key string, size, done int64, r io.Reader, buf []byte, last bool) error {
	n, err := io.ReadFull(r, buf)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &pipeline.SizeMismatchError{Key: key, Want: size, Got: done + int64(n)}
		}
		return fmt.Errorf("put %s: read: %w", key, err)
	}
	if last {
		var one [1]byte
		n, err := io.ReadFull(r, one[:])
		if n > 0 {
			return &pipeline.SizeMismatchError{Key: key, Want: size, Got: size + 1}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("put %s: read: %w", key, err)
		}
	}
	return nil
}

func mismatch(key, sum string, h hash.Hash) error {
	return &pipeline.DigestMismatchError{Key: key, Want: sum, Got: hex.EncodeToString(h.Sum(nil))}
}

func (s *Store) putSingle(ctx context.Context, key, sum string, want []byte, size int64, r io.Reader) error {
	buf := make([]byte, size)
	if err := readBody(key, size, 0, r, buf, true); err != nil {
		return err
	}
	h := sha256.New()
	h.Write(buf)
	if !bytes.Equal(h.Sum(nil), want) {
		return mismatch(key, sum, h)
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:            &s.bucket,
		Key:               &key,
		Body:              bytes.NewReader(buf),
		ContentLength:     aws.Int64(size),
		ContentType:       aws.String("application/octet-stream"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(checksum(want)),
		IfNoneMatch:       aws.String("*"),
	})
	return s.settle(ctx, key, err)
}

// settle turns the answer to a conditional write into Put's result: a 412 means the
// document is already stored, and so does a 409 (a concurrent write of the same key) once the
// object is seen.
func (s *Store) settle(ctx context.Context, key string, err error) error {
	if err == nil {
		return nil
	}
	switch httpStatus(err) {
	case http.StatusPreconditionFailed:
		return nil
	case http.StatusConflict:
		if _, herr := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key}); herr == nil {
			return nil
		}
	}
	return fmt.Errorf("put %s: %w", key, err)
}

func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err == nil {
		return true, nil
	}
	if isNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("head %s: %w", key, err)
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	return httpStatus(err) == http.StatusNotFound
}

func (s *Store) putMultipart(ctx context.Context, key, sum string, want []byte, size int64, r io.Reader) error {
	partSize := s.partSize
	if n := (size + partSize - 1) / partSize; n > maxParts {
		partSize = (size + maxParts - 1) / maxParts
	}
	// A document already stored is not uploaded again; the body is still read and checked so
	// the caller learns about bytes that do not match their name.
	if ok, err := s.exists(ctx, key); err != nil {
		return err
	} else if ok {
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(r, size+1))
		if err != nil {
			return fmt.Errorf("put %s: read: %w", key, err)
		}
		if n != size {
			return &pipeline.SizeMismatchError{Key: key, Want: size, Got: n}
		}
		if !bytes.Equal(h.Sum(nil), want) {
			return mismatch(key, sum, h)
		}
		return nil
	}

	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:            &s.bucket,
		Key:               &key,
		ContentType:       aws.String("application/octet-stream"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumType:      types.ChecksumTypeComposite,
	})
	if err != nil {
		return fmt.Errorf("put %s: create multipart upload: %w", key, err)
	}
	abort := func(cause error) error {
		// A fresh context: the caller's may be what ended the upload.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &key, UploadId: up.UploadId,
		}); aerr != nil {
			return fmt.Errorf("%w (abort multipart upload: %v)", cause, aerr)
		}
		return cause
	}

	whole := sha256.New()
	buf := make([]byte, partSize)
	var parts []types.CompletedPart
	for off, num := int64(0), int32(1); off < size; off, num = off+partSize, num+1 {
		n := min(partSize, size-off)
		last := off+n == size
		if err := readBody(key, size, off, r, buf[:n], last); err != nil {
			return abort(err)
		}
		if err := ctx.Err(); err != nil {
			return abort(fmt.Errorf("put %s: %w", key, err))
		}
		whole.Write(buf[:n])
		ps := sha256.Sum256(buf[:n])
		// The whole body is checked before its last part is sent, so a mismatch never
		// reaches S3 in full.
		if last && !bytes.Equal(whole.Sum(nil), want) {
			return abort(mismatch(key, sum, whole))
		}
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:            &s.bucket,
			Key:               &key,
			UploadId:          up.UploadId,
			PartNumber:        aws.Int32(num),
			Body:              bytes.NewReader(buf[:n]),
			ContentLength:     aws.Int64(n),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
			ChecksumSHA256:    aws.String(checksum(ps[:])),
		})
		if err != nil {
			return abort(fmt.Errorf("put %s: part %d: %w", key, num, err))
		}
		parts = append(parts, types.CompletedPart{
			ETag: out.ETag, PartNumber: aws.Int32(num), ChecksumSHA256: aws.String(checksum(ps[:])),
		})
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          &s.bucket,
		Key:             &key,
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		MpuObjectSize:   aws.Int64(size),
		IfNoneMatch:     aws.String("*"),
	})
	if err != nil {
		if s.settle(ctx, key, err) == nil {
			// Stored meanwhile by another writer: this upload is left over.
			_ = abort(err)
			return nil
		}
		return abort(fmt.Errorf("put %s: complete multipart upload: %w", key, err))
	}
	return nil
}

// Open returns the document stored under sum, or an error wrapping pipeline.ErrNotFound. The
// reader checks the bytes against sum as they pass: reading to EOF returns a
// *pipeline.DigestMismatchError instead of io.EOF if they do not match.
func (s *Store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	key, err := Key(sum)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}, quietChecksums)
	if err != nil {
		if isNotFound(err) && ctx.Err() == nil {
			return nil, fmt.Errorf("open %s: %w", key, pipeline.ErrNotFound)
		}
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return &checkedReader{body: out.Body, key: key, sum: sum, h: sha256.New()}, nil
}

// quietChecksums stops the SDK logging, on every read of a multipart document, that it
// cannot check a composite checksum: Open checks the whole SHA-256 itself.
func quietChecksums(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }

type checkedReader struct {
	body     io.ReadCloser
	key, sum string
	h        hash.Hash
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.body.Read(p)
	c.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.sum {
			return n, &pipeline.DigestMismatchError{Key: c.key, Want: c.sum, Got: got}
		}
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.body.Close() }

// MaxPresign is the longest lifetime S3 allows a presigned URL (SigV4: 7 days).
const MaxPresign = 7 * 24 * time.Hour

// PresignGet returns a URL that fetches the document stored under sum with a plain HTTP GET
// until ttl (at most MaxPresign) has passed. It does not check that the document exists.
func (s *Store) PresignGet(ctx context.Context, sum string, ttl time.Duration) (string, error) {
	key, err := Key(sum)
	if err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxPresign {
		return "", fmt.Errorf("presign %s: lifetime %v, want more than 0 and at most %v", key, ttl, MaxPresign)
	}
	if s.presign == nil {
		return "", errors.New("presign: store was not built over an *s3.Client")
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}
