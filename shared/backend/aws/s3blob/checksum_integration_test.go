//go:build integration

package s3blob_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestStoredChecksums on the emulator: a document Put in one request carries S3's
// full-object SHA-256, the custody SHA-256 itself; a multipart one S3's composite checksum,
// which Reread computes again from the bytes; a document stored without a checksum has none,
// and a missing one is ErrNotFound.
func TestStoredChecksums(t *testing.T) {
	c, bucket := newBucket(t)
	ctx := context.Background()
	st := s3blob.New(c, bucket, s3blob.WithPartSize(s3blob.MinPartSize))

	small, smallSum := randomBytes(t, 1000)
	if err := st.Put(ctx, smallSum, int64(len(small)), bytes.NewReader(small)); err != nil {
		t.Fatal(err)
	}
	got, err := st.StoredChecksum(ctx, smallSum)
	if err != nil || got != (pipeline.StoredChecksum{SHA256: smallSum}) {
		t.Errorf("StoredChecksum(single part) = %+v, %v; want SHA256 %s", got, err, smallSum)
	}
	if sum, comp, err := st.Reread(ctx, smallSum); err != nil || sum != smallSum || comp != "" {
		t.Errorf("Reread(single part) = %s, %q, %v; want %s and no composite", sum, comp, err, smallSum)
	}

	big, bigSum := randomBytes(t, 2*s3blob.MinPartSize+12345)
	if err := st.Put(ctx, bigSum, int64(len(big)), bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	got, err = st.StoredChecksum(ctx, bigSum)
	if err != nil || got.SHA256 != "" || got.Composite == "" {
		t.Fatalf("StoredChecksum(multipart) = %+v, %v; want a composite checksum", got, err)
	}
	sum, comp, err := st.Reread(ctx, bigSum)
	if err != nil || sum != bigSum || !strings.HasSuffix(comp, "-3") || !strings.HasPrefix(comp, strings.SplitN(got.Composite, "-", 2)[0]) {
		t.Errorf("Reread(multipart) = %s, %q, %v; want %s and S3's composite %s over 3 parts", sum, comp, err, bigSum, got.Composite)
	}

	// Stored before checksums: a plain PutObject (as an object written by another tool).
	old, oldSum := randomBytes(t, 500)
	key, _ := s3blob.Key(oldSum)
	md := md5.Sum(old)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(old), ContentLength: aws.Int64(int64(len(old))),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(md[:]))}, func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }); err != nil {
		t.Fatal(err)
	}
	if got, err := st.StoredChecksum(ctx, oldSum); err != nil || !got.None() {
		t.Errorf("StoredChecksum(no checksum) = %+v, %v; want none", got, err)
	}
	_, missing := randomBytes(t, 10)
	if _, err := st.StoredChecksum(ctx, missing); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("StoredChecksum(missing) = %v, want ErrNotFound", err)
	}
	if _, _, err := st.Reread(ctx, missing); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Reread(missing) = %v, want ErrNotFound", err)
	}
}
