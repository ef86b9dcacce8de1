package custody

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestLegalRequestCanonical: the canonical form of a request event, written directly, is
// RFC 8785 of its JSON; invalid UTF-8 in a request field is refused; and an event without
// LegalRequest has no legal_request member (its hash is what it was).
func TestLegalRequestCanonical(t *testing.T) {
	e := Event{Version: Version2, BundleID: RequestSubject("EIO-2026-1"), Seq: 2, Prev: strings.Repeat("ab", 32), Type: RequestRefused,
		Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Actor: Actor{Kind: ActorUser, ID: "nl-om/jan"},
		Details: Details{Counterpart: "nl-om", Reasons: []string{"art. 11(1)(a) \u00e9\u2028"},
			LegalRequest: &LegalRequest{ID: "EIO-2026-1", Agency: "nl-om", Person: "jan", Subject: "\"quoted\" <tag> \u0007", Due: "x"}}}
	got, err := e.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.canonicalViaJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("CanonicalJSON = %s\nwant %s", got, want)
	}
	if !bytes.Contains(got, []byte(`"counterpart":"nl-om","legal_request":{"agency":"nl-om","due":"x","id":"EIO-2026-1"`)) {
		t.Errorf("CanonicalJSON = %s, want legal_request between counterpart and reasons, members sorted", got)
	}
	e.Details.LegalRequest.Person = "\xff"
	if _, err := e.CanonicalJSON(); err == nil {
		t.Error("CanonicalJSON with invalid UTF-8 in legal_request = nil error, want refused")
	}
	// Without a version, a legal_request is refused: it is a version 2 member.
	e.Details.LegalRequest.Person = "jan"
	e.Version = 0
	if _, err := e.CanonicalJSON(); err == nil {
		t.Error("a version 1 event with legal_request: CanonicalJSON = nil error, want a *VersionError")
	}
	e.Details.LegalRequest = nil
	c, _ := e.CanonicalJSON()
	if bytes.Contains(c, []byte("legal_request")) {
		t.Errorf("canonical form without a request = %s, want no legal_request member", c)
	}
}
