package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/directory"
)

// TestDirectory: GET /v1/directory shows an uploader the active counterparts, legal staff
// every one, a counterpart only itself, and nobody how a counterpart authenticates.
func TestDirectory(t *testing.T) {
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	dir, err := directory.Load("../../infra/counterparts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	toks, _ := api.ParseTokens(strings.NewReader(tokensFile))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithDirectory(dir))
	defer srv.Close()
	for _, c := range []struct {
		who    string
		code   int
		ids    string
		agency string // the caller's own agency, shown with its seal keys' ids
	}{
		{"alice", http.StatusOK, "co-fgn es-fge nl-om", ""},
		{"legal", http.StatusOK, "co-fgn es-fge nl-om pt-pj", ""},
		{"nl-om", http.StatusOK, "nl-om", "nl-om"},
		{"es-fge", http.StatusOK, "es-fge", "es-fge"},
		{"carol", http.StatusOK, "co-fgn es-fge nl-om", "nl-pol"},
		{"judge", http.StatusOK, "co-fgn es-fge nl-om pt-pj", "nl-om"},
		{"anon", http.StatusUnauthorized, "", ""},
		{"forged", http.StatusUnauthorized, "", ""},
	} {
		t.Run(c.who, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/directory", nil)
			if tok := tokens[c.who]; tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var raw json.RawMessage
			json.NewDecoder(res.Body).Decode(&raw)
			if res.StatusCode != c.code {
				t.Fatalf("GET /v1/directory as %s = %d %s, want %d", c.who, res.StatusCode, raw, c.code)
			}
			if c.code != http.StatusOK {
				return
			}
			for _, secret := range []string{"issuer", "client_id", "aws_account", "cognito", "210987654321", "public_key"} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("the directory shows %s %q: %s", c.who, secret, raw)
				}
			}
			var d api.DirectoryResult
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range d.Counterparts {
				ids = append(ids, e.ID)
				if e.Name == "" || e.Country == "" || len(e.LegalBases) == 0 || len(e.HandlingCodes) == 0 {
					t.Errorf("entry %+v lacks what a person chooses by", e)
				}
			}
			slices.Sort(ids)
			if got := strings.Join(ids, " "); got != c.ids {
				t.Errorf("%s sees %s, want %s", c.who, got, c.ids)
			}
			switch a := d.Agency; {
			case c.agency == "" && a != nil:
				t.Errorf("%s is shown an own agency %+v", c.who, a)
			case c.agency != "" && (a == nil || a.ID != c.agency || a.Name == ""):
				t.Errorf("%s is shown own agency %+v, want %s", c.who, a, c.agency)
			case c.agency != "":
				want, _ := dir.Counterpart(context.Background(), c.agency)
				if len(a.SealKeys) == 0 || a.SealKeys[0] != want.AllSealKeys()[0].KeyID || a.RequireSeal != want.RequireSeal {
					t.Errorf("%s: own agency %+v, want the directory's seal keys and rules %+v", c.who, a, want)
				}
			}
			if strings.Join(d.HandlingCodes, " ") != "H0 H1 H2 H3" {
				t.Errorf("handling codes %v", d.HandlingCodes)
			}
		})
	}
	res, err := http.Post(srv.URL+"/v1/directory", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /v1/directory = %d, want 405", res.StatusCode)
	}
}
