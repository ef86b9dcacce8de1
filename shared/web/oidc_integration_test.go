//go:build integration

package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
)

// fakeProvider is an OpenID Connect provider's authorization and token endpoints, as strict
// as a real one about PKCE: a code is exchanged once, by the client it was issued to, for the
// redirect URI it was issued for, and only with the verifier whose S256 challenge it carries.
// It signs everyone in without asking and issues, for a scope, the access token of that
// scope's role.
type fakeProvider struct {
	mu       sync.Mutex
	client   string
	redirect string
	tokens   map[string]string // scope → access token
	codes    map[string]grant
	issued   int
	refusals []string
}

type grant struct{ challenge, scope, redirect string }

func (p *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.URL.Path {
	case "/authorize":
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != p.client || q.Get("redirect_uri") != p.redirect ||
			q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
			p.refusals = append(p.refusals, "authorize: "+r.URL.RawQuery)
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		scope := ""
		for _, s := range strings.Fields(q.Get("scope")) {
			if _, ok := p.tokens[s]; ok {
				scope = s
			}
		}
		b := make([]byte, 16)
		rand.Read(b)
		code := hex.EncodeToString(b)
		p.codes[code] = grant{challenge: q.Get("code_challenge"), scope: scope, redirect: q.Get("redirect_uri")}
		http.Redirect(w, r, p.redirect+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	case "/token":
		w.Header().Set("Access-Control-Allow-Origin", "*") // a browser client on another origin
		r.ParseForm()
		g, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "authorization_code" || !ok:
			p.refusals = append(p.refusals, "token: bad grant")
		case r.PostForm.Get("client_id") != p.client || r.PostForm.Get("redirect_uri") != g.redirect:
			p.refusals = append(p.refusals, "token: other client or redirect")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			p.refusals = append(p.refusals, "token: the verifier does not match the challenge")
		default:
			p.issued++
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"` + p.tokens[g.scope] + `","token_type":"Bearer","expires_in":300}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant"}`))
	default:
		http.NotFound(w, r)
	}
}

// TestIntegrationAppProviderSignIn signs legal staff in through an identity provider with the
// code flow and PKCE: the page asks for the legal scope, the provider checks the verifier, and
// the page then works with the access token it holds in memory (search, a bundle's page),
// which never reaches storage, a cookie or the address bar.
func TestIntegrationAppProviderSignIn(t *testing.T) {
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: filepath.Join("..", "..", "infra", "counterparts.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	// An access token as a provider issues them (a JWT naming the user), which the API here
	// knows as a legal-staff token; on AWS the JWT authorizer checks it instead.
	legalJWT := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u-17","username":"clerk.vries","scope":"openid evx/legal"}`)) + ".c2ln"
	toks, err := api.ParseTokens(strings.NewReader(appTokens + legalJWT + " legal clerk.vries\n"))
	if err != nil {
		t.Fatal(err)
	}
	prov := &fakeProvider{client: "evx-web", tokens: map[string]string{"evx/legal": legalJWT, "evx/upload": "uploader-token-00000001"}, codes: map[string]grant{}}
	idp := httptest.NewServer(prov)
	t.Cleanup(idp.Close)

	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	prov.redirect = srv.URL + "/"
	mux.Handle("/v1/", api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithDirectory(n.Directory))
	mux.Handle("/", AppWith(&ProviderConfig{SignIn: "oidc", ProviderName: "the test provider", AuthorizationEndpoint: idp.URL + "/authorize",
		TokenEndpoint: idp.URL + "/token", ClientID: "evx-web", RedirectURI: srv.URL + "/",
		Scopes: map[string]string{"uploader": "evx/upload", "counterpart": "evx/counterpart", "legal": "evx/legal"}}))
	uploadSample(t, srv, "uploader-token-00000001")

	ctx := appBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-legal"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "main", "the test provider")
	shot(t, ctx, "app-provider-signin")
	checkA11y(t, ctx, "provider sign-in")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signin-legal")), chromedp.WaitVisible(chromedp.CSS("#signout"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#who", "clerk.vries")
	waitText(t, ctx, "#results", "CASE-2026-114")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#results a"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#verdict h2", "VERIFIED")
	waitText(t, ctx, "#timeline", "made available to nl-om")
	prov.mu.Lock()
	issued, refusals := prov.issued, prov.refusals
	prov.mu.Unlock()
	if issued != 1 || len(refusals) > 0 {
		t.Errorf("the provider issued %d tokens and refused %v, want one token and no refusal", issued, refusals)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + location.href + document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(kept, legalJWT[:20]) || strings.Contains(kept, "code=") || strings.Contains(kept, "verifier") {
		t.Errorf("the page keeps the token, the code or the verifier: %s", kept)
	}
	// Signing out forgets the token: the page asks to sign in again.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin-legal"))); err != nil {
		t.Fatal(err)
	}
	setLang(t, ctx, "es")
	waitText(t, ctx, "#signin-legal", "Entrar como personal jurídico")
	shot(t, ctx, "app-provider-signin-es")

	// A return with a state the page did not send is refused, with no token asked for.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?code=forged&state=other"), chromedp.WaitVisible(chromedp.CSS("#signin-legal"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "main .error", "state")
	prov.mu.Lock()
	issued = prov.issued
	prov.mu.Unlock()
	if issued != 1 {
		t.Errorf("a forged return made the page ask for a token (%d issued)", issued)
	}
}
