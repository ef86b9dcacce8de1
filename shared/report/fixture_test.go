package report_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/report/fonts"
)

// genTime is the fixed generation time of every report in the tests.
var genTime = time.Date(2026, 3, 20, 10, 30, 0, 0, time.UTC)

// testFonts are the embedded fonts, as the CLI passes them.
var testFonts = func() *report.Fonts {
	f, err := report.LoadFonts(fonts.FS)
	if err != nil {
		panic(err)
	}
	return f
}()

// fixture records the custody trail of a fictional bundle through a real Keeper on the
// in-memory ledger: accepted, consigned to two agencies, fetched, one acceptance and one
// rejection. Names carry Polish and Greek letters on purpose; the second document has no
// media type, as in trails recorded before ingest detected them.
func fixture(t testing.TB) (*custody.Trail, []byte, *custody.Ed25519Signer) {
	t.Helper()
	ctx := context.Background()
	seed := make([]byte, 32)
	copy(seed, "evx report test key, not secret")
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 15, 9, 0, 0, 123456789, time.UTC)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.example.org/custody",
		Now: func() time.Time { now = now.Add(7*time.Minute + 3*time.Second); return now }}
	docs := []custody.Document{
		{Name: "data/seizure-report.pdf", Size: 2841, SHA256: "9f2c1a5b0e7d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3", MediaType: "application/pdf"},
		{Name: "data/phone-extraction/summary of extraction (Łódź lab) – handset 2 of 2 with a long name.pdf", Size: 1234567, SHA256: "0000000000000000000000000000000000000000000000000000000000000001"},
		{Name: "data/bank-transactions.xlsx", Size: 6120, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			MediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	}
	sys := custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}
	rec := func(typ custody.EventType, a custody.Actor, d custody.Details) {
		t.Helper()
		if _, err := k.Record(ctx, "case-2026-114", typ, a, d); err != nil {
			t.Fatal(err)
		}
	}
	rec(custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorUser, ID: "insp.example@politie.example"}, custody.Details{
		Documents: docs, Reference: "MLA-2026-0042",
		Request: &custody.Request{CaseReference: "OM-2026-114", RequestReference: "MLA-2026-0042",
			RequestingState: "NL", RequestedState: "BE",
			LegalBasis:   "1959 European Convention on Mutual Assistance in Criminal Matters, art. 3",
			HandlingCode: "H2"},
	})
	rec(custody.Hashed, sys, custody.Details{Documents: docs})
	rec(custody.ContentConsignment, custody.Actor{Kind: custody.ActorSystem, ID: "route"}, custody.Details{Counterpart: "BE-FPP"})
	rec(custody.ContentConsignment, custody.Actor{Kind: custody.ActorSystem, ID: "route"}, custody.Details{Counterpart: "GR-ΕΛΑΣ"})
	rec(custody.ContentAccessTracking, custody.Actor{Kind: custody.ActorCounterpart, ID: "BE-FPP"}, custody.Details{Counterpart: "BE-FPP", Documents: docs[:1]})
	rec(custody.ConsignmentAcceptance, custody.Actor{Kind: custody.ActorCounterpart, ID: "BE-FPP"}, custody.Details{Counterpart: "BE-FPP"})
	rec(custody.ConsignmentRejection, custody.Actor{Kind: custody.ActorCounterpart, ID: "GR-ΕΛΑΣ"}, custody.Details{
		Counterpart: "GR-ΕΛΑΣ", Reasons: []string{"data/bank-transactions.xlsx: SHA-256 differs from the recorded value (Ελληνική Αστυνομία, Wydział Łączności)"}})
	tr, err := k.Export(ctx, "case-2026-114", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return tr, raw, s
}
