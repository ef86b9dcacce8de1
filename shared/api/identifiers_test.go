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

// TestDeliveryIdentifiersOverHTTP: a counterpart reads the identifiers of the documents of
// its own delivery, the read is recorded on the bundle's trail as an access to the
// documents, and another counterpart's delivery is not found.
func TestDeliveryIdentifiersOverHTTP(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om", "es-fge"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	st := decode[pipeline.Status](t, body)
	nl := pipeline.DeliveryID(st.Upload.BundleID, "nl-om")
	code, body, hdr := e.do("nl-om", "GET", "/v1/deliveries/"+nl+"/identifiers", nil)
	got := decode[struct {
		Delivery  string                         `json:"delivery"`
		Documents []pipeline.DocumentIdentifiers `json:"documents"`
	}](t, body)
	if code != http.StatusOK || got.Delivery != nl || len(got.Documents) != 2 || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("delivery identifiers = %d %s", code, body)
	}
	looks := 0
	for _, d := range got.Documents {
		for _, f := range d.LookAlikes {
			if d.Name == "data/seizure-report.txt" && f.Type == identify.Container && f.Value == "MSCU1234567" {
				looks++
			}
		}
	}
	if looks != 1 {
		t.Errorf("documents = %+v; want the seizure report's look-alike container", got.Documents)
	}
	_, body, _ = e.do("legal", "GET", "/v1/bundles/"+st.Upload.BundleID+"/trail", nil)
	if n := strings.Count(string(body), `"read=identifiers"`); n != 1 || !strings.Contains(string(body), `"ContentAccessTracking"`) {
		t.Errorf("the trail records %d identifier reads, want 1 ContentAccessTracking with read=identifiers", n)
	}
	if code, body, _ := e.do("es-fge", "GET", "/v1/deliveries/"+nl+"/identifiers", nil); code != http.StatusNotFound || strings.Contains(string(body), "MSCU") {
		t.Errorf("es-fge reads nl-om's = %d %s, want 404", code, body)
	}
}
