//go:build integration

package s3blob_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/blobtest"
)

// newBucket makes a fresh bucket with versioning and Object Lock (COMPLIANCE, one day), as
// template.yaml deploys it.
func newBucket(t *testing.T) (*s3.Client, string) {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" && os.Getenv("AWS_ENDPOINT_URL_S3") == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	ctx := context.Background()
	c, err := s3blob.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	bucket := "evx-test-" + hex.EncodeToString(b[:])
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket:                     &bucket,
		ObjectLockEnabledForBucket: aws.Bool(true),
		CreateBucketConfiguration:  &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(os.Getenv("AWS_REGION"))},
	}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
		Bucket: &bucket,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{
			ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{
				Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(1),
			}},
		},
	}); err != nil {
		t.Fatalf("object lock configuration: %v", err)
	}
	return c, bucket
}

func endpointS3() string {
	if e := os.Getenv("AWS_ENDPOINT_URL_S3"); e != "" {
		return e
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

func randomBytes(t *testing.T, n int) ([]byte, string) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	s := sha256.Sum256(b)
	return b, hex.EncodeToString(s[:])
}

func readAll(t *testing.T, st *s3blob.Store, sum string) []byte {
	t.Helper()
	rc, err := st.Open(context.Background(), sum)
	if err != nil {
		t.Fatalf("Open(%s) = %v", sum, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", sum, err)
	}
	return b
}

func assertAbsent(t *testing.T, c *s3.Client, bucket, sum string) {
	t.Helper()
	_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String(s3blob.Prefix + sum)})
	if err == nil {
		t.Errorf("object %s exists after a refused Put", sum)
	}
}

// The BlobStore conformance suite, with 5 MiB parts so that the larger blobs go up as
// multipart uploads.
func TestIntegrationBlobStoreConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) pipeline.BlobStore {
		c, bucket := newBucket(t)
		return s3blob.New(c, bucket, s3blob.WithPartSize(s3blob.MinPartSize))
	})
}

func TestIntegrationPutOpen(t *testing.T) {
	c, bucket := newBucket(t)
	st := s3blob.New(c, bucket, s3blob.WithPartSize(s3blob.MinPartSize))
	ctx := context.Background()

	for _, n := range []int{0, 1, 4096, s3blob.MinPartSize, 2*s3blob.MinPartSize + 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			body, sum := randomBytes(t, n)
			if err := st.Put(ctx, sum, int64(n), bytes.NewReader(body)); err != nil {
				t.Fatalf("Put = %v", err)
			}
			if got := readAll(t, st, sum); !bytes.Equal(got, body) {
				t.Fatalf("Open returned %d bytes, want the %d put", len(got), len(body))
			}
			// Again: the object exists, Put succeeds and the bytes stay.
			if err := st.Put(ctx, sum, int64(n), bytes.NewReader(body)); err != nil {
				t.Fatalf("second Put = %v, want nil", err)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{
				Bucket: &bucket, Key: aws.String(s3blob.Prefix + sum), ChecksumMode: types.ChecksumModeEnabled,
			})
			if err != nil {
				t.Fatal(err)
			}
			// moto_server 5.2.1 applies the bucket's default retention to single PUTs only,
			// not to completed multipart uploads (S3 applies it to both).
			if n <= s3blob.MinPartSize && head.ObjectLockMode != types.ObjectLockModeCompliance {
				t.Errorf("object lock mode = %q, want COMPLIANCE", head.ObjectLockMode)
			}
			if head.ChecksumSHA256 == nil {
				t.Errorf("no SHA-256 checksum stored with the object")
			} else if n <= s3blob.MinPartSize {
				raw, _ := hex.DecodeString(sum)
				if want := base64.StdEncoding.EncodeToString(raw); *head.ChecksumSHA256 != want {
					t.Errorf("stored checksum %s, want %s", *head.ChecksumSHA256, want)
				}
			}
		})
	}

	t.Run("mismatch", func(t *testing.T) {
		for _, n := range []int{10, 2*s3blob.MinPartSize + 1} {
			body, _ := randomBytes(t, n)
			// The sum of other bytes, long enough never to be one the test stored before (a
			// random single byte was, once in 256 runs: the 1-byte object above).
			_, other := randomBytes(t, 32)
			err := st.Put(ctx, other, int64(n), bytes.NewReader(body))
			var dm *pipeline.DigestMismatchError
			if !errors.As(err, &dm) || dm.Want != other {
				t.Fatalf("Put(%d bytes under another sum) = %v, want *DigestMismatchError", n, err)
			}
			assertAbsent(t, c, bucket, other)
		}
		ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Errorf("%d multipart uploads left open after refused Puts", len(ups.Uploads))
		}
	})

	t.Run("size", func(t *testing.T) {
		body, sum := randomBytes(t, 100)
		for _, size := range []int64{99, 101, 3 * s3blob.MinPartSize} {
			err := st.Put(ctx, sum, size, bytes.NewReader(body))
			var se *pipeline.SizeMismatchError
			if !errors.As(err, &se) {
				t.Errorf("Put(100 bytes, size %d) = %v, want *SizeMismatchError", size, err)
			}
		}
		assertAbsent(t, c, bucket, sum)
	})

	t.Run("not found", func(t *testing.T) {
		_, sum := randomBytes(t, 3)
		if _, err := st.Open(ctx, sum); !errors.Is(err, pipeline.ErrNotFound) {
			t.Fatalf("Open(missing) = %v, want ErrNotFound", err)
		}
	})

	t.Run("bad sum", func(t *testing.T) {
		for _, sum := range []string{"", "../x", strings.Repeat("A", 64), strings.Repeat("0", 63)} {
			if err := st.Put(ctx, sum, 0, bytes.NewReader(nil)); err == nil {
				t.Errorf("Put(%q) = nil, want an error", sum)
			}
			if _, err := st.Open(ctx, sum); err == nil {
				t.Errorf("Open(%q) = nil error", sum)
			}
		}
	})
}

// S3 itself refuses a body that does not match x-amz-checksum-sha256: the store's promise
// does not rest on its own check alone.
func TestIntegrationChecksumRefusedByS3(t *testing.T) {
	c, bucket := newBucket(t)
	if moto := os.Getenv("EVX_MOTO_URL"); moto != "" && endpointS3() == moto {
		t.Skip("moto_server 5.2.1 stores x-amz-checksum-sha256 as claimed without checking the body; " +
			"run with AWS_ENDPOINT_URL_S3 on AWS S3 or versitygw to check the refusal")
	}
	body, _ := randomBytes(t, 1000)
	wrong := sha256.Sum256([]byte("something else"))
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("evidence/x"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(base64.StdEncoding.EncodeToString(wrong[:])),
	})
	if err == nil {
		t.Fatal("PutObject with a wrong x-amz-checksum-sha256 succeeded")
	}
	t.Logf("refused: %v", err)
}

// If-None-Match keeps whatever lies under a key: a Put never replaces it, and Open reports
// bytes that do not hash to their name.
func TestIntegrationNeverOverwrites(t *testing.T) {
	c, bucket := newBucket(t)
	ctx := context.Background()
	body, sum := randomBytes(t, 500)
	planted := []byte("planted before evx wrote")
	ps := sha256.Sum256(planted)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String(s3blob.Prefix + sum), Body: bytes.NewReader(planted),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(base64.StdEncoding.EncodeToString(ps[:])),
	}); err != nil {
		t.Fatal(err)
	}
	st := s3blob.New(c, bucket)
	if err := st.Put(ctx, sum, int64(len(body)), bytes.NewReader(body)); err != nil {
		t.Fatalf("Put over an existing key = %v, want nil (412 means stored)", err)
	}
	rc, err := st.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, planted) {
		t.Errorf("object was replaced: got %q", got)
	}
	var dm *pipeline.DigestMismatchError
	if !errors.As(err, &dm) || dm.Got != hex.EncodeToString(ps[:]) {
		t.Errorf("reading planted bytes: err = %v, want *DigestMismatchError naming their sum", err)
	}
}

func TestIntegrationObjectLockRefusesDelete(t *testing.T) {
	c, bucket := newBucket(t)
	ctx := context.Background()
	body, sum := randomBytes(t, 64)
	st := s3blob.New(c, bucket)
	if err := st.Put(ctx, sum, 64, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String(s3blob.Prefix + sum)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: &bucket, Key: aws.String(s3blob.Prefix + sum), VersionId: head.VersionId,
	}); err == nil {
		t.Fatal("deleting a locked version succeeded")
	}
	if got := readAll(t, st, sum); !bytes.Equal(got, body) {
		t.Fatal("document changed after a refused delete")
	}
}

func TestIntegrationPresignGet(t *testing.T) {
	c, bucket := newBucket(t)
	ctx := context.Background()
	body, sum := randomBytes(t, 3000)
	st := s3blob.New(c, bucket)
	if err := st.Put(ctx, sum, int64(len(body)), bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	url, err := st.PresignGet(ctx, sum, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url) // what curl does: no SDK, no credentials
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET presigned URL: %s %s", resp.Status, got)
	}
	if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != sum {
		t.Fatalf("presigned GET returned bytes hashing to %x, want %s", s, sum)
	}
	if !strings.Contains(url, "X-Amz-Expires=300") || !strings.Contains(url, "X-Amz-Signature=") {
		t.Errorf("presigned URL %s lacks its expiry or signature", url)
	}
	// moto_server does not check signatures, so a tampered URL is not tried here.
	for _, ttl := range []time.Duration{0, -time.Second, s3blob.MaxPresign + time.Second} {
		if _, err := st.PresignGet(ctx, sum, ttl); err == nil {
			t.Errorf("PresignGet(ttl %v) = nil error", ttl)
		}
	}
}

// A zip bundle is read where it lies: archive/zip over ranged GETs, with read-ahead keeping
// the number of requests well under one per block.
func TestIntegrationReaderAtZip(t *testing.T) {
	c, bucket := newBucket(t)
	ctx := context.Background()
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	files := map[string][]byte{}
	for i, n := range []int{10, 300 << 10, 1 << 20, 0, 70000} {
		name := fmt.Sprintf("data/doc-%d.bin", i)
		b, _ := randomBytes(t, n)
		files[name] = b
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	key := "incoming/bundle.zip"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(zbuf.Bytes()),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatal(err)
	}

	const block = 64 << 10
	ra, err := s3blob.NewReaderAt(ctx, c, bucket, key, block, 4, 8)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Size() != int64(zbuf.Len()) {
		t.Fatalf("Size = %d, want %d", ra.Size(), zbuf.Len())
	}
	zr, err := zip.NewReader(ra, ra.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(got, files[f.Name]) {
			t.Errorf("%s: read %d bytes differing from the %d written", f.Name, len(got), len(files[f.Name]))
		}
	}
	blocks := (zbuf.Len() + block - 1) / block
	t.Logf("zip of %d bytes (%d blocks) read with %d ranged GETs", zbuf.Len(), blocks, ra.Gets())
	if ra.Gets() > blocks/2+2 {
		t.Errorf("%d GETs for %d blocks: read-ahead is not working", ra.Gets(), blocks)
	}

	// Reads past the end and at odd offsets follow io.ReaderAt.
	p := make([]byte, 10)
	if n, err := ra.ReadAt(p, ra.Size()-4); n != 4 || err != io.EOF {
		t.Errorf("ReadAt(10 at size-4) = %d, %v, want 4, EOF", n, err)
	}
	if n, err := ra.ReadAt(p, ra.Size()+1); n != 0 || err != io.EOF {
		t.Errorf("ReadAt(past end) = %d, %v, want 0, EOF", n, err)
	}
	if _, err := ra.ReadAt(p, -1); err == nil {
		t.Errorf("ReadAt(-1) = nil error")
	}

	// The object changing under the reader is an error, not a mix of versions.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("replaced"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 20*block) // more than the reader caches
	if _, err := ra.ReadAt(big, 0); err == nil {
		t.Errorf("ReadAt after the object changed = nil error, want a failed precondition")
	}

	if _, err := s3blob.NewReaderAt(ctx, c, bucket, "incoming/missing.zip", 0, 0, 0); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("NewReaderAt(missing) = %v, want ErrNotFound", err)
	}
}

// The bucket as template.yaml now deploys it: Object Lock on, no default retention. A stored
// document is unlocked until Retain locks it, for as long as asked, and a second, shorter
// Retain leaves it so.
func TestIntegrationRetainPerObject(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" && os.Getenv("AWS_ENDPOINT_URL_S3") == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	ctx := context.Background()
	c, err := s3blob.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	bucket := "evx-test-" + hex.EncodeToString(b[:])
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket, ObjectLockEnabledForBucket: aws.Bool(true),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(os.Getenv("AWS_REGION"))}}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	store := s3blob.New(c, bucket)
	body, sum := randomBytes(t, 1000)
	if err := store.Put(ctx, sum, int64(len(body)), bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	key := s3blob.Prefix + sum
	// HeadObject rather than GetObjectRetention: moto 5.2.1 answers the latter with XML the
	// SDK cannot parse.
	if r, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}); err != nil || r.ObjectLockRetainUntilDate != nil {
		t.Fatalf("a stored document before Retain: %v, %v", r, err)
	}
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	ret := s3blob.NewRetainer(c, bucket, types.ObjectLockRetentionModeGovernance)
	if err := ret.Retain(ctx, sum, until); err != nil {
		t.Fatal(err)
	}
	if err := ret.Retain(ctx, sum, until.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil || r.ObjectLockMode != types.ObjectLockModeGovernance || r.ObjectLockRetainUntilDate == nil || !r.ObjectLockRetainUntilDate.Equal(until) {
		t.Errorf("retention = %v, %v; want GOVERNANCE until %v", r, err, until)
	}
}

// TestIntegrationDeleterDisposes: a Deleter removes every version of a document (none left,
// not even a delete marker) and refuses, through S3, one Object Lock still retains, which
// LockedUntil reports first.
func TestIntegrationDeleterDisposes(t *testing.T) {
	c, bucket := newBucket(t) // COMPLIANCE for one day by default: every version locked
	ctx := context.Background()
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &bucket,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}}); err != nil {
		t.Fatalf("object lock without default retention: %v", err)
	}
	st, del := s3blob.New(c, bucket), s3blob.NewDeleter(c, bucket)
	body, sum := randomBytes(t, 100)
	if err := st.Put(ctx, sum, 100, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	// A second version, and a delete marker: all of them go.
	key := s3blob.Prefix + sum
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		t.Fatal(err)
	}
	other, otherSum := randomBytes(t, 100) // another document: not touched
	if err := st.Put(ctx, otherSum, 100, bytes.NewReader(other)); err != nil {
		t.Fatal(err)
	}
	if until, err := del.LockedUntil(ctx, sum); err != nil || !until.IsZero() {
		t.Fatalf("LockedUntil(unlocked) = %v, %v", until, err)
	}
	if err := del.Delete(ctx, sum); err != nil {
		t.Fatal(err)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key})
	if err != nil || len(vs.Versions)+len(vs.DeleteMarkers) != 0 {
		t.Fatalf("after Delete: %d versions, %d delete markers, %v; want none", len(vs.Versions), len(vs.DeleteMarkers), err)
	}
	if err := del.Delete(ctx, sum); err != nil {
		t.Errorf("Delete of a document not stored = %v, want nil", err)
	}
	if got := readAll(t, st, otherSum); !bytes.Equal(got, other) {
		t.Error("another document changed")
	}
	// A locked document: LockedUntil says until when, and S3 refuses the deletion.
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if err := s3blob.NewRetainer(c, bucket, types.ObjectLockRetentionModeCompliance).Retain(ctx, otherSum, until); err != nil {
		t.Fatal(err)
	}
	if got, err := del.LockedUntil(ctx, otherSum); err != nil || !got.Equal(until) {
		t.Errorf("LockedUntil(locked) = %v, %v; want %v", got, err, until)
	}
	if err := del.Delete(ctx, otherSum); err == nil {
		t.Error("Delete of a locked document succeeded")
	}
	if got := readAll(t, st, otherSum); !bytes.Equal(got, other) {
		t.Error("the locked document changed after a refused delete")
	}
}
