//go:build integration

package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/multipart"
)

// presignedStore plays S3 for the pages: another origin that takes a part PUT to a
// "presigned" URL when its x-amz-checksum-sha256 header is the SHA-256 of the body (else 400
// BadDigest), answers CORS for the pages' origin alone, and refuses a PUT that carries the
// page's credentials (a token, the session cookie or its CSRF header). A part taken is handed
// to evx serve's own part endpoint, as S3 would keep it.
type presignedStore struct {
	api             http.Handler
	token, origin   string
	mu              sync.Mutex
	puts, preflight map[string]int
	refused         []string
}

var storePath = regexp.MustCompile(`^/bucket/([0-9a-f]+)/([0-9]+)$`)

func (s *presignedStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := storePath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.URL.Query().Get("X-Amz-Signature") == "" {
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
		return
	}
	if r.Header.Get("Origin") != s.origin {
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>CORS: origin not allowed</Message></Error>", http.StatusForbidden)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", s.origin)
	if r.Method == http.MethodOptions {
		s.mu.Lock()
		s.preflight[m[2]]++
		s.mu.Unlock()
		if r.Header.Get("Access-Control-Request-Method") != "PUT" || strings.ToLower(r.Header.Get("Access-Control-Request-Headers")) != "x-amz-checksum-sha256" {
			http.Error(w, "CORS: not allowed", http.StatusForbidden)
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Access-Control-Allow-Headers", "x-amz-checksum-sha256")
		return
	}
	body, _ := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range []string{"Authorization", "Cookie", "X-Evx-Csrf", "X-Csrf-Token"} {
		if r.Header.Get(h) != "" {
			s.refused = append(s.refused, "part "+m[2]+" came with "+h)
		}
	}
	if r.Method != http.MethodPut || r.Header.Get("x-amz-checksum-sha256") != base64.StdEncoding.EncodeToString(sum[:]) {
		s.refused = append(s.refused, "part "+m[2]+": bad digest")
		http.Error(w, "<Error><Code>BadDigest</Code></Error>", http.StatusBadRequest)
		return
	}
	s.puts[m[2]]++
	req := httptest.NewRequest(http.MethodPut, "/v1/uploads/"+m[1]+"/parts/"+m[2], bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set(multipart.HeaderPartSHA256, hex.EncodeToString(sum[:]))
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, req)
	w.WriteHeader(rec.Code)
}

// presignTargets rewrites evx serve's answer to POST /v1/uploads/{id}/parts as the api
// function on AWS answers: each part to a presigned URL on the store's origin, with the
// part's SHA-256 (base64) as the header it signs.
func presignTargets(h http.Handler, store func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/parts") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var ts multipart.Targets
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &ts) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		id := strings.Split(r.URL.Path, "/")[3]
		for i, t := range ts.Parts {
			raw, _ := hex.DecodeString(t.Headers[multipart.HeaderPartSHA256])
			ts.Parts[i].URL = fmt.Sprintf("%s/bucket/%s/%d?X-Amz-Signature=test", store(), id, t.N)
			ts.Parts[i].Headers = map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(raw)}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ts)
	})
}

// TestIntegrationAppResumableUploadPresigned: the pages send a bag in parts to the targets the
// server names when they are presigned URLs of another origin (as the api function on AWS
// answers): each part goes there after a CORS preflight, with the signed checksum header and
// none of the page's credentials, the page's connect-src naming that origin (as AppCSPFor
// does with "uploads"), and the bag is completed and accepted.
func TestIntegrationAppResumableUploadPresigned(t *testing.T) {
	st := &presignedStore{token: "uploader-token-00000001", puts: map[string]int{}, preflight: map[string]int{}}
	var storeSrv *httptest.Server
	storeURL := func() string { return storeSrv.URL }
	var storeOrigin string
	srv, n := pageServer(t, pageOptions{Tokens: appTokens, Resumable: true,
		Wrap: func(h http.Handler) http.Handler { st.api = h; return presignTargets(h, storeURL) },
		WrapApp: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(&cspWriter{ResponseWriter: w, extra: storeOrigin}, r)
			})
		}})
	storeSrv = httptest.NewTLSServer(st)
	t.Cleanup(storeSrv.Close)
	// Another port of the same host: another origin.
	storeSrv.URL = strings.Replace(storeSrv.URL, "127.0.0.1", "localhost", 1)
	storeOrigin = storeSrv.URL
	st.origin = srv.URL

	dir := t.TempDir()
	doc := filepath.Join(dir, "phone-extraction.bin")
	body := make([]byte, 3<<20+512<<10) // 3.5 MiB: four parts of 1 MiB
	rand.Read(body)
	os.WriteFile(doc, body, 0o644)
	bagFile := filepath.Join(dir, "bundle.zip")
	info := bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: "External-Identifier", Value: "RTM-2026-209"}}
	if _, err := bagit.Create(bagFile, []string{doc}, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(bagFile)
	sum := sha256.Sum256(raw)

	ctx := appBrowser(t)
	signIn(t, ctx, srv.URL, "uploader-token-00000001")
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`evxBag.options.partSize = 1 << 20; evxBag.options.retryMs = 20`),
		chromedp.WaitVisible(chromedp.CSS("#bag")), chromedp.SetUploadFiles(chromedp.CSS("#bag"), []string{bagFile}), chromedp.Click(chromedp.CSS("#send"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "accepted")
	st.mu.Lock()
	defer st.mu.Unlock()
	for p := range 4 {
		if k := fmt.Sprint(p + 1); st.puts[k] != 1 || st.preflight[k] < 1 && p == 0 {
			t.Errorf("part %s put %d times to the store (preflights %v), want once after a preflight", k, st.puts[k], st.preflight)
		}
	}
	if len(st.refused) != 0 {
		t.Errorf("the store refused %q", st.refused)
	}
	if bs, err := n.Service.BundleStatus(context.Background(), hex.EncodeToString(sum[:])); err != nil || !bs.Ingest.Accepted {
		t.Errorf("bundle: %+v %v, want accepted", bs, err)
	}
}

// cspWriter adds an origin to the pages' connect-src, as a CDN's header policy written from
// AppCSPFor does.
type cspWriter struct {
	http.ResponseWriter
	extra string
	wrote bool
}

func (c *cspWriter) WriteHeader(code int) {
	if c.wrote {
		return
	}
	c.wrote = true
	if p := c.Header().Get("Content-Security-Policy"); p != "" {
		c.Header().Set("Content-Security-Policy", strings.Replace(p, "connect-src 'self'", "connect-src 'self' "+c.extra, 1))
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *cspWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.ResponseWriter.Write(b)
}
