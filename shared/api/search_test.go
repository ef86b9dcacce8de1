package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

// upload posts a sample bag for cps as who and returns its bundle id.
func (e *env) upload(who string, cps ...string) string {
	e.t.Helper()
	code, body, _ := e.do(who, "POST", "/v1/bundles", bag(e.t, cps...))
	if code != http.StatusCreated {
		e.t.Fatalf("upload = %d %s", code, body)
	}
	return decode[pipeline.Status](e.t, body).Upload.BundleID
}

// TestSearchRoles: GET /v1/bundles finds bundles by their documents' text and references,
// each role seeing only what it may: an uploader its own, a counterpart what was delivered
// to it (without the uploader or the other counterparts), legal staff of no agency every
// bundle (TestLegalAgencyScope: of an agency).
func TestSearchRoles(t *testing.T) {
	e := newEnv(t, api.Limits{})
	upload := func(who string, cps ...string) string { return e.upload(who, cps...) }
	a := upload("alice", "nl-om", "es-fge")
	b := upload("bob", "es-fge")
	search := func(who, query string) (int, api.SearchResult) {
		code, body, _ := e.do(who, "GET", "/v1/bundles?"+query, nil)
		if code != http.StatusOK {
			return code, api.SearchResult{}
		}
		return code, decode[api.SearchResult](t, body)
	}
	found := func(r api.SearchResult) []string {
		var out []string
		for _, x := range r.Bundles {
			out = append(out, x.BundleID)
		}
		slices.Sort(out)
		return out
	}
	both := []string{a, b}
	slices.Sort(both)
	q := "q=" + url.QueryEscape("cocaine hydrochloride")
	for _, tc := range []struct {
		who, query string
		want       []string
	}{
		{"legal", q, both},
		{"legal", "q=nothing-like-this", nil},
		{"alice", q, []string{a}},
		{"bob", q, []string{b}},
		{"nl-om", q, []string{a}},
		{"es-fge", q, both},
		{"nl-om", "counterpart=es-fge", nil}, // another counterpart's scope: nothing
		{"legal", "counterpart=nl-om", []string{a}},
		{"legal", "state=delivered", both},
		{"legal", "state=answered", nil},
		{"legal", "from=2000-01-01&to=2000-01-02", nil},
	} {
		code, r := search(tc.who, tc.query)
		if code != http.StatusOK || !slices.Equal(found(r), tc.want) {
			t.Errorf("GET /v1/bundles?%s as %s = %d %v, want %v", tc.query, tc.who, code, found(r), tc.want)
		}
	}
	// What a counterpart sees of a bundle: its own delivery, not the uploader or the others.
	_, r := search("nl-om", q)
	if len(r.Bundles) != 1 || r.Bundles[0].Uploader != "" || !slices.Equal(r.Bundles[0].Counterparts, []string{"nl-om"}) ||
		r.Bundles[0].Delivery != pipeline.DeliveryID(a, "nl-om") {
		t.Errorf("counterpart's hit = %+v", r.Bundles)
	}
	_, r = search("legal", q)
	for _, h := range r.Bundles {
		if len(h.Documents) == 0 || !strings.Contains(h.Snippet, "[cocaine]") || h.State != pipeline.BundleDelivered {
			t.Errorf("legal hit = %+v", h)
		}
	}
	for _, bad := range []string{"state=lost", "limit=0", "limit=9999", "from=yesterday", "q=" + strings.Repeat("x", 1001)} {
		if code, body, _ := e.do("legal", "GET", "/v1/bundles?"+bad, nil); code != http.StatusBadRequest {
			t.Errorf("GET /v1/bundles?%.40s = %d %s, want 400", bad, code, body)
		}
	}
	if code, _, _ := e.do("anon", "GET", "/v1/bundles", nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous search = %d, want 401", code)
	}

	// An index that lost a bundle (or predates it) catches up from the trail.
	if _, err := e.node.DB.Exec(`DELETE FROM search_bundles WHERE bundle = ?`, b); err != nil {
		t.Fatal(err)
	}
	if _, r := search("legal", q); !slices.Equal(found(r), []string{a}) {
		t.Fatalf("after losing %s: found %v", b, found(r))
	}
	if n, err := e.node.Reindex(t.Context()); n != 1 || err != nil {
		t.Errorf("Reindex = %d, %v; want 1", n, err)
	}
	if n, err := e.node.Reindex(t.Context()); n != 0 || err != nil {
		t.Errorf("second Reindex = %d, %v; want 0", n, err)
	}
	if _, r := search("legal", q); !slices.Equal(found(r), both) {
		t.Errorf("after Reindex: found %v, want %v", found(r), both)
	}
}

// TestLegalAgencyScope: legal staff of an agency find and read the bundles their agency is
// party to (sent by one of its people, or consigned to it); any other bundle is, to them, one
// that does not exist, on every bundle route. Legal staff of no agency read every bundle.
func TestLegalAgencyScope(t *testing.T) {
	e := newEnv(t, api.Limits{})
	upload := func(who string, cps ...string) string { return e.upload(who, cps...) }
	toOM := upload("alice", "nl-om", "es-fge") // consigned to nl-om
	toES := upload("bob", "es-fge")            // nl-om and nl-pol are no party to it
	byPol := upload("carol", "nl-om")          // sent by nl-pol, to nl-om
	sorted := func(ids ...string) string { slices.Sort(ids); return strings.Join(ids, " ") }
	for _, tc := range []struct {
		who  string
		sees string
	}{
		{"judge", sorted(toOM, byPol)},       // legal nl-om
		{"nl-pol-legal", sorted(byPol)},      // legal nl-pol
		{"legal", sorted(toOM, toES, byPol)}, // the exchange's own legal staff
	} {
		t.Run(tc.who, func(t *testing.T) {
			code, body, _ := e.do(tc.who, "GET", "/v1/bundles?q="+url.QueryEscape("cocaine hydrochloride"), nil)
			if code != http.StatusOK {
				t.Fatalf("search = %d %s", code, body)
			}
			var got []string
			for _, b := range decode[api.SearchResult](t, body).Bundles {
				got = append(got, b.BundleID)
			}
			if sorted(got...) != tc.sees {
				t.Errorf("search finds %v, want %s", got, tc.sees)
			}
			for _, id := range []string{toOM, toES, byPol} {
				want := http.StatusNotFound
				if strings.Contains(tc.sees, id) {
					want = http.StatusOK
				}
				for _, path := range []string{"", "/trail", "/verification", "/report", "/identifiers", "/documents/data/seizure-report.txt"} {
					if code, body, _ := e.do(tc.who, "GET", "/v1/bundles/"+id+path, nil); code != want {
						t.Errorf("GET /v1/bundles/%s%s = %d %.120s, want %d", id[:8], path, code, body, want)
					}
				}
			}
		})
	}
	// On a deployment whose own agency is nl-pol (an AWS stack's EVX_AGENCY, evx serve
	// --agency), bundles whose uploader names no agency (alice's, bob's) are nl-pol's too.
	toks, _ := api.ParseTokens(strings.NewReader(tokensFile))
	home := httptest.NewServer(api.New(e.node.Service, e.node.Uploads, toks, api.Limits{}, nil).WithHomeAgency("nl-pol"))
	defer home.Close()
	req, _ := http.NewRequest("GET", home.URL+"/v1/bundles?q="+url.QueryEscape("cocaine hydrochloride"), nil)
	req.Header.Set("Authorization", "Bearer "+tokens["nl-pol-legal"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var found api.SearchResult
	json.NewDecoder(res.Body).Decode(&found)
	res.Body.Close()
	if len(found.Bundles) != 3 {
		t.Errorf("nl-pol's legal staff at home find %d bundles, want 3", len(found.Bundles))
	}
	req, _ = http.NewRequest("GET", home.URL+"/v1/bundles/"+toES+"/trail", nil)
	req.Header.Set("Authorization", "Bearer "+tokens["nl-pol-legal"])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("nl-pol's legal staff at home read bob's bundle: %v %v, want 200", res.StatusCode, err)
	}
	// A bundle that does not exist answers as one of another agency does.
	_, foreign, _ := e.do("judge", "GET", "/v1/bundles/"+toES+"/trail", nil)
	_, absent, _ := e.do("judge", "GET", "/v1/bundles/"+strings.Repeat("0", 64)+"/trail", nil)
	if strings.ReplaceAll(string(foreign), toES, "ID") != strings.ReplaceAll(string(absent), strings.Repeat("0", 64), "ID") {
		t.Errorf("another agency's bundle answers %s, an absent one %s", foreign, absent)
	}
}
