package report_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// The court report of a trail spanning a key rotation says which key signed which events,
// and a broken rotation chain is explained in plain words.
func TestPDFKeyRotation(t *testing.T) {
	signer := func() *custody.Ed25519Signer {
		_, priv, _ := ed25519.GenerateKey(nil)
		s, err := custody.NewEd25519Signer(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := signer(), signer()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: a, Origin: "evx.example/custody", Now: func() time.Time { clock = clock.Add(time.Minute); return clock }}
	ctx := context.Background()
	actor := custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}
	if _, err := k.Record(ctx, "B", custody.SubmissionAcceptance, actor, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.RotateKey(ctx, b.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "key-rotate"}, ""); err != nil {
		t.Fatal(err)
	}
	k.Signer = b
	if _, err := k.Record(ctx, "B", custody.FixityCheck, custody.Actor{Kind: custody.ActorSystem, ID: "audit"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "B", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := report.Check(tr, a.Public(), custody.VerifyOptions{})
	if err != nil || !v.Verified {
		t.Fatalf("Check(rotated trail, old key) = %+v, %v; want verified", v, err)
	}
	text := strings.Join(strings.Fields(pdfText(t, render(t, tr, v)).Text), " ")
	for _, want := range []string{"signed event 1;", "retired by a key rotation", "signed event 2;", "introduced by a key rotation"} {
		if !strings.Contains(text, want) {
			t.Errorf("report text lacks %q", want)
		}
	}
	if strings.HasPrefix(report.Explain(custody.KeyRotation), "An event type this version") {
		t.Error("KeyRotation has no plain-language explanation")
	}
	f := report.Describe(&custody.KeyRotationError{Seq: 1, Reason: "signed by another key"})
	if f.Kind != "KeyRotationError" || !strings.Contains(f.Summary, "signed by another key") {
		t.Errorf("Describe(KeyRotationError) = %+v", f)
	}
}
