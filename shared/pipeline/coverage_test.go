package pipeline_test

import (
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// TestEventHashCoversRecordedFields: every field the pipeline records in an event must change
// the event's hash, or it could be altered without breaking the trail. This guards the custody
// encoder against fields it does not know.
func TestEventHashCoversRecordedFields(t *testing.T) {
	sum := "7d008b2aad4afc78746775656471e91186d55d3d321580fe0389c21b9e454656"
	base := func() custody.Event {
		return custody.Event{
			BundleID: "b1", Seq: 1, Type: custody.SubmissionAcceptance, Time: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
			Actor: custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, KeyID: "sha256:" + sum,
			Details: custody.Details{
				Counterparts: []string{"nl-om"}, Deadline: "2026-12-11T09:00:00.000000000Z",
				Documents: []custody.Document{{Name: "data/a.pdf", Size: 1, SHA256: sum, MediaType: "application/pdf", Extraction: sum}},
				Request:   &custody.Request{CaseReference: "c", RequestReference: "r", RequestingState: "ES", RequestedState: "NL", LegalBasis: "EU-EIO", HandlingCode: "H1"},
			},
		}
	}
	other := "0000000000000000000000000000000000000000000000000000000000000000"
	mutations := map[string]func(e *custody.Event){
		"counterparts":      func(e *custody.Event) { e.Details.Counterparts = []string{"es-fge"} },
		"deadline":          func(e *custody.Event) { e.Details.Deadline = "2027-01-01T00:00:00.000000000Z" },
		"media_type":        func(e *custody.Event) { e.Details.Documents[0].MediaType = "text/plain" },
		"extraction_sha256": func(e *custody.Event) { e.Details.Documents[0].Extraction = other },
		"case":              func(e *custody.Event) { e.Details.Request.CaseReference = "x" },
		"request_reference": func(e *custody.Event) { e.Details.Request.RequestReference = "x" },
		"requesting_state":  func(e *custody.Event) { e.Details.Request.RequestingState = "FR" },
		"requested_state":   func(e *custody.Event) { e.Details.Request.RequestedState = "FR" },
		"legal_basis":       func(e *custody.Event) { e.Details.Request.LegalBasis = "JIT" },
		"handling_code":     func(e *custody.Event) { e.Details.Request.HandlingCode = "H3" },
	}
	e0 := base()
	h0, err := e0.ComputeHash()
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range mutations {
		e := base()
		mutate(&e)
		h, err := e.ComputeHash()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h == h0 {
			t.Errorf("changing %s leaves the event hash unchanged: the field is not covered", name)
		}
	}
}
