// Package kmssign signs custody events, checkpoints and receipts with an AWS KMS key.
//
// [Signer] implements custody.Signer over an asymmetric KMS key of spec ECC_NIST_P256 and
// usage SIGN_VERIFY (KMS offers no Ed25519 keys). It signs ECDSA_SHA_256, so a signature is
// ASN.1 DER over SHA-256(message) and custody.VerifySignature checks it with the public key
// alone: the private key never leaves KMS, and a verifier needs neither KMS nor AWS
// credentials. The public key is fetched once, when the Signer is made; KeyID is
// custody.KeyIDOf of it.
//
// Messages of 1 to 4096 bytes go to KMS whole (MessageType RAW); longer (and empty) ones are
// hashed here and sent as their SHA-256 (MessageType DIGEST), which yields the same signature.
package kmssign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/evx-project/evx/shared/custody"
)

// MaxRaw is the longest message KMS signs whole; longer ones are sent as a digest.
const MaxRaw = 4096

// api is the part of *kms.Client the signer uses; the signatures are the SDK's.
type api interface {
	GetPublicKey(ctx context.Context, params *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, params *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
}

var _ api = (*kms.Client)(nil)

// Signer is a custody.Signer backed by one KMS key. It is safe for concurrent use.
type Signer struct {
	client api
	keyARN string // as KMS names it: the ARN from GetPublicKey
	pub    *ecdsa.PublicKey
	keyID  string
}

var _ custody.Signer = (*Signer)(nil)

// NewClient builds a KMS client from the SDK's standard configuration (AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_KMS, the shared config files).
func NewClient(ctx context.Context, optFns ...func(*kms.Options)) (*kms.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return kms.NewFromConfig(cfg, optFns...), nil
}

// New fetches the public key of key (an id, ARN or alias) and checks that the key can sign
// ECDSA_SHA_256 on P-256.
func New(ctx context.Context, client *kms.Client, key string) (*Signer, error) {
	out, err := client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &key})
	if err != nil {
		return nil, fmt.Errorf("kms key %s: %w", key, err)
	}
	// The curve is checked on the key itself below; KeySpec is not always filled in
	// (moto_server leaves it empty and fills in the older CustomerMasterKeySpec).
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, fmt.Errorf("kms key %s: usage %s, want %s", key, out.KeyUsage, types.KeyUsageTypeSignVerify)
	}
	if !slices.Contains(out.SigningAlgorithms, types.SigningAlgorithmSpecEcdsaSha256) {
		return nil, fmt.Errorf("kms key %s: signing algorithms %v lack %s", key, out.SigningAlgorithms, types.SigningAlgorithmSpecEcdsaSha256)
	}
	parsed, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: public key: %w", key, err)
	}
	pub, ok := parsed.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("kms key %s: public key is %T, want ECDSA P-256", key, parsed)
	}
	id, err := custody.KeyIDOf(pub)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: %w", key, err)
	}
	arn := key
	if out.KeyId != nil {
		arn = *out.KeyId
	}
	return &Signer{client: client, keyARN: arn, pub: pub, keyID: id}, nil
}

// KeyID implements custody.Signer.
func (s *Signer) KeyID() string { return s.keyID }

// Public implements custody.Signer: a *ecdsa.PublicKey on P-256.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// KMSKey is the ARN KMS gave for the key.
func (s *Signer) KMSKey() string { return s.keyARN }

// Sign implements custody.Signer: an ASN.1 DER ECDSA signature over SHA-256(message). The
// signature is checked against the public key before it is returned.
func (s *Signer) Sign(ctx context.Context, message []byte) ([]byte, error) {
	in := &kms.SignInput{
		KeyId:            &s.keyARN,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
		MessageType:      types.MessageTypeRaw,
		Message:          message,
	}
	if len(message) == 0 || len(message) > MaxRaw { // KMS refuses empty messages too
		d := sha256.Sum256(message)
		in.MessageType, in.Message = types.MessageTypeDigest, d[:]
	}
	out, err := s.client.Sign(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("kms sign with %s: %w", s.keyARN, err)
	}
	// A signature that does not verify must never reach the ledger.
	if err := custody.VerifySignature(s.pub, message, out.Signature); err != nil {
		return nil, fmt.Errorf("kms sign with %s: %w", s.keyARN, err)
	}
	return out.Signature, nil
}
