package web

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAppCSPFor(t *testing.T) {
	for _, c := range []struct {
		name          string
		token, api    string
		want, notWant string
	}{
		{"provider and api", "https://idp.example.org/oauth2/token", "https://api.example.org", "connect-src 'self' https://idp.example.org https://api.example.org;", ""},
		{"same-origin api", "https://idp.example.org/oauth2/token", "", "connect-src 'self' https://idp.example.org;", ""},
		{"loopback http for tests", "http://127.0.0.1:9999/token", "", "connect-src 'self' http://127.0.0.1:9999;", ""},
		{"plain http elsewhere is refused", "http://idp.example.org/token", "", "connect-src 'self';", "idp.example.org"},
		{"no injection into the policy", "https://idp.example.org;script-src 'unsafe-inline'/x", "", "connect-src 'self';", "unsafe-inline"},
		{"javascript: is no origin", "javascript:alert(1)", "", "connect-src 'self';", "javascript"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := AppCSPFor(&ProviderConfig{TokenEndpoint: c.token, API: c.api})
			if !strings.Contains(got, c.want) || (c.notWant != "" && strings.Contains(got, c.notWant)) {
				t.Errorf("AppCSPFor = %q, want %q and not %q", got, c.want, c.notWant)
			}
			if !strings.Contains(got, "script-src 'self';") || !strings.Contains(got, "frame-ancestors 'none'") {
				t.Errorf("AppCSPFor = %q lost the rest of the policy", got)
			}
		})
	}
	// The uploads origin (parts PUT to presigned URLs): its origin alone, no path.
	got := AppCSPFor(&ProviderConfig{TokenEndpoint: "https://idp.example.org/t", Uploads: "https://evx-uploads.s3.eu-west-1.amazonaws.com/incoming"})
	if !strings.Contains(got, "connect-src 'self' https://idp.example.org https://evx-uploads.s3.eu-west-1.amazonaws.com;") {
		t.Errorf("AppCSPFor with an uploads origin = %q", got)
	}
	if AppCSPFor(nil) != AppCSP {
		t.Error("AppCSPFor(nil) differs from AppCSP")
	}
}

func TestAppWithConfig(t *testing.T) {
	p := &ProviderConfig{SignIn: "oidc", AuthorizationEndpoint: "https://idp.example.org/authorize", TokenEndpoint: "https://idp.example.org/token",
		ClientID: "evx-web", RedirectURI: "https://evx.example.org/", Scopes: map[string]string{"legal": "evx/legal"}}
	for _, c := range []struct {
		h    string
		code int
	}{{"with", 200}, {"without", 404}} {
		h := App()
		if c.h == "with" {
			h = AppWith(p)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/app/config.json", nil))
		if rec.Code != c.code {
			t.Fatalf("GET /app/config.json %s a provider = %d, want %d", c.h, rec.Code, c.code)
		}
		if c.code != 200 {
			continue
		}
		var got ProviderConfig
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ClientID != "evx-web" || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("config = %s (%v) %s", rec.Body, err, rec.Header().Get("Content-Type"))
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "https://idp.example.org") {
			t.Errorf("the pages' policy %q does not let them reach the token endpoint", csp)
		}
	}
}
