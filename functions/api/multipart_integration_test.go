//go:build integration

package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// versityGW starts versitygw (an S3 gateway over a folder, which checks SigV4 signatures and
// part checksums as S3 does, unlike moto 5.2.1) on a free loopback port and returns its URL;
// the test skips when it is not installed (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0 into $EVX_CACHE/bin).
func versityGW(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("EVX_VERSITYGW")
	if bin == "" {
		cache := os.Getenv("EVX_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "evx")
		}
		bin = filepath.Join(cache, "bin", "versitygw")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("versitygw not installed at %s", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.MkdirAll(filepath.Join(dir, "meta"), 0o755)
	var out bytes.Buffer
	cmd := exec.Command(bin, "--port", addr, "--access", "vgwtest", "--secret", "vgwtestsecret", "--region", "eu-west-1",
		"posix", "--sidecar", filepath.Join(dir, "meta"), filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw not listening on %s:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The conformance suite of the resumable protocol against an S3 that checks what S3 checks
// (versitygw checks SigV4 signatures and part checksums): a part whose bytes do not hash to
// the SHA-256 its presigned URL signs is refused and not held, so is a part of another length.
// TestIntegrationResumableProtocol runs the same suite on moto, which checks neither.
func TestIntegrationMultipartChecksumsEnforced(t *testing.T) {
	endpoint := versityGW(t)
	ctx := context.Background()
	c := s3.New(s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("vgwtest", "vgwtestsecret", ""),
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true})
	bucket := "evx-uploads"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	resumableSuite(t, c, bucket, true)
}
