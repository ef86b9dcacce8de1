// Package kmsmac computes the identifier index's keyed hashes (pipeline.IndexKeyer) with a KMS
// HMAC key, for evx on AWS: HMAC-SHA-256 (GenerateMac, HMAC_SHA_256) under a key of spec
// HMAC_256 whose material never leaves KMS. The index and the custody log hold only these
// hashes; whoever wants to confirm a guessed value needs kms:GenerateMac on the key, every use
// of which CloudTrail records and KMS throttles, where a secret in a file or an environment
// variable would let a copy of it enumerate a numbering plan offline.
package kmsmac

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/evx-project/evx/shared/pipeline"
)

// MaxMessage is the longest message GenerateMac takes, in bytes.
const MaxMessage = 4096

type api interface {
	GenerateMac(ctx context.Context, params *kms.GenerateMacInput, optFns ...func(*kms.Options)) (*kms.GenerateMacOutput, error)
}

var _ api = (*kms.Client)(nil)

// Keyer is a pipeline.IndexKeyer over a KMS HMAC_256 key.
type Keyer struct {
	kms   api
	keyID string
}

var _ pipeline.IndexKeyer = (*Keyer)(nil)

// New returns the Keyer of keyID (an id, ARN or alias of an HMAC_256 key with key usage
// GENERATE_VERIFY_MAC).
func New(c api, keyID string) *Keyer { return &Keyer{kms: c, keyID: keyID} }

// MessageLengthError: GenerateMac takes 1 to MaxMessage bytes.
type MessageLengthError struct{ Len int }

func (e *MessageLengthError) Error() string {
	return fmt.Sprintf("keyed hash of %d bytes: KMS takes 1 to %d", e.Len, MaxMessage)
}

// MAC implements pipeline.IndexKeyer.
func (k *Keyer) MAC(ctx context.Context, msg []byte) ([32]byte, error) {
	var out [32]byte
	if len(msg) == 0 || len(msg) > MaxMessage {
		return out, &MessageLengthError{Len: len(msg)}
	}
	res, err := k.kms.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: aws.String(k.keyID), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil {
		return out, fmt.Errorf("kms generate mac: %w", err)
	}
	if len(res.Mac) != len(out) {
		return out, fmt.Errorf("kms generate mac: %d bytes, want %d (HMAC_SHA_256)", len(res.Mac), len(out))
	}
	copy(out[:], res.Mac)
	return out, nil
}
