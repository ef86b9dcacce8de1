package custody_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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

// tamperCase is one line of testdata/tamper/cases.tsv.
type tamperCase struct{ name, want, documents, checkpoint string }

func tamperCases(t testing.TB) []tamperCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tamper", "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []tamperCase
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("cases.tsv line %q: want 4 fields", line)
		}
		out = append(out, tamperCase{f[0], f[1], f[2], f[3]})
	}
	return out
}

// TestTamperVectors verifies every vector of testdata/tamper (written by
// go run ./shared/custody/internal/tampergen): the good trail passes, every tampered one
// fails with the error its name calls for.
func TestTamperVectors(t *testing.T) {
	dir := filepath.Join("testdata", "tamper")
	keyPEM, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cases := tamperCases(t)
	if len(cases) < 30 {
		t.Fatalf("%d tamper cases, want at least 30", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			older, err := os.ReadFile(filepath.Join(dir, tc.checkpoint))
			if err != nil {
				t.Fatal(err)
			}
			_, err = custody.VerifyTrail(data, pub, custody.VerifyOptions{Documents: filepath.Join(dir, tc.documents), Older: older})
			if got := errorType(err); got != tc.want {
				t.Errorf("VerifyTrail(%s) = %v (%s), want %s", tc.name, err, got, tc.want)
			}
		})
	}
}

// TestTamperVectorsNeedTheirInputs: the cases that only the documents or the older
// checkpoint expose pass when those are not given, and every trail fails under another key.
func TestTamperVectorsNeedTheirInputs(t *testing.T) {
	dir := filepath.Join("testdata", "tamper")
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rewritten-history", "missing-consistency-proof", "document-modified"} {
		data, _ := os.ReadFile(filepath.Join(dir, name+".json"))
		if _, err := custody.VerifyTrail(data, pub, custody.VerifyOptions{}); err != nil {
			t.Errorf("VerifyTrail(%s, no documents, no older checkpoint) = %v, want nil", name, err)
		}
	}
	otherPEM, _ := os.ReadFile(filepath.Join(dir, "other-key.pem"))
	otherPub, err := custody.ParsePublicKeyPEM(otherPEM)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "good.json"))
	_, err = custody.VerifyTrail(data, otherPub, custody.VerifyOptions{})
	if got := errorType(err); got != "CheckpointError" {
		t.Errorf("VerifyTrail(good, other key) = %v, want CheckpointError", err)
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
