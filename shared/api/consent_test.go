package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

type consentList struct {
	Consents []pipeline.Consent `json:"consents"`
}

// TestConsentOverHTTP: an H1 bundle's recipient asks for consent to judicial use, its sending
// agency grants it, and the court report is then served; every other caller is refused as
// the isolation rules say: an agency that is no party gets 404, a recipient cannot grant, an
// identity without an agency is refused, and asking or granting twice records nothing new.
func TestConsentOverHTTP(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("carol", "POST", "/v1/bundles", bagCode(t, "H1", "nl-om", "es-fge"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	path := "/v1/bundles/" + id + "/consents"
	judicial := []byte(`{"use": "judicial"}`)
	grant := []byte(`{"asker": "nl-om", "use": "judicial"}`)
	for _, c := range []struct {
		who, method, path string
		body              []byte
		want              int
		says              string
	}{
		{"nl-om-officer", "GET", path, nil, http.StatusOK, `"consents": []`},
		{"legal", "GET", "/v1/bundles/" + id + "/report", nil, http.StatusForbidden, "H1"},
		{"co-fgn-officer", "GET", path, nil, http.StatusNotFound, ""},
		{"co-fgn-officer", "POST", path, judicial, http.StatusNotFound, ""},
		{"nl-om", "POST", path, judicial, http.StatusForbidden, "names no agency"},
		{"alice", "GET", path, nil, http.StatusForbidden, "names no agency"},
		{"nl-om-officer", "POST", path, []byte(`{"use": "gossip"}`), http.StatusForbidden, "gossip"},
		{"nl-om-officer", "POST", path, []byte(`{"use": "judicial", "extra": 1}`), http.StatusBadRequest, "documented form"},
		{"nl-om-officer", "POST", path, judicial, http.StatusCreated, `"type": "ConsentRequested"`},
		{"nl-om-officer", "POST", path, judicial, http.StatusOK, `"person": "p.bakker"`},
		{"carol", "POST", path, judicial, http.StatusForbidden, "this endpoint is for counterpart"},
		{"es-fge-officer", "POST", path + "/grant", grant, http.StatusForbidden, "this endpoint is for uploader"},
		{"pt-pj-uploader", "POST", path + "/grant", grant, http.StatusNotFound, ""},
		{"pt-pj-uploader", "GET", path, nil, http.StatusNotFound, ""},
		{"carol", "POST", path + "/grant", []byte(`{"asker": "co-fgn", "use": "judicial"}`), http.StatusForbidden, "did not receive the bundle"},
		{"carol", "POST", path + "/grant", grant, http.StatusCreated, `"type": "ConsentGranted"`},
		{"carol", "POST", path + "/grant", grant, http.StatusOK, `"agency": "nl-pol"`},
		{"es-fge-officer", "GET", path, nil, http.StatusOK, `"asker": "nl-om"`},
		{"legal", "GET", path, nil, http.StatusOK, `"ConsentGranted"`},
		{"judge", "GET", path, nil, http.StatusOK, `"ConsentGranted"`},
		{"legal", "GET", "/v1/bundles/" + id + "/report", nil, http.StatusOK, "%PDF"},
	} {
		code, body, _ := e.do(c.who, c.method, c.path, c.body)
		if code != c.want || !strings.Contains(string(body), c.says) {
			t.Errorf("%s %s %s = %d %.300s; want %d containing %q", c.who, c.method, c.path, code, body, c.want, c.says)
		}
	}
	code, body, _ = e.do("legal", "GET", path, nil)
	if cs := decode[consentList](t, body).Consents; code != http.StatusOK || len(cs) != 2 || cs[0].Person != "p.bakker" || cs[1].Person != "c.jansen" {
		t.Errorf("consents = %d %+v; want one request by p.bakker and one grant by c.jansen", code, cs)
	}
	code, _, _ = e.do("co-fgn-officer", "GET", "/v1/bundles/"+strings.Repeat("0", 64)+"/consents", nil)
	if code != http.StatusNotFound {
		t.Errorf("consents of an unknown bundle = %d, want 404", code)
	}
}
