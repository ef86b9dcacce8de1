package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/backend/aws/dynamostate"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
)

// MaxUpload is the largest bag the api function takes in a request: an HTTP API request to
// Lambda carries at most 6 MB. Larger bags go straight to S3 under incoming/ (the ingest
// function takes them from there).
const MaxUpload = 6 << 20

// s3Spooler stores an uploaded bag under incoming/api/ in the evidence bucket and records its
// source, so that the bundle is named as every S3 upload is (s3bags.BundleID).
type s3Spooler struct{ env *awsenv.Env }

func (s s3Spooler) Spool(ctx context.Context, r io.Reader) (string, int64, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxUpload+1))
	if err != nil {
		return "", 0, err
	}
	if len(b) > MaxUpload {
		return "", 0, fmt.Errorf("upload larger than %d bytes: put it under %s in the evidence bucket", MaxUpload, s3bags.Prefix)
	}
	var n [16]byte
	rand.Read(n[:])
	bucket, key := s.env.Config.Bucket, s3bags.Prefix+"api/"+hex.EncodeToString(n[:])+".bag"
	out, err := s.env.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b)))})
	if err != nil {
		return "", 0, fmt.Errorf("store upload: %w", err)
	}
	version := aws.ToString(out.VersionId)
	id := s3bags.BundleID(bucket, key, version)
	if err := s.env.State.SetSource(ctx, id, dynamostate.Source{Bucket: bucket, Key: key, Version: version}); err != nil {
		return "", 0, err
	}
	return id, int64(len(b)), nil
}
