package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

func hexSum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// offlineMultipart is a Multipart whose S3 is a closed port and whose Submit fails the test:
// for requests that must be refused before anything is asked of S3.
func offlineMultipart(t testing.TB) *Multipart {
	s3c := s3.New(s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true, RetryMaxAttempts: 1})
	return &Multipart{S3: s3c, Presign: s3.NewPresignClient(s3c), Bucket: "evx-uploads", Clock: (&fntest.Clock{T: fntest.T0}).Now,
		Submit: func(context.Context, string, string, string, string, int64) (pipeline.Upload, error) {
			t.Error("Submit called for a refused request")
			return pipeline.Upload{}, nil
		}}
}

// Requests the api refuses before S3 is asked anything: bad bodies are 400s (413 past a
// bound), an id no upload can have 404, wrong methods 405, other roles 403. The S3 client
// points at a closed port, so any request that reached S3 would be a 502. The whole protocol,
// against moto, is TestIntegrationResumableProtocol; through the api bootstrap and the
// emulators, TestIntegrationMultipartUpload in functions/internal/e2e.
func TestMultipartUploadRefusals(t *testing.T) {
	h := &Handler{Claims: Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)}, Uploads: offlineMultipart(t)}
	sum := hexSum("the bag")
	create := func(size, partSize int64, sha string) string {
		return fmt.Sprintf(`{"size":%d,"sha256":%q,"part_size":%d}`, size, sha, partSize)
	}
	id := fmt.Sprintf("%s.%d.%d", sum, 12<<20, 8<<20)
	for _, tc := range []struct {
		name, method, path, scope, body string
		want                            int
	}{
		{"part-under-s3-floor", "POST", "/v1/uploads", "evx/upload", create(12<<20, 1<<20, sum), 413},
		{"part-over-max", "POST", "/v1/uploads", "evx/upload", create(1<<30, 512<<20, sum), 413},
		{"too-many-parts", "POST", "/v1/uploads", "evx/upload", create(60000<<20, 5<<20, sum), 413},
		{"bag-over-max", "POST", "/v1/uploads", "evx/upload", create(2<<40, 256<<20, sum), 413},
		{"empty-bag", "POST", "/v1/uploads", "evx/upload", create(0, 8<<20, sum), 400},
		{"bad-sha", "POST", "/v1/uploads", "evx/upload", create(10, 10, "XYZ"), 400},
		{"upper-case-sha", "POST", "/v1/uploads", "evx/upload", create(10, 10, strings.ToUpper(sum)), 400},
		{"unknown-field", "POST", "/v1/uploads", "evx/upload", `{"size":10,"sha256":"` + sum + `","part_size":10,"acl":"public-read"}`, 400},
		{"old-aws-form", "POST", "/v1/uploads", "evx/upload", `{"parts":[{"size":10,"sha256":"` + sum + `"}]}`, 400},
		{"trailing", "POST", "/v1/uploads", "evx/upload", create(10, 10, sum) + `{}`, 400},
		{"body-too-large", "POST", "/v1/uploads", "evx/upload", `{"size":10` + strings.Repeat(" ", MaxUploadBody) + `}`, 413},
		{"not-json", "POST", "/v1/uploads", "evx/upload", `PK`, 400},
		{"id-not-of-a-bag", "GET", "/v1/uploads/0123456789abcdef0123456789abcdef", "evx/upload", ``, 404},
		{"id-bad-layout", "GET", "/v1/uploads/" + sum + ".10.1", "evx/upload", ``, 404},
		{"id-complete", "POST", "/v1/uploads/" + sum + ".0.10/complete", "evx/upload", ``, 404},
		{"id-parts", "POST", "/v1/uploads/../parts", "evx/upload", `{}`, 404},
		{"deeper", "POST", "/v1/uploads/" + id + "/parts/1", "evx/upload", ``, 404},
		{"put-part-here", "PUT", "/v1/uploads/" + id + "/parts", "evx/upload", ``, 405},
		{"list", "GET", "/v1/uploads", "evx/upload", ``, 405},
		{"get-complete", "GET", "/v1/uploads/" + id + "/complete", "evx/upload", ``, 405},
		{"method-prefix", "GE", "/v1/uploads/" + id, "evx/upload", ``, 405},
		{"method-infix", "ET", "/v1/uploads/" + id, "evx/upload", ``, 405},
		{"legal", "POST", "/v1/uploads", "evx/legal", create(10, 10, sum), 403},
		{"counterpart", "POST", "/v1/uploads", "evx/counterpart", create(10, 10, sum), 401},
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

// The upload id names the bag's layout, and parses back to it; anything else names nothing.
func TestUploadID(t *testing.T) {
	sum := hexSum("the bag")
	u, ok := parseID(sum + ".12582912.8388608")
	if !ok || u.Size != 12<<20 || u.PartSize != 8<<20 || u.Parts != 2 || u.SHA256 != sum {
		t.Errorf("parseID = %+v, %v", u, ok)
	}
	for _, id := range []string{"", sum, sum + ".012.10", sum + ".10.0", sum + ".-1.10", strings.ToUpper(sum) + ".10.10", sum + ".10.10.10", sum + ".99999999999999999.10"} {
		if _, ok := parseID(id); ok {
			t.Errorf("parseID(%q) ok", id)
		}
	}
	if a, b := key("inspector-1", sum+".10.10"), key("inspector-2", sum+".10.10"); a == b || !strings.HasPrefix(a, uploadKeyInfix) {
		t.Errorf("keys %s and %s: want one per uploader under %s", a, b, uploadKeyInfix)
	}
}

// FuzzUploadRequests feeds arbitrary methods, paths and bodies to the upload routes of an
// uploader, with S3 at a closed port: the answer is a refusal (4xx) or, for a request that
// passed every check and reached S3, 502; never a panic, never another status, and an id that
// parses always names a layout multipart.Plan accepts.
func FuzzUploadRequests(f *testing.F) {
	sum := hexSum("the bag")
	f.Add("POST", "/v1/uploads", `{"size":12582912,"sha256":"`+sum+`","part_size":8388608}`)
	f.Add("POST", "/v1/uploads/"+sum+".12582912.8388608/parts", `{"parts":[{"n":1,"sha256":"`+sum+`"}]}`)
	f.Add("GET", "/v1/uploads/"+sum+".12582912.8388608", ``)
	f.Add("DELETE", "/v1/uploads/"+sum+".1.1", ``)
	f.Add("POST", "/v1/uploads/"+sum+".12582912.8388608/complete", ``)
	f.Add("POST", "/v1/uploads", `{"size":1e30,"sha256":null}`)
	m := offlineMultipart(f)
	m.Submit = nil
	h := &Handler{Claims: Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(f)}, Uploads: m}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/v1/uploads") {
			path = "/v1/uploads/" + path
		}
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Body: body}
		ev.RequestContext.HTTP.Method = method
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": "inspector-1", "iss": fntest.Issuer, "client_id": "evx-web"}, Scopes: []string{"evx/upload"}}}
		r, err := h.Handle(context.Background(), ev)
		if err != nil {
			return // a request line net/http refuses
		}
		if r.StatusCode != 502 && (r.StatusCode < 400 || r.StatusCode >= 500) {
			t.Fatalf("%s %s %q = %d %s", method, path, body, r.StatusCode, r.Body)
		}
		if m := uploadRoute.FindStringSubmatch(path); m != nil {
			if u, ok := parseID(m[1]); ok {
				if n, err := multipart.Plan(u.Size, u.SHA256, u.PartSize, Limits); err != nil || n != u.Parts {
					t.Fatalf("id %s parsed to %+v, which Plan refuses: %v", m[1], u, err)
				}
			}
		}
	})
}
