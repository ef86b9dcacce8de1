package api_test

import (
	"fmt"
	"io"
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
	nl := pipeline.DeliveryID(st.Upload.BundleID, "nl-om")
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

// TestDocumentRange: a counterpart resuming a download asks for the bytes from an offset on
// and gets them (206, Content-Range), each request recorded as an access; any other range is
// answered with the whole document.
func TestDocumentRange(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	st := decode[pipeline.Status](t, body)
	path := e.srv.URL + "/v1/deliveries/" + st.Deliveries[0].ID + "/documents/data/seizure-report.txt"
	get := func(rng string) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens["nl-om"])
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	n := len(secret)
	code, got, hdr := get("bytes=10-")
	if code != http.StatusPartialContent || got != secret[10:] || hdr.Get("Content-Range") != fmt.Sprintf("bytes 10-%d/%d", n-1, n) {
		t.Errorf("bytes=10- = %d %q %q, want 206 and the rest", code, got, hdr.Get("Content-Range"))
	}
	if code, got, _ := get(fmt.Sprintf("bytes=10-%d", n-1)); code != http.StatusPartialContent || got != secret[10:] {
		t.Errorf("bytes=10-LAST = %d %q, want 206 and the rest", code, got)
	}
	for _, rng := range []string{"bytes=0-", "bytes=-5", "bytes=1-3", "bytes=1-,4-", fmt.Sprintf("bytes=%d-", n), "bytes=x-", "items=3-"} {
		if code, got, _ := get(rng); code != http.StatusOK || got != secret {
			t.Errorf("Range %q = %d %q, want 200 and the whole document", rng, code, got)
		}
	}
	_, body, _ = e.do("legal", "GET", "/v1/bundles/"+st.Upload.BundleID+"/trail", nil)
	if got := strings.Count(string(body), `"ContentAccessTracking"`); got != 9 {
		t.Errorf("%d accesses recorded, want one per request (9)", got)
	}
}
