package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestManifestBundleOverHTTP: a bundle whose documents are in a document manifest is shown
// whole through the API: the uploader's bundle view and the counterpart's delivery list every
// document, a document is served, the trail carries the manifest and verifies with evx's key,
// and the court report renders.
func TestManifestBundleOverHTTP(t *testing.T) {
	e := newEnv(t, api.Limits{})
	// 120 documents with names of about 820 bytes: past the inline list's 128 KiB.
	top := filepath.Join(t.TempDir(), strings.Repeat("a", 200))
	deep := filepath.Join(top, strings.Repeat("b", 200), strings.Repeat("c", 200), strings.Repeat("d", 200))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		os.WriteFile(filepath.Join(deep, fmt.Sprintf("doc-%03d.txt", i)), []byte(fmt.Sprintf("page %d\n", i)), 0o644)
	}
	out := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := bagit.Create(out, []string{top}, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	code, body, _ := e.do("alice", "POST", "/v1/bundles", b)
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s, want 201", code, body)
	}
	st := decode[pipeline.Status](t, body)
	if st.Ingest == nil || st.Ingest.Event.Details.DocumentManifest == nil || len(st.Ingest.Documents) != 120 {
		t.Fatalf("upload answer: %+v; want the acceptance of a manifest listing 120 documents", st.Ingest)
	}
	id := st.Upload.BundleID
	_, body, _ = e.do("alice", "GET", "/v1/bundles/"+id, nil)
	if got := decode[pipeline.Status](t, body); len(got.Ingest.Documents) != 120 {
		t.Errorf("bundle view lists %d documents, want 120", len(got.Ingest.Documents))
	}
	delivery := st.Deliveries[0].ID
	_, body, _ = e.do("nl-om", "GET", "/v1/deliveries/"+delivery, nil)
	m := decode[pipeline.Manifest](t, body)
	if len(m.Documents) != 120 {
		t.Fatalf("delivery lists %d documents, want 120", len(m.Documents))
	}
	if code, _, _ := e.do("nl-om", "GET", "/v1/deliveries/"+delivery+"/documents/"+m.Documents[7].Name, nil); code != http.StatusOK {
		t.Errorf("document fetch = %d, want 200", code)
	}
	code, trail, _ := e.do("legal", "GET", "/v1/bundles/"+id+"/trail", nil)
	if code != http.StatusOK {
		t.Fatalf("trail = %d %s", code, trail)
	}
	tr, err := custody.ParseTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.DocumentManifests) != 1 {
		t.Errorf("trail carries %d manifests, want 1", len(tr.DocumentManifests))
	}
	if _, err := custody.VerifyTrail(trail, e.node.Signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("VerifyTrail(downloaded trail) = %v", err)
	}
	if code, body, _ := e.do("legal", "GET", "/v1/bundles/"+id+"/report", nil); code != http.StatusOK || !strings.HasPrefix(string(body), "%PDF") {
		t.Errorf("report = %d (%d bytes), want a PDF", code, len(body))
	}
}
