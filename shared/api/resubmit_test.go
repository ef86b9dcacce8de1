package api_test

import (
	"net/http"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// A second uploader posting the exact bytes of another's bag is recorded as its own
// submission (a Resubmission event naming it), and each uploader sees only its own.
func TestSecondUploaderOfSameBytes(t *testing.T) {
	e := newEnv(t, api.Limits{})
	b := bag(t, "nl-om")
	code, body, _ := e.do("alice", "POST", "/v1/bundles", b)
	if code != http.StatusCreated {
		t.Fatalf("alice's upload = %d %s", code, body)
	}
	first := decode[pipeline.Status](t, body)
	code, body, _ = e.do("bob", "POST", "/v1/bundles", b)
	second := decode[pipeline.Status](t, body)
	if code != http.StatusCreated || second.Upload.BundleID != first.Upload.BundleID {
		t.Fatalf("bob's upload of the same bytes = %d %s, want 201 for the same bundle", code, body)
	}
	if second.Upload.Uploader != "bob" || len(second.Deliveries) != 0 {
		t.Errorf("bob's status names %q with %d deliveries, want his own submission and none of alice's deliveries", second.Upload.Uploader, len(second.Deliveries))
	}
	id := first.Upload.BundleID
	_, body, _ = e.do("alice", "GET", "/v1/bundles/"+id, nil)
	if st := decode[pipeline.Status](t, body); st.Upload.Uploader != "alice" || len(st.Deliveries) != 1 {
		t.Errorf("alice's view = %s, want her submission and her delivery", body)
	}
	_, body, _ = e.do("bob", "GET", "/v1/bundles/"+id, nil)
	if st := decode[pipeline.Status](t, body); st.Upload.Uploader != "bob" || !st.Upload.Received.After(first.Upload.Received) && !st.Upload.Received.Equal(first.Upload.Received) {
		t.Errorf("bob's view = %s, want his submission", body)
	}
	// Bob again: no second event. The trail names bob once, as a Resubmission.
	e.do("bob", "POST", "/v1/bundles", b)
	_, trail, _ := e.do("legal", "GET", "/v1/bundles/"+id+"/trail", nil)
	tr, err := custody.ParseTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, te := range tr.Events {
		if te.Event.Type == custody.Resubmission {
			n++
			if te.Event.Actor.ID != "bob" || te.Event.Actor.Kind != custody.ActorUser {
				t.Errorf("Resubmission by %+v, want the user bob", te.Event.Actor)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d Resubmission events, want 1", n)
	}
	// Someone who never sent it: 404, as for a bundle that does not exist.
	if code, _, _ := e.do("legal", "GET", "/v1/bundles/"+id, nil); code != 200 {
		t.Errorf("legal's view = %d, want 200", code)
	}
}
