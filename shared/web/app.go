package web

import (
	"embed"
	"net/http"
	"path"
	"strings"
)

// The pages for the three roles (app/): one page that signs in with a session cookie
// (api's POST /v1/session) and then shows legal staff search and a bundle's timeline and
// verification, counterparts their inbox with documents checked by hash in the browser and
// an answer, and uploaders their bundles and the sending of a bag. Plain files, no build
// step; strings apart from markup (app/strings.js, English and Spanish).
//
//go:embed app/index.html app/app.js app/app.css app/strings.js app/bag.js app/hashworker.js
var appFiles embed.FS

// AppCSP is the Content-Security-Policy of the pages: scripts, styles and requests only from
// evx itself, nothing inline, no framing.
const AppCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

var appTypes = map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

// App serves the pages at / (index.html), /app/* (their script, style and strings) and
// /verify.html (VerifierPage, under its own policy). Mount it beside the API, which serves /v1/.
func App() http.Handler {
	verifier := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		switch {
		case p == "/verify.html":
			verifier.ServeHTTP(w, r)
			return
		case p == "/" || p == "/index.html":
			p = "app/index.html"
		case strings.HasPrefix(p, "/app/"):
			p = strings.TrimPrefix(p, "/")
		default:
			http.NotFound(w, r)
			return
		}
		b, err := appFiles.ReadFile(p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", appTypes[path.Ext(p)])
		h.Set("Content-Security-Policy", AppCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	})
}
