//go:build integration

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/multipart/multiparttest"
	"github.com/evx-project/evx/shared/pipeline"
)

// lambdaAdapter serves h over HTTP as API Gateway would: each request becomes an HTTP API
// (payload 2.0) event, its bearer token the JWT claims and scopes of tokens.
func lambdaAdapter(t *testing.T, h *Handler, tokens map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
			Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true, Headers: map[string]string{}}
		for k, v := range r.Header {
			ev.Headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		ev.RequestContext.HTTP.Method = r.Method
		if sub, ok := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"sub": sub, "iss": fntest.Issuer, "client_id": "evx-web"}, Scopes: []string{"evx/upload"}}}
		} else {
			http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized) // the JWT authorizer
			return
		}
		resp, err := h.Handle(r.Context(), ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		out := []byte(resp.Body)
		if resp.IsBase64Encoded {
			out, _ = base64.StdEncoding.DecodeString(resp.Body)
		}
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestIntegrationResumableProtocol runs the resumable upload protocol's conformance suite
// (the one evx serve passes, shared/api TestResumableConformance) against the api function
// on S3's emulator: the same requests and answers, the parts PUT straight to S3 through the
// presigned URLs the function hands out, never through the function; a part whose connection
// drops is sent again, a killed client resumes with the client evx upload uses, and the
// completed object holds exactly the bag.
func TestIntegrationResumableProtocol(t *testing.T) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		t.Skip("no emulator: run under infra/emulators.sh")
	}
	ctx := context.Background()
	c := s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true})
	var rb [6]byte
	rand.Read(rb[:])
	bucket := fmt.Sprintf("evx-uploads-%x", rb)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket, VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	// moto 5.2.1 checks neither signatures nor part checksums: TestIntegrationMultipartChecksumsEnforced
	// runs the suite with them checked, on versitygw.
	resumableSuite(t, c, bucket, false)
}

// resumableSuite runs multiparttest against the api function's uploads on S3 client c.
func resumableSuite(t *testing.T, c *s3.Client, bucket string, enforced bool) {
	ctx := context.Background()
	var mu sync.Mutex
	var submitted []string
	h := &Handler{API: http.NotFoundHandler(), Claims: Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)},
		Uploads: &Multipart{S3: c, Presign: s3.NewPresignClient(c), Bucket: bucket, Clock: time.Now,
			Submit: func(_ context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error) {
				mu.Lock()
				submitted = append(submitted, uploader+"|"+key+"|"+version)
				mu.Unlock()
				return pipeline.Upload{BundleID: s3bags.BundleID(bucket, key, version), Uploader: uploader, Size: size, State: pipeline.UploadReceived}, nil
			}}}
	srv := lambdaAdapter(t, h, map[string]string{"tok-1": "inspector-1", "tok-2": "inspector-2"})
	s3url, _ := url.Parse(aws.ToString(c.Options().BaseEndpoint))
	multiparttest.Run(t, multiparttest.Backend{
		PartsTo: s3url.Host,
		URL:     srv.URL, Tokens: [2]string{"tok-1", "tok-2"},
		PartSize: MinPart, MinPartSize: MinPart, MaxOpen: MaxOpenUploads,
		Enforced: enforced,
		Bag: func(t *testing.T) []byte {
			b := make([]byte, 2*MinPart+1234)
			rand.Read(b)
			return b
		},
		Completed: func(t *testing.T, st *pipeline.Status, bag []byte) {
			mu.Lock()
			defer mu.Unlock()
			if len(submitted) == 0 {
				t.Fatal("nothing submitted")
			}
			f := strings.Split(submitted[len(submitted)-1], "|")
			if f[0] != "inspector-1" || !strings.HasPrefix(f[1], uploadKeyInfix) || st == nil || st.Upload.BundleID != s3bags.BundleID(bucket, f[1], f[2]) || st.Upload.State != pipeline.UploadReceived {
				t.Fatalf("completed %+v, submitted %q: want inspector-1's bag received as bundle of its object", st, submitted)
			}
			obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &f[1], VersionId: &f[2]})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if !bytes.Equal(got, bag) {
				t.Errorf("object of %d bytes, want the bag's %d", len(got), len(bag))
			}
		},
	})
}

// partGate stands between the presigned URLs and S3: it counts each part PUT and, armed,
// takes the body of part 2 but never answers (the client is killed while it waits).
type partGate struct {
	mu      sync.Mutex
	puts    map[int]int
	hold    int // part to hold, 0 for none
	reached chan struct{}
	proxy   http.Handler
}

func (g *partGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n := r.URL.Query().Get("partNumber"); r.Method == http.MethodPut && n != "" {
		var k int
		fmt.Sscan(n, &k)
		g.mu.Lock()
		g.puts[k]++
		hold := k == g.hold
		if hold {
			g.hold = 0
		}
		g.mu.Unlock()
		if hold {
			io.Copy(io.Discard, r.Body)
			close(g.reached)
			<-r.Context().Done()
			return
		}
	}
	g.proxy.ServeHTTP(w, r)
}

// TestIntegrationEvxUploadResumesOnAWS runs the evx upload command itself (built from
// cmd/evx) against the api function on moto: killed with SIGKILL while part 2 is on the wire,
// then run again with the same arguments, it finds its state file, asks which parts S3 holds
// and sends only parts 2 and 3, straight to S3, and the bag is completed as the uploader's.
func TestIntegrationEvxUploadResumesOnAWS(t *testing.T) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		t.Skip("no emulator: run under infra/emulators.sh")
	}
	ctx := context.Background()
	up, _ := url.Parse(endpoint)
	g := &partGate{puts: map[int]int{}, hold: 2, reached: make(chan struct{}), proxy: httputil.NewSingleHostReverseProxy(up)}
	gate := httptest.NewServer(g)
	defer gate.Close()
	c := s3.New(s3.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(gate.URL), UsePathStyle: true})
	var rb [6]byte
	rand.Read(rb[:])
	bucket := fmt.Sprintf("evx-uploads-%x", rb)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var submitted []string
	h := &Handler{API: http.NotFoundHandler(), Claims: Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)},
		Uploads: &Multipart{S3: c, Presign: s3.NewPresignClient(c), Bucket: bucket, Clock: time.Now,
			Submit: func(_ context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error) {
				mu.Lock()
				submitted = append(submitted, uploader+"|"+key)
				mu.Unlock()
				return pipeline.Upload{BundleID: s3bags.BundleID(bucket, key, version), Uploader: uploader, Size: size, State: pipeline.UploadReceived}, nil
			}}}
	srv := lambdaAdapter(t, h, map[string]string{"tok-inspector-1": "inspector-1"})

	bin := filepath.Join(t.TempDir(), "evx")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/evx-project/evx/cmd/evx").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/evx: %v\n%s", err, out)
	}
	big := make([]byte, 11<<20)
	rand.Read(big)
	bagPath := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(bagPath, fntest.BagOf(t, map[string][]byte{"image.bin": big}, "nl-om"), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	evx := func() *exec.Cmd {
		cmd := exec.Command(bin, "upload", "--server", srv.URL, "--token", "tok-inspector-1", "--part-size", fmt.Sprint(MinPart), "--json", bagPath)
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "HOME="+cache)
		return cmd
	}
	first := evx()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.reached:
	case <-time.After(60 * time.Second):
		first.Process.Kill()
		t.Fatal("evx upload never reached part 2")
	}
	first.Process.Kill()
	first.Wait()
	g.mu.Lock()
	if g.puts[1] != 1 || g.puts[2] != 1 || g.puts[3] != 0 {
		t.Errorf("first run put %v, want parts 1 and 2 (held, never answered)", g.puts)
	}
	clear(g.puts)
	g.mu.Unlock()
	states, _ := filepath.Glob(filepath.Join(cache, "evx", "uploads", "*.json"))
	if len(states) != 1 {
		t.Fatalf("state files after the kill: %v, want one", states)
	}

	out, err := evx().Output()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	g.mu.Lock()
	if g.puts[1] != 0 || g.puts[2] != 1 || g.puts[3] != 1 {
		t.Errorf("second run put %v, want parts 2 and 3 alone", g.puts)
	}
	g.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if len(submitted) != 1 || !strings.HasPrefix(submitted[0], "inspector-1|"+uploadKeyInfix) || !strings.Contains(string(out), `"state": "received"`) {
		t.Errorf("second run printed %s, submitted %q; want inspector-1's bag received", out, submitted)
	}
	if states, _ := filepath.Glob(filepath.Join(cache, "evx", "uploads", "*.json")); len(states) != 0 {
		t.Errorf("state files after the upload: %v, want none", states)
	}
}
