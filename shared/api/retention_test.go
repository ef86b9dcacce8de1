package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestRetentionOverHTTP: legal staff of the sending agency read a bundle's retention (the read
// recorded), authorise its disposal and dispose of it; other agencies' legal staff get 404,
// legal staff naming no agency and other roles are refused, and a document read after the
// disposal is 410 Gone.
func TestRetentionOverHTTP(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("carol", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	path := "/v1/bundles/" + id + "/retention"
	for who, want := range map[string]int{"judge": 404, "legal": 403, "carol": 403, "nl-om": 403, "anon": 401} {
		if code, body, _ := e.do(who, "GET", path, nil); code != want {
			t.Errorf("GET retention as %s = %d %s, want %d", who, code, body, want)
		}
	}
	code, body, _ = e.do("nl-pol-legal", "GET", path, nil)
	got := decode[struct {
		Retention pipeline.Retention `json:"retention"`
	}](t, body)
	if code != http.StatusOK || got.Retention.ReviewDue.IsZero() || got.Retention.Decision != "" {
		t.Fatalf("GET retention = %d %s", code, body)
	}
	if code, body, _ := e.do("nl-pol-legal", "POST", path+"/dispose", nil); code != http.StatusConflict || !strings.Contains(string(body), "not authorised") {
		t.Errorf("dispose before a review = %d %s, want 409", code, body)
	}
	for _, bad := range []string{`{"decision": "keep"}`, `{"decision": "extend", "next_review": "yesterday"}`, `{"decision": "dispose", "x": 1}`} {
		if code, body, _ := e.do("nl-pol-legal", "POST", path, []byte(bad)); code != http.StatusBadRequest && code != http.StatusConflict {
			t.Errorf("review %s = %d %s, want 400 or 409", bad, code, body)
		}
	}
	review, _ := json.Marshal(api.RetentionReview{Decision: custody.DecisionDispose, Note: "case closed"})
	if code, body, _ := e.do("judge", "POST", path, review); code != http.StatusNotFound {
		t.Errorf("review by nl-om's legal staff = %d %s, want 404", code, body)
	}
	if code, body, _ := e.do("nl-pol-legal", "POST", path, review); code != http.StatusCreated || !strings.Contains(string(body), `"RetentionReviewed"`) {
		t.Fatalf("review = %d %s, want 201 and the event", code, body)
	}
	if code, body, _ := e.do("nl-pol-legal", "POST", path, review); code != http.StatusOK || !strings.Contains(string(body), `"recorded": false`) {
		t.Errorf("the same review again = %d %s, want 200 and nothing recorded", code, body)
	}
	if code, body, _ := e.do("nl-pol-legal", "POST", path+"/dispose", nil); code != http.StatusCreated || !strings.Contains(string(body), `"DocumentsDisposed"`) {
		t.Fatalf("dispose = %d %s, want 201 DocumentsDisposed", code, body)
	}
	if code, body, _ := e.do("nl-pol-legal", "GET", "/v1/bundles/"+id+"/documents/data/seizure-report.txt", nil); code != http.StatusGone || strings.Contains(string(body), "412 kg") {
		t.Errorf("document read after disposal = %d %s, want 410", code, body)
	}
	reads, _ := e.node.Ledger.Events(t.Context(), pipeline.ReadsSubject(id))
	found := false
	for _, r := range reads {
		found = found || strings.Join(r.Event.Details.Reasons, " ") == "read=retention"
	}
	if !found {
		t.Errorf("no LegalAccess read=retention among %d reads", len(reads))
	}
}
