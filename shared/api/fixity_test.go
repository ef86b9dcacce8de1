package api_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// A document whose stored bytes were altered is hashed while it is served: the response is
// aborted before it completes (the client never has the whole altered document under the
// original hash) and the mismatch is recorded as a FixityCheck.
func TestAlteredDocumentNotServed(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != 201 {
		t.Fatalf("upload = %d %s", code, body)
	}
	st := decode[pipeline.Status](t, body)
	id, delivery := st.Upload.BundleID, st.Deliveries[0].ID
	_, body, _ = e.do("nl-om", "GET", "/v1/deliveries/"+delivery, nil)
	m := decode[pipeline.Manifest](t, body)
	var doc custody.Document
	for _, d := range m.Documents {
		if strings.HasSuffix(d.Name, "seizure-report.txt") {
			doc = d
		}
	}
	p := filepath.Join(e.node.Dir, local.BlobsDir, doc.SHA256[0:2], doc.SHA256[2:4], doc.SHA256)
	os.Chmod(p, 0o600)
	b, _ := os.ReadFile(p)
	b[3] ^= 0x20
	if err := os.WriteFile(p, b, 0o400); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/deliveries/"+delivery+"/documents/"+doc.Name, nil)
	req.Header.Set("Authorization", "Bearer "+tokens["nl-om"])
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		got, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr == nil && int64(len(got)) == doc.Size {
			t.Fatalf("altered document served whole (%d bytes, X-Evx-Sha256 %s), want the response aborted", len(got), resp.Header.Get("X-Evx-Sha256"))
		}
	}
	evs, _ := e.node.Ledger.Events(context.Background(), id)
	found := false
	for _, en := range evs {
		if en.Event.Type == custody.FixityCheck && len(en.Event.Details.Reasons) == 1 && strings.Contains(en.Event.Details.Reasons[0], doc.Name) {
			found = true
		}
	}
	if !found {
		t.Errorf("no FixityCheck naming %s on the trail after serving it altered", doc.Name)
	}
	// The intact document of the same delivery is still served whole.
	for _, d := range m.Documents {
		if d.Name != doc.Name {
			if code, got, _ := e.do("nl-om", "GET", "/v1/deliveries/"+delivery+"/documents/"+d.Name, nil); code != 200 || int64(len(got)) != d.Size {
				t.Errorf("intact document = %d, %d bytes, want 200 and %d", code, len(got), d.Size)
			}
		}
	}
}
