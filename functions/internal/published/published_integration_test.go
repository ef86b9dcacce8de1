//go:build integration

package published

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Against the emulator's S3: nothing published is ErrNone, a published checkpoint is what
// Latest reads, the next one replaces it, and an object larger than MaxCheckpoint is refused.
func TestIntegrationPutLatest(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg)
	var rb [4]byte
	rand.Read(rb[:])
	bucket := "cp-" + hex.EncodeToString(rb[:])
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(cfg.Region)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Latest(ctx, c, bucket); !errors.Is(err, ErrNone) {
		t.Errorf("Latest of nothing = %v, want ErrNone", err)
	}
	for _, cp := range [][]byte{
		[]byte("evx.aws/custody\n3\nq3/Zx0GX0f3Z0x=\n\n— evx.aws/custody sig3\n"),
		[]byte("evx.aws/custody\n4\nr4/Zx0GX0f3Z0x=\n\n— evx.aws/custody sig4\n"),
	} {
		if err := Put(ctx, c, bucket, cp); err != nil {
			t.Fatal(err)
		}
		if got, err := Latest(ctx, c, bucket); err != nil || !bytes.Equal(got, cp) {
			t.Errorf("Latest = %q, %v, want %q", got, err, cp)
		}
	}
	huge := bytes.Repeat([]byte("x"), MaxCheckpoint+1)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(Key), Body: bytes.NewReader(huge)}); err != nil {
		t.Fatal(err)
	}
	var tl *TooLargeError
	if _, err := Latest(ctx, c, bucket); !errors.As(err, &tl) {
		t.Errorf("Latest of a huge object = %v, want *TooLargeError", err)
	}
}
