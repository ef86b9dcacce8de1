package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/pipeline"
)

// fakeMultipart keeps the uploads S3 would, by key.
type fakeMultipart struct {
	uploads   map[string]string // key -> upload id
	completed map[string][]types.CompletedPart
}

func (f *fakeMultipart) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if in.ChecksumAlgorithm != types.ChecksumAlgorithmSha256 {
		return nil, &types.InvalidRequest{}
	}
	f.uploads[*in.Key] = "up-" + *in.Key
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("up-" + *in.Key)}, nil
}

func (f *fakeMultipart) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if f.uploads[*in.Key] != *in.UploadId {
		return nil, &types.NoSuchUpload{}
	}
	f.completed[*in.Key] = in.MultipartUpload.Parts
	return &s3.CompleteMultipartUploadOutput{VersionId: aws.String("v1")}, nil
}

func hexSum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// An uploader starts an upload of two parts: each presigned URL signs the part's SHA-256, so
// S3 refuses other bytes; completing it records the bundle as the uploader's. Another uploader
// cannot complete it; bad requests are 400s; other roles 403.
func TestMultipartUpload(t *testing.T) {
	s3c := s3.New(s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String("https://s3.eu-west-1.amazonaws.com")})
	f := &fakeMultipart{uploads: map[string]string{}, completed: map[string][]types.CompletedPart{}}
	var submitted []string
	claims := Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)}
	h := &Handler{Claims: claims, Uploads: &Multipart{S3: f, Presign: s3.NewPresignClient(s3c), Bucket: "evx-uploads", Clock: (&fntest.Clock{T: fntest.T0}).Now,
		Submit: func(_ context.Context, bucket, key, version, uploader string, _ int64) (pipeline.Upload, error) {
			submitted = append(submitted, uploader+" s3://"+bucket+"/"+key+"?"+version)
			return pipeline.Upload{BundleID: "b-1"}, nil
		}}}
	call := func(path, sub, scope, body string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Body: body}
		ev.RequestContext.HTTP.Method = "POST"
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": sub, "iss": fntest.Issuer, "client_id": "evx-web"}, Scopes: []string{scope}}}
		resp, err := h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	part1, part2 := hexSum("part one"), hexSum("part two")
	start := `{"parts":[{"size":5242880,"sha256":"` + part1 + `"},{"size":10,"sha256":"` + part2 + `"}]}`
	r := call("/v1/uploads", "inspector-1", "evx/upload", start)
	if r.StatusCode != 201 {
		t.Fatalf("start = %d %s", r.StatusCode, r.Body)
	}
	var started struct {
		UploadID string `json:"upload_id"`
		Parts    []PresignedPart
	}
	var raw map[string]any
	json.Unmarshal([]byte(r.Body), &raw)
	json.Unmarshal([]byte(r.Body), &started)
	id, _ := raw["upload"].(string)
	if len(started.Parts) != 2 || id == "" {
		t.Fatalf("start answered %s", r.Body)
	}
	for i, want := range []string{part1, part2} {
		p := started.Parts[i]
		b, _ := hex.DecodeString(want)
		if got := p.Headers["x-amz-checksum-sha256"]; got != base64.StdEncoding.EncodeToString(b) {
			t.Errorf("part %d: checksum header %q, want the base64 of %s", i+1, got, want)
		}
		u, err := url.Parse(p.URL)
		if err != nil || !strings.Contains(u.Query().Get("X-Amz-SignedHeaders"), "x-amz-checksum-sha256") || u.Query().Get("partNumber") != []string{"1", "2"}[i] {
			t.Errorf("part %d: URL %s does not sign the checksum header for its part number", i+1, p.URL)
		}
	}
	complete := `{"upload_id":"` + started.UploadID + `","parts":[{"number":1,"etag":"\"e1\"","sha256":"` + part1 + `"},{"number":2,"etag":"\"e2\"","sha256":"` + part2 + `"}]}`
	if r := call("/v1/uploads/"+id+"/complete", "inspector-2", "evx/upload", complete); r.StatusCode != 404 {
		t.Errorf("complete by another uploader = %d %s, want 404", r.StatusCode, r.Body)
	}
	if r := call("/v1/uploads/"+id+"/complete", "inspector-1", "evx/upload", complete); r.StatusCode != 201 || !strings.Contains(r.Body, `"bundle":"b-1"`) {
		t.Errorf("complete = %d %s, want 201 and the bundle", r.StatusCode, r.Body)
	}
	if len(submitted) != 1 || !strings.HasPrefix(submitted[0], "inspector-1 s3://evx-uploads/incoming/api/") || !strings.HasSuffix(submitted[0], id+".bag?v1") {
		t.Errorf("submitted %q, want inspector-1's bag under incoming/api/", submitted)
	}
	for _, tc := range []struct {
		name, path, scope, body string
		want                    int
	}{
		{"no-parts", "/v1/uploads", "evx/upload", `{"parts":[]}`, 400},
		{"small-first-part", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"` + part1 + `"},{"size":10,"sha256":"` + part2 + `"}]}`, 400},
		{"bad-sha", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"XYZ"}]}`, 400},
		{"unknown-field", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"` + part1 + `"}],"acl":"public-read"}`, 400},
		{"not-json", "/v1/uploads", "evx/upload", `PK`, 400},
		{"parts-out-of-order", "/v1/uploads/" + id + "/complete", "evx/upload", `{"upload_id":"x","parts":[{"number":2,"etag":"e","sha256":"` + part1 + `"}]}`, 400},
		{"bad-id", "/v1/uploads/../complete", "evx/upload", `{}`, 404},
		{"legal", "/v1/uploads", "evx/legal", start, 403},
	} {
		if r := call(tc.path, "inspector-1", tc.scope, tc.body); r.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.StatusCode, r.Body, tc.want)
		}
	}
}
