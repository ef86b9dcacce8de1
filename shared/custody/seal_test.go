package custody_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

func seededSigner(t *testing.T, name string) custody.Signer {
	t.Helper()
	seed := sha256.Sum256([]byte("evx seal vectors: " + name))
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedScene is what a sealed exchange records: nl-pol's j.devries submits a sealed bag,
// es-fge's m.garcia refuses it with a sealed statement. change, when set, alters the events
// before evx (s) seals them and the log is built: an operator holding evx's key rewriting
// history and rebuilding everything.
type sealedScene struct {
	evx, sender, counterpart custody.Signer
	senderKey, cpKey         custody.AgencyKey
	exportSize               uint64 // when not zero, the trail is exported at that log size
}

func newScene(t *testing.T) *sealedScene {
	sc := &sealedScene{evx: seededSigner(t, "evx"), sender: seededSigner(t, "nl-pol"), counterpart: seededSigner(t, "es-fge")}
	sc.senderKey, _ = custody.NewAgencyKey(sc.sender.Public())
	sc.cpKey, _ = custody.NewAgencyKey(sc.counterpart.Public())
	return sc
}

const sceneManifest = "" +
	"3b2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c  data/report.pdf\n" +
	"aa2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c  data/ledger.csv\n"

func (sc *sealedScene) trail(t *testing.T, change func(evs []custody.Event)) []byte {
	t.Helper()
	return sc.trailWith(t, change, sc.keysAdded)
}

// keyEvents are the agency key changes of a scene: before are recorded before the bundle's
// events, after after them (at is the sender's seal time).
type keyEvents func(at time.Time) (before, after []custody.Event)

func keyChange(typ custody.EventType, agency string, k custody.AgencyKey, at time.Time) custody.Event {
	return custody.Event{Type: typ, Time: at, Actor: custody.Actor{Kind: custody.ActorSystem, ID: "directory"},
		Details: custody.Details{Counterpart: agency, KeyChange: &custody.KeyChange{Agency: agency, Key: k}}}
}

// keysAdded: the directory added both agencies' keys before the exchange.
func (sc *sealedScene) keysAdded(at time.Time) (before, after []custody.Event) {
	return []custody.Event{keyChange(custody.AgencyKeyAdded, "nl-pol", sc.senderKey, at.Add(-time.Hour)),
		keyChange(custody.AgencyKeyAdded, "es-fge", sc.cpKey, at.Add(-time.Hour))}, nil
}

// trailWith builds the scene's trail with the agency key changes keys gives (none when nil).
func (sc *sealedScene) trailWith(t *testing.T, change func(evs []custody.Event), keys keyEvents) []byte {
	t.Helper()
	ctx := context.Background()
	files := map[string][]byte{"bag-info.txt": []byte("EVX-Counterpart: es-fge\nPayload-Oxum: 10.2\n"), "manifest-sha256.txt": []byte(sceneManifest)}
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tagFile, err := custody.SealBag(ctx, sc.sender, "nl-pol", "j.devries", files, at)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := custody.ParseBagSealTag(tagFile)
	docs := []custody.Document{
		{Name: "data/ledger.csv", Size: 4, SHA256: "aa2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c"},
		{Name: "data/report.pdf", Size: 6, SHA256: "3b2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c"},
	}
	st := custody.ReceiptStatement{Agency: "es-fge", Person: "m.garcia", Delivery: custody.DeliveryID("B-1", "es-fge"), Bundle: "B-1", Outcome: custody.OutcomeRefused,
		ReasonCodes: []string{"not-competent"}, Note: "corresponde a otra fiscalía"}
	for _, d := range docs {
		st.Documents = append(st.Documents, custody.StatementDocument{Name: d.Name, SHA256: d.SHA256, Outcome: custody.OutcomeAccepted})
	}
	stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return sc.counterpart.Sign(ctx, m) }, sc.counterpart.KeyID(), &st, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	evs := []custody.Event{
		{Type: custody.SubmissionAcceptance, Actor: custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"},
			Details: custody.Details{Counterparts: []string{"es-fge"}, Documents: docs,
				Seal: &custody.SealRecord{KeyID: tag.KeyID, Statement: tag.Statement, Signature: tag.Signature, Key: sc.senderKey, Manifest: base64.StdEncoding.EncodeToString(files["manifest-sha256.txt"])}}},
		{Type: custody.ContentConsignment, Actor: custody.Actor{Kind: custody.ActorSystem, ID: "route"}, Details: custody.Details{Counterpart: "es-fge", Documents: docs}},
		{Type: custody.ConsignmentRejection, Actor: custody.Actor{Kind: custody.ActorCounterpart, ID: "es-fge", Agency: "es-fge", Person: "m.garcia"},
			Details: custody.Details{Counterpart: "es-fge", Documents: docs, Reasons: []string{"not-competent", "corresponde a otra fiscalía"},
				Receipt: &custody.ReceiptRecord{KeyID: sc.counterpart.KeyID(), Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), Key: sc.cpKey}}},
	}
	if change != nil {
		change(evs)
	}
	l := custody.NewMemLedger()
	prev := map[string]*custody.Event{}
	record := func(e custody.Event) {
		if p := prev[e.BundleID]; p != nil {
			e.Seq, e.Prev = p.Seq+1, p.Hash
		} else {
			e.Seq, e.Prev = 1, ""
		}
		if err := custody.Seal(ctx, sc.evx, &e); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		prev[e.BundleID] = &e
	}
	var before, after []custody.Event
	if keys != nil {
		before, after = keys(at)
	}
	for _, e := range before {
		e.BundleID = custody.AgencySubject(e.Details.KeyChange.Agency)
		record(e)
	}
	for i := range evs {
		e := evs[i]
		e.BundleID, e.Time = "B-1", at.Add(time.Duration(i+1)*time.Hour)
		record(e)
	}
	for _, e := range after {
		e.BundleID = custody.AgencySubject(e.Details.KeyChange.Agency)
		record(e)
	}
	tr, err := custody.Export(ctx, l, sc.evx, "evx.example/custody", "B-1", custody.ExportOptions{Time: at.Add(24 * time.Hour), Size: sc.exportSize})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSealTampering: the sealed trail verifies, with the key records it carries or with the
// agencies' keys pinned; every tampering, even by an operator who re-signs every event with
// evx's key and rebuilds the log, fails with its typed error.
func TestSealTampering(t *testing.T) {
	sc := newScene(t)
	pinned := map[string][]crypto.PublicKey{"nl-pol": {sc.sender.Public()}, "es-fge": {sc.counterpart.Public()}}
	rep, err := custody.VerifyTrail(sc.trail(t, nil), sc.evx.Public(), custody.VerifyOptions{})
	if err != nil || len(rep.Seals) != 2 || rep.Seals[0].KeySource != "log" || rep.Seals[1].KeySource != "log" || rep.Seals[1].Outcome != custody.OutcomeRefused ||
		rep.Seals[0].ValidFrom != "" || rep.Seals[0].ValidUntil != "" {
		t.Fatalf("VerifyTrail(good) = %+v, %v; want two seals checked with the key history the log carries, keys unbounded", rep, err)
	}
	rep, err = custody.VerifyTrail(sc.trailWith(t, nil, nil), sc.evx.Public(), custody.VerifyOptions{})
	if err != nil || len(rep.Seals) != 2 || rep.Seals[0].KeySource != "trail" || rep.Seals[1].KeySource != "trail" {
		t.Fatalf("VerifyTrail(good, no key history) = %+v, %v; want two seals checked with the trail's key records", rep, err)
	}
	rep, err = custody.VerifyTrail(sc.trail(t, nil), sc.evx.Public(), custody.VerifyOptions{AgencyKeys: pinned})
	if err != nil || rep.Seals[0].KeySource != "pinned" || rep.Seals[1].KeySource != "pinned" {
		t.Fatalf("VerifyTrail(good, pinned) = %+v, %v; want both seals checked with the pinned keys", rep, err)
	}
	intruder := seededSigner(t, "intruder")
	intruderKey, _ := custody.NewAgencyKey(intruder.Public())
	flip := func(b64 string) string {
		b, _ := base64.StdEncoding.DecodeString(b64)
		b[len(b)/2] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	editStatement := func(b64, old, new string) string {
		b, _ := base64.StdEncoding.DecodeString(b64)
		return base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(b), old, new, 1)))
	}
	vectors := []sealVector{{"good", false, "", sc.trail(t, nil)}}
	defer func() { checkSealVectors(t, sc, vectors) }()
	revoke := func(agency string, k custody.AgencyKey, at string) keyEvents {
		return func(t0 time.Time) (before, after []custody.Event) {
			before, _ = sc.keysAdded(t0)
			k.Revoked = at
			when, _ := time.Parse(custody.TimeFormat, at)
			return before, []custody.Event{keyChange(custody.AgencyKeyRevoked, agency, k, when)}
		}
	}
	expire := func(agency string, k custody.AgencyKey, at string) keyEvents {
		return func(t0 time.Time) (before, after []custody.Event) {
			before, _ = sc.keysAdded(t0)
			k.NotAfter = at
			when, _ := time.Parse(custody.TimeFormat, at)
			return before, []custody.Event{keyChange(custody.AgencyKeyExpired, agency, k, when)}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(evs []custody.Event)
		keys   keyEvents // the agency key changes; sc.keysAdded when nil
		pin    bool
		want   string // error type
		field  string // SealMismatchError.What prefix
	}{
		{"forged-sender-seal", func(evs []custody.Event) { evs[0].Details.Seal.Signature = flip(evs[0].Details.Seal.Signature) }, nil, false, "SealError", ""},
		{"seal-over-other-manifests", func(evs []custody.Event) {
			evs[0].Details.Seal.Manifest = base64.StdEncoding.EncodeToString([]byte(strings.Replace(sceneManifest, "3b2c", "3b2d", 1)))
		}, nil, false, "SealMismatchError", "manifest-sha256.txt"},
		{"documents-other-than-sealed", func(evs []custody.Event) { evs[0].Details.Documents = evs[0].Details.Documents[:1] }, nil, false, "SealMismatchError", "document data/report.pdf"},
		{"sender-renamed", func(evs []custody.Event) { evs[0].Actor.Person, evs[0].Actor.ID = "a.smit", "nl-pol/a.smit" }, nil, false, "SealMismatchError", "submitting person"},
		{"receipt-altered-after-signing", func(evs []custody.Event) {
			evs[2].Details.Receipt.Statement = editStatement(evs[2].Details.Receipt.Statement, `"outcome":"refused","person"`, `"outcome":"accepted","person"`)
		}, nil, false, "SealError", ""},
		{"refusal-rewritten-as-acceptance", func(evs []custody.Event) { evs[2].Type = custody.ConsignmentAcceptance }, nil, false, "SealMismatchError", "outcome"},
		{"refusal-reasons-rewritten", func(evs []custody.Event) { evs[2].Details.Reasons = []string{"other"} }, nil, false, "SealMismatchError", "reasons"},
		{"counterpart-seal-by-wrong-key", func(evs []custody.Event) {
			r := evs[2].Details.Receipt
			st, _ := base64.StdEncoding.DecodeString(r.Statement)
			var s custody.ReceiptStatement
			json.Unmarshal(st, &s)
			s.Time = ""
			stmt, sig, _ := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return intruder.Sign(context.Background(), m) }, intruder.KeyID(), &s, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
			evs[2].Details.Receipt = &custody.ReceiptRecord{KeyID: intruder.KeyID(), Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), Key: intruderKey}
		}, nil, true, "SealError", ""},
		{"receipt-seal-dropped", func(evs []custody.Event) { evs[2].Details.Receipt = nil }, nil, true, "SealError", ""},
		{"sender-key-revoked-before", func(evs []custody.Event) { evs[0].Details.Seal.Key.Revoked = "2026-11-27T09:30:00.000000000Z" }, nil, false, "KeyValidityError", ""},
		// The seal's own key record says nothing of it: the log's revocation, recorded
		// before the submission (10:00), is what fails it.
		{"sender-key-revoked-in-log", nil, revoke("nl-pol", sc.senderKey, "2026-11-27T09:30:00.000000000Z"), false, "KeyValidityError", ""},
		{"receipt-key-expired-in-log", nil, expire("es-fge", sc.cpKey, "2026-11-27T11:30:00.000000000Z"), false, "KeyValidityError", ""},
		{"sender-key-not-in-log", nil, func(t0 time.Time) (before, after []custody.Event) {
			other, _ := custody.NewAgencyKey(seededSigner(t, "nl-pol other").Public())
			return []custody.Event{keyChange(custody.AgencyKeyAdded, "nl-pol", other, t0.Add(-time.Hour)), keyChange(custody.AgencyKeyAdded, "es-fge", sc.cpKey, t0.Add(-time.Hour))}, nil
		}, false, "SealError", ""},
		// A rotation to the key nl-pol sealed with that its previous key never signed: the
		// history does not load, whoever signed the log.
		{"agency-key-rotation-unsigned", nil, func(t0 time.Time) (before, after []custody.Event) {
			old, _ := custody.NewAgencyKey(seededSigner(t, "nl-pol old").Public())
			rot := keyChange(custody.AgencyKeyRotated, "nl-pol", sc.senderKey, t0.Add(-30*time.Minute))
			rot.Details.KeyChange.PreviousKeyID = old.KeyID
			rot.Details.KeyChange.RotationSignature = base64.StdEncoding.EncodeToString(make([]byte, 64))
			return []custody.Event{keyChange(custody.AgencyKeyAdded, "nl-pol", old, t0.Add(-time.Hour)), keyChange(custody.AgencyKeyAdded, "es-fge", sc.cpKey, t0.Add(-time.Hour)), rot}, nil
		}, false, "KeyHistoryError", ""},
		{"receipt-moved-to-other-delivery", func(evs []custody.Event) {
			r := evs[2].Details.Receipt
			st, _ := base64.StdEncoding.DecodeString(r.Statement)
			var s custody.ReceiptStatement
			json.Unmarshal(st, &s)
			s.Time, s.Delivery = "", custody.DeliveryID("B-1", "nl-om")
			stmt, sig, _ := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return sc.counterpart.Sign(context.Background(), m) }, sc.counterpart.KeyID(), &s, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
			r.Statement, r.Signature = base64.StdEncoding.EncodeToString(stmt), base64.StdEncoding.EncodeToString(sig)
		}, nil, false, "SealMismatchError", "delivery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := custody.VerifyOptions{}
			if tc.pin {
				opt.AgencyKeys = pinned
			}
			keys := tc.keys
			if keys == nil {
				keys = sc.keysAdded
			}
			raw := sc.trailWith(t, tc.change, keys)
			vectors = append(vectors, sealVector{tc.name, tc.pin, tc.want, raw})
			_, err := custody.VerifyTrail(raw, sc.evx.Public(), opt)
			f, ok := custody.FailureOf(err)
			if !ok || f.Kind != tc.want {
				t.Fatalf("VerifyTrail = %v (%T), want *%s", err, err, tc.want)
			}
			var me *custody.SealMismatchError
			if tc.field != "" && (!errors.As(err, &me) || !strings.HasPrefix(me.What, tc.field)) {
				t.Errorf("VerifyTrail = %v, want a mismatch of %s", err, tc.field)
			}
		})
	}
	// The key changes edited in the exported trail: a revocation dropped from a key record
	// (its event no longer hashes), an agency's only change cut off (its head record then
	// names changes the trail lacks).
	edited := func(name string, edit func(m map[string]any)) {
		var m map[string]any
		if err := json.Unmarshal(sc.trail(t, nil), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		raw, _ := json.MarshalIndent(m, "", "  ")
		vectors = append(vectors, sealVector{name, false, "KeyHistoryError", raw})
		if _, err := custody.VerifyTrail(raw, sc.evx.Public(), custody.VerifyOptions{}); !isKind(err, "KeyHistoryError") {
			t.Errorf("VerifyTrail(%s) = %v, want *KeyHistoryError", name, err)
		}
	}
	edited("agency-key-change-altered", func(m map[string]any) {
		ev := m["agency_key_changes"].([]any)[0].(map[string]any)["event"].(map[string]any)
		ev["details"].(map[string]any)["key_change"].(map[string]any)["key"].(map[string]any)["not_after"] = "2027-01-01T00:00:00.000000000Z"
	})
	edited("agency-key-change-cut", func(m map[string]any) {
		l := m["agency_key_changes"].([]any)
		m["agency_key_changes"] = l[:len(l)-1]
	})
	// A key revoked after the seal was recorded leaves it valid.
	later := sc.trail(t, func(evs []custody.Event) { evs[0].Details.Seal.Key.Revoked = "2026-12-01T00:00:00.000000000Z" })
	if _, err := custody.VerifyTrail(later, sc.evx.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("VerifyTrail(key revoked after the seal) = %v, want valid", err)
	}
	// So does a revocation the log records after the seal; the report says until when the
	// key was valid, and that it was revoked.
	later = sc.trailWith(t, nil, revoke("nl-pol", sc.senderKey, "2026-11-27T20:00:00.000000000Z"))
	vectors = append(vectors, sealVector{"sender-key-revoked-after-seal", false, "", later})
	rep, err = custody.VerifyTrail(later, sc.evx.Public(), custody.VerifyOptions{})
	if err != nil || rep.Seals[0].KeySource != "log" || rep.Seals[0].ValidUntil != "2026-11-27T20:00:00.000000000Z" || !rep.Seals[0].Revoked {
		t.Errorf("VerifyTrail(key revoked in the log after the seal) = %+v, %v; want valid, with the key's window", rep, err)
	}
	rep, err = custody.VerifyTrail(later, sc.evx.Public(), custody.VerifyOptions{AgencyKeys: pinned})
	if err != nil || rep.Seals[0].KeySource != "pinned" || rep.Seals[0].ValidUntil != "2026-11-27T20:00:00.000000000Z" {
		t.Errorf("VerifyTrail(key revoked in the log after the seal, pinned) = %+v, %v; want valid, with the log's window", rep, err)
	}
	// A key the log added only after the seal (evx began recording key changes later) leaves
	// it valid.
	added := sc.trailWith(t, nil, func(t0 time.Time) (before, after []custody.Event) {
		return []custody.Event{keyChange(custody.AgencyKeyAdded, "es-fge", sc.cpKey, t0.Add(-time.Hour))},
			[]custody.Event{keyChange(custody.AgencyKeyAdded, "nl-pol", sc.senderKey, t0.Add(20*time.Hour))}
	})
	if rep, err := custody.VerifyTrail(added, sc.evx.Public(), custody.VerifyOptions{}); err != nil || rep.Seals[0].KeySource != "log" {
		t.Errorf("VerifyTrail(key added to the log after the seal) = %+v, %v; want valid, checked with the log's history", rep, err)
	}
	// With pinned keys, the log's revocation before the seal still fails it.
	early := sc.trailWith(t, nil, revoke("nl-pol", sc.senderKey, "2026-11-27T09:30:00.000000000Z"))
	if _, err := custody.VerifyTrail(early, sc.evx.Public(), custody.VerifyOptions{AgencyKeys: pinned}); !isKind(err, "KeyValidityError") {
		t.Errorf("VerifyTrail(key revoked in the log before the seal, pinned) = %v, want *KeyValidityError", err)
	}
}

func isKind(err error, kind string) bool {
	f, ok := custody.FailureOf(err)
	return ok && f.Kind == kind
}

// TestKeyHistoryTampering: the key changes a trail carries are checked as part of the log:
// one dropped from the middle of an agency's subject, altered, or re-signed without its
// inclusion, fails with *KeyHistoryError.
func TestKeyHistoryTampering(t *testing.T) {
	sc := newScene(t)
	two := func(t0 time.Time) (before, after []custody.Event) {
		before, _ = sc.keysAdded(t0)
		k := sc.cpKey
		k.NotAfter = "2026-11-30T00:00:00.000000000Z"
		return before, []custody.Event{keyChange(custody.AgencyKeyRevoked, "nl-pol", sc.senderKey, t0.Add(20*time.Hour)), keyChange(custody.AgencyKeyExpired, "es-fge", k, t0.Add(21*time.Hour))}
	}
	raw := sc.trailWith(t, nil, two)
	if _, err := custody.VerifyTrail(raw, sc.evx.Public(), custody.VerifyOptions{}); err != nil {
		t.Fatalf("VerifyTrail(good) = %v", err)
	}
	if tr, _ := custody.ParseTrail(raw); len(tr.AgencyKeyHeads) != 2 || tr.AgencyKeyChanges[len(tr.AgencyKeyChanges)-1].Event.Type != custody.AgencyKeyRevoked {
		t.Fatalf("trail carries heads %v, last change %v; want both agencies' heads, nl-pol's revocation last", tr.AgencyKeyHeads, tr.AgencyKeyChanges[len(tr.AgencyKeyChanges)-1].Event.Type)
	}
	for _, tc := range []struct {
		name string
		edit func(tr *custody.Trail)
	}{
		{"first-change-dropped", func(tr *custody.Trail) { tr.AgencyKeyChanges = tr.AgencyKeyChanges[1:] }},
		// The revocation, cut off the end of nl-pol's history: the checkpoint's head of
		// agency:nl-pol names it.
		{"last-change-cut", func(tr *custody.Trail) { tr.AgencyKeyChanges = tr.AgencyKeyChanges[:len(tr.AgencyKeyChanges)-1] }},
		{"head-dropped", func(tr *custody.Trail) { tr.AgencyKeyHeads = tr.AgencyKeyHeads[:1] }},
		{"revocation-detached", func(tr *custody.Trail) {
			for i := range tr.AgencyKeyChanges {
				if tr.AgencyKeyChanges[i].Event.Type == custody.AgencyKeyRevoked {
					tr.AgencyKeyChanges[i].Event.Details.KeyChange.Key.Revoked = "2026-12-30T00:00:00.000000000Z"
				}
			}
		}},
		{"proof-flipped", func(tr *custody.Trail) {
			p := tr.AgencyKeyChanges[0].Proof
			p[0] = strings.Repeat("0", 64)
		}},
		{"not-a-key-change", func(tr *custody.Trail) { tr.AgencyKeyChanges = append(tr.AgencyKeyChanges, tr.Events[0]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := custody.ParseTrail(raw)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(tr)
			if _, err := custody.Verify(tr, sc.evx.Public(), custody.VerifyOptions{}); !isKind(err, "KeyHistoryError") {
				t.Errorf("Verify = %v (%T), want *KeyHistoryError", err, err)
			}
		})
	}
}

// sealVector is one trail of testdata/seals, for evx verify's and the report's tests.
type sealVector struct {
	name string
	pin  bool   // verified with the agencies' keys pinned
	want string // the failure's type; "" for a valid trail
	raw  []byte
}

const sealVectorsDir = "testdata/seals"

// checkSealVectors holds testdata/seals to the trails built here (rewritten with -update):
// NAME.json, cases.tsv (name, pinned, expected failure), and the keys: evx.pem, nl-pol.pem,
// es-fge.pem.
func checkSealVectors(t *testing.T, sc *sealedScene, vs []sealVector) {
	t.Helper()
	files := map[string][]byte{}
	var tsv strings.Builder
	tsv.WriteString("# name\tpinned\tfailure (go test ./shared/custody -run TestSealTampering -update rewrites this folder)\n")
	for _, v := range vs {
		files[v.name+".json"] = v.raw
		fmt.Fprintf(&tsv, "%s\t%v\t%s\n", v.name, v.pin, v.want)
	}
	files["cases.tsv"] = []byte(tsv.String())
	for name, s := range map[string]custody.Signer{"evx.pem": sc.evx, "nl-pol.pem": sc.sender, "es-fge.pem": sc.counterpart} {
		pk, _ := custody.PublicKeyOf(s.Public())
		files[name] = []byte(pk.PEM)
	}
	for name, want := range files {
		p := filepath.Join(sealVectorsDir, name)
		if *update {
			os.MkdirAll(sealVectorsDir, 0o755)
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not current (%v): go test ./shared/custody -run TestSealTampering -update", p, err)
		}
	}
}
