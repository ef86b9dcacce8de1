package custody

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestHandlingRestriction: H3's restriction (details.request.handling_restriction) is a
// version 2 member: a version 1 event carrying it is refused, the canonical form places it
// after handling_code, the fast decoder reads it as encoding/json does, a recorded event
// carrying it is written as version 2 and its trail verifies, and changing it breaks the hash.
func TestHandlingRestriction(t *testing.T) {
	req := &Request{CaseReference: "OM-1", HandlingCode: HandlingH3, HandlingRestriction: "no tax use \"quoted\" é", LegalBasis: "EU-EIO"}
	e := Event{Version: Version2, BundleID: "b1", Seq: 1, Type: SubmissionAcceptance,
		Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Actor: Actor{Kind: ActorUser, ID: "nl-pol/j"},
		Details: Details{Request: req}}
	got, err := e.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.canonicalViaJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || !bytes.Contains(got, []byte(`"handling_code":"H3","handling_restriction":"no tax use \"quoted\" é","legal_basis"`)) {
		t.Errorf("CanonicalJSON = %s\nwant %s, restriction after handling_code", got, want)
	}
	e.Version = 0
	var ve *VersionError
	if _, err := e.CanonicalJSON(); !errors.As(err, &ve) || !strings.Contains(err.Error(), "details.request.handling_restriction") {
		t.Errorf("a version 1 event with a restriction: CanonicalJSON = %v, want a *VersionError naming the member", err)
	}

	ctx := context.Background()
	s := newTestSigner(t)
	k := &Keeper{Ledger: NewMemLedger(), Signer: s, Origin: "evx.test/custody"}
	if _, err := k.Record(ctx, "b1", SubmissionAcceptance, Actor{Kind: ActorUser, ID: "nl-pol/j"}, Details{Request: req}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "b1", ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := tr.Events[0].Event.Version; v != Version2 {
		t.Errorf("recorded event is version %d, want 2", v)
	}
	raw, _ := json.Marshal(tr)
	back, err := ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r := BundleRestriction(back.EventList()); r != req.HandlingRestriction {
		t.Errorf("BundleRestriction after a round trip = %q, want %q", r, req.HandlingRestriction)
	}
	if _, err := Verify(back, s.Public(), VerifyOptions{}); err != nil {
		t.Errorf("Verify = %v", err)
	}
	// The fast decoder reads plain ASCII only; a restriction in it is read as encoding/json does.
	var fast, slow TrailEvent
	ev, _ := json.Marshal(tr.Events[0])
	ev = bytes.Replace(ev, []byte(`no tax use \"quoted\" \u00e9`), []byte("no tax use"), 1)
	ev = bytes.Replace(ev, []byte(`no tax use \"quoted\" é`), []byte("no tax use"), 1)
	if err := json.Unmarshal(ev, &slow); err != nil {
		t.Fatal(err)
	}
	if !fastDecodeTrailEvent(ev, &fast) || fast.Event.Details.Request.HandlingRestriction != "no tax use" ||
		fast.Event.Details.Request.HandlingRestriction != slow.Event.Details.Request.HandlingRestriction {
		t.Errorf("fast decoder on %s: %+v", ev, fast.Event.Details.Request)
	}
	tampered, err := ParseTrail(bytes.Replace(raw, []byte("no tax use"), []byte("tax use ok"), 1))
	if err != nil {
		t.Fatal(err)
	}
	var he *EventHashError
	if _, err := Verify(tampered, s.Public(), VerifyOptions{}); !errors.As(err, &he) {
		t.Errorf("Verify(restriction changed) = %v, want a *EventHashError", err)
	}
}
