//go:build integration

package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// wire stands between the bootstraps and the emulator as the network would: it forwards
// every request to the emulator and names each AWS call it saw, so a test can say which
// calls a function made, the SDK's own included (credentials, retries), whatever the code
// path that made them.
type wire struct {
	URL string // what AWS_ENDPOINT_URL of the functions points at

	mu    sync.Mutex
	calls []string
}

// newWire starts a wire in front of the emulator at upstream; it stops with the test.
func newWire(t *testing.T, upstream string) *wire {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.calls = append(w.calls, callName(r))
		w.mu.Unlock()
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

// take returns the calls seen since the last take, sorted, and forgets them.
func (w *wire) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	sort.Strings(c)
	return c
}

// credentialService is the service of a SigV4 credential scope (…/region/service/aws4_request),
// from the Authorization header or, for a presigned URL, X-Amz-Credential.
var credentialService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request|^[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request$`)

// callName names an AWS request: "DynamoDB Query", "KMS Sign", "SQS SendMessage" from the
// JSON protocols' X-Amz-Target; "S3 GetObject", "S3 PutObject", ... from S3's REST shape
// (path-style, as the SDK addresses an endpoint given by IP).
func callName(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		svc, op, _ := strings.Cut(target, ".")
		switch {
		case strings.HasPrefix(svc, "DynamoDB"):
			svc = "DynamoDB"
		case svc == "TrentService":
			svc = "KMS"
		case svc == "AmazonSQS":
			svc = "SQS"
		}
		return svc + " " + op
	}
	svc := ""
	for _, s := range []string{r.Header.Get("Authorization"), r.URL.Query().Get("X-Amz-Credential")} {
		if m := credentialService.FindStringSubmatch(s); m != nil {
			svc = m[1] + m[2]
			break
		}
	}
	if svc != "s3" {
		return strings.TrimSpace(svc + " " + r.Method + " " + r.URL.Path)
	}
	q := r.URL.Query()
	object := strings.Count(strings.Trim(r.URL.Path, "/"), "/") > 0
	switch {
	case object && r.Method == http.MethodGet:
		return "S3 GetObject"
	case object && r.Method == http.MethodHead:
		return "S3 HeadObject"
	case object && r.Method == http.MethodPut && q.Has("partNumber"):
		return "S3 UploadPart"
	case object && r.Method == http.MethodPut && q.Has("retention"):
		return "S3 PutObjectRetention"
	case object && r.Method == http.MethodPut:
		return "S3 PutObject"
	case object && r.Method == http.MethodPost && q.Has("uploads"):
		return "S3 CreateMultipartUpload"
	case object && r.Method == http.MethodPost && q.Has("uploadId"):
		return "S3 CompleteMultipartUpload"
	case object && r.Method == http.MethodDelete:
		return "S3 DeleteObject"
	}
	return "S3 " + r.Method + " " + r.URL.Path
}
