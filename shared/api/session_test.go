package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
)

type browserClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newSessionEnv(t *testing.T, now func() time.Time) *browserClient {
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, err := api.ParseTokens(strings.NewReader(tokensFile))
	if err != nil {
		t.Fatal(err)
	}
	// TLS, as Secure cookies want.
	srv := httptest.NewTLSServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithSessions(api.NewSessions(now)))
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.Jar, _ = cookiejar.New(nil)
	return &browserClient{t: t, base: srv.URL, c: c}
}

func (b *browserClient) do(method, path string, body any, hdr map[string]string) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func TestSessions(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	b := newSessionEnv(t, func() time.Time { return now })
	if code, _ := b.do("GET", "/v1/session", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/session before sign-in = %d, want 401", code)
	}
	if code, _ := b.do("POST", "/v1/session", map[string]string{"token": "nope-nope-nope-nope"}, nil); code != http.StatusUnauthorized {
		t.Errorf("sign-in with a wrong token = %d, want 401", code)
	}
	if code, _ := b.do("POST", "/v1/session", map[string]string{"token": tokens["legal"], "extra": "x"}, nil); code != http.StatusBadRequest {
		t.Errorf("sign-in with an unknown member = %d, want 400", code)
	}
	code, body := b.do("POST", "/v1/session", map[string]string{"token": tokens["legal"]}, nil)
	if code != http.StatusCreated {
		t.Fatalf("sign-in = %d %s", code, body)
	}
	info := decode[api.SessionInfo](t, body)
	if info.Role != api.RoleLegal || info.Subject != "clerk" || len(info.CSRF) < 40 || strings.Contains(string(body), tokens["legal"]) {
		t.Errorf("session = %s", body)
	}
	// The cookie alone authenticates reads.
	if code, body := b.do("GET", "/v1/bundles", nil, nil); code != http.StatusOK {
		t.Errorf("search with the session = %d %s, want 200", code, body)
	}
	// Changes need the CSRF header: a cross-site form post carries the cookie, not the header.
	if code, _ := b.do("DELETE", "/v1/session", nil, nil); code != http.StatusForbidden {
		t.Errorf("sign-out without %s = %d, want 403", api.CSRFHeader, code)
	}
	if code, _ := b.do("POST", "/v1/deliveries/x/receipt", map[string]bool{"accepted": true}, nil); code != http.StatusUnauthorized {
		t.Errorf("a post with the cookie and no CSRF header = %d, want 401", code)
	}
	// Idle too long: the session ends.
	now = now.Add(api.SessionIdle + time.Second)
	if code, _ := b.do("GET", "/v1/bundles", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("search after %v idle = %d, want 401", api.SessionIdle, code)
	}
	code, body = b.do("POST", "/v1/session", map[string]string{"token": tokens["legal"]}, nil)
	if code != http.StatusCreated {
		t.Fatalf("sign-in = %d %s", code, body)
	}
	info = decode[api.SessionInfo](t, body)
	if code, _ := b.do("DELETE", "/v1/session", nil, map[string]string{api.CSRFHeader: info.CSRF}); code != http.StatusNoContent {
		t.Errorf("sign-out = %d, want 204", code)
	}
	if code, _ := b.do("GET", "/v1/bundles", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("search after sign-out = %d, want 401", code)
	}
	// Bearer tokens keep working beside sessions.
	if code, _ := b.do("GET", "/v1/bundles", nil, map[string]string{"Authorization": "Bearer " + tokens["alice"]}); code != http.StatusOK {
		t.Errorf("search with a bearer token = %d, want 200", code)
	}
}

func TestSessionMaxAge(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	b := newSessionEnv(t, func() time.Time { return now })
	if code, _ := b.do("POST", "/v1/session", map[string]string{"token": tokens["nl-om"]}, nil); code != http.StatusCreated {
		t.Fatal(code)
	}
	for range 40 { // busy all day: still ends after SessionMax
		now = now.Add(api.SessionIdle / 2)
		b.do("GET", "/v1/deliveries", nil, nil)
	}
	if now.Sub(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)) < api.SessionMax {
		t.Fatal("test did not pass SessionMax")
	}
	if code, _ := b.do("GET", "/v1/deliveries", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("after %v = %d, want 401", api.SessionMax, code)
	}
}
