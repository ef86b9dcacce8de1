package custody

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"
)

// Ed25519Signer signs with an Ed25519 private key held in memory (the embedded mode; the key
// file itself is shared/backend/local/keyfile's business).
type Ed25519Signer struct {
	key   ed25519.PrivateKey
	keyID string
}

// NewEd25519Signer returns a Signer for key.
func NewEd25519Signer(key ed25519.PrivateKey) (*Ed25519Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("ed25519 private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	id, err := KeyIDOf(key.Public())
	if err != nil {
		return nil, err
	}
	return &Ed25519Signer{key: key, keyID: id}, nil
}

func (s *Ed25519Signer) KeyID() string            { return s.keyID }
func (s *Ed25519Signer) Public() crypto.PublicKey { return s.key.Public() }

// Sign returns the Ed25519 signature of message (pure Ed25519, no pre-hash).
func (s *Ed25519Signer) Sign(_ context.Context, message []byte) ([]byte, error) {
	return ed25519.Sign(s.key, message), nil
}
