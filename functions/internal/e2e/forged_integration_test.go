//go:build integration

package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Every authorized route of template.yaml, on the api bootstrap over the emulator, refuses
// tokens that claim more than they are: custom role and counterpart claims without a scope, a
// counterpart's client with staff scopes, another issuer (legal staff, or a counterpart's
// client id registered under evx's issuer), two roles at once, an unregistered client, staff
// without a subject. A refused request signs nothing and writes nothing (seen on the wire). A
// token of es-fge's client claiming nl-om acts as es-fge and never sees nl-om's bundle; a
// genuine token of each route's scope is let through, so the test sees the difference.
func TestIntegrationForgedClaimsOnEveryRoute(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)

	// One bundle for nl-om, accepted and routed in this process over the emulator.
	env := st.ingestEnv(t, ctx) // in this process, straight to the emulator
	id := putAndAccept(t, ctx, st, env, "inspector-1", fntest.Bag(t, "nl-om"))
	delivery := pipeline.DeliveryID(id, "nl-om")
	// A checkpoint kept for witnesses, as the audit function's schedule keeps one.
	if _, err := env.Service.PublishCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}

	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "api")
	forged := map[string]token{
		"custom-claims-no-scope":    {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-web", "evx_role": "legal", "evx_counterpart": "nl-om"}, nil},
		"counterpart-client-legal":  {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/legal"}},
		"counterpart-client-upload": {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-sample-nl-om"}, []string{"evx/upload"}},
		"foreign-issuer-legal":      {map[string]string{"sub": "x", "iss": "https://idp.example.net", "client_id": "evx-web"}, []string{"evx/legal"}},
		"foreign-issuer-upload":     {map[string]string{"sub": "x", "iss": "https://idp.example.net", "client_id": "evx-web"}, []string{"evx/upload"}},
		"foreign-issuer-nl-om":      {map[string]string{"sub": "x", "iss": "https://idp.example.net", "client_id": "evx-sample-nl-om"}, []string{"evx/counterpart"}},
		"two-roles":                 {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload", "evx/legal"}},
		"unregistered-client":       {map[string]string{"sub": "x", "iss": issuer, "client_id": "client-xx", "evx_counterpart": "nl-om"}, []string{"evx/counterpart"}},
		"staff-without-sub":         {map[string]string{"iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
		"scope-claim-only":          {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-web", "scope": "evx/admin"}, nil},
	}
	tokens := map[string]token{
		"as-es-fge":       {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-sample-es-fge", "evx_counterpart": "nl-om"}, []string{"evx/counterpart"}},
		"evx/upload":      {map[string]string{"sub": "inspector-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
		"evx/legal":       {map[string]string{"sub": "clerk-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
		"evx/counterpart": {map[string]string{"sub": "x", "iss": issuer, "client_id": "evx-sample-nl-om"}, []string{"evx/counterpart"}},
	}
	for name, tok := range forged {
		tokens[name] = tok
	}
	srv := apiAdapter(t, fns["api"], tokens)
	call := func(r fntest.Route, tok string) (int, string) {
		t.Helper()
		p := strings.NewReplacer("{id}", id, "{name+}", "data/ledger.csv", "{size}", "latest").Replace(r.Path)
		if strings.HasPrefix(r.Path, "/v1/deliveries/") {
			p = strings.NewReplacer("{id}", delivery, "{name+}", "data/ledger.csv").Replace(r.Path)
		}
		var body *strings.Reader
		if r.Method == http.MethodPost {
			body = strings.NewReader(`{"accepted":true,"documents":[]}`)
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(r.Method, srv.URL+p, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	accesses := func() int {
		trail, err := env.Service.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for _, e := range trail {
			if e.Event.Type == custody.ContentAccessTracking {
				k++
			}
		}
		return k
	}
	before := accesses()
	routes, reads := 0, 0
	for _, r := range fntest.TemplateRoutes(t, root) {
		if len(r.Scopes) == 0 {
			continue // anonymous: the checkpoint and the public key
		}
		routes++
		// A counterpart's reads are ContentAccessTracking on the bundle's chain; legal staff's
		// are LegalAccess on its reads subject (checked below).
		if strings.HasPrefix(r.Path, "/v1/deliveries/") && (strings.Contains(r.Path, "/documents/") || strings.Contains(r.Path, "/text/") || strings.HasSuffix(r.Path, "/identifiers")) {
			reads++
		}
		w.take()
		for name := range forged {
			if code, body := call(r, name); code != http.StatusUnauthorized && code != http.StatusForbidden {
				t.Errorf("%s %s with %s = %d %.80s, want 401 or 403", r.Method, r.Path, name, code, body)
			}
		}
		for _, c := range w.take() {
			if c == "KMS Sign" || strings.HasPrefix(c, "DynamoDB Put") || strings.HasPrefix(c, "DynamoDB Transact") || strings.HasPrefix(c, "S3 Put") ||
				c == "S3 CreateMultipartUpload" || c == "S3 CompleteMultipartUpload" {
				t.Errorf("%s %s: a refused request made %s", r.Method, r.Path, c)
			}
		}
		if code, body := call(r, "as-es-fge"); code < 300 && (strings.Contains(body, delivery) || strings.Contains(body, id)) {
			t.Errorf("%s %s as es-fge claiming nl-om = %d and shows nl-om's bundle: %.120s", r.Method, r.Path, code, body)
		}
		if code, body := call(r, r.Scopes[0]); code == http.StatusUnauthorized || code == http.StatusForbidden {
			t.Errorf("%s %s with a genuine %s token = %d %s", r.Method, r.Path, r.Scopes[0], code, body)
		}
	}
	if routes < 11 {
		t.Errorf("%d authorized routes tried, want every one of the template's", routes)
	}
	// Only the genuine nl-om token's reads of the documents (a document, its text, the
	// identifiers found in them) were recorded.
	if got := accesses() - before; got != reads {
		t.Errorf("%d ContentAccessTracking events recorded, want %d (the genuine reads)", got, reads)
	}
	// Every legal read recorded was the genuine clerk's.
	legal, err := env.Service.Events(ctx, pipeline.ReadsPrefix+id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range legal {
		if e.Event.Type != pipeline.LegalAccess || !strings.Contains(e.Event.Actor.ID, "clerk-1") {
			t.Errorf("reads subject: %s by %+v, want LegalAccess by the genuine clerk only", e.Event.Type, e.Event.Actor)
		}
	}
	if len(legal) == 0 {
		t.Error("no legal read was recorded on the reads subject")
	}
}
