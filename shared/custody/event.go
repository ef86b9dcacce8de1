package custody

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// EventType names what happened to a bundle. Where an event crosses a party boundary it
// carries the name of the ETSI EN 319 522-1 (electronic registered delivery) event; internal
// processing steps carry the name of the CASE/UCO investigative action they record.
type EventType string

// Events crossing a party boundary (ETSI EN 319 522-1, clause 6.2 event names).
const (
	// SubmissionAcceptance: evx accepted the sender's bundle (bag valid, every payload hashed and stored).
	SubmissionAcceptance EventType = "SubmissionAcceptance"
	// SubmissionRejection: evx refused the sender's bundle; Details.Reasons says why.
	SubmissionRejection EventType = "SubmissionRejection"
	// ContentConsignment: the bundle was made available to one counterpart (Details.Counterpart).
	ContentConsignment EventType = "ContentConsignment"
	// ContentAccessTracking: a counterpart fetched documents of the bundle.
	ContentAccessTracking EventType = "ContentAccessTracking"
	// ConsignmentAcceptance: the counterpart acknowledged receipt, hashes checked.
	ConsignmentAcceptance EventType = "ConsignmentAcceptance"
	// ConsignmentRejection: the counterpart refused the consignment; Details.Reasons says why.
	ConsignmentRejection EventType = "ConsignmentRejection"
	// AcceptanceRejectionExpiry: the counterpart neither accepted nor refused in time.
	AcceptanceRejectionExpiry EventType = "AcceptanceRejectionExpiry"
)

// Internal steps, named for the CASE/UCO action they are (uco-action:Action with a name).
const (
	// Hashed: evx computed the hashes of the documents listed in Details.Documents.
	Hashed EventType = "Hashed"
	// Stored: evx stored the documents content-addressed (write-once storage).
	Stored EventType = "Stored"
	// Extracted: evx extracted text and metadata from the documents listed.
	Extracted EventType = "Extracted"
	// FixityCheck: a scheduled re-check of stored documents against their recorded hashes;
	// Details.Reasons lists mismatches, empty when every document matched.
	FixityCheck EventType = "FixityCheck"
	// Resubmission: another uploader submitted the exact bytes of the bundle again; Actor
	// names who and Time when. Nothing else changes: the bundle, its documents and its
	// deliveries are the first submission's.
	Resubmission EventType = "Resubmission"
)

// EventTypes lists every known type, party-boundary events first, request events last.
var EventTypes = append([]EventType{
	SubmissionAcceptance, SubmissionRejection, ContentConsignment, ContentAccessTracking,
	ConsignmentAcceptance, ConsignmentRejection, AcceptanceRejectionExpiry,
	Hashed, Stored, Extracted, FixityCheck, Resubmission,
}, append(append([]EventType(nil), RequestEventTypes...), AgencyKeyAdded, AgencyKeyRotated, AgencyKeyRevoked, AgencyKeyExpired, ConsentRequested, ConsentGranted,
	RetentionSet, RetentionReviewed, DocumentsDisposed)...)

// Actor kinds.
const (
	ActorSystem      = "system"      // an evx component, ID names it ("ingest", "audit")
	ActorUser        = "user"        // a person of the sending agency, ID from its identity provider
	ActorCounterpart = "counterpart" // a foreign agency, ID from the counterpart directory
)

// Actor is who caused an event.
//
// In a version 1 event only Kind and ID exist. A version 2 event names, for every act of a
// party (Kind user or counterpart), the agency (its id in the agency directory) and the person
// within it who acted; evx's own steps (Kind system) name the component in ID and leave Agency
// and Person empty.
type Actor struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Agency is the acting agency's directory id (version 2).
	Agency string `json:"agency,omitempty"`
	// Person is the person within Agency who acted, as the agency's identity provider or
	// evx's tokens file names them (version 2).
	Person string `json:"person,omitempty"`
}

// Document is one payload file of a bundle as an event records it.
type Document struct {
	Name   string `json:"name"`             // path inside the bag, e.g. "data/report.pdf"
	Size   int64  `json:"size"`             // bytes; at most 2^53-1 so every JSON reader agrees on it
	SHA256 string `json:"sha256"`           // lowercase hex, as sha256sum prints it
	SHA512 string `json:"sha512,omitempty"` // lowercase hex, when the bag's manifest gave it
	// MediaType is the type detected from the content at ingest (SubmissionAcceptance).
	MediaType string `json:"media_type,omitempty"`
	// Extraction is the lowercase hex SHA-256 of the stored extraction result (text and
	// metadata as JSON), a blob beside the document's own.
	Extraction string `json:"extraction_sha256,omitempty"`
}

// Details says what an event concerns. Only strings, arrays of strings and integers below 2^53
// appear here, so that the RFC 8785 form of an event is the same for every JSON implementation.
type Details struct {
	// Counterparts, on SubmissionAcceptance, are the counterparts the bundle is to be consigned
	// to (those the directory allowed); refused ones are named in Reasons.
	Counterparts []string `json:"counterparts,omitempty"`
	// Deadline, on ContentConsignment, is when the counterpart's receipt is due (TimeFormat).
	Deadline  string     `json:"deadline,omitempty"`
	Documents []Document `json:"documents,omitempty"`
	// DocumentManifest (version 2) stands in for Documents when they are too many to inline:
	// the reference to a manifest listing them (docmanifest.go). An event carries one or the
	// other, never both.
	DocumentManifest *DocumentManifest `json:"document_manifest,omitempty"`
	Counterpart      string            `json:"counterpart,omitempty"`
	Reasons          []string          `json:"reasons,omitempty"`
	Reference        string            `json:"reference,omitempty"` // request or case reference
	// Request is what the sender's bag-info.txt says about the request the bundle answers;
	// set on SubmissionAcceptance. Absent (nil) in events recorded without it, so their
	// canonical form is unchanged.
	Request *Request `json:"request,omitempty"`
	// LegalRequest, on request lifecycle events (request_events.go), says what the event does
	// to which request. Absent (nil) on every other event, so their canonical form is unchanged.
	LegalRequest *LegalRequest `json:"legal_request,omitempty"`
	// Findings (version 2) are evx's own findings on a party's act, apart from what the party
	// stated: on a consignment outcome, a document whose hash the counterpart reported
	// differently from the record, or did not report. Never the counterpart's words.
	Findings []string `json:"findings,omitempty"`
	// Seal (version 2), on SubmissionAcceptance: the sending agency's seal over the bag.
	Seal *SealRecord `json:"seal,omitempty"`
	// Receipt (version 2), on ConsignmentAcceptance and ConsignmentRejection: the
	// counterpart's sealed receipt statement, unchanged.
	Receipt *ReceiptRecord `json:"receipt,omitempty"`
	// KeyChange (version 2), on AgencyKey* events: the change to an agency's seal keys.
	KeyChange *KeyChange `json:"key_change,omitempty"`
}

// Request describes the mutual legal assistance request a bundle belongs to, as the evx
// fields of the sender's bag-info.txt give it (JSON names as in bagit.Fields).
type Request struct {
	CaseReference    string `json:"external_identifier,omitempty"` // External-Identifier
	RequestReference string `json:"request_reference,omitempty"`   // EVX-Request-Reference
	RequestingState  string `json:"requesting_state,omitempty"`    // EVX-Requesting-State
	RequestedState   string `json:"requested_state,omitempty"`     // EVX-Requested-State
	LegalBasis       string `json:"legal_basis,omitempty"`         // EVX-Legal-Basis
	HandlingCode     string `json:"handling_code,omitempty"`       // EVX-Handling-Code: H0-H3
	// HandlingRestriction is H3's restriction (EVX-Handling-Restriction), printed on every
	// page of the court report. A version 2 member.
	HandlingRestriction string `json:"handling_restriction,omitempty"`
}

// Event is one custody record of a bundle. Hash and Signature are computed by [Seal]; every
// other field is covered by the hash, KeyID included (an event names the key that signs it).
//
// Seq counts a bundle's events from 1; Prev is the Hash of event Seq-1 of the same bundle, the
// empty string for Seq 1.
//
// Version is the trail format version the event is written in (docs/trail-format.md): 0 in Go
// for an event without a "version" member, which is version 1 and keeps its version 1
// canonical form and hash; [Version2] for events that carry version 2 members. Any other
// value is refused by Verify with a *VersionError.
type Event struct {
	Version   int       `json:"version,omitempty"`
	BundleID  string    `json:"bundle"`
	Seq       uint64    `json:"seq"`
	Type      EventType `json:"type"`
	Time      time.Time `json:"time"` // written in UTC with nine fractional digits (TimeFormat)
	Actor     Actor     `json:"actor"`
	Details   Details   `json:"details"`
	Prev      string    `json:"prev"`      // lowercase hex
	KeyID     string    `json:"key_id"`    // see KeyIDOf
	Hash      string    `json:"hash"`      // lowercase hex SHA-256(0x00 || CanonicalJSON)
	Signature string    `json:"signature"` // standard base64
}

// TimeFormat is how event times are written: RFC 3339, UTC, always nine fractional digits.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// MaxSafeInteger is the largest integer every JSON implementation reads exactly (2^53-1).
const MaxSafeInteger = 1<<53 - 1

// wireEvent is the JSON form of an Event. Field names are part of the hash: never rename them.
type wireEvent struct {
	Version   *int      `json:"version,omitempty"` // nil for version 1; "version": 0 is refused
	BundleID  string    `json:"bundle"`
	Seq       uint64    `json:"seq"`
	Type      EventType `json:"type"`
	Time      string    `json:"time"`
	Actor     Actor     `json:"actor"`
	Details   Details   `json:"details"`
	Prev      string    `json:"prev"`
	KeyID     string    `json:"key_id"`
	Hash      string    `json:"hash,omitempty"`
	Signature string    `json:"signature,omitempty"`
}

func (e Event) wire() wireEvent {
	var v *int
	if e.Version != 0 {
		v = &e.Version
	}
	return wireEvent{
		Version: v, BundleID: e.BundleID, Seq: e.Seq, Type: e.Type, Time: e.Time.UTC().Format(TimeFormat),
		Actor: e.Actor, Details: e.Details, Prev: e.Prev, KeyID: e.KeyID,
		Hash: e.Hash, Signature: e.Signature,
	}
}

// MarshalJSON writes the event with its hash and signature.
func (e Event) MarshalJSON() ([]byte, error) { return json.Marshal(e.wire()) }

// UnmarshalJSON reads what MarshalJSON writes, strictly: unknown fields are refused (a field
// the hash does not cover must not pass for part of the record), and the time must be spelled
// exactly as TimeFormat writes it (UTC, nine digits), so that one event has one spelling.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event // the same fields, without this method
	var w struct {
		plain
		Version *int   `json:"version"`
		Time    string `json:"time"`
	}
	if err := strictUnmarshal(b, &w); err != nil {
		if ve := peekVersion([]byte(`{"event":` + string(b) + `}`)); ve != nil {
			return ve
		}
		return err
	}
	t, err := parseEventTime(w.Time)
	if err != nil {
		return err
	}
	v, err := wireVersion(w.Version)
	if err != nil {
		return err
	}
	*e = Event(w.plain)
	e.Time, e.Version = t, v
	return nil
}

// parseEventTime reads a time written by TimeFormat and nothing else.
func parseEventTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeFormat, s)
	if err != nil || t.Format(TimeFormat) != s {
		return time.Time{}, fmt.Errorf("event time %q: want UTC as %s", s, TimeFormat)
	}
	return t, nil
}

// CanonicalJSON returns the RFC 8785 form of the event without its hash and signature: the
// bytes the event hash covers. It is written directly (members in UTF-16 order, integers
// below 2^53, strings escaped per RFC 8785) and equals Canonicalize of the event's JSON
// without "hash" and "signature"; tests and a fuzz target hold the two to each other.
func (e Event) CanonicalJSON() ([]byte, error) {
	if err := e.checkFields(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"actor":{`...)
	if e.Actor.Agency != "" {
		b = append(b, `"agency":`...)
		b = appendCanonicalString(b, e.Actor.Agency)
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = appendCanonicalString(b, e.Actor.ID)
	b = append(b, `,"kind":`...)
	b = appendCanonicalString(b, e.Actor.Kind)
	if e.Actor.Person != "" {
		b = append(b, `,"person":`...)
		b = appendCanonicalString(b, e.Actor.Person)
	}
	b = append(b, `},"bundle":`...)
	b = appendCanonicalString(b, e.BundleID)
	b = append(b, `,"details":{`...)
	d := e.Details
	sep := ""
	if d.Counterpart != "" {
		b = append(b, `"counterpart":`...)
		b = appendCanonicalString(b, d.Counterpart)
		sep = ","
	}
	if len(d.Counterparts) > 0 {
		b = append(b, sep+`"counterparts":[`...)
		b = appendCanonicalStrings(b, d.Counterparts)
		b = append(b, ']')
		sep = ","
	}
	if d.Deadline != "" {
		b = append(b, sep+`"deadline":`...)
		b = appendCanonicalString(b, d.Deadline)
		sep = ","
	}
	if m := d.DocumentManifest; m != nil {
		b = append(b, sep+`"document_manifest":{"count":`...)
		b = strconv.AppendInt(b, m.Count, 10)
		b = append(b, `,"sha256":`...)
		b = appendCanonicalString(b, m.SHA256)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, m.Size, 10)
		b = append(b, '}')
		sep = ","
	}
	if len(d.Documents) > 0 {
		b = append(b, sep+`"documents":[`...)
		for i, doc := range d.Documents {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonicalDocument(b, doc)
		}
		b = append(b, ']')
		sep = ","
	}
	if len(d.Findings) > 0 {
		b = append(b, sep+`"findings":[`...)
		b = appendCanonicalStrings(b, d.Findings)
		b = append(b, ']')
		sep = ","
	}
	if d.KeyChange != nil {
		c, err := canonicalOf(d.KeyChange)
		if err != nil {
			return nil, err
		}
		b = append(b, sep+`"key_change":`...)
		b = append(b, c...)
		sep = ","
	}
	if d.LegalRequest != nil {
		b = append(b, sep+`"legal_request":`...)
		var err error
		if b, err = appendLegalRequest(b, d.LegalRequest); err != nil {
			return nil, err
		}
		sep = ","
	}
	if len(d.Reasons) > 0 {
		b = append(b, sep+`"reasons":[`...)
		b = appendCanonicalStrings(b, d.Reasons)
		b = append(b, ']')
		sep = ","
	}
	if d.Receipt != nil {
		c, err := canonicalOf(d.Receipt)
		if err != nil {
			return nil, err
		}
		b = append(b, sep+`"receipt":`...)
		b = append(b, c...)
		sep = ","
	}
	if d.Reference != "" {
		b = append(b, sep+`"reference":`...)
		b = appendCanonicalString(b, d.Reference)
		sep = ","
	}
	if r := d.Request; r != nil {
		b = append(b, sep+`"request":{`...)
		// Members in RFC 8785 order; empty strings are omitted, as encoding/json does.
		rsep := ""
		for _, m := range [...]struct{ name, value string }{
			{"external_identifier", r.CaseReference},
			{"handling_code", r.HandlingCode},
			{"handling_restriction", r.HandlingRestriction},
			{"legal_basis", r.LegalBasis},
			{"request_reference", r.RequestReference},
			{"requested_state", r.RequestedState},
			{"requesting_state", r.RequestingState},
		} {
			if m.value == "" {
				continue
			}
			b = append(b, rsep+`"`+m.name+`":`...)
			b = appendCanonicalString(b, m.value)
			rsep = ","
		}
		b = append(b, '}')
		sep = ","
	}
	if d.Seal != nil {
		c, err := canonicalOf(d.Seal)
		if err != nil {
			return nil, err
		}
		b = append(b, sep+`"seal":`...)
		b = append(b, c...)
	}
	b = append(b, `},"key_id":`...)
	b = appendCanonicalString(b, e.KeyID)
	b = append(b, `,"prev":`...)
	b = appendCanonicalString(b, e.Prev)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.UTC().AppendFormat(b, TimeFormat)
	b = append(b, `","type":`...)
	b = appendCanonicalString(b, string(e.Type))
	if e.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(e.Version), 10)
	}
	return append(b, '}'), nil
}

// appendCanonicalDocument appends the RFC 8785 form of doc.
func appendCanonicalDocument(b []byte, doc Document) []byte {
	b = append(b, '{')
	if doc.Extraction != "" {
		b = append(b, `"extraction_sha256":`...)
		b = appendCanonicalString(b, doc.Extraction)
		b = append(b, ',')
	}
	if doc.MediaType != "" {
		b = append(b, `"media_type":`...)
		b = appendCanonicalString(b, doc.MediaType)
		b = append(b, ',')
	}
	b = append(b, `"name":`...)
	b = appendCanonicalString(b, doc.Name)
	b = append(b, `,"sha256":`...)
	b = appendCanonicalString(b, doc.SHA256)
	if doc.SHA512 != "" {
		b = append(b, `,"sha512":`...)
		b = appendCanonicalString(b, doc.SHA512)
	}
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, doc.Size, 10)
	return append(b, '}')
}

// appendCanonicalStrings appends ss as the members of a JSON array, comma-separated.
func appendCanonicalStrings(b []byte, ss []string) []byte {
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCanonicalString(b, s)
	}
	return b
}

// canonicalViaJSON is the slow, plainly-RFC-8785 route to CanonicalJSON's bytes: marshal,
// then Canonicalize. Tests compare the two.
func (e Event) canonicalViaJSON() ([]byte, error) {
	if err := e.checkFields(); err != nil {
		return nil, err
	}
	w := e.wire()
	w.Hash, w.Signature = "", ""
	raw, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return Canonicalize(raw)
}

// ComputeHash returns SHA-256(0x00 || CanonicalJSON()): the event's RFC 6962 leaf hash.
func (e Event) ComputeHash() ([32]byte, error) {
	c, err := e.CanonicalJSON()
	if err != nil {
		return [32]byte{}, err
	}
	return LeafHash(c), nil
}

// LeafHash is the RFC 6962 leaf hash SHA-256(0x00 || data).
func LeafHash(data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Seal sets e.KeyID from s, computes e.Hash and signs it. The signed message is the 32 raw
// bytes of the event hash (not its hex form): for Ed25519 a plain Ed25519 signature over
// those 32 bytes; for ECDSA P-256 an ASN.1 DER signature over SHA-256 of those 32 bytes.
//
// An event carrying a version 2 member (see [Event.FormatVersion]) whose Version is unset is
// written as version 2; an event with none stays version 1, with its version 1 form.
func Seal(ctx context.Context, s Signer, e *Event) error {
	e.KeyID = s.KeyID()
	if e.Version == 0 && e.v2Member() != "" {
		e.Version = Version2
	}
	h, err := e.ComputeHash()
	if err != nil {
		return err
	}
	sig, err := s.Sign(ctx, h[:])
	if err != nil {
		return fmt.Errorf("sign event %s/%d: %w", e.BundleID, e.Seq, err)
	}
	e.Hash = hex.EncodeToString(h[:])
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validBundleID: 1-128 of [A-Za-z0-9._:-], the first a letter or digit. Bundle ids travel in
// object keys and file names: keep them plain.
func validBundleID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != ':' && c != '-') {
			return false
		}
	}
	return true
}

// checkFields refuses events whose canonical form could be ambiguous or whose fields are
// malformed. It does not check the hash or the signature.
func (e Event) checkFields() error {
	if err := e.checkVersion(); err != nil {
		return err
	}
	switch {
	case !validBundleID(e.BundleID):
		return fmt.Errorf("event bundle id %q: want 1-128 of [A-Za-z0-9._:-]", e.BundleID)
	case e.Seq < 1 || e.Seq > MaxSafeInteger:
		return fmt.Errorf("event seq %d: want 1..2^53-1", e.Seq)
	case !validStrings(e):
		return errors.New("event holds a string that is not valid UTF-8")
	case checkLegalRequest(e.Details.LegalRequest) != nil:
		return checkLegalRequest(e.Details.LegalRequest)
	case e.Type == "":
		return errors.New("event type is empty")
	case e.Time.IsZero():
		return errors.New("event time is not set")
	case e.Time.UTC().Year() < 1 || e.Time.UTC().Year() > 9999:
		return fmt.Errorf("event time %v out of range", e.Time)
	case e.Seq == 1 && e.Prev != "":
		return fmt.Errorf("event seq 1 has prev %q, want empty", e.Prev)
	case e.Seq > 1 && !isHex(e.Prev, 64):
		return fmt.Errorf("event seq %d prev %q: want 64 lowercase hex digits", e.Seq, e.Prev)
	}
	for _, d := range e.Details.Documents {
		if err := checkDocument(d); err != nil {
			return err
		}
	}
	if m := e.Details.DocumentManifest; m != nil {
		if len(e.Details.Documents) > 0 {
			return errors.New("event carries both documents and document_manifest")
		}
		if err := checkManifestRef(*m); err != nil {
			return err
		}
	}
	return nil
}

// checkDocument refuses a malformed document record.
func checkDocument(d Document) error {
	switch {
	case d.Size < 0 || d.Size > MaxSafeInteger:
		return fmt.Errorf("document %q size %d: want 0..2^53-1", d.Name, d.Size)
	case !isHex(d.SHA256, 64):
		return fmt.Errorf("document %q sha256 %q: want 64 lowercase hex digits", d.Name, d.SHA256)
	case d.SHA512 != "" && !isHex(d.SHA512, 128):
		return fmt.Errorf("document %q sha512: want 128 lowercase hex digits", d.Name)
	case d.Extraction != "" && !isHex(d.Extraction, 64):
		return fmt.Errorf("document %q extraction_sha256: want 64 lowercase hex digits", d.Name)
	case !utf8.ValidString(d.Name) || !utf8.ValidString(d.MediaType):
		return fmt.Errorf("document %q holds a string that is not valid UTF-8", d.Name)
	}
	return nil
}

func validStrings(e Event) bool {
	ss := []string{e.BundleID, string(e.Type), e.Actor.Kind, e.Actor.ID, e.Actor.Agency, e.Actor.Person, e.Details.Counterpart, e.Details.Reference, e.Details.Deadline, e.KeyID, e.Prev}
	ss = append(ss, e.Details.Counterparts...)
	if r := e.Details.Request; r != nil {
		ss = append(ss, r.CaseReference, r.HandlingCode, r.HandlingRestriction, r.LegalBasis, r.RequestReference, r.RequestedState, r.RequestingState)
	}
	ss = append(ss, e.Details.Reasons...)
	ss = append(ss, e.Details.Findings...)
	if kc := e.Details.KeyChange; kc != nil {
		k := kc.Key
		ss = append(ss, kc.Agency, kc.PreviousKeyID, kc.RotationSignature, k.KeyID, k.Algorithm, k.PEM, k.NotBefore, k.NotAfter, k.Revoked)
		ss = append(ss, k.X509Chain...)
	}
	if rc := e.Details.Receipt; rc != nil {
		k := rc.Key
		ss = append(ss, rc.KeyID, rc.Statement, rc.Signature, k.KeyID, k.Algorithm, k.PEM, k.NotBefore, k.NotAfter, k.Revoked)
		ss = append(ss, k.X509Chain...)
	}
	if sl := e.Details.Seal; sl != nil {
		k := sl.Key
		ss = append(ss, sl.KeyID, sl.Statement, sl.Signature, sl.Manifest, k.KeyID, k.Algorithm, k.PEM, k.NotBefore, k.NotAfter, k.Revoked)
		ss = append(ss, k.X509Chain...)
	}
	for _, d := range e.Details.Documents {
		ss = append(ss, d.Name, d.SHA256, d.SHA512, d.MediaType, d.Extraction)
	}
	if m := e.Details.DocumentManifest; m != nil {
		ss = append(ss, m.SHA256)
	}
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
