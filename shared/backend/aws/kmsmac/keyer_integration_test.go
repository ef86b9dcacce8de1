//go:build integration

package kmsmac_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/evx-project/evx/shared/backend/aws/kmsmac"
	"github.com/evx-project/evx/shared/backend/aws/kmssign"
	"github.com/evx-project/evx/shared/identify"
)

func newKey(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return *out.KeyMetadata.KeyId
}

// TestIntegrationKeyer: the same key gives the same hash of the same message, whoever asks;
// another message or another key another hash; KMS verifies the hash as its own; a key that
// is not an HMAC key and a message KMS would refuse are errors.
func TestIntegrationKeyer(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" && os.Getenv("AWS_ENDPOINT_URL_KMS") == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	ctx := context.Background()
	c, err := kmssign.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, other := newKey(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac), newKey(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	msg := identify.KeyMessage(identify.Container, "MSCU1234566")
	a, err := kmsmac.New(c, key).MAC(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kmsmac.New(c, key).MAC(ctx, msg)
	if err != nil || a != b {
		t.Fatalf("second keyer over the same key = %x, %v; want %x", b, err, a)
	}
	if d, _ := kmsmac.New(c, key).MAC(ctx, identify.KeyMessage(identify.Container, "CSQU3054383")); d == a {
		t.Error("two identifiers share a keyed hash")
	}
	if o, _ := kmsmac.New(c, other).MAC(ctx, msg); o == a {
		t.Error("two keys give the same keyed hash")
	}
	v, err := c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: &key, Message: msg, Mac: a[:], MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil || !v.MacValid {
		t.Errorf("VerifyMac = %+v, %v", v, err)
	}
	sign := newKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	if _, err := kmsmac.New(c, sign).MAC(ctx, msg); err == nil {
		t.Error("MAC with a signing key: no error")
	}
	var tl *kmsmac.MessageLengthError
	if _, err := kmsmac.New(c, key).MAC(ctx, bytes.Repeat([]byte{1}, kmsmac.MaxMessage+1)); !errors.As(err, &tl) {
		t.Errorf("MAC of %d bytes = %v, want *MessageLengthError", kmsmac.MaxMessage+1, err)
	}
}
