package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
)

func FuzzParseTokens(f *testing.F) {
	f.Add(tokensFile)
	f.Add("x")
	f.Add("long-enough-token-1 counterpart nl-om # comment\n\n#only comment\n")
	f.Add("long-enough-token-1\tlegal\tclerk\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := api.ParseTokens(strings.NewReader(s))
		if err != nil {
			return
		}
		// Every listed token authenticates as what its line says; nothing else does.
		for _, line := range strings.Split(s, "\n") {
			l, _, _ := strings.Cut(line, "#")
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+f[0])
			id, ok := toks.Authenticate(r)
			if !ok || string(id.Role) != f[1] {
				t.Fatalf("token of line %q authenticates as %+v, %v", line, id, ok)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer ")
		if _, ok := toks.Authenticate(r); ok {
			t.Fatal("empty token authenticated")
		}
	})
}

// FuzzReceiptBody posts arbitrary bodies as a counterpart's receipt: the answer is never a
// server error, and a delivery never gets two outcomes.
func FuzzReceiptBody(f *testing.F) {
	for _, s := range []string{
		`{"accepted": true, "documents": []}`,
		`{"accepted": false, "reasons": ["hash mismatch"], "documents": [{"name": "data/ledger.csv", "sha256": "00"}]}`,
		`{"accepted": false}`, `{"accepted": "yes"}`, `null`, `{"documents": [{"name": "data/x", "sha256": "` + strings.Repeat("a", 64) + `"}]}`,
		`{"accepted": false, "reasons": ["` + strings.Repeat("é", 600) + `"]}`,
	} {
		f.Add([]byte(s))
	}
	n, err := local.OpenNode(context.Background(), f.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
	if err != nil {
		f.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader(tokensFile))
	h := api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithReportFonts(testFonts(f))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v1/bundles", bytes.NewReader(bag(f, "nl-om")))
	req.Header.Set("Authorization", "Bearer "+tokens["alice"])
	h.ServeHTTP(rec, req)
	var st pipeline.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || len(st.Deliveries) != 1 {
		f.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	path := "/v1/deliveries/" + st.Deliveries[0].ID + "/receipt"
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens["nl-om"])
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("receipt %q = %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusCreated && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("error body is not JSON: %s", rec.Body)
		}
		es, _ := n.Service.Events(context.Background(), st.Upload.BundleID)
		outcomes := 0
		for _, e := range es {
			switch e.Event.Type {
			case "ConsignmentAcceptance", "ConsignmentRejection", "AcceptanceRejectionExpiry":
				outcomes++
			}
		}
		if outcomes > 1 {
			t.Fatalf("%d outcomes recorded", outcomes)
		}
	})
}
