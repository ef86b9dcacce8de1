package custody

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// Signer signs custody events, checkpoints and receipts. The embedded mode signs with
// Ed25519; on AWS a KMS key signs ECDSA P-256 (KMS offers no Ed25519 keys).
//
// Sign's contract depends on the key: for Ed25519 the signature is over message itself;
// for ECDSA P-256 it is an ASN.1 DER signature over SHA-256(message) (KMS ECDSA_SHA_256).
// Either way [VerifySignature] checks it with the public key alone.
type Signer interface {
	// KeyID names the key, as [KeyIDOf] computes it from Public.
	KeyID() string
	// Public returns an ed25519.PublicKey or a *ecdsa.PublicKey on P-256.
	Public() crypto.PublicKey
	Sign(ctx context.Context, message []byte) ([]byte, error)
}

// KeyIDOf names a public key: "sha256:" and the lowercase hex SHA-256 of its PKIX
// (SubjectPublicKeyInfo) DER encoding, so anyone holding the key can recompute it:
//
//	openssl pkey -pubin -in key.pem -outform DER | sha256sum
func KeyIDOf(pub crypto.PublicKey) (string, error) {
	if err := checkKeyType(pub); err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ErrBadSignature is returned (wrapped) by VerifySignature when a signature does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// VerifySignature checks sig over message with pub, following the Signer contract.
func VerifySignature(pub crypto.PublicKey, message, sig []byte) error {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, message, sig) {
			return ErrBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("ecdsa curve %s: only P-256 is accepted", k.Curve.Params().Name)
		}
		h := sha256.Sum256(message)
		if !ecdsa.VerifyASN1(k, h[:], sig) {
			return ErrBadSignature
		}
		return nil
	default:
		return checkKeyType(pub)
	}
}

func checkKeyType(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return nil
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return nil
		}
		return fmt.Errorf("ecdsa curve %s: only P-256 is accepted", k.Curve.Params().Name)
	default:
		return fmt.Errorf("public key type %T: only Ed25519 and ECDSA P-256 are accepted", pub)
	}
}
