package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/pipeline"
)

func hexSum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// offlineMultipart is a Multipart whose S3 is a closed port and whose Submit fails the test:
// for requests that must be refused before anything is asked of S3.
func offlineMultipart(t *testing.T) *Multipart {
	s3c := s3.New(s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true, RetryMaxAttempts: 1})
	return &Multipart{S3: s3c, Presign: s3.NewPresignClient(s3c), Bucket: "evx-uploads", Clock: (&fntest.Clock{T: fntest.T0}).Now,
		Submit: func(context.Context, string, string, string, string, int64) (pipeline.Upload, error) {
			t.Error("Submit called for a refused request")
			return pipeline.Upload{}, nil
		}}
}

// Requests the api refuses before S3 is asked anything: bad bodies are 400s, other roles
// 403. The S3 client points at a closed port, so any request that reached S3 would be a 502.
// The whole upload, through the api bootstrap and the emulator, is
// TestIntegrationMultipartUpload in functions/internal/e2e.
func TestMultipartUploadRefusals(t *testing.T) {
	h := &Handler{Claims: Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)}, Uploads: offlineMultipart(t)}
	part1, part2 := hexSum("part one"), hexSum("part two")
	start := `{"parts":[{"size":5242880,"sha256":"` + part1 + `"},{"size":10,"sha256":"` + part2 + `"}]}`
	id := "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, method, path, scope, body string
		want                            int
	}{
		{"no-parts", "POST", "/v1/uploads", "evx/upload", `{"parts":[]}`, 400},
		{"small-first-part", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"` + part1 + `"},{"size":10,"sha256":"` + part2 + `"}]}`, 400},
		{"huge-part", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":5368709121,"sha256":"` + part1 + `"}]}`, 400},
		{"empty-part", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":0,"sha256":"` + part1 + `"}]}`, 400},
		{"bad-sha", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"XYZ"}]}`, 400},
		{"upper-case-sha", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"` + hexSum("x")[:60] + `ABCD"}]}`, 400},
		{"unknown-field", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"` + part1 + `"}],"acl":"public-read"}`, 400},
		{"not-json", "POST", "/v1/uploads", "evx/upload", `PK`, 400},
		{"no-upload-id", "POST", "/v1/uploads/" + id + "/complete", "evx/upload", `{"parts":[{"number":1,"etag":"e","sha256":"` + part1 + `"}]}`, 400},
		{"parts-out-of-order", "POST", "/v1/uploads/" + id + "/complete", "evx/upload", `{"upload_id":"x","parts":[{"number":2,"etag":"e","sha256":"` + part1 + `"}]}`, 400},
		{"no-etag", "POST", "/v1/uploads/" + id + "/complete", "evx/upload", `{"upload_id":"x","parts":[{"number":1,"etag":"","sha256":"` + part1 + `"}]}`, 400},
		{"bad-id", "POST", "/v1/uploads/../complete", "evx/upload", `{}`, 404},
		{"short-id", "POST", "/v1/uploads/0123/complete", "evx/upload", `{}`, 404},
		{"get", "GET", "/v1/uploads", "evx/upload", ``, 405},
		{"legal", "POST", "/v1/uploads", "evx/legal", start, 403},
		{"counterpart", "POST", "/v1/uploads", "evx/counterpart", start, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: tc.path, Body: tc.body}
			ev.RequestContext.HTTP.Method = tc.method
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"sub": "inspector-1", "iss": fntest.Issuer, "client_id": "evx-web"}, Scopes: []string{tc.scope}}}
			r, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != tc.want {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, r.StatusCode, r.Body, tc.want)
			}
		})
	}
}
