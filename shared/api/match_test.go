package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
)

func TestMatchEndpoint(t *testing.T) {
	ctx := context.Background()
	d, err := directory.New([]pipeline.Counterpart{
		{ID: "nl-om", Name: "OM", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true, Matching: true},
		{ID: "es-fge", Name: "FGE", Country: "ES", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := local.OpenNode(ctx, t.TempDir(), local.NodeOptions{Counterparts: d})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	m, _, err := n.OpenMatcher(ctx, "home", nil, pipeline.MatchLimits{PerHour: 3})
	if err != nil {
		t.Fatal(err)
	}
	toks, _ := api.ParseTokens(strings.NewReader(tokensFile))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithMatcher(m))
	defer srv.Close()
	e := &env{t: t, srv: srv, node: n}

	dir := t.TempDir()
	p := filepath.Join(dir, "bl.txt")
	os.WriteFile(p, []byte("BILL OF LADING\nContainer No. MSCU 123456 6\n"), 0o644)
	out := filepath.Join(dir, "b.zip")
	in := bagit.Info{{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"}, {Label: bagit.LabelCounterpart, Value: "nl-om"}}
	if _, err := bagit.Create(out, []string{p}, bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", b); code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	if got, err := n.BackfillIndex(ctx, m); err != nil || got != 1 {
		t.Fatalf("BackfillIndex = %d, %v", got, err)
	}

	q := []byte(`{"identifiers":[{"type":"container","value":"MSCU1234566"},{"type":"container","value":"CSQU3054383"}]}`)
	code, body, _ := e.do("nl-om", "POST", "/v1/match", q)
	if code != http.StatusOK {
		t.Fatalf("match = %d %s", code, body)
	}
	res := decode[api.MatchResponse](t, body)
	if len(res.Results) != 2 || res.Results[0].Result != "hit" || res.Results[0].Holders[0].Agency != "home" || res.Results[1].Result != "no-hit" {
		t.Fatalf("match = %s", body)
	}
	if strings.Contains(string(body), "own_bundles") || strings.Contains(string(body), "bl.txt") {
		t.Fatalf("a counterpart's answer shows bundles or documents: %s", body)
	}
	// Legal staff of the deployment see its own bundles.
	code, body, _ = e.do("legal", "POST", "/v1/match", []byte(`{"identifiers":[{"type":"container","value":"MSCU 123456-6"}]}`))
	if code != http.StatusOK || !strings.Contains(string(body), "own_bundles") {
		t.Fatalf("legal match = %d %s", code, body)
	}
	code, body, _ = e.do("legal", "GET", "/v1/match/notices", nil)
	if code != http.StatusOK || !strings.Contains(string(body), "IdentifierMatched") || !strings.Contains(string(body), "nl-om") {
		t.Fatalf("notices = %d %s", code, body)
	}
	for _, tc := range []struct {
		who, body string
		code      int
	}{
		{"es-fge", string(q), http.StatusForbidden},            // no matching flag
		{"anon", string(q), http.StatusUnauthorized},           // no token
		{"nl-om", `{"identifiers":[]}`, http.StatusBadRequest}, // empty
		{"nl-om", `{"ids":[]}`, http.StatusBadRequest},         // unknown field
		{"nl-om", string(q), http.StatusTooManyRequests},       // 2 + 2 over 3 per hour
		{"nl-om", `{"identifiers":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		code, body, h := e.do(tc.who, "POST", "/v1/match", []byte(tc.body))
		if code != tc.code {
			t.Errorf("POST /v1/match as %s (%.40s) = %d %s, want %d", tc.who, tc.body, code, body, tc.code)
		}
		if code == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
}
