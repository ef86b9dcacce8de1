//go:build integration

package awsenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/backend/aws/kmssign"
	"github.com/evx-project/evx/shared/custody"
)

// A rotation by configuration on the emulators: two KMS P-256 keys, the ledger on DynamoDB.
// The retired key records the statement once; the ledger then refuses it; a trail spanning
// the rotation verifies with the retired key's public key.
func TestIntegrationRotationByConfiguration(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("no emulator endpoint: run through infra/emulators.sh")
	}
	ctx := context.Background()
	kc, err := kmssign.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newSigner := func() *kmssign.Signer {
		out, err := kc.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: ktypes.KeySpecEccNistP256, KeyUsage: ktypes.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatalf("create key: %v", err)
		}
		s, err := kmssign.New(ctx, kc, *out.KeyMetadata.KeyId)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old, cur := newSigner(), newSigner()
	db, err := dynamoledger.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	custodyTable, logTable := "t"+hex.EncodeToString(b[:])+"-custody", "t"+hex.EncodeToString(b[:])+"-log"
	dynamotest.Create(t, db, dynamotest.Input(custodyTable, "bundle", "seq:N"))
	dynamotest.Create(t, db, dynamotest.Input(logTable, "id"))
	l := dynamoledger.New(db, custodyTable, logTable)
	clock := time.Now().UTC().Add(-time.Hour)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	actor := custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}
	k := &custody.Keeper{Ledger: l, Signer: old, Origin: DefaultOrigin, Now: now}
	if _, err := k.Record(ctx, "B", custody.SubmissionAcceptance, actor, custody.Details{}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		got, err := RecordRotation(ctx, l, old, cur, DefaultOrigin, now)
		if err != nil || got != want {
			t.Fatalf("RecordRotation #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	var ke *custody.LogKeyError
	if _, err := k.Record(ctx, "B", custody.FixityCheck, actor, custody.Details{}); !errors.As(err, &ke) {
		t.Fatalf("append by the retired KMS key = %v, want *custody.LogKeyError", err)
	}
	k.Signer = cur
	if _, err := k.Record(ctx, "B", custody.FixityCheck, actor, custody.Details{}); err != nil {
		t.Fatalf("append by the new KMS key: %v", err)
	}
	tr, err := k.Export(ctx, "B", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.Verify(tr, old.Public(), custody.VerifyOptions{Now: time.Now()})
	if err != nil || rep.Rotation == nil || len(rep.Rotation.Keys) != 2 {
		t.Fatalf("Verify(trail across the KMS rotation, retired key) = %+v, %v", rep, err)
	}
}
