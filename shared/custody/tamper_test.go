package custody_test

// The tamper vectors of testdata/tamper; TestCheckedInVectorsAreCurrent (in the generator)
// holds the checked-in copies to the generator.
//go:generate go run ./internal/tampergen -out testdata/tamper

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// errorType names the typed error err is (or wraps), "ok" for nil.
func errorType(err error) string {
	if err == nil {
		return "ok"
	}
	if f, ok := custody.FailureOf(err); ok {
		return f.Kind
	}
	return "untyped"
}

// tamperCase is one line of testdata/tamper/cases.tsv (Ed25519, trusted key key.pem) or
// ecdsa-cases.tsv (ECDSA P-256, ecdsa-key.pem): the trail <name>.json, the error it must give,
// and the documents folder and the older checkpoint it is verified with.
type tamperCase struct{ name, want, trail, key, documents, checkpoint string }

// fixture reads a file of testdata/tamper; a missing one fails the test, so that no case is
// skipped unnoticed.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tamper", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	if len(b) == 0 {
		t.Fatalf("fixture %s is empty", name)
	}
	return b
}

// fixtureKey reads a public key of testdata/tamper.
func fixtureKey(t testing.TB, name string) crypto.PublicKey {
	t.Helper()
	pub, err := custody.ParsePublicKeyPEM(fixture(t, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return pub
}

func tamperCases(t testing.TB) []tamperCase {
	t.Helper()
	var out []tamperCase
	for list, key := range map[string]string{"cases.tsv": "key.pem", "ecdsa-cases.tsv": "ecdsa-key.pem"} {
		for _, line := range strings.Split(strings.TrimSpace(string(fixture(t, list))), "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Split(line, "\t")
			if len(f) != 4 {
				t.Fatalf("%s line %q: want 4 fields", list, line)
			}
			out = append(out, tamperCase{f[0], f[1], f[0] + ".json", key, f[2], f[3]})
		}
	}
	slices.SortFunc(out, func(a, b tamperCase) int { return strings.Compare(a.name, b.name) })
	return out
}

// TestTamperVectors verifies every vector of testdata/tamper (written by
// go run ./shared/custody/internal/tampergen): the good trail passes, every tampered one
// fails with the error its name calls for.
func TestTamperVectors(t *testing.T) {
	dir := filepath.Join("testdata", "tamper")
	cases := tamperCases(t)
	if len(cases) < 80 {
		t.Fatalf("%d tamper cases, want at least 80", len(cases))
	}
	kinds := map[string]int{}
	for _, tc := range cases {
		kinds[tc.key]++
		t.Run(tc.name, func(t *testing.T) {
			data := fixture(t, tc.trail)
			older := fixture(t, tc.checkpoint)
			pub := fixtureKey(t, tc.key)
			if _, err := os.Stat(filepath.Join(dir, tc.documents)); err != nil {
				t.Fatalf("documents folder: %v", err)
			}
			_, err := custody.VerifyTrail(data, pub, custody.VerifyOptions{Documents: filepath.Join(dir, tc.documents), Older: older})
			if got := errorType(err); got != tc.want {
				t.Errorf("VerifyTrail(%s) = %v (%s), want %s", tc.name, err, got, tc.want)
			}
		})
	}
	// Both signature schemes evx uses are exercised: Ed25519 (embedded) and P-256 (KMS).
	if kinds["key.pem"] < 40 || kinds["ecdsa-key.pem"] < 10 {
		t.Errorf("cases per key %v, want at least 40 Ed25519 and 10 ECDSA P-256", kinds)
	}
}

// TestTamperVectorsNeedTheirInputs: the cases that only the documents or the older
// checkpoint expose pass when those are not given, and every trail fails under another key.
func TestTamperVectorsNeedTheirInputs(t *testing.T) {
	pub := fixtureKey(t, "key.pem")
	for _, name := range []string{"rewritten-history", "missing-consistency-proof", "document-modified", "document-outside-bundle"} {
		data := fixture(t, name+".json")
		if _, err := custody.VerifyTrail(data, pub, custody.VerifyOptions{}); err != nil {
			t.Errorf("VerifyTrail(%s, no documents, no older checkpoint) = %v, want nil", name, err)
		}
	}
	for _, tc := range []struct{ trail, key, other string }{
		{"good.json", "key.pem", "other-key.pem"},
		{"ecdsa-good.json", "ecdsa-key.pem", "ecdsa-other-key.pem"},
		{"good.json", "key.pem", "ecdsa-key.pem"},
		{"ecdsa-good.json", "ecdsa-key.pem", "key.pem"},
	} {
		data := fixture(t, tc.trail)
		if _, err := custody.VerifyTrail(data, fixtureKey(t, tc.key), custody.VerifyOptions{}); err != nil {
			t.Errorf("VerifyTrail(%s, %s) = %v, want nil", tc.trail, tc.key, err)
		}
		_, err := custody.VerifyTrail(data, fixtureKey(t, tc.other), custody.VerifyOptions{})
		if got := errorType(err); got != "CheckpointError" {
			t.Errorf("VerifyTrail(%s, %s) = %v, want CheckpointError", tc.trail, tc.other, err)
		}
	}
}

// TestConsistencyWithEmptyCheckpoint: a checkpoint of the empty log is consistent with every
// later one, and needs no proof.
func TestConsistencyWithEmptyCheckpoint(t *testing.T) {
	ctx := context.Background()
	s := ledgertest.Signer()
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.test/custody"}
	empty, err := k.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Record(ctx, "b", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "b", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, s.Public(), custody.VerifyOptions{Older: empty}); err != nil {
		t.Errorf("Verify(older = empty log) = %v, want nil", err)
	}
	forged, err := custody.SignCheckpoint(ctx, s, "evx.test/custody", 0, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	_, err = custody.Verify(tr, s.Public(), custody.VerifyOptions{Older: forged})
	if got := errorType(err); got != "ConsistencyError" {
		t.Errorf("Verify(older = empty log with a wrong root) = %v, want ConsistencyError", err)
	}
}

// TestBatchedSignatureFailureNamesEvent: signatures are checked in batches; a bad one deep in
// a long trail is still reported at its own sequence number, the first of two bad ones first.
func TestBatchedSignatureFailureNamesEvent(t *testing.T) {
	tr := bigTrail(t, 300)
	pub := ledgertest.Signer().Public()
	if _, err := custody.Verify(tr, pub, custody.VerifyOptions{}); err != nil {
		t.Fatalf("Verify(300 events) = %v, want nil", err)
	}
	other := tr.Events[7].Event.Signature
	for _, bad := range [][]int{{150}, {299}, {70, 200}, {64, 65}} {
		c := *tr
		c.Events = append([]custody.TrailEvent(nil), tr.Events...)
		for _, i := range bad {
			c.Events[i].Event.Signature = other // a valid signature, of another event
		}
		_, err := custody.Verify(&c, pub, custody.VerifyOptions{})
		var se *custody.SignatureError
		if !errors.As(err, &se) || se.Seq != uint64(bad[0]+1) {
			t.Errorf("Verify(bad signatures at positions %v) = %v, want *SignatureError at seq %d", bad, err, bad[0]+1)
		}
	}
}

// TestConsistencyFromCheckpointSize: an export whose consistency proof starts at its own size
// (the recipient's checkpoint is current) verifies.
func TestConsistencyFromCheckpointSize(t *testing.T) {
	ctx := context.Background()
	s := ledgertest.Signer()
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.test/custody"}
	for i := 0; i < 3; i++ {
		if _, err := k.Record(ctx, "b", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{}); err != nil {
			t.Fatal(err)
		}
	}
	cp, _ := k.Checkpoint(ctx)
	tr, err := k.Export(ctx, "b", custody.ExportOptions{ConsistencyFrom: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, s.Public(), custody.VerifyOptions{Older: cp}); err != nil {
		t.Errorf("Verify(consistency from the same size) = %v, want nil", err)
	}
	tr.Consistency.FromSize = 4
	if _, err := custody.Verify(tr, s.Public(), custody.VerifyOptions{}); errorType(err) != "FormatError" {
		t.Errorf("Verify(consistency from beyond the checkpoint) = %v, want FormatError", err)
	}
}

// TestTamperVectorsFailForTheirReason: for the vectors whose error type another check could
// also give, the error's fields say that the check the vector aims at is the one that caught it.
func TestTamperVectorsFailForTheirReason(t *testing.T) {
	byName := map[string]tamperCase{}
	for _, tc := range tamperCases(t) {
		byName[tc.name] = tc
	}
	verify := func(t *testing.T, name string) error {
		tc, ok := byName[name]
		if !ok {
			t.Fatalf("no tamper case %s", name)
		}
		dir := filepath.Join("testdata", "tamper")
		_, err := custody.VerifyTrail(fixture(t, tc.trail), fixtureKey(t, tc.key),
			custody.VerifyOptions{Documents: filepath.Join(dir, tc.documents), Older: fixture(t, tc.checkpoint)})
		if err == nil {
			t.Fatalf("VerifyTrail(%s) = nil, want %s", name, tc.want)
		}
		return err
	}
	consistency := func(t *testing.T, name string) *custody.ConsistencyError {
		var ce *custody.ConsistencyError
		if err := verify(t, name); !errors.As(err, &ce) {
			t.Fatalf("VerifyTrail(%s) = %v, want *ConsistencyError", name, err)
		}
		return ce
	}
	signature := func(t *testing.T, name string) *custody.SignatureError {
		var se *custody.SignatureError
		if err := verify(t, name); !errors.As(err, &se) {
			t.Fatalf("VerifyTrail(%s) = %v, want *SignatureError", name, err)
		}
		return se
	}
	checkpoint := func(t *testing.T, name string) *custody.CheckpointError {
		var ce *custody.CheckpointError
		if err := verify(t, name); !errors.As(err, &ce) {
			t.Fatalf("VerifyTrail(%s) = %v, want *CheckpointError", name, err)
		}
		return ce
	}
	t.Run("fork-at-equal-size", func(t *testing.T) {
		ce := consistency(t, "fork-at-equal-size")
		if ce.OldSize != ce.NewSize || ce.Err != nil || len(ce.Got) != 32 || bytes.Equal(ce.Got, ce.Want) {
			t.Errorf("fork: %+v, want equal sizes, two different roots and no cause", ce)
		}
	})
	t.Run("older-larger-than-trail", func(t *testing.T) {
		if ce := consistency(t, "older-larger-than-trail"); ce.Err == nil || !strings.Contains(ce.Err.Error(), "larger") {
			t.Errorf("older larger: %v, want it to say the older checkpoint is larger", ce)
		}
	})
	t.Run("older-of-other-origin", func(t *testing.T) {
		if ce := consistency(t, "older-of-other-origin"); ce.Err == nil || !strings.Contains(ce.Err.Error(), "evx.example/other-log") {
			t.Errorf("older of other origin: %v, want it to name the other log", ce)
		}
	})
	t.Run("seq-skipped", func(t *testing.T) {
		var se *custody.SequenceError
		if err := verify(t, "seq-skipped"); !errors.As(err, &se) || *se != (custody.SequenceError{Position: 2, Want: 3, Got: 5}) {
			t.Errorf("seq skipped: %v, want position 2, seq 5 for 3", err)
		}
	})
	t.Run("key-id-of-other-key", func(t *testing.T) {
		if se := signature(t, "key-id-of-other-key"); se.Seq != 3 || se.GotKeyID == se.WantKeyID || se.Err != nil {
			t.Errorf("key id of other key: %+v, want seq 3 naming another key", se)
		}
	})
	for _, name := range []string{"signed-by-other-key", "ecdsa-signed-by-other-key", "ecdsa-bit-flip-@1-signature", "ecdsa-bit-flip-@8-signature", "bit-flip-@4-signature"} {
		t.Run(name, func(t *testing.T) {
			se := signature(t, name)
			if se.GotKeyID != se.WantKeyID || !errors.Is(se, custody.ErrBadSignature) && !strings.Contains(fmt.Sprint(se.Err), "base64") {
				t.Errorf("%s: %+v, want the trusted key named and a signature that does not verify", name, se)
			}
		})
	}
	for name, reason := range map[string]string{
		"ecdsa-wrong-key-checkpoint":          "not signed by the trusted key",
		"wrong-key-checkpoint":                "not signed by the trusted key",
		"ecdsa-bit-flip-checkpoint-text":      "the trusted key's signature does not match the checkpoint text",
		"ecdsa-bit-flip-checkpoint-signature": "the trusted key's signature does not match the checkpoint text",
		"forged-checkpoint":                   "the trusted key's signature does not match the checkpoint text",
	} {
		t.Run(name, func(t *testing.T) {
			if ce := checkpoint(t, name); ce.Reason != reason {
				t.Errorf("%s: reason %q, want %q", name, ce.Reason, reason)
			}
		})
	}
	t.Run("document-outside-bundle", func(t *testing.T) {
		var de *custody.DocumentHashError
		if err := verify(t, "document-outside-bundle"); !errors.As(err, &de) || de.Path != "" || de.Name != "../outside.txt" {
			t.Errorf("document outside: %v, want the name refused before any file is read", err)
		}
	})
	t.Run("field-upper-case-sha256", func(t *testing.T) {
		var fe *custody.FormatError
		if err := verify(t, "field-upper-case-sha256"); !errors.As(err, &fe) || !strings.Contains(err.Error(), "sha256") || !strings.Contains(err.Error(), "seq 3") {
			t.Errorf("upper-case sha256: %v, want a FormatError naming seq 3 and the sha256", err)
		}
	})
	t.Run("consistency-proof-not-hex", func(t *testing.T) {
		var fe *custody.FormatError
		if err := verify(t, "consistency-proof-not-hex"); !errors.As(err, &fe) || !strings.Contains(err.Error(), "consistency proof") {
			t.Errorf("consistency proof not hex: %v, want a FormatError naming the consistency proof", err)
		}
	})
}
