package s3blob

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/shared/pipeline"
)

var _ pipeline.ChecksumStore = (*Store)(nil)

// StoredChecksum returns the SHA-256 checksum S3 keeps of the document stored under sum, from
// one HeadObject with the checksum mode enabled; nothing is downloaded. A document Put as one
// PutObject carries S3's full-object SHA-256 (StoredChecksum.SHA256, hex); a multipart one
// S3's COMPOSITE SHA-256 over its parts (StoredChecksum.Composite, "BASE64-N"): S3 offers a
// full-object checksum of a multipart upload for the CRC algorithms only, not for SHA-256. A
// document stored without a checksum answers neither.
func (s *Store) StoredChecksum(ctx context.Context, sum string) (pipeline.StoredChecksum, error) {
	key, err := Key(sum)
	if err != nil {
		return pipeline.StoredChecksum{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		if isNotFound(err) && ctx.Err() == nil {
			return pipeline.StoredChecksum{}, fmt.Errorf("head %s: %w", key, pipeline.ErrNotFound)
		}
		return pipeline.StoredChecksum{}, fmt.Errorf("head %s: %w", key, err)
	}
	return storedChecksum(out.ChecksumSHA256, out.ChecksumType)
}

// ChecksumError is an x-amz-checksum-sha256 answer that is neither a base64 SHA-256 nor a
// composite "BASE64-N" with 1 <= N <= 10000.
type ChecksumError struct{ Value string }

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("stored checksum %q: want a base64 SHA-256, or one and \"-N\" for a multipart object", e.Value)
}

// maxChecksum is the longest checksum answer read: 44 base64 characters, "-", 5 digits.
const maxChecksum = 50

// storedChecksum reads S3's answer: a composite checksum is "BASE64-N" or has the type
// COMPOSITE (moto 5.2 answers the type without the "-N").
func storedChecksum(v *string, typ types.ChecksumType) (pipeline.StoredChecksum, error) {
	c := aws.ToString(v)
	if c == "" {
		return pipeline.StoredChecksum{}, nil
	}
	if len(c) > maxChecksum {
		return pipeline.StoredChecksum{}, &ChecksumError{Value: c[:maxChecksum] + "..."}
	}
	digest, parts, composite := strings.Cut(c, "-")
	raw, err := base64.StdEncoding.DecodeString(digest)
	if err != nil || len(raw) != sha256.Size {
		return pipeline.StoredChecksum{}, &ChecksumError{Value: c}
	}
	if composite {
		if n, err := strconv.Atoi(parts); err != nil || n < 1 || n > maxParts || strconv.Itoa(n) != parts {
			return pipeline.StoredChecksum{}, &ChecksumError{Value: c}
		}
	}
	if composite || typ == types.ChecksumTypeComposite {
		return pipeline.StoredChecksum{Composite: c}, nil
	}
	return pipeline.StoredChecksum{SHA256: hex.EncodeToString(raw)}, nil
}

// Reread reads the document stored under sum in full and returns the SHA-256 of its bytes
// and, for a multipart document, the composite checksum they give over its parts (their
// layout from a HeadObject of part 1: every part but the last has part 1's size, as Put
// writes them). One GetObject streams the bytes; memory stays at a copy buffer.
func (s *Store) Reread(ctx context.Context, sum string) (string, string, error) {
	key, err := Key(sum)
	if err != nil {
		return "", "", err
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key, PartNumber: aws.Int32(1)})
	if err != nil {
		if isNotFound(err) && ctx.Err() == nil {
			return "", "", fmt.Errorf("head %s: %w", key, pipeline.ErrNotFound)
		}
		return "", "", fmt.Errorf("head %s: %w", key, err)
	}
	parts := aws.ToInt32(head.PartsCount)
	partSize := aws.ToInt64(head.ContentLength)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}, quietChecksums)
	if err != nil {
		if isNotFound(err) && ctx.Err() == nil {
			return "", "", fmt.Errorf("open %s: %w", key, pipeline.ErrNotFound)
		}
		return "", "", fmt.Errorf("open %s: %w", key, err)
	}
	defer out.Body.Close()
	whole := sha256.New()
	if parts <= 1 || partSize <= 0 {
		if _, err := io.Copy(whole, out.Body); err != nil {
			return "", "", fmt.Errorf("read %s: %w", key, err)
		}
		return hex.EncodeToString(whole.Sum(nil)), "", nil
	}
	pw := newPartHasher(partSize)
	if _, err := io.Copy(io.MultiWriter(whole, pw), out.Body); err != nil {
		return "", "", fmt.Errorf("read %s: %w", key, err)
	}
	return hex.EncodeToString(whole.Sum(nil)), pw.composite(), nil
}

// partHasher computes S3's composite SHA-256 of bytes cut into parts of size: SHA-256 over
// the concatenated SHA-256s of the parts.
type partHasher struct {
	size, n int64
	count   int
	part    hash.Hash
	of      hash.Hash
}

func newPartHasher(size int64) *partHasher {
	return &partHasher{size: size, part: sha256.New(), of: sha256.New()}
}

func (p *partHasher) Write(b []byte) (int, error) {
	total := len(b)
	for len(b) > 0 {
		k := min(int64(len(b)), p.size-p.n)
		p.part.Write(b[:k])
		p.n += k
		b = b[k:]
		if p.n == p.size {
			p.flush()
		}
	}
	return total, nil
}

func (p *partHasher) flush() {
	p.of.Write(p.part.Sum(nil))
	p.part.Reset()
	p.n = 0
	p.count++
}

func (p *partHasher) composite() string {
	if p.n > 0 {
		p.flush()
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(p.of.Sum(nil)), p.count)
}
