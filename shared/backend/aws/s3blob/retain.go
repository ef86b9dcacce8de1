package s3blob

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

type retentionAPI interface {
	GetObjectRetention(ctx context.Context, params *s3.GetObjectRetentionInput, optFns ...func(*s3.Options)) (*s3.GetObjectRetentionOutput, error)
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
	cur, err := r.client.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &r.bucket, Key: &key})
	var ae smithy.APIError
	switch {
	case err == nil:
		if ret := cur.Retention; ret != nil && ret.RetainUntilDate != nil && !ret.RetainUntilDate.Before(until) &&
			(ret.Mode == r.mode || ret.Mode == types.ObjectLockRetentionModeCompliance) {
			return nil // locked as long or longer already
		}
	case errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchObjectLockConfiguration" || ae.ErrorCode() == "ObjectLockConfigurationNotFoundError"):
		// Not locked yet.
	default:
		return fmt.Errorf("retention of %s: %w", key, err)
	}
	_, err = r.client.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &r.bucket, Key: &key,
		Retention: &types.ObjectLockRetention{Mode: r.mode, RetainUntilDate: aws.Time(until.UTC())}})
	if err != nil {
		return fmt.Errorf("lock %s until %s: %w", key, until.UTC().Format(time.RFC3339), err)
	}
	return nil
}
