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

// validReceipt is a well-formed refusal statement of es-fge's m.garcia.
func validReceipt() ReceiptStatement {
	return ReceiptStatement{Format: ReceiptStatementFormat, Agency: "es-fge", Person: "m.garcia", KeyID: "k", Delivery: "d-1", Bundle: "b-1",
		Outcome: OutcomeRefused, ReasonCodes: []string{"hash-mismatch"}, Time: "2026-11-27T09:00:00.000000000Z",
		Documents: []StatementDocument{
			{Name: "data/a.pdf", SHA256: strings.Repeat("ab", 32), Outcome: OutcomeAccepted},
			{Name: "data/b.pdf", SHA256: strings.Repeat("cd", 32), Outcome: OutcomeRefused, Reason: "hash-mismatch"},
			{Name: "data/c.pdf", Outcome: OutcomeRefused, Reason: "incomplete"}, // not received: no hash
		}}
}

// TestReceiptStatementCheck: each rule of a receipt statement, broken alone, is refused with
// a *SealError naming it; the limits themselves are allowed.
func TestReceiptStatementCheck(t *testing.T) {
	if st := validReceipt(); st.check() != nil {
		t.Fatalf("check(valid) = %v", st.check())
	}
	for _, tc := range []struct {
		name   string
		change func(*ReceiptStatement)
		want   string // "" when the statement stays valid
	}{
		{"format", func(s *ReceiptStatement) { s.Format = "evx-receipt/0" }, "format"},
		{"no agency", func(s *ReceiptStatement) { s.Agency = "" }, "names no agency and person"},
		{"no person", func(s *ReceiptStatement) { s.Person = "" }, "names no agency and person"},
		{"no delivery", func(s *ReceiptStatement) { s.Delivery = "" }, "names no delivery and bundle"},
		{"no bundle", func(s *ReceiptStatement) { s.Bundle = "" }, "names no delivery and bundle"},
		{"outcome", func(s *ReceiptStatement) { s.Outcome = "maybe" }, `outcome "maybe"`},
		{"accepted", func(s *ReceiptStatement) { s.Outcome = OutcomeAccepted }, ""},
		{"note at the limit", func(s *ReceiptStatement) { s.Note = strings.Repeat("n", 4096) }, ""},
		{"note over the limit", func(s *ReceiptStatement) { s.Note = strings.Repeat("n", 4097) }, "note longer than 4096 bytes"},
		{"time", func(s *ReceiptStatement) { s.Time = "yesterday" }, "receipt statement: "},
		{"reason code", func(s *ReceiptStatement) { s.ReasonCodes = []string{"hash-mismatch", "bored"} }, `reason code "bored"`},
		{"document twice", func(s *ReceiptStatement) { s.Documents[1].Name = "data/a.pdf" }, `document "data/a.pdf" listed twice`},
		{"document hash", func(s *ReceiptStatement) { s.Documents[0].SHA256 = strings.Repeat("AB", 32) }, "sha256: want 64 lowercase hex digits"},
		{"document hash short", func(s *ReceiptStatement) { s.Documents[0].SHA256 = "ab" }, "sha256: want 64 lowercase hex digits"},
		{"document outcome", func(s *ReceiptStatement) { s.Documents[0].Outcome = "" }, `document "data/a.pdf" outcome ""`},
		{"refused without reason", func(s *ReceiptStatement) { s.Documents[1].Reason = "" }, `is refused with reason ""`},
		{"refused with unknown reason", func(s *ReceiptStatement) { s.Documents[1].Reason = "bored" }, `is refused with reason "bored"`},
		{"accepted with reason", func(s *ReceiptStatement) { s.Documents[0].Reason = "other" }, "is accepted with a reason"},
		{"refusal without codes", func(s *ReceiptStatement) { s.ReasonCodes = nil }, "a refusal needs at least one reason code"},
		{"acceptance without codes", func(s *ReceiptStatement) { s.ReasonCodes, s.Outcome = nil, OutcomeAccepted }, ""},
	} {
		st := validReceipt()
		tc.change(&st)
		err := st.check()
		var se *SealError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: check = %v, want nil", tc.name, err)
		case tc.want != "" && (!errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || se.Agency != st.Agency || se.KeyID != "k"):
			t.Errorf("%s: check = %v, want a *SealError of %s (key k) containing %q", tc.name, err, st.Agency, tc.want)
		}
	}
}

// TestOpenReceiptStatement: a statement that is not base64, not a statement, not canonical,
// ill-formed, naming another key, signed by another key or made after its key's revocation
// is refused; a good one opens.
func TestOpenReceiptStatement(t *testing.T) {
	s, other := newTestSigner(t), newTestSigner(t)
	key, err := NewAgencyKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sign := func(st ReceiptStatement, by *Ed25519Signer) (string, string) {
		t.Helper()
		st.KeyID = key.KeyID
		stmt, err := canonicalOf(st)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := by.Sign(context.Background(), stmt)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(stmt), base64.StdEncoding.EncodeToString(sig)
	}
	good, goodSig := sign(validReceipt(), s)
	if st, err := OpenReceiptStatement(good, goodSig, key, at); err != nil || st.Person != "m.garcia" {
		t.Fatalf("OpenReceiptStatement(good) = %+v, %v", st, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(good)
	b64 := base64.StdEncoding.EncodeToString
	bad := validReceipt()
	bad.Outcome = "maybe"
	badStmt, badSig := sign(bad, s)
	otherKey := validReceipt()
	okStmt, _ := canonicalOf(otherKey) // names key "k"
	otherSig, _ := s.Sign(context.Background(), okStmt)
	_, foreignSig := sign(validReceipt(), other)
	revoked := key
	revoked.Revoked = at.Add(-time.Hour).Format(TimeFormat)
	badPEM := key
	badPEM.PEM = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
	for _, tc := range []struct {
		name, stmt, sig string
		key             AgencyKey
		want            string
	}{
		{"not base64", "!!!", goodSig, key, "is not base64"},
		{"not a statement", b64([]byte(`{"x":1}`)), goodSig, key, "not a receipt statement"},
		{"not canonical", b64([]byte(" " + string(raw))), goodSig, key, "not in RFC 8785 canonical form"},
		{"ill-formed", badStmt, badSig, key, `outcome "maybe"`},
		{"names another key", b64(okStmt), b64(otherSig), key, "names key k"},
		{"key record", good, goodSig, badPEM, "the agency's key record"},
		{"signed by another key", good, foreignSig, key, "does not verify with the agency's key"},
		{"after revocation", good, goodSig, revoked, "revoked"},
	} {
		_, err := OpenReceiptStatement(tc.stmt, tc.sig, tc.key, at)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: OpenReceiptStatement = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestBagStatementAndCheckBagSeal: each rule of a bag seal statement and of CheckBagSeal,
// broken alone, is refused with a *SealError saying which.
func TestBagStatementAndCheckBagSeal(t *testing.T) {
	s, other := newTestSigner(t), newTestSigner(t)
	key, err := NewAgencyKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	files := map[string][]byte{"manifest-sha256.txt": []byte(strings.Repeat("ab", 32) + "  data/a.txt\n"), "bag-info.txt": []byte("EVX-Counterpart: es-fge\n")}
	covers := func(fs map[string][]byte) []Covered {
		var out []Covered
		for _, n := range SealFileNames([]string{"manifest-sha256.txt", "bag-info.txt"}) {
			sum := sha256.Sum256(fs[n])
			out = append(out, Covered{Name: n, SHA256: hex.EncodeToString(sum[:])})
		}
		return out
	}
	base := func() BagStatement {
		return BagStatement{Format: BagSealFormat, Agency: "nl-pol", Person: "j.devries", KeyID: key.KeyID, Time: "2026-11-27T09:00:00.000000000Z", Covers: covers(files)}
	}
	sign := func(st BagStatement, by *Ed25519Signer) (string, string) {
		t.Helper()
		stmt, err := canonicalOf(st)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := by.Sign(context.Background(), stmt)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(stmt), base64.StdEncoding.EncodeToString(sig)
	}
	good, goodSig := sign(base(), s)
	if st, err := CheckBagSeal(good, goodSig, key, files, at); err != nil || st.Person != "j.devries" {
		t.Fatalf("CheckBagSeal(good) = %+v, %v", st, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(good)
	b64 := base64.StdEncoding.EncodeToString
	with := func(change func(*BagStatement)) (string, string) {
		st := base()
		change(&st)
		return sign(st, s)
	}
	fmtStmt, fmtSig := with(func(b *BagStatement) { b.Format = "evx-bag-seal/0" })
	keyStmt, keySig := with(func(b *BagStatement) { b.KeyID = "other" })
	noPerson, noPersonSig := with(func(b *BagStatement) { b.Person = "" })
	noAgency, noAgencySig := with(func(b *BagStatement) { b.Agency = "" })
	badTime, badTimeSig := with(func(b *BagStatement) { b.Time = "soon" })
	fewer, fewerSig := with(func(b *BagStatement) { b.Covers = b.Covers[:1] })
	otherHash, otherHashSig := with(func(b *BagStatement) { b.Covers[0].SHA256 = strings.Repeat("00", 32) })
	_, foreignSig := sign(base(), other)
	revoked := key
	revoked.Revoked = at.Add(-time.Hour).Format(TimeFormat)
	badPEM := key
	badPEM.PEM = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
	for _, tc := range []struct {
		name, stmt, sig string
		key             AgencyKey
		want            string
	}{
		{"not a statement", b64([]byte(`{"x":1}`)), goodSig, key, "not a bag seal statement"},
		{"not canonical", b64([]byte(string(raw) + " ")), goodSig, key, "not in RFC 8785 canonical form"},
		{"format", fmtStmt, fmtSig, key, "statement format"},
		{"names another key", keyStmt, keySig, key, "the statement names key other"},
		{"no person", noPerson, noPersonSig, key, "does not name the sending agency and person"},
		{"no agency", noAgency, noAgencySig, key, "does not name the sending agency and person"},
		{"time", badTime, badTimeSig, key, "the statement's time"},
		{"key record", good, goodSig, badPEM, "the agency's key record"},
		{"signed by another key", good, foreignSig, key, "does not verify with the agency's key"},
		{"after revocation", good, goodSig, revoked, "revoked"},
		{"covers fewer files", fewer, fewerSig, key, "it covers [" + SealFileNames([]string{"manifest-sha256.txt", "bag-info.txt"})[0] + "], the bag holds"},
		{"covers other bytes", otherHash, otherHashSig, key, "the seal is over other manifests"},
	} {
		_, err := CheckBagSeal(tc.stmt, tc.sig, tc.key, files, at)
		var se *SealError
		if !errors.As(err, &se) && tc.name != "after revocation" || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckBagSeal = %v, want a *SealError containing %q", tc.name, err, tc.want)
		}
	}
}
