package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestIdentifiersOverHTTP: legal staff read the identifiers of each document of a bundle;
// the seizure report's container number, whose check digit fails, is a look-alike and not an
// identifier; other roles are refused and an unknown bundle is 404.
func TestIdentifiersOverHTTP(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	code, body, _ = e.do("legal", "GET", "/v1/bundles/"+id+"/identifiers", nil)
	got := decode[struct {
		Bundle    string                         `json:"bundle"`
		Documents []pipeline.DocumentIdentifiers `json:"documents"`
	}](t, body)
	if code != http.StatusOK || got.Bundle != id || len(got.Documents) != 2 {
		t.Fatalf("identifiers = %d %s", code, body)
	}
	var look *identify.Finding
	for _, d := range got.Documents {
		for i, f := range d.LookAlikes {
			if d.Name == "data/seizure-report.txt" && f.Type == identify.Container {
				look = &d.LookAlikes[i]
			}
		}
		for _, f := range d.Identifiers {
			if f.Type == identify.Container {
				t.Errorf("%s: container %s listed as an identifier", d.Name, f.Value)
			}
		}
	}
	if look == nil || look.Value != "MSCU1234567" || look.Text != "MSCU 123456-7" || look.Valid {
		t.Errorf("look-alike = %+v; want MSCU 123456-7 (check digit 6, not 7), invalid", look)
	}
	for _, who := range []string{"alice", "nl-om", "anon"} {
		if code, body, _ := e.do(who, "GET", "/v1/bundles/"+id+"/identifiers", nil); code == http.StatusOK || strings.Contains(string(body), "MSCU") {
			t.Errorf("%s: identifiers = %d %s, want refused without them", who, code, body)
		}
	}
	if code, _, _ := e.do("legal", "GET", "/v1/bundles/"+strings.Repeat("0", 64)+"/identifiers", nil); code != http.StatusNotFound {
		t.Errorf("identifiers of an unknown bundle = %d, want 404", code)
	}
}
