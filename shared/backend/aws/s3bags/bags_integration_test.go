//go:build integration

package s3bags_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/shared/backend/aws/dynamostate"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

// sources is a fixed table of upload sources (dynamostate.Table keeps them on AWS).
type sources map[string]dynamostate.Source

func (s sources) Source(ctx context.Context, id string) (dynamostate.Source, error) {
	src, ok := s[id]
	if !ok {
		return src, pipeline.ErrNotFound
	}
	return src, nil
}

func bag(t *testing.T, ext string) []byte {
	dir := t.TempDir()
	p := filepath.Join(dir, "statement.txt")
	os.WriteFile(p, []byte("Statement of the witness, 2026-11-02.\n"), 0o600)
	out := filepath.Join(t.TempDir(), "bundle"+ext)
	if _, err := bagit.Create(out, []string{p}, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"}}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIntegrationOpenBag(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	ctx := context.Background()
	c, err := s3blob.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rb [6]byte
	rand.Read(rb[:])
	bucket := "evx-bags-" + hex.EncodeToString(rb[:])
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(os.Getenv("AWS_REGION"))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	src := sources{}
	put := func(key string, body []byte) string {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		v := aws.ToString(out.VersionId)
		id := s3bags.BundleID(bucket, key, v)
		src[id] = dynamostate.Source{Bucket: bucket, Key: key, Version: v}
		return id
	}
	zipID := put("incoming/a.zip", bag(t, ".zip"))
	tarID := put("incoming/b.tar.gz", bag(t, ".tar.gz"))
	junkID := put("incoming/c.zip", []byte("PK\x03\x04 not really"))
	put("incoming/a.zip", []byte("a later version of the same key")) // the recorded version still opens
	bags := s3bags.New(c, src)
	for _, id := range []string{zipID, tarID} {
		b, err := bags.OpenBag(ctx, id, bagit.DefaultLimits())
		if err != nil {
			t.Fatalf("OpenBag(%s): %v", src[id].Key, err)
		}
		rep, err := b.Validate(bagit.Options{})
		b.Close()
		if err != nil || !rep.Valid() {
			t.Errorf("%s: Validate = %+v, %v", src[id].Key, rep, err)
		}
	}
	var ae *bagit.ArchiveError
	if _, err := bags.OpenBag(ctx, junkID, bagit.DefaultLimits()); !errors.As(err, &ae) {
		t.Errorf("OpenBag(junk) = %v, want a *bagit.ArchiveError (a rejection)", err)
	}
	if _, err := bags.OpenBag(ctx, "s3-unknown", bagit.DefaultLimits()); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("OpenBag(unknown) = %v, want ErrNotFound", err)
	}
	src["s3-gone"] = dynamostate.Source{Bucket: bucket, Key: "incoming/never-written.zip"}
	if _, err := bags.OpenBag(ctx, "s3-gone", bagit.DefaultLimits()); !errors.Is(err, pipeline.ErrNotFound) || errors.As(err, &ae) {
		t.Errorf("OpenBag(missing object) = %v, want ErrNotFound and no rejection", err)
	}
}
