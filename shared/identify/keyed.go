package identify

import (
	"crypto/hmac"
	"crypto/sha256"
)

// MinSecret is the shortest index secret Key accepts: 256 bits.
const MinSecret = 32

// keyDomain separates the index's keyed hashes from any other use of the secret.
const keyDomain = "evx identifier index v1\x00"

// Key returns the keyed hash the hit/no-hit index stores for an identifier instead of its
// value: HMAC-SHA-256(secret, "evx identifier index v1" 0x00 type 0x00 value), value being
// the normalised value ([Finding.Value]). Without the secret, the hash of a guessed value
// cannot be computed, so a copy of the index alone does not confirm guesses; with it, a
// low-entropy type (a phone number) can be enumerated, which is why queries are rate-limited
// and recorded (docs/identifiers.md). The caller guarantees len(secret) >= MinSecret.
func Key(secret []byte, t Type, value string) [32]byte {
	m := hmac.New(sha256.New, secret)
	m.Write(KeyMessage(t, value))
	var k [32]byte
	m.Sum(k[:0])
	return k
}

// KeyMessage is the message Key authenticates: "evx identifier index v1" 0x00 type 0x00
// value. A key holder that computes HMAC-SHA-256 itself (a KMS HMAC key, which never leaves
// KMS) gives the same keyed hash as Key with the same key.
func KeyMessage(t Type, value string) []byte {
	b := make([]byte, 0, len(keyDomain)+len(t)+1+len(value))
	b = append(b, keyDomain...)
	b = append(b, t...)
	b = append(b, 0)
	return append(b, value...)
}
