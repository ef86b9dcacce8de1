package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// ReceiptStatementFormat names the counterpart's receipt statement (docs/seals.md).
const ReceiptStatementFormat = "evx-receipt-statement/1"

// Receipt outcomes, of a whole delivery and of one document.
const (
	OutcomeAccepted = "accepted"
	OutcomeRefused  = "refused"
)

// ReasonCodes are the reasons a counterpart may give for refusing a delivery or a document,
// modelled on the e-CODEX rejection reasons and ETSI EN 319 522's (docs/seals.md).
var ReasonCodes = []string{
	"hash-mismatch",            // a document's hash differs from the one recorded
	"incomplete",               // documents are missing
	"unreadable",               // a document cannot be opened or read
	"not-competent",            // the receiving authority is not competent for the matter
	"legal-basis-insufficient", // the legal basis does not allow it
	"wrong-recipient",          // the delivery was meant for another authority
	"other",                    // the note says why
}

// StatementDocument is one document as the counterpart judged it: its name, the SHA-256 it
// computed over what it received, accepted or refused, and the reason code of a refusal.
type StatementDocument struct {
	Name    string `json:"name"`
	SHA256  string `json:"sha256"`
	Outcome string `json:"outcome"`          // OutcomeAccepted or OutcomeRefused
	Reason  string `json:"reason,omitempty"` // a ReasonCodes entry, for a refusal
}

// ReceiptStatement is what a counterpart seals about one delivery: that its person Person
// accepted or refused (Outcome) delivery Delivery of bundle Bundle at Time, with the documents
// as it computed and judged them, its reason codes and a free-text note.
type ReceiptStatement struct {
	Format      string              `json:"format"` // ReceiptStatementFormat
	Agency      string              `json:"agency"`
	Person      string              `json:"person"`
	KeyID       string              `json:"key_id"`
	Delivery    string              `json:"delivery"`
	Bundle      string              `json:"bundle"`
	Outcome     string              `json:"outcome"`
	Documents   []StatementDocument `json:"documents"`
	ReasonCodes []string            `json:"reason_codes,omitempty"`
	Note        string              `json:"note,omitempty"`
	Time        string              `json:"time"` // TimeFormat
}

// ReceiptRecord is a counterpart's sealed receipt statement as a custody event carries it
// (details "receipt" of ConsignmentAcceptance and ConsignmentRejection, version 2): the
// statement bytes and the signature unchanged (base64), and the key record they were checked
// with.
type ReceiptRecord struct {
	KeyID     string    `json:"key_id"`
	Statement string    `json:"statement"` // base64 of the RFC 8785 statement bytes
	Signature string    `json:"signature"` // base64
	Key       AgencyKey `json:"key"`
}

// SignReceiptStatement fills st's Format, KeyID and (when empty) Time, and returns the
// statement bytes (RFC 8785) and s's signature over them.
func SignReceiptStatement(sign func(msg []byte) ([]byte, error), keyID string, st *ReceiptStatement, t time.Time) (stmt, sig []byte, err error) {
	st.Format, st.KeyID = ReceiptStatementFormat, keyID
	if st.Time == "" {
		st.Time = t.UTC().Format(TimeFormat)
	}
	if err := st.check(); err != nil {
		return nil, nil, err
	}
	if stmt, err = canonicalOf(st); err != nil {
		return nil, nil, err
	}
	sig, err = sign(stmt)
	return stmt, sig, err
}

// check holds a statement to its format's rules.
func (st *ReceiptStatement) check() error {
	bad := func(format string, a ...any) error {
		return &SealError{Agency: st.Agency, KeyID: st.KeyID, Reason: "receipt statement: " + fmt.Sprintf(format, a...)}
	}
	switch {
	case st.Format != ReceiptStatementFormat:
		return bad("format %q, want %q", st.Format, ReceiptStatementFormat)
	case st.Agency == "" || st.Person == "":
		return bad("it names no agency and person")
	case st.Delivery == "" || st.Bundle == "":
		return bad("it names no delivery and bundle")
	case st.Outcome != OutcomeAccepted && st.Outcome != OutcomeRefused:
		return bad("outcome %q, want accepted or refused", st.Outcome)
	case len(st.Note) > 4096:
		return bad("note longer than 4096 bytes")
	}
	if _, err := parseEventTime(st.Time); err != nil {
		return bad("%v", err)
	}
	for _, c := range st.ReasonCodes {
		if !slices.Contains(ReasonCodes, c) {
			return bad("reason code %q is not one of %v", c, ReasonCodes)
		}
	}
	seen := map[string]bool{}
	for _, d := range st.Documents {
		switch {
		case seen[d.Name]:
			return bad("document %q listed twice", d.Name)
		case !isHex(d.SHA256, 64) && d.SHA256 != "":
			return bad("document %q sha256: want 64 lowercase hex digits", d.Name)
		case d.Outcome != OutcomeAccepted && d.Outcome != OutcomeRefused:
			return bad("document %q outcome %q, want accepted or refused", d.Name, d.Outcome)
		case d.Outcome == OutcomeRefused && !slices.Contains(ReasonCodes, d.Reason):
			return bad("document %q is refused with reason %q, want one of %v", d.Name, d.Reason, ReasonCodes)
		case d.Outcome == OutcomeAccepted && d.Reason != "":
			return bad("document %q is accepted with a reason", d.Name)
		}
		seen[d.Name] = true
	}
	if st.Outcome == OutcomeRefused && len(st.ReasonCodes) == 0 {
		return bad("a refusal needs at least one reason code")
	}
	return nil
}

// OpenReceiptStatement decodes a sealed statement (base64 of its RFC 8785 bytes), checks it is
// canonical, well formed and names keyID, and verifies the signature with key at t (the time
// evx recorded it). It returns the statement.
func OpenReceiptStatement(statement, signature string, key AgencyKey, t time.Time) (*ReceiptStatement, error) {
	stmt, err := decodeStatement(statement)
	if err != nil {
		return nil, &SealError{KeyID: key.KeyID, Reason: "receipt statement is not base64 of at most 64 KiB", Err: err}
	}
	var st ReceiptStatement
	if err := strictUnmarshal(stmt, &st); err != nil {
		return nil, &SealError{KeyID: key.KeyID, Reason: "not a receipt statement", Err: err}
	}
	if c, err := Canonicalize(stmt); err != nil || !bytes.Equal(c, stmt) {
		return nil, &SealError{Agency: st.Agency, KeyID: key.KeyID, Reason: "the receipt statement is not in RFC 8785 canonical form"}
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	if st.KeyID != key.KeyID {
		return nil, &SealError{Agency: st.Agency, KeyID: key.KeyID, Reason: fmt.Sprintf("the receipt statement names key %s", st.KeyID)}
	}
	pub, err := key.Public()
	if err != nil {
		return nil, &SealError{Agency: st.Agency, KeyID: key.KeyID, Reason: "the agency's key record", Err: err}
	}
	if err := verifyStatement(pub, stmt, signature); err != nil {
		return nil, &SealError{Agency: st.Agency, KeyID: key.KeyID, Reason: "the receipt's signature does not verify with the agency's key", Err: err}
	}
	if err := key.CheckAt(st.Agency, t); err != nil {
		return nil, err
	}
	return &st, nil
}

// DeliveryID names the delivery of a bundle to a counterpart: "d-" and 32 hex digits of
// SHA-256(bundle id, NUL, counterpart id). A receipt statement names its delivery so; Verify
// holds a consignment outcome's sealed statement to the delivery of the event's bundle and
// counterpart.
func DeliveryID(bundleID, counterpart string) string {
	h := sha256.Sum256([]byte(bundleID + "\x00" + counterpart))
	return "d-" + hex.EncodeToString(h[:16])
}
