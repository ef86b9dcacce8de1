package web

import (
	"embed"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// The pages for the three roles (app/): one page that signs in with a session cookie
// (api's POST /v1/session) and then shows legal staff search and a bundle's timeline and
// verification, counterparts their inbox with documents checked by hash in the browser and
// an answer, and uploaders their bundles and the sending of a bag. Plain files, no build
// step; strings apart from markup (app/strings.js, English and Spanish).
//
//go:embed app/index.html app/app.js app/app.css app/strings.js app/bag.js app/hashworker.js app/oidc.js app/seal.js
var appFiles embed.FS

// AppCSP is the Content-Security-Policy of the pages: scripts, styles and requests only from
// evx itself, nothing inline, no framing.
const AppCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

var appTypes = map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
	".json": "application/json"}

// ProviderConfig is /app/config.json for pages that sign in through an identity provider
// (app/oidc.js: the OpenID Connect code flow with PKCE) instead of with a token and a session
// cookie. docs/aws.md says how it is filled in on AWS.
type ProviderConfig struct {
	SignIn                string `json:"signin"` // "oidc"
	ProviderName          string `json:"provider_name,omitempty"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	LogoutEndpoint        string `json:"logout_endpoint,omitempty"`
	ClientID              string `json:"client_id"`
	RedirectURI           string `json:"redirect_uri"` // the pages' own address, registered with the provider
	// Scopes names the scope each role signs in with: uploader, counterpart, legal.
	Scopes map[string]string `json:"scopes"`
	// API is the API's origin when it is not the pages' own (then it must allow the pages'
	// origin by CORS); empty for the same origin.
	API string `json:"api,omitempty"`
	// Uploads is the origin the parts of a resumable upload are PUT to when the API hands out
	// presigned URLs (on AWS the uploads bucket, https://BUCKET.s3.REGION.amazonaws.com);
	// empty when parts go to the API.
	Uploads string `json:"uploads,omitempty"`
}

// AppCSPFor is AppCSP with the provider's token endpoint, the API's origin and the uploads
// origin, which the pages call, added to connect-src.
func AppCSPFor(p *ProviderConfig) string {
	if p == nil {
		return AppCSP
	}
	extra := ""
	for _, u := range []string{p.TokenEndpoint, p.API, p.Uploads} {
		if o := origin(u); o != "" {
			extra += " " + o
		}
	}
	return strings.Replace(AppCSP, "connect-src 'self'", "connect-src 'self'"+extra, 1)
}

// origin is scheme://host[:port] of an https (or loopback http) URL, else "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, " ;'\"") {
		return ""
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func isLoopback(h string) bool {
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

// App serves the pages at / (index.html), /app/* (their script, style and strings) and
// /verify.html (VerifierPage, under its own policy). Mount it beside the API, which serves /v1/.
// The pages sign in with a token and a session cookie (api's POST /v1/session).
func App() http.Handler { return AppWith(nil) }

// AppWith is App for pages that sign in through the identity provider p (served as
// /app/config.json, with the policy of AppCSPFor); p nil is App.
func AppWith(p *ProviderConfig) http.Handler {
	verifier := Handler()
	policy := AppCSPFor(p)
	var config []byte
	if p != nil {
		config, _ = json.Marshal(p)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		var b []byte
		switch {
		case p == "/verify.html":
			verifier.ServeHTTP(w, r)
			return
		case p == "/app/config.json" && config != nil:
			b = config
		case p == "/" || p == "/index.html":
			p = "app/index.html"
		case strings.HasPrefix(p, "/app/"):
			p = strings.TrimPrefix(p, "/")
		default:
			http.NotFound(w, r)
			return
		}
		if b == nil {
			var err error
			if b, err = appFiles.ReadFile(p); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		h := w.Header()
		h.Set("Content-Type", appTypes[path.Ext(p)])
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	})
}
