package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"sort"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// trailSeed is the sample service's Ed25519 key seed. It is public on purpose: the sample
// trail only shows what a trail looks like; never sign anything real with it.
var trailSeed = []byte("evx sample trail key - public!!!")

// sampleTrail records, on an in-memory ledger, the custody trail the demo's story produces
// for the sample documents (content names the bag's payload files, "data/..."): accepted,
// processed, consigned to Belgium and Germany, fetched by both, accepted by Belgium and
// refused by Germany, which received an altered spreadsheet. It returns the exported trail
// as indented JSON and the public key as PEM.
func sampleTrail(content map[string][]byte) (trail, pubPEM []byte, err error) {
	ctx := context.Background()
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(trailSeed))
	if err != nil {
		return nil, nil, err
	}
	now := time.Date(2026, 3, 15, 8, 59, 0, 0, time.UTC)
	step := []time.Duration{time.Minute, 2 * time.Second, 3 * time.Second, 5 * time.Second, time.Second,
		time.Second, 47 * time.Minute, 3 * time.Hour, 2 * time.Minute, 25 * time.Minute}
	n := 0
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.sample.example/custody",
		Now: func() time.Time {
			now = now.Add(step[n%len(step)] + time.Duration(n*137)*time.Millisecond)
			n++
			return now
		}}
	names := make([]string, 0, len(content))
	for name := range content {
		names = append(names, name)
	}
	sort.Strings(names)
	var docs []custody.Document
	for _, name := range names {
		sum := sha256.Sum256(content[name])
		docs = append(docs, custody.Document{Name: name, Size: int64(len(content[name])), SHA256: hex.EncodeToString(sum[:])})
	}
	const bundle = "EVX-2026-0114"
	ingest := custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}
	route := custody.Actor{Kind: custody.ActorSystem, ID: "route"}
	be := custody.Actor{Kind: custody.ActorCounterpart, ID: "BE-FPP"}
	de := custody.Actor{Kind: custody.ActorCounterpart, ID: "DE-BKA"}
	steps := []struct {
		typ   custody.EventType
		actor custody.Actor
		d     custody.Details
	}{
		{custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorUser, ID: "a.example@politie.example"}, custody.Details{
			Documents: docs, Reference: "MLA-2026-0042",
			Request: &custody.Request{CaseReference: "OM-2026-114", RequestReference: "MLA-2026-0042",
				RequestingState: "NL", RequestedState: "BE",
				LegalBasis:   "1959 European Convention on Mutual Assistance in Criminal Matters",
				HandlingCode: "H2"},
		}},
		{custody.Hashed, ingest, custody.Details{Documents: docs}},
		{custody.Stored, ingest, custody.Details{Documents: docs}},
		{custody.Extracted, ingest, custody.Details{Documents: docs}},
		{custody.ContentConsignment, route, custody.Details{Counterpart: "BE-FPP"}},
		{custody.ContentConsignment, route, custody.Details{Counterpart: "DE-BKA"}},
		{custody.ContentAccessTracking, be, custody.Details{Counterpart: "BE-FPP", Documents: docs}},
		{custody.ContentAccessTracking, de, custody.Details{Counterpart: "DE-BKA", Documents: docs}},
		{custody.ConsignmentAcceptance, be, custody.Details{Counterpart: "BE-FPP"}},
		{custody.ConsignmentRejection, de, custody.Details{Counterpart: "DE-BKA", Reasons: []string{
			"data/bank-transactions.xlsx: SHA-256 of the copy received differs from the recorded value"}}},
	}
	for _, st := range steps {
		if _, err := k.Record(ctx, bundle, st.typ, st.actor, st.d); err != nil {
			return nil, nil, err
		}
	}
	tr, err := k.Export(ctx, bundle, custody.ExportOptions{})
	if err != nil {
		return nil, nil, err
	}
	if trail, err = json.MarshalIndent(tr, "", "  "); err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return nil, nil, err
	}
	return append(trail, '\n'), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
