package custody

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// decodeStatement takes a statement of MaxSealBytes and refuses a longer one for its size; at
// the bound's own length the refusal is the encoding's, not the size's.
func TestDecodeStatementBound(t *testing.T) {
	full := strings.Repeat("QUJD", (MaxSealBytes+2)/3) // base64 of at least MaxSealBytes bytes
	if b, err := decodeStatement(full[:4*((MaxSealBytes+2)/3)]); err != nil || len(b) < MaxSealBytes {
		t.Fatalf("decodeStatement(%d base64 characters) = %d bytes, %v; want them decoded", len(full), len(b), err)
	}
	bound := MaxSealBytes*4/3 + 4
	if _, err := decodeStatement(strings.Repeat("A", bound)); err == nil || strings.Contains(err.Error(), "larger than") {
		t.Errorf("decodeStatement(%d characters, the bound) = %v, want refused as base64, not for its size", bound, err)
	}
	if _, err := decodeStatement(strings.Repeat("A", bound+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("decodeStatement(%d characters) = %v, want refused for its size", bound+1, err)
	}
}

// ParseBagSealTag refuses a file over MaxSealBytes for its size, and one of exactly that size
// for what it holds.
func TestParseBagSealTagBound(t *testing.T) {
	if _, err := ParseBagSealTag([]byte(strings.Repeat(" ", MaxSealBytes))); err == nil || strings.Contains(err.Error(), "larger than") {
		t.Errorf("ParseBagSealTag(%d bytes) = %v, want refused as no seal file, not for its size", MaxSealBytes, err)
	}
	if _, err := ParseBagSealTag([]byte(strings.Repeat(" ", MaxSealBytes+1))); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ParseBagSealTag(%d bytes) = %v, want refused for its size", MaxSealBytes+1, err)
	}
}

// A seal covers bag-info.txt: a bag without one is not sealed, whatever manifests it has.
func TestSealBagNeedsBagInfo(t *testing.T) {
	s := newTestSigner(t)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	manifest := []byte(strings.Repeat("ab", 32) + "  data/a.txt\n")
	if _, err := SealBag(context.Background(), s, "nl-pol", "j.devries", map[string][]byte{"manifest-sha256.txt": manifest}, at); err == nil {
		t.Error("SealBag(manifest, no bag-info.txt) = nil error, want refused")
	}
	if _, err := SealBag(context.Background(), s, "nl-pol", "j.devries", map[string][]byte{"manifest-sha256.txt": manifest, "bag-info.txt": []byte("EVX-Counterpart: es-fge\n")}, at); err != nil {
		t.Errorf("SealBag(manifest and bag-info.txt) = %v", err)
	}
}

// sealedEvent is a SubmissionAcceptance of nl-pol's j.devries carrying a seal by s over a
// statement covering covers (manifest-sha256.txt's hash computed), in that order.
func sealedEvent(t *testing.T, s Signer, covers []string) Event {
	t.Helper()
	manifest := []byte(strings.Repeat("ab", 32) + "  data/a.txt\n")
	st := BagStatement{Format: BagSealFormat, Agency: "nl-pol", Person: "j.devries", KeyID: s.KeyID(), Time: "2026-11-27T09:00:00.000000000Z"}
	for _, n := range covers {
		sum := sha256.Sum256([]byte("EVX-Counterpart: es-fge\n"))
		if n == "manifest-sha256.txt" {
			sum = sha256.Sum256(manifest)
		}
		st.Covers = append(st.Covers, Covered{Name: n, SHA256: hex.EncodeToString(sum[:])})
	}
	stmt, err := canonicalOf(st)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(context.Background(), stmt)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewAgencyKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return Event{Seq: 1, Type: SubmissionAcceptance, Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		Actor: Actor{Kind: ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"},
		Details: Details{Documents: []Document{{Name: "data/a.txt", Size: 1, SHA256: strings.Repeat("ab", 32)}},
			Seal: &SealRecord{KeyID: s.KeyID(), Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig),
				Key: key, Manifest: base64.StdEncoding.EncodeToString(manifest)}}}
}

// The sender's seal holds the documents to the manifest it covers wherever the statement lists
// it; a statement that does not cover it is a mismatch naming no sealed hash.
func TestSenderSealManifestCover(t *testing.T) {
	s := newTestSigner(t)
	for _, covers := range [][]string{{"manifest-sha256.txt", "bag-info.txt"}, {"bag-info.txt", "manifest-sha256.txt"}} {
		if _, err := checkSenderSeal(sealedEvent(t, s, covers), nil, nil); err != nil {
			t.Errorf("covers %v: checkSenderSeal = %v, want verified", covers, err)
		}
	}
	_, err := checkSenderSeal(sealedEvent(t, s, []string{"bag-info.txt"}), nil, nil)
	var me *SealMismatchError
	if !errors.As(err, &me) || me.What != "manifest-sha256.txt (SHA-256)" || me.Sealed != "" {
		t.Errorf("covers no manifest: checkSenderSeal = %v, want a *SealMismatchError on the manifest with no sealed hash", err)
	}
	// Another manifest than the one sealed, listed first: the mismatch names the sealed hash.
	e := sealedEvent(t, s, []string{"manifest-sha256.txt", "bag-info.txt"})
	e.Details.Seal.Manifest = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("cd", 32) + "  data/a.txt\n"))
	_, err = checkSenderSeal(e, nil, nil)
	if !errors.As(err, &me) || me.Sealed == "" || me.Sealed == me.Recorded {
		t.Errorf("another manifest: checkSenderSeal = %v, want a *SealMismatchError naming the sealed hash", err)
	}
}

// TestSealErrorMessage: each part of a SealError is named when set, left out when not.
func TestSealErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		e    SealError
		want string
	}{
		{SealError{Reason: "missing"}, "seal: missing"},
		{SealError{Seq: 1, Reason: "missing"}, "event seq 1: seal: missing"},
		{SealError{Agency: "nl-pol", Reason: "r"}, "seal of nl-pol: r"},
		{SealError{KeyID: "k1", Reason: "r"}, "seal (key k1): r"},
		{SealError{WantKeyID: "k2", Reason: "r"}, "seal: r (want k2)"},
		{SealError{Reason: "r", Err: errors.New("bad")}, "seal: r: bad"},
		{SealError{Seq: 7, Agency: "nl-pol", KeyID: "k1", WantKeyID: "k2", Reason: "r", Err: errors.New("bad")}, "event seq 7: seal of nl-pol (key k1): r (want k2): bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

// TestOrTime: a key's own revocation or expiry time is kept; without one, the event's time.
func TestOrTime(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 5, time.FixedZone("CET", 3600))
	if got := orTime("2026-01-01T00:00:00.000000000Z", at); got != "2026-01-01T00:00:00.000000000Z" {
		t.Errorf("orTime(set) = %q, want the time given", got)
	}
	if got, want := orTime("", at), at.UTC().Format(TimeFormat); got != want {
		t.Errorf("orTime(\"\") = %q, want the event's time in UTC %q", got, want)
	}
}
