package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestDocumentText: a counterpart previews the text evx extracted from a document of its
// delivery, and the trail records that it read it.
func TestDocumentText(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om", "es-fge"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	st := decode[pipeline.Status](t, body)
	var nl string
	for _, d := range st.Deliveries {
		if d.Counterpart == "nl-om" {
			nl = d.ID
		}
	}
	code, body, _ = e.do("nl-om", "GET", "/v1/deliveries/"+nl+"/text/data/seizure-report.txt", nil)
	p := decode[pipeline.DocumentPreview](t, body)
	if code != http.StatusOK || !p.Extracted || p.Text != secret || p.Truncated || p.Name != "data/seizure-report.txt" || len(p.SHA256) != 64 {
		t.Errorf("preview = %d %+v, want the report's text", code, p)
	}
	_, body, _ = e.do("legal", "GET", "/v1/bundles/"+st.Upload.BundleID+"/trail", nil)
	if n := strings.Count(string(body), `"ContentAccessTracking"`); n != 1 {
		t.Errorf("the trail records %d accesses after one preview, want 1", n)
	}
	// es-fge cannot read nl-om's, whatever it asks for.
	for _, path := range []string{"/v1/deliveries/" + nl + "/text/data/seizure-report.txt", "/v1/deliveries/" + nl + "/text/", "/v1/deliveries/" + nl + "/text/../documents/data/seizure-report.txt"} {
		if code, body, _ := e.do("es-fge", "GET", path, nil); code < 400 || strings.Contains(string(body), "412 kg") {
			t.Errorf("GET %s as es-fge = %d %s", path, code, body)
		}
	}
}
