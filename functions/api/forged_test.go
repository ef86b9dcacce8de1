package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Against every route of the template, tokens that claim more than they are: custom role and
// counterpart claims without a scope, a counterpart's client with the legal or upload scope, a
// foreign issuer, two roles at once, and es-fge's client claiming to be nl-om. None gets a 2xx
// but the last, which acts as es-fge: it never sees nl-om's bundle or delivery, and no access
// to nl-om's documents is recorded. A genuine token of each route's scope gets past
// authentication, so the test sees the difference.
func TestForgedClaimsOnEveryRoute(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.Bag(t, "nl-om")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	delivery := pipeline.DeliveryID(id, "nl-om")
	claims := Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)}
	m, _, err := n.OpenMatcher(ctx, "home", clock.Now, pipeline.MatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{API: api.New(n.Service, n.Uploads, claims, api.Limits{}, nil).WithReportFonts(shippedFonts(t)).WithDirectory(fntest.Directory(t)).WithMatcher(m).WithRequests(n.Requests), Claims: claims,
		Uploads: offlineMultipart(t)}

	type token struct {
		claims map[string]string
		scopes []string
	}
	forged := map[string]token{
		"custom-claims-no-scope":    {map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "evx-web", "evx_role": "legal", "evx_counterpart": "nl-om"}, nil},
		"counterpart-client-legal":  {map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "client-es-fge"}, []string{"evx/legal"}},
		"counterpart-client-upload": {map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "client-es-fge"}, []string{"evx/upload"}},
		"foreign-issuer-legal":      {map[string]string{"sub": "x", "iss": "https://idp.example.net", "client_id": "evx-web"}, []string{"evx/legal"}},
		"foreign-issuer-nl-om":      {map[string]string{"sub": "x", "iss": "https://idp.example.net", "client_id": "client-nl-om"}, []string{"evx/counterpart"}},
		"two-roles":                 {map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "evx-web"}, []string{"evx/upload", "evx/legal"}},
		"unregistered-client":       {map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "client-xx", "evx_counterpart": "nl-om"}, []string{"evx/counterpart"}},
		"legal-without-sub":         {map[string]string{"iss": fntest.Issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
	}
	asEsFge := token{map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "client-es-fge", "evx_counterpart": "nl-om"}, []string{"evx/counterpart"}}
	genuine := map[string]token{
		"evx/upload":      {map[string]string{"sub": "inspector-1", "iss": fntest.Issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
		"evx/legal":       {map[string]string{"sub": "clerk-1", "iss": fntest.Issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
		"evx/counterpart": {map[string]string{"sub": "x", "iss": fntest.Issuer, "client_id": "client-nl-om"}, []string{"evx/counterpart"}},
	}
	call := func(r fntest.Route, tok token) events.APIGatewayV2HTTPResponse {
		path := strings.NewReplacer("{id}", id, "{name+}", "data/ledger.csv").Replace(r.Path)
		if strings.HasPrefix(r.Path, "/v1/deliveries/") {
			path = strings.NewReplacer("{id}", delivery, "{name+}", "data/ledger.csv").Replace(r.Path)
		}
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: r.Method + " " + r.Path, RawPath: path, Headers: map[string]string{"content-type": "application/json"}}
		if r.Method == http.MethodPost {
			ev.Body = `{"accepted":true,"documents":[]}`
		}
		ev.RequestContext.HTTP.Method = r.Method
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: tok.claims, Scopes: tok.scopes}}
		raw, _ := json.Marshal(ev)
		out, err := fntest.Invoke(t, h.Handle, raw)
		if err != nil {
			t.Fatalf("%s %s: %v", r.Method, path, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	accesses := func() int {
		trail, _ := n.Service.Events(ctx, id)
		k := 0
		for _, e := range trail {
			if e.Event.Type == custody.ContentAccessTracking {
				k++
			}
		}
		return k
	}
	before := accesses()
	for _, r := range fntest.TemplateRoutes(t, "../..") {
		if len(r.Scopes) == 0 {
			continue // anonymous: the checkpoint and the public key
		}
		for name, tok := range forged {
			if resp := call(r, tok); resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %s = %d %.80s, want 401 or 403", r.Method, r.Path, name, resp.StatusCode, resp.Body)
			}
		}
		if resp := call(r, asEsFge); resp.StatusCode < 300 && (strings.Contains(resp.Body, delivery) || strings.Contains(resp.Body, id)) {
			t.Errorf("%s %s as es-fge claiming nl-om = %d and shows nl-om's bundle: %.120s", r.Method, r.Path, resp.StatusCode, resp.Body)
		}
		if resp := call(r, genuine[r.Scopes[0]]); resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("%s %s with a genuine %s token = 401 %s", r.Method, r.Path, r.Scopes[0], resp.Body)
		}
	}
	// The genuine nl-om token read the documents once per route that serves their content
	// (the bytes, the extracted text, the identifiers found in them); nothing else was recorded.
	reads, legalReads := 0, 0
	for _, r := range fntest.TemplateRoutes(t, "../..") {
		if strings.HasPrefix(r.Path, "/v1/deliveries/") && (strings.HasSuffix(r.Path, "{name+}") || strings.HasSuffix(r.Path, "/identifiers")) {
			reads++
		}
		// The genuine legal token's reads of the bundle (status, trail, verification, report,
		// a document) are recorded on its reads subject, and no forged token's.
		// (Not the retention: only the sending agency's staff read it, and this bundle, submitted
		// by a name without an agency, has none.)
		if r.Method == http.MethodGet && len(r.Scopes) > 0 && r.Scopes[0] == "evx/legal" && strings.HasPrefix(r.Path, "/v1/bundles/{id}") && !strings.HasSuffix(r.Path, "/retention") {
			legalReads++
		}
	}
	if got := accesses() - before; got != reads {
		t.Errorf("%d ContentAccessTracking events recorded, want %d (the genuine reads)", got, reads)
	}
	lr, _ := n.Ledger.Events(ctx, pipeline.ReadsSubject(id))
	for _, e := range lr {
		if e.Event.Type != pipeline.LegalAccess || e.Event.Actor.Person != "clerk-1" {
			t.Errorf("read recorded as %s by %+v, want LegalAccess by the genuine clerk-1", e.Event.Type, e.Event.Actor)
		}
	}
	if len(lr) != legalReads {
		t.Errorf("%d legal reads recorded, want %d (the genuine legal token's)", len(lr), legalReads)
	}
}
