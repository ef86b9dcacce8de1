// Package web holds evx's pages for the browser. Today that is verify.html: a custody-trail
// verifier in one self-contained file (its script and style inline) that works from file://
// with no network, so it can be handed to a defence lawyer on a USB stick. It is a second,
// independent implementation of the trail format (RFC 8785 events, Ed25519 and ECDSA P-256
// through WebCrypto, the hash chain, RFC 6962 inclusion and consistency proofs, the signed
// checkpoint note), written from the format's description and held to custody.Verify by a
// test that runs both over every tamper vector in a real browser.
//
// When evx serves the page, [Handler] sends it with a Content-Security-Policy that allows
// exactly its one inline script and its one inline style, by their SHA-256, and nothing else.
package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
)

//go:embed verify.html
var verifyHTML []byte

// VerifierPage returns verify.html.
func VerifierPage() []byte { return bytes.Clone(verifyHTML) }

var csp = sync.OnceValues(func() (string, error) {
	script, err := inline(verifyHTML, "script")
	if err != nil {
		return "", err
	}
	style, err := inline(verifyHTML, "style")
	if err != nil {
		return "", err
	}
	return "default-src 'none'; script-src '" + hashSource(script) + "'; style-src '" + hashSource(style) +
		"'; img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'", nil
})

// VerifierCSP returns the Content-Security-Policy under which verify.html is served: its inline
// script and style allowed by hash, no network, no framing.
func VerifierCSP() string {
	p, err := csp()
	if err != nil {
		panic(err) // the embedded page is checked by the package's tests
	}
	return p
}

// inline returns the text between the one <tag> and its </tag> of page.
func inline(page []byte, tag string) ([]byte, error) {
	open, close := []byte("<"+tag+">"), []byte("</"+tag+">")
	if bytes.Count(page, open) != 1 || bytes.Count(page, close) != 1 {
		return nil, fmt.Errorf("verify.html: want exactly one <%s> element", tag)
	}
	i := bytes.Index(page, open) + len(open)
	j := bytes.Index(page, close)
	if j < i {
		return nil, fmt.Errorf("verify.html: </%s> before <%s>", tag, tag)
	}
	return page[i:j], nil
}

func hashSource(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Handler serves verify.html at any path it is mounted on (GET and HEAD), with the
// policy of VerifierCSP and headers that keep it out of frames and caches of other origins.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", VerifierCSP())
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Write(verifyHTML)
	})
}
