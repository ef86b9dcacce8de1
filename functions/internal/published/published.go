// Package published keeps the latest signed checkpoint of the custody log in the evidence
// bucket: the audit function signs one on a schedule and writes it with Put, the api function
// serves it with Latest, so an anonymous GET /v1/checkpoint costs an S3 read, never a KMS Sign
// or a read of the log's head. The bucket's versions of the key keep the earlier checkpoints.
package published

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Key is where the latest checkpoint lies in the evidence bucket.
const Key = "checkpoints/latest"

// MaxCheckpoint bounds what Latest reads: a checkpoint note with its signatures is well under
// 4 KiB; cosignatures of many witnesses stay under this.
const MaxCheckpoint = 64 << 10

// ErrNone is returned by Latest while no checkpoint was published yet.
var ErrNone = errors.New("no checkpoint published yet")

type putter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

type getter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var (
	_ putter = (*s3.Client)(nil)
	_ getter = (*s3.Client)(nil)
)

// Put stores cp as the latest checkpoint, with its SHA-256 checked by S3.
func Put(ctx context.Context, c putter, bucket string, cp []byte) error {
	sum := sha256.Sum256(cp)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(Key), Body: bytes.NewReader(cp),
		ContentLength: aws.Int64(int64(len(cp))), ContentType: aws.String("text/plain; charset=utf-8"),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])), CacheControl: aws.String("no-cache")})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, Key, err)
	}
	return nil
}

// TooLargeError is a stored checkpoint larger than MaxCheckpoint.
type TooLargeError struct{ Size int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("stored checkpoint of %d bytes or more, larger than %d", e.Size, MaxCheckpoint)
}

// Latest reads the latest checkpoint; ErrNone when there is none yet.
func Latest(ctx context.Context, c getter, bucket string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(Key)})
	if err != nil {
		var nk *types.NoSuchKey
		var ae smithy.APIError
		if errors.As(err, &nk) || errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey" {
			return nil, ErrNone
		}
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, Key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, MaxCheckpoint+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, Key, err)
	}
	if len(b) > MaxCheckpoint {
		return nil, &TooLargeError{Size: int64(len(b))}
	}
	return b, nil
}
