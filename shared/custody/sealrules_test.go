package custody_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// resign replaces the scene's receipt statement (event 3) with one change makes, sealed by
// es-fge's own key: a counterpart that sealed something else than evx recorded.
func resign(t *testing.T, sc *sealedScene, evs []custody.Event, change func(*custody.ReceiptStatement)) {
	t.Helper()
	r := evs[2].Details.Receipt
	raw, _ := base64.StdEncoding.DecodeString(r.Statement)
	st, err := custody.OpenReceiptStatement(r.Statement, r.Signature, sc.cpKey, time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("the scene's statement %s: %v", raw, err)
	}
	change(st)
	ctx := context.Background()
	stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return sc.counterpart.Sign(ctx, m) }, sc.counterpart.KeyID(), st, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	nr := *r
	nr.Statement, nr.Signature = base64.StdEncoding.EncodeToString(stmt), base64.StdEncoding.EncodeToString(sig)
	evs[2].Details.Receipt = &nr
}

// TestReceiptSealMismatch: every fact of a consignment outcome that its sealed receipt
// statement also states is held to the statement; a rewrite of any one is a
// *SealMismatchError naming it.
func TestReceiptSealMismatch(t *testing.T) {
	sc := newScene(t)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, evs []custody.Event)
		want   string
	}{
		{"acting agency", func(t *testing.T, evs []custody.Event) { evs[2].Actor.Agency = "nl-om" }, "acting agency is \"es-fge\""},
		{"acting person", func(t *testing.T, evs []custody.Event) { evs[2].Actor.Person = "a.lopez" }, "acting person is \"m.garcia\""},
		{"statement of another agency", func(t *testing.T, evs []custody.Event) {
			resign(t, sc, evs, func(st *custody.ReceiptStatement) { st.Agency = "nl-om" })
		}, "counterpart is \"nl-om\""},
		{"statement of another delivery", func(t *testing.T, evs []custody.Event) {
			resign(t, sc, evs, func(st *custody.ReceiptStatement) { st.Delivery = custody.DeliveryID("B-2", "es-fge") })
		}, "delivery is"},
		{"statement of another bundle", func(t *testing.T, evs []custody.Event) {
			resign(t, sc, evs, func(st *custody.ReceiptStatement) { st.Bundle = "B-2" })
		}, "bundle is \"B-2\""},
		{"reasons rewritten", func(t *testing.T, evs []custody.Event) { evs[2].Details.Reasons = []string{"not-competent"} }, "reasons is"},
		{"note dropped from the statement", func(t *testing.T, evs []custody.Event) {
			resign(t, sc, evs, func(st *custody.ReceiptStatement) { st.Note = "" })
		}, "reasons is \"not-competent\""},
		{"a document the statement does not list", func(t *testing.T, evs []custody.Event) {
			evs[2].Details.Documents = append(evs[2].Details.Documents, custody.Document{Name: "data/extra.pdf", Size: 1, SHA256: strings.Repeat("ee", 32)})
		}, "document data/extra.pdf is \"(not in the statement)\""},
		{"a document the statement refuses", func(t *testing.T, evs []custody.Event) {
			resign(t, sc, evs, func(st *custody.ReceiptStatement) {
				st.Documents[0].Outcome, st.Documents[0].Reason = custody.OutcomeRefused, "unreadable"
			})
		}, "outcome is \"refused\""},
		{"a document's hash", func(t *testing.T, evs []custody.Event) {
			resign(t, sc, evs, func(st *custody.ReceiptStatement) { st.Documents[1].SHA256 = strings.Repeat("00", 32) })
		}, "(SHA-256) is \"" + strings.Repeat("00", 32) + "\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := custody.VerifyTrail(sc.trail(t, func(evs []custody.Event) { tc.change(t, evs) }), sc.evx.Public(), custody.VerifyOptions{})
			if err == nil || !strings.Contains(err.Error(), "disagrees with the sealed statement") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("VerifyTrail = %v, want a *SealMismatchError containing %q", err, tc.want)
			}
		})
	}
}

// TestKeyHistoryRules: a history of an agency's keys that adds a key twice, rotates from or
// revokes or expires a key it never added, rotates without the previous key's signature or
// changes a key's PEM is refused with a *KeyHistoryError saying which.
func TestKeyHistoryRules(t *testing.T) {
	sc := newScene(t)
	other, _ := custody.NewAgencyKey(seededSigner(t, "other").Public())
	withPEM := func(k custody.AgencyKey, pem string) custody.AgencyKey { k.PEM = pem; return k }
	rotation := func(from string, to custody.AgencyKey, sig string) custody.Event {
		e := keyChange(custody.AgencyKeyRotated, "nl-pol", to, time.Time{})
		e.Details.KeyChange.PreviousKeyID, e.Details.KeyChange.RotationSignature = from, sig
		return e
	}
	for _, tc := range []struct {
		name  string
		after func() []custody.Event
		want  string
	}{
		{"added twice", func() []custody.Event {
			return []custody.Event{keyChange(custody.AgencyKeyAdded, "nl-pol", sc.senderKey, time.Time{})}
		}, "added twice"},
		{"rotated from a key never added", func() []custody.Event { return []custody.Event{rotation("nope", other, "AAAA")} }, "a rotation from key nope, which the log never added"},
		{"rotated without the previous key's signature", func() []custody.Event {
			return []custody.Event{rotation(sc.senderKey.KeyID, other, base64.StdEncoding.EncodeToString(make([]byte, 64)))}
		}, "the rotation"},
		{"revocation of a key never added", func() []custody.Event {
			return []custody.Event{keyChange(custody.AgencyKeyRevoked, "nl-pol", other, time.Time{})}
		}, "a revocation of key " + other.KeyID},
		{"expiry of a key never added", func() []custody.Event {
			return []custody.Event{keyChange(custody.AgencyKeyExpired, "nl-pol", other, time.Time{})}
		}, "an expiry of key " + other.KeyID},
		{"a revocation spelling the key's PEM otherwise", func() []custody.Event {
			return []custody.Event{keyChange(custody.AgencyKeyRevoked, "nl-pol", withPEM(sc.senderKey, "\n"+sc.senderKey.PEM), time.Time{})}
		}, "changes its PEM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := func(at time.Time) (before, after []custody.Event) {
				before, _ = sc.keysAdded(at)
				for _, e := range tc.after() {
					e.Time = at.Add(20 * time.Hour)
					after = append(after, e)
				}
				return before, after
			}
			_, err := custody.VerifyTrail(sc.trailWith(t, nil, keys), sc.evx.Public(), custody.VerifyOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nl-pol") {
				t.Errorf("VerifyTrail = %v, want a *KeyHistoryError of nl-pol containing %q", err, tc.want)
			}
		})
	}
}

// TestPinnedAgencySeals: with an agency's key pinned, its submission or receipt without a
// seal is refused; a document whose hash the sealed manifest states otherwise is a mismatch.
func TestPinnedAgencySeals(t *testing.T) {
	sc := newScene(t)
	pinned := map[string][]crypto.PublicKey{"nl-pol": {sc.sender.Public()}, "es-fge": {sc.counterpart.Public()}}
	for _, tc := range []struct {
		name   string
		change func(evs []custody.Event)
		opt    custody.VerifyOptions
		want   string
	}{
		{"unsealed submission, sender pinned", func(evs []custody.Event) { evs[0].Details.Seal = nil }, custody.VerifyOptions{AgencyKeys: pinned}, "the submission carries no sender's seal"},
		{"unsealed receipt, counterpart pinned", func(evs []custody.Event) { evs[2].Details.Receipt = nil }, custody.VerifyOptions{AgencyKeys: pinned}, "the receipt carries no sealed statement"},
		{"unsealed submission, nothing pinned", func(evs []custody.Event) { evs[0].Details.Seal = nil }, custody.VerifyOptions{}, ""},
		{"a document the manifest states otherwise", func(evs []custody.Event) {
			evs[0].Details.Documents[0].SHA256 = strings.Repeat("0", 64)
		}, custody.VerifyOptions{}, "document data/ledger.csv (SHA-256 in the sealed manifest)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := custody.VerifyTrail(sc.trail(t, tc.change), sc.evx.Public(), tc.opt)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("VerifyTrail = %v, want %q", err, tc.want)
			}
		})
	}
}
