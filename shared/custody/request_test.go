package custody_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// TestRequestDetails: the request fields of a SubmissionAcceptance are covered by the event
// hash, survive the trail round trip, and an event without them keeps its canonical form.
func TestRequestDetails(t *testing.T) {
	ctx := context.Background()
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.test/custody",
		Now: func() time.Time { return time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC) }}
	req := &custody.Request{CaseReference: "OM-2026-114", RequestReference: "MLA-2026-0042",
		RequestingState: "NL", RequestedState: "BE", LegalBasis: "1959 Convention", HandlingCode: "H2"}
	if _, err := k.Record(ctx, "b1", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"},
		custody.Details{Request: req}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "b1", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Events[0].Event.Details.Request; got == nil || *got != *req {
		t.Fatalf("request after round trip = %+v, want %+v", got, req)
	}
	if _, err := custody.Verify(back, s.Public(), custody.VerifyOptions{}); err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	// Changing a request field breaks the event hash.
	back.Events[0].Event.Details.Request.LegalBasis = "none"
	if _, err := custody.Verify(back, s.Public(), custody.VerifyOptions{}); err == nil {
		t.Fatal("Verify after changing the legal basis = nil, want an error")
	}
	// An unknown field inside the request is refused.
	bad := strings.Replace(string(raw), `"handling_code":"H2"`, `"handling_code":"H2","x":"y"`, 1)
	if _, err := custody.ParseTrail([]byte(bad)); err == nil {
		t.Fatal("ParseTrail with an unknown request field = nil error, want a *FormatError")
	}
	// Without a request, nothing appears in the canonical form.
	e := tr.Events[0].Event
	e.Details.Request = nil
	c, err := e.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c), "request") {
		t.Fatalf("canonical form without a request = %s, want no request member", c)
	}
}
