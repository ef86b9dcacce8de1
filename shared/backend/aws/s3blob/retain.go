package s3blob

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

type retentionAPI interface {
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObjectRetention(ctx context.Context, params *s3.PutObjectRetentionInput, optFns ...func(*s3.Options)) (*s3.PutObjectRetentionOutput, error)
}

var _ retentionAPI = (*s3.Client)(nil)

// Retainer locks documents one by one with Object Lock retention: the evidence bucket has
// Object Lock on and no default retention, so only what Retain locks is locked (the
// documents of accepted bundles, not extracts, checkpoints or the documents of a bag then
// rejected). Retain never shortens a retention: a document already locked as long or longer
// (the same document accepted earlier in another bundle) is left as it is.
type Retainer struct {
	client retentionAPI
	bucket string
	mode   types.ObjectLockRetentionMode
}

// ParseMode reads a retention mode as template.yaml's RetentionMode names it.
func ParseMode(s string) (types.ObjectLockRetentionMode, error) {
	switch m := types.ObjectLockRetentionMode(s); m {
	case types.ObjectLockRetentionModeCompliance, types.ObjectLockRetentionModeGovernance:
		return m, nil
	}
	return "", fmt.Errorf("retention mode %q: want COMPLIANCE or GOVERNANCE", s)
}

// NewRetainer returns a Retainer of the documents in bucket, in mode.
func NewRetainer(client *s3.Client, bucket string, mode types.ObjectLockRetentionMode) *Retainer {
	return &Retainer{client: client, bucket: bucket, mode: mode}
}

// Retain locks the document with SHA-256 sum until the given time, in the Retainer's mode.
func (r *Retainer) Retain(ctx context.Context, sum string, until time.Time) error {
	key, err := Key(sum)
	if err != nil {
		return err
	}
	// The object's lock as HeadObject reports it (with s3:GetObjectRetention allowed), which
	// also serves emulators whose GetObjectRetention answers are unreadable.
	cur, err := r.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &r.bucket, Key: &key})
	if err != nil {
		return fmt.Errorf("retention of %s: %w", key, err)
	}
	if cur.ObjectLockRetainUntilDate != nil && !cur.ObjectLockRetainUntilDate.Before(until) &&
		(string(cur.ObjectLockMode) == string(r.mode) || cur.ObjectLockMode == types.ObjectLockModeCompliance) {
		return nil // locked as long or longer already
	}
	_, err = r.client.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &r.bucket, Key: &key,
		Retention: &types.ObjectLockRetention{Mode: r.mode, RetainUntilDate: aws.Time(until.UTC())}})
	if err != nil {
		return fmt.Errorf("lock %s until %s: %w", key, until.UTC().Format(time.RFC3339), err)
	}
	return nil
}
