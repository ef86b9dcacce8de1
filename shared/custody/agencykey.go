package custody

import (
	"crypto"
	"fmt"
	"time"
)

// AgencyKey is one seal key of an agency, as the agency directory holds it and as a trail
// carries it beside a seal: the key (PKIX PEM, Ed25519 or ECDSA P-256), its id (KeyIDOf),
// and when it may seal. NotBefore, NotAfter and Revoked are TimeFormat times, empty when
// unbounded or not revoked; a seal made at t is valid under the key when NotBefore <= t,
// t < NotAfter and t < Revoked. X509Chain has room for the key's certificate and its issuers
// (base64 DER, leaf first), for seals backed by a qualified certificate; evx does not judge
// certificates yet, it carries them.
type AgencyKey struct {
	KeyID     string   `json:"key_id" yaml:"-"`
	Algorithm string   `json:"algorithm" yaml:"-"` // "ed25519" or "ecdsa-p256"
	PEM       string   `json:"pem" yaml:"pem"`
	NotBefore string   `json:"not_before,omitempty" yaml:"not_before,omitempty"`
	NotAfter  string   `json:"not_after,omitempty" yaml:"not_after,omitempty"`
	Revoked   string   `json:"revoked,omitempty" yaml:"revoked,omitempty"`
	X509Chain []string `json:"x509_chain,omitempty" yaml:"x509_chain,omitempty"`
	// RotatedFrom and RotationSignature, for a key that replaces an earlier one: the earlier
	// key's id and its signature (base64) over RotationStatement. Kept in the directory, and
	// in the log's KeyChange; not part of a seal's key record.
	RotatedFrom       string `json:"-" yaml:"-"`
	RotationSignature string `json:"-" yaml:"-"`
}

// NewAgencyKey describes pub as an AgencyKey without bounds.
func NewAgencyKey(pub crypto.PublicKey) (AgencyKey, error) {
	pk, err := PublicKeyOf(pub)
	if err != nil {
		return AgencyKey{}, err
	}
	return AgencyKey{KeyID: pk.KeyID, Algorithm: pk.Algorithm, PEM: pk.PEM}, nil
}

// Public parses the key and checks that KeyID and Algorithm are its own.
func (k AgencyKey) Public() (crypto.PublicKey, error) {
	pub, err := ParsePublicKeyPEM([]byte(k.PEM))
	if err != nil {
		return nil, err
	}
	want, err := PublicKeyOf(pub)
	if err != nil {
		return nil, err
	}
	if k.KeyID != want.KeyID || k.Algorithm != want.Algorithm {
		return nil, fmt.Errorf("key record states id %s (%s), its PEM key is %s (%s)", k.KeyID, k.Algorithm, want.KeyID, want.Algorithm)
	}
	return pub, nil
}

// KeyValidityError: a seal was made at At, when its key could not seal: before NotBefore
// ("not yet valid"), at or after NotAfter ("expired") or at or after Revoked ("revoked").
// Since is the bound it crossed.
type KeyValidityError struct {
	Seq           uint64 // the event carrying the seal, when Verify found it; 0 at intake
	Agency, KeyID string
	At            string
	Reason        string // "not yet valid", "expired", "revoked"
	Since         string
}

func (e *KeyValidityError) Error() string {
	if e.Reason == "not yet valid" {
		return fmt.Sprintf("seal of %s made %s by key %s, which is valid only from %s", e.Agency, e.At, e.KeyID, e.Since)
	}
	return fmt.Sprintf("seal of %s made %s by key %s, %s since %s", e.Agency, e.At, e.KeyID, e.Reason, e.Since)
}

// CheckAt returns a *KeyValidityError unless the key could seal at t. Malformed bounds are
// an error too.
func (k AgencyKey) CheckAt(agency string, t time.Time) error {
	at := t.UTC().Format(TimeFormat)
	for _, b := range []struct {
		value, reason string
		bad           func(bound time.Time) bool
	}{
		{k.NotBefore, "not yet valid", t.Before},
		{k.NotAfter, "expired", func(b time.Time) bool { return !t.Before(b) }},
		{k.Revoked, "revoked", func(b time.Time) bool { return !t.Before(b) }},
	} {
		if b.value == "" {
			continue
		}
		bound, err := parseEventTime(b.value)
		if err != nil {
			return fmt.Errorf("key %s of %s: %w", k.KeyID, agency, err)
		}
		if b.bad(bound) {
			return &KeyValidityError{Agency: agency, KeyID: k.KeyID, At: at, Reason: b.reason, Since: b.value}
		}
	}
	return nil
}
