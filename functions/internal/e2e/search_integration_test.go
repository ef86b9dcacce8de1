//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestIntegrationSearchOnAWS: bundles accepted on AWS are searchable through the api
// bootstrap's GET /v1/bundles, by the words of their documents, each role scoped as on one
// machine (legal staff of the deployment all of them, a counterpart its deliveries, an
// uploader its own); the audit bootstrap's search-all task enters a bundle the index lacks.
func TestIntegrationSearchOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	fns := startFunctions(t, ctx, root, st.environ(), "api", "audit")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-legal-home-0123": {map[string]string{"sub": "m.jansen", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
		"tok-es-fge-01234567": {map[string]string{"sub": "ana.garcia", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/counterpart"}},
		"tok-officer-0123456": {map[string]string{"sub": "m.devries", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
	})
	env := st.ingestEnv(t, ctx) // in this process, straight to the emulator
	if env.Search == nil {
		t.Fatal("EVX_SEARCH_TABLE set, no search index opened")
	}
	bag := func(cp, text string) []byte {
		t.Helper()
		p := t.TempDir() + "/report.txt"
		os.WriteFile(p, []byte(text), 0o644)
		out := t.TempDir() + "/bundle.zip"
		if _, err := bagit.Create(out, []string{p}, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: cp},
			{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"}, {Label: "External-Identifier", Value: "RTM-2026-" + cp}}}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		return b
	}
	toES := putAndAccept(t, ctx, st, env, "home/m.devries", bag("es-fge", "Container MSCU1234566 unloaded at Algeciras; 312 kg of cocaína found.\n"))
	toOM := putAndAccept(t, ctx, st, env, "home/a.smit", bag("nl-om", "Harbour of Rotterdam: the container left with bananas and cocaine.\n"))
	find := func(tok, query string) []string {
		t.Helper()
		cl := apiClient(t, srv.URL, tok)
		res, err := cl.Search(ctx, pipeline.SearchQuery{Text: query})
		if err != nil {
			t.Fatalf("search %q as %s: %v", query, tok, err)
		}
		var out []string
		for _, b := range res {
			out = append(out, b.BundleID)
		}
		slices.Sort(out)
		return out
	}
	both := []string{toES, toOM}
	slices.Sort(both)
	for _, tc := range []struct {
		tok, q string
		want   []string
	}{
		{"tok-legal-home-0123", "container", both},
		{"tok-legal-home-0123", "cocaina algeciras", []string{toES}},
		{"tok-legal-home-0123", "rotter*", []string{toOM}},
		{"tok-legal-home-0123", "heroin", nil},
		{"tok-es-fge-01234567", "container", []string{toES}}, // its delivery only
		{"tok-officer-0123456", "container", []string{toES}}, // its own only
	} {
		if got := find(tc.tok, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s searches %q: %v, want %v", tc.tok, tc.q, got, tc.want)
		}
	}
	// A bundle accepted by an ingest without the index (as before the index existed) is found
	// only once the search-all task has entered it, and that task enters nothing twice.
	unindexed := *st
	unindexed.cfg.SearchTable = ""
	late := putAndAccept(t, ctx, st, unindexed.ingestEnv(t, ctx), "home/m.devries", bag("nl-om", "A late report: heroin in Antwerp.\n"))
	if got := find("tok-legal-home-0123", "antwerp"); got != nil {
		t.Fatalf("a bundle never indexed is found: %v", got)
	}
	for _, want := range []int{1, 0} {
		var res struct{ Searchable int }
		out := invoke(t, fns["audit"], map[string]string{"task": "search-all"})
		if err := json.Unmarshal(out, &res); err != nil || res.Searchable != want {
			t.Errorf("search-all = %s (%v), want %d entered", out, err, want)
		}
	}
	if got := find("tok-legal-home-0123", "antwerp"); !slices.Equal(got, []string{late}) {
		t.Errorf("after search-all, antwerp finds %v, want %s", got, late)
	}
}
