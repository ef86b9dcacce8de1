//go:build integration

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/pipeline"
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

// The S3 side of a presigned multipart upload, against an S3 that checks what S3 checks:
// a part whose bytes do not hash to the SHA-256 its URL signs is refused, so is a part sent to
// another part's URL; the right bytes are taken; another uploader cannot complete the upload
// (its key is not theirs), and the uploader can, with the object holding exactly the parts.
func TestIntegrationMultipartChecksumsEnforced(t *testing.T) {
	endpoint := versityGW(t)
	ctx := context.Background()
	c := s3.New(s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("vgwtest", "vgwtestsecret", ""),
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true})
	bucket := "evx-uploads"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	var submitted []string
	h := &Handler{Claims: Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)},
		Uploads: &Multipart{S3: c, Presign: s3.NewPresignClient(c), Bucket: bucket, Clock: time.Now,
			Submit: func(_ context.Context, bucket, key, version, uploader string, _ int64) (pipeline.Upload, error) {
				submitted = append(submitted, uploader+" "+key)
				return pipeline.Upload{BundleID: "b-1"}, nil
			}}}
	call := func(path, sub string, body any) events.APIGatewayV2HTTPResponse {
		t.Helper()
		b, _ := json.Marshal(body)
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Body: string(b)}
		ev.RequestContext.HTTP.Method = "POST"
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": sub, "iss": fntest.Issuer, "client_id": "evx-web"}, Scopes: []string{"evx/upload"}}}
		resp, err := h.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	parts := [][]byte{make([]byte, MinPart), []byte("the last part of the bag")}
	rand.Read(parts[0])
	var req []map[string]any
	for _, p := range parts {
		req = append(req, map[string]any{"size": len(p), "sha256": hexSum(string(p))})
	}
	r := call("/v1/uploads", "inspector-1", map[string]any{"parts": req})
	var su struct {
		Upload   string          `json:"upload"`
		UploadID string          `json:"upload_id"`
		Parts    []PresignedPart `json:"parts"`
	}
	if err := json.Unmarshal([]byte(r.Body), &su); r.StatusCode != http.StatusCreated || err != nil || len(su.Parts) != 2 {
		t.Fatalf("start = %d %s", r.StatusCode, r.Body)
	}
	put := func(p PresignedPart, body []byte) (int, string, string) {
		t.Helper()
		hr, _ := http.NewRequest(http.MethodPut, p.URL, bytes.NewReader(body))
		for k, v := range p.Headers {
			hr.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("ETag"), string(b)
	}
	// Same size, other bytes: the signed checksum does not match.
	tampered := bytes.Clone(parts[1])
	tampered[0] ^= 1
	if code, _, body := put(su.Parts[1], tampered); code < 400 || code >= 500 {
		t.Errorf("PUT part 2 with other bytes = %d %.200s, want a 4xx", code, body)
	}
	// Part 1's URL and headers with part 2's bytes.
	if code, _, body := put(su.Parts[0], parts[1]); code < 400 || code >= 500 {
		t.Errorf("PUT part 2's bytes to part 1's URL = %d %.200s, want a 4xx", code, body)
	}
	var done []map[string]any
	for i, p := range su.Parts {
		code, etag, body := put(p, parts[i])
		if code != http.StatusOK || etag == "" {
			t.Fatalf("PUT part %d = %d %.200s", i+1, code, body)
		}
		done = append(done, map[string]any{"number": p.Number, "etag": etag, "sha256": hexSum(string(parts[i]))})
	}
	complete := map[string]any{"upload_id": su.UploadID, "parts": done}
	if r := call("/v1/uploads/"+su.Upload+"/complete", "inspector-2", complete); r.StatusCode != http.StatusNotFound {
		t.Errorf("complete by inspector-2 = %d %s, want 404", r.StatusCode, r.Body)
	}
	if r := call("/v1/uploads/"+su.Upload+"/complete", "inspector-1", complete); r.StatusCode != http.StatusCreated {
		t.Fatalf("complete = %d %s, want 201", r.StatusCode, r.Body)
	}
	if len(submitted) != 1 || !strings.HasPrefix(submitted[0], "inspector-1 incoming/api/") {
		t.Fatalf("submitted %q, want inspector-1's bag alone", submitted)
	}
	key := strings.TrimPrefix(submitted[0], "inspector-1 ")
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if want := append(bytes.Clone(parts[0]), parts[1]...); !bytes.Equal(got, want) {
		t.Errorf("object of %d bytes, want the %d of the two parts", len(got), len(want))
	}
}
