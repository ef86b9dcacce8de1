// Package s3bags opens uploaded bags where they lie in S3, for evx on AWS.
//
// An uploader (or the api function) puts a bag under incoming/ in the evidence bucket; S3
// tells EventBridge, which invokes the ingest function with the bucket, key and version id.
// BundleID names the bundle from those three, so the same S3 event delivered twice is one
// bundle, and a new version of the same key is another. Bags implements pipeline.Bags: a zip
// is opened through ranged GETs (s3blob.ReaderAt, pinned to the recorded version), never
// copied whole to disk or memory; a tar or tar.gz is read as one stream.
package s3bags

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/shared/backend/aws/dynamostate"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

// Prefix is where uploads lie in the evidence bucket.
const Prefix = "incoming/"

// BundleID names the bundle uploaded as bucket/key at version: "s3-" and 40 hex digits of
// SHA-256(bucket, NUL, key, NUL, version).
func BundleID(bucket, key, version string) string {
	h := sha256.New()
	io.WriteString(h, bucket)
	h.Write([]byte{0})
	io.WriteString(h, key)
	h.Write([]byte{0})
	io.WriteString(h, version)
	return "s3-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// Sources tells where an upload's bag lies (dynamostate.Table records it).
type Sources interface {
	Source(ctx context.Context, bundleID string) (dynamostate.Source, error)
}

// Getter is the part of *s3.Client Bags uses.
type Getter interface {
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ Getter = (*s3.Client)(nil)

// Bags opens uploaded bags in S3.
type Bags struct {
	s3      Getter
	sources Sources
}

var _ pipeline.Bags = (*Bags)(nil)

// New returns Bags reading through client the sources that sources records.
func New(client Getter, sources Sources) *Bags { return &Bags{s3: client, sources: sources} }

// versioned pins every request to one object version.
type versioned struct {
	Getter
	version string
}

func (v versioned) HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	c := *in
	if v.version != "" {
		c.VersionId = aws.String(v.version)
	}
	return v.Getter.HeadObject(ctx, &c, optFns...)
}

func (v versioned) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c := *in
	if v.version != "" {
		c.VersionId = aws.String(v.version)
	}
	return v.Getter.GetObject(ctx, &c, optFns...)
}

func notFound(err error) bool {
	var nk *s3types.NoSuchKey
	var nf *s3types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf) || strings.Contains(err.Error(), "StatusCode: 404")
}

// OpenBag implements pipeline.Bags. The first bytes decide: "PK\x03\x04" a zip, read through
// ranged GETs; anything else is handed to bagit.OpenTar as one stream (tar or tar.gz), which
// refuses what is neither. ctx bounds every GET the bag makes while it is read.
func (b *Bags) OpenBag(ctx context.Context, bundleID string, lim bagit.Limits) (*bagit.Bag, error) {
	src, err := b.sources.Source(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	g := versioned{Getter: b.s3, version: src.Version}
	ra, err := s3blob.NewReaderAt(ctx, g, src.Bucket, src.Key, 0, 0, 0)
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("upload %s (s3://%s/%s): %w", bundleID, src.Bucket, src.Key, pipeline.ErrNotFound)
		}
		return nil, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	var magic [4]byte
	n, err := ra.ReadAt(magic[:], 0)
	if err != nil && n < 4 && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	if n == 4 && string(magic[:]) == "PK\x03\x04" {
		seen := &ioErrors{r: ra}
		bag, err := bagit.OpenZip(seen, ra.Size(), lim)
		if err != nil && seen.err != nil {
			// S3 failed, not the bag: an error the caller retries, never a rejection.
			return nil, fmt.Errorf("upload %s: reading s3://%s/%s: %w", bundleID, src.Bucket, src.Key, seen.err)
		}
		return bag, err
	}
	out, err := g.GetObject(ctx, &s3.GetObjectInput{Bucket: &src.Bucket, Key: &src.Key})
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	bag, err := bagit.OpenTar(bufio.NewReaderSize(&closeAtEOF{rc: out.Body}, 1<<20), lim)
	if err != nil {
		out.Body.Close()
		return nil, err
	}
	return bag, nil
}

// ioErrors remembers the first error other than io.EOF its ReaderAt returned.
type ioErrors struct {
	r   io.ReaderAt
	mu  sync.Mutex
	err error
}

func (e *ioErrors) ReadAt(p []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		e.mu.Lock()
		if e.err == nil {
			e.err = err
		}
		e.mu.Unlock()
	}
	return n, err
}

// closeAtEOF closes a GET's body once it is read to the end, which a tar bag is when it has
// been validated, so its connection goes back to the pool.
type closeAtEOF struct{ rc io.ReadCloser }

func (c *closeAtEOF) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if err == io.EOF {
		c.rc.Close()
	}
	return n, err
}
