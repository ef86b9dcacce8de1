package custody

import (
	"encoding/base64"
	"fmt"
)

// Changes to an agency's seal keys are events of the log, on the agency's own subject
// (AgencySubject), so that a verifier holding the log can see which key an agency held when,
// and the hub cannot change an agency's key silently. A rotation is signed by the agency's
// previous key too (RotationStatement), so that the hub alone cannot rotate it.
const (
	// AgencyKeyAdded: a seal key was added to an agency (Details.KeyChange).
	AgencyKeyAdded EventType = "AgencyKeyAdded"
	// AgencyKeyRotated: a seal key replaced an earlier one, with the earlier key's signature.
	AgencyKeyRotated EventType = "AgencyKeyRotated"
	// AgencyKeyRevoked: a seal key was revoked as of Details.KeyChange.Key.Revoked.
	AgencyKeyRevoked EventType = "AgencyKeyRevoked"
	// AgencyKeyExpired: a seal key reached its not_after.
	AgencyKeyExpired EventType = "AgencyKeyExpired"
)

// AgencySubject is the custody subject of an agency's key changes.
func AgencySubject(agency string) string { return "agency:" + agency }

// KeyChange (details "key_change", version 2) is one change to an agency's seal keys: the
// key record as the directory holds it and, for a rotation, the previous key's id and its
// signature over RotationStatement (base64).
type KeyChange struct {
	Agency            string    `json:"agency"`
	Key               AgencyKey `json:"key"`
	PreviousKeyID     string    `json:"previous_key_id,omitempty"`
	RotationSignature string    `json:"rotation_signature,omitempty"`
}

// RotationFormat names the statement a previous key signs to introduce its successor.
const RotationFormat = "evx-agency-key-rotation/1"

// RotationStatement is the RFC 8785 JSON the previous key signs:
// {"agency":A,"format":"evx-agency-key-rotation/1","new_key_id":N,"previous_key_id":P}.
func RotationStatement(agency, previousKeyID, newKeyID string) []byte {
	b, _ := canonicalOf(map[string]string{"agency": agency, "format": RotationFormat, "new_key_id": newKeyID, "previous_key_id": previousKeyID})
	return b
}

// CheckRotation verifies the rotation signature (base64) of next by previous, for agency.
func CheckRotation(agency string, previous, next AgencyKey, signature string) error {
	pub, err := previous.Public()
	if err != nil {
		return &SealError{Agency: agency, KeyID: previous.KeyID, Reason: "the previous key's record", Err: err}
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(signature)
	if err == nil {
		err = VerifySignature(pub, RotationStatement(agency, previous.KeyID, next.KeyID), sig)
	}
	if err != nil {
		return &SealError{Agency: agency, KeyID: next.KeyID, WantKeyID: previous.KeyID, Reason: fmt.Sprintf("the rotation to key %s is not signed by the previous key %s", next.KeyID, previous.KeyID), Err: err}
	}
	return nil
}
