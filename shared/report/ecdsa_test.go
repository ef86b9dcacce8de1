package report_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// p256Signer signs as the KMS signer does: ECDSA P-256 over SHA-256 of the message.
type p256Signer struct {
	key *ecdsa.PrivateKey
	id  string
}

func (s p256Signer) KeyID() string            { return s.id }
func (s p256Signer) Public() crypto.PublicKey { return &s.key.PublicKey }
func (s p256Signer) Sign(_ context.Context, m []byte) ([]byte, error) {
	h := sha256.Sum256(m)
	return ecdsa.SignASN1(rand.Reader, s.key, h[:])
}

// TestECDSATrail: a trail signed on AWS (ECDSA P-256) reports like an Ed25519 one.
func TestECDSATrail(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := custody.KeyIDOf(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s := p256Signer{key, id}
	ctx := context.Background()
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.aws.example/custody",
		Now: func() time.Time { return genTime }}
	if _, err := k.Record(ctx, "aws-1", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"},
		custody.Details{Documents: []custody.Document{{Name: "data/a.txt", Size: 1, SHA256: strings.Repeat("ab", 32)}}}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "aws-1", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := report.Check(tr, &key.PublicKey, custody.VerifyOptions{})
	if err != nil || !v.Verified || v.TrustedKeyID != id {
		t.Fatalf("Check = %+v, %v; want verified with key %s", v.Failure, err, id)
	}
	text := strings.Join(strings.Fields(pdfText(t, render(t, tr, v)).Text), " ")
	for _, want := range []string{"VERIFIED", "ecdsa-p256; this is the trusted key", "evx.aws.example/custody", id} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
