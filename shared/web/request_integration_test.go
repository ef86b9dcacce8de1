//go:build integration

package web

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// TestIntegrationVerifierPageRequestTrail: the page verifies a request's trail (events with
// details.legal_request) as custody.VerifyTrail does, and refuses it once a request field is
// changed.
func TestIntegrationVerifierPageRequestTrail(t *testing.T) {
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := custody.NewMemLedger()
	d := &request.Desk{Ledger: l, Signer: s, Lister: l, Home: "es-fge", Clock: func() time.Time { return now }}
	ctx := t.Context()
	q := request.Request{ID: "EPOC-ES-1", Type: request.EPOC, Issuer: "es-fge", IssuerPerson: "ana", IssuingState: "ES",
		Addressee: "nl-telco-lr", Enforcing: "nl-om", Residence: "NL", DataCategory: "content",
		LegalBasis: "Regulation (EU) 2023/1543 art. 5", Subject: "content of \"+34 600\" \u00e9 \u2028"}
	if _, err := d.Issue(ctx, q); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := d.Act(ctx, q.ID, request.Actor{Agency: "es-fge", Person: "ana"}, request.Action{Type: custody.RequestNotified}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Act(ctx, q.ID, request.Actor{Agency: "nl-om", Person: "officer"}, request.Action{Type: custody.RequestRefused, Grounds: []string{"art. 12(1)(a)"}}); err != nil {
		t.Fatal(err)
	}
	tr, err := custody.Export(ctx, l, s, "evx.test/custody", custody.RequestSubject(q.ID), custody.ExportOptions{Time: now})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(tr.Keys[0].PEM)
	bctx := browser(t)
	openVerifier(t, bctx)
	if res := verifyInPage(t, bctx, raw, key, nil, nil); !res.OK {
		t.Fatalf("page on a request trail: %+v, want ok", res.Error)
	}
	bad := []byte(strings.Replace(string(raw), `"data_category":"content"`, `"data_category":"traffic"`, 1))
	pub, _ := custody.ParsePublicKeyPEM(key)
	_, goErr := custody.VerifyTrail(bad, pub, custody.VerifyOptions{})
	fail, _ := custody.FailureOf(goErr)
	res := verifyInPage(t, bctx, bad, key, nil, nil)
	if res.OK || goErr == nil || res.Error.Type != fail.Kind {
		t.Errorf("changed data category: page %+v, evx verify %v; want the same failure", res.Error, goErr)
	}
}
