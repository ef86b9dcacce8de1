package s3blob

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/shared/pipeline"
)

type deleteAPI interface {
	ListObjectVersions(ctx context.Context, params *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, params *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var _ deleteAPI = (*s3.Client)(nil)

// Deleter disposes of documents: it deletes every version of evidence/<sha256> (and every
// delete marker), so that nothing of the document is left in the versioned bucket, which a
// plain DeleteObject would leave behind a delete marker. S3 refuses to delete a version
// Object Lock still retains; LockedUntil says until when, so that a disposal checks first.
// Only the function that disposes (audit) is built with one and allowed to delete
// (template.yaml); ingest, route and api link none.
type Deleter struct {
	client deleteAPI
	bucket string
}

var (
	_ pipeline.BlobDeleter = (*Deleter)(nil)
	_ pipeline.BlobLocks   = (*Deleter)(nil)
)

// NewDeleter returns a Deleter of the documents in bucket.
func NewDeleter(client *s3.Client, bucket string) *Deleter {
	return &Deleter{client: client, bucket: bucket}
}

// versions lists the versions and delete markers of key (the listing's prefix may also match
// longer keys: only key's own are returned).
func (d *Deleter) versions(ctx context.Context, key string) ([]types.ObjectIdentifier, error) {
	var out []types.ObjectIdentifier
	in := &s3.ListObjectVersionsInput{Bucket: &d.bucket, Prefix: &key}
	for {
		page, err := d.client.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("versions of %s: %w", key, err)
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == key {
				out = append(out, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				out = append(out, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
}

// Delete implements pipeline.BlobDeleter: every version of the document, gone; a document
// not stored is not an error.
func (d *Deleter) Delete(ctx context.Context, sum string) error {
	key, err := Key(sum)
	if err != nil {
		return err
	}
	vs, err := d.versions(ctx, key)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if _, err := d.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &d.bucket, Key: v.Key, VersionId: v.VersionId}); err != nil {
			return fmt.Errorf("delete %s version %s: %w", key, aws.ToString(v.VersionId), err)
		}
	}
	return nil
}

// LockedUntil implements pipeline.BlobLocks: the latest retain-until date of the document's
// versions (zero when none is locked, or none is stored). A legal hold counts as a lock
// without end.
func (d *Deleter) LockedUntil(ctx context.Context, sum string) (time.Time, error) {
	key, err := Key(sum)
	if err != nil {
		return time.Time{}, err
	}
	vs, err := d.versions(ctx, key)
	if err != nil {
		return time.Time{}, err
	}
	var until time.Time
	for _, v := range vs {
		h, err := d.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.bucket, Key: v.Key, VersionId: v.VersionId})
		if err != nil {
			continue // a delete marker has no head
		}
		if h.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn {
			return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), nil
		}
		if t := aws.ToTime(h.ObjectLockRetainUntilDate); t.After(until) {
			until = t
		}
	}
	return until, nil
}
