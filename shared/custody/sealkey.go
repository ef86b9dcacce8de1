package custody

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ECDSASigner signs with an ECDSA P-256 private key held in memory: ASN.1 DER over
// SHA-256(message), as the Signer contract says (and as KMS's ECDSA_SHA_256 does).
type ECDSASigner struct {
	key   *ecdsa.PrivateKey
	keyID string
}

// NewECDSASigner returns a Signer for a P-256 key.
func NewECDSASigner(key *ecdsa.PrivateKey) (*ECDSASigner, error) {
	if key == nil || key.Curve != elliptic.P256() {
		return nil, errors.New("ecdsa private key: only P-256 is accepted")
	}
	id, err := KeyIDOf(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return &ECDSASigner{key: key, keyID: id}, nil
}

func (s *ECDSASigner) KeyID() string            { return s.keyID }
func (s *ECDSASigner) Public() crypto.PublicKey { return &s.key.PublicKey }

// Sign returns the ASN.1 DER ECDSA signature of SHA-256(message).
func (s *ECDSASigner) Sign(_ context.Context, message []byte) ([]byte, error) {
	h := sha256.Sum256(message)
	return ecdsa.SignASN1(rand.Reader, s.key, h[:])
}

// ParseSealKeyPEM reads an agency's private seal key: a PEM "PRIVATE KEY" (PKCS #8) block
// holding an Ed25519 or ECDSA P-256 key, or an "EC PRIVATE KEY" (SEC 1) block holding a P-256
// key, as `openssl genpkey -algorithm ed25519` and `openssl ecparam -name prime256v1 -genkey`
// write them.
func ParseSealKeyPEM(data []byte) (Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("seal key: want a PEM PRIVATE KEY block")
	}
	var key any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("seal key: PEM block %q: want PRIVATE KEY or EC PRIVATE KEY", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return NewEd25519Signer(k)
	case *ecdsa.PrivateKey:
		return NewECDSASigner(k)
	}
	return nil, fmt.Errorf("seal key of type %T: only Ed25519 and ECDSA P-256 are accepted", key)
}
