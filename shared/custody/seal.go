package custody

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Seals are signatures by the parties themselves, with their agencies' keys (docs/seals.md).
// Each signs an RFC 8785 JSON statement; the signature follows the [Signer] contract (Ed25519
// over the statement bytes; ECDSA P-256 ASN.1 DER over SHA-256 of them). evx records the
// statement bytes and the signature unchanged (base64), so that anyone can check them with
// the agency's public key alone, and checks that its own events agree with them.

// BagSealFormat names the sender's seal statement and the seal tag file layout.
const BagSealFormat = "evx-bag-seal/1"

// BagSealFile is the tag file, in the bag's top folder, that carries the sender's seal.
const BagSealFile = "evx-seal.json"

// MaxSealBytes bounds a seal file and a sealed statement.
const MaxSealBytes = 64 << 10

// Covered is one file a seal covers, by its SHA-256.
type Covered struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// BagStatement is what the sending agency seals: that its person Person sealed, at Time,
// the bag whose bag-info.txt and payload manifests have the SHA-256 hashes in Covers
// (sorted by name), with key KeyID.
type BagStatement struct {
	Format string    `json:"format"` // BagSealFormat
	Agency string    `json:"agency"`
	Person string    `json:"person"`
	KeyID  string    `json:"key_id"`
	Time   string    `json:"time"` // TimeFormat
	Covers []Covered `json:"covers"`
}

// BagSealTag is the content of the seal tag file: the statement bytes and the signature,
// base64, and the key id (also inside the statement).
type BagSealTag struct {
	Format    string `json:"format"` // BagSealFormat
	KeyID     string `json:"key_id"`
	Statement string `json:"statement"` // base64 of the RFC 8785 statement bytes
	Signature string `json:"signature"` // base64
}

// SealRecord is a seal as a custody event carries it (details "seal" of SubmissionAcceptance,
// version 2): the seal tag file's statement and signature unchanged, the key record evx
// checked them with, and the sealed files themselves (base64) that the verifier needs to
// hold the event's documents to the seal: the payload manifest manifest-sha256.txt.
type SealRecord struct {
	KeyID     string `json:"key_id"`
	Statement string `json:"statement"` // base64, as in the seal tag file
	Signature string `json:"signature"` // base64
	// Key is the agency's key record (from the agency directory) the seal was checked with.
	Key AgencyKey `json:"key"`
	// Manifest is manifest-sha256.txt of the bag, base64: its SHA-256 is among the statement's
	// covers, and its lines give every payload file's SHA-256.
	Manifest string `json:"manifest,omitempty"`
}

// SealError: a seal is missing, malformed, made by a key the agency does not hold, or does not
// verify, or what it covers is not what evx holds. Reason says which, in words.
type SealError struct {
	Seq       uint64 // the event carrying the seal, when Verify found it; 0 at intake
	Agency    string
	KeyID     string
	WantKeyID string // the key(s) the seal should have been made with, when that is the failure
	Reason    string
	Err       error
}

func (e *SealError) Error() string {
	msg := "seal"
	if e.Seq > 0 {
		msg = fmt.Sprintf("event seq %d: seal", e.Seq)
	}
	if e.Agency != "" {
		msg += " of " + e.Agency
	}
	if e.KeyID != "" {
		msg += " (key " + e.KeyID + ")"
	}
	msg += ": " + e.Reason
	if e.WantKeyID != "" {
		msg += " (want " + e.WantKeyID + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}
func (e *SealError) Unwrap() error { return e.Err }

// canonicalOf returns the RFC 8785 form of v's JSON.
func canonicalOf(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonicalize(raw)
}

// SealFileNames are the tag files a bag seal covers, of those present: bag-info.txt and every
// payload manifest.
func SealFileNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n == "bag-info.txt" || strings.HasPrefix(n, "manifest-") && strings.HasSuffix(n, ".txt") && !strings.Contains(n, "/") {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// SealBag returns the seal tag file (BagSealFile) by s for agency's person over files (the
// bag's tag files by name; those SealFileNames picks are covered), made at t.
func SealBag(ctx context.Context, s Signer, agency, person string, files map[string][]byte, t time.Time) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	st := BagStatement{Format: BagSealFormat, Agency: agency, Person: person, KeyID: s.KeyID(), Time: t.UTC().Format(TimeFormat)}
	for _, n := range SealFileNames(names) {
		sum := sha256.Sum256(files[n])
		st.Covers = append(st.Covers, Covered{Name: n, SHA256: hex.EncodeToString(sum[:])})
	}
	if len(st.Covers) == 0 || !slices.ContainsFunc(st.Covers, func(c Covered) bool { return c.Name == "bag-info.txt" }) {
		return nil, errors.New("seal: the bag has no bag-info.txt and manifests to seal")
	}
	if agency == "" || person == "" {
		return nil, errors.New("seal: the statement names the sending agency and person: give both")
	}
	stmt, err := canonicalOf(st)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	tag := BagSealTag{Format: BagSealFormat, KeyID: s.KeyID(), Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig)}
	b, err := json.MarshalIndent(tag, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseBagSealTag reads a seal tag file strictly.
func ParseBagSealTag(data []byte) (*BagSealTag, error) {
	if len(data) > MaxSealBytes {
		return nil, &SealError{Reason: fmt.Sprintf("%s is larger than %d bytes", BagSealFile, MaxSealBytes)}
	}
	var tag BagSealTag
	if err := strictUnmarshal(bytes.TrimSpace(data), &tag); err != nil {
		return nil, &SealError{Reason: BagSealFile + " is not a seal file", Err: err}
	}
	if tag.Format != BagSealFormat {
		return nil, &SealError{KeyID: tag.KeyID, Reason: fmt.Sprintf("format %q, want %q", tag.Format, BagSealFormat)}
	}
	return &tag, nil
}

// BagStatementOf decodes and checks a seal's statement (base64 of its RFC 8785 bytes): the
// bytes must be canonical (so that one statement has one spelling), and name keyID.
func BagStatementOf(statement, keyID string) (*BagStatement, []byte, error) {
	stmt, err := decodeStatement(statement)
	if err != nil {
		return nil, nil, &SealError{KeyID: keyID, Reason: "the statement is not base64 of at most 64 KiB", Err: err}
	}
	var st BagStatement
	if err := strictUnmarshal(stmt, &st); err != nil {
		return nil, nil, &SealError{KeyID: keyID, Reason: "the statement is not a bag seal statement", Err: err}
	}
	if c, err := Canonicalize(stmt); err != nil || !bytes.Equal(c, stmt) {
		return nil, nil, &SealError{KeyID: keyID, Reason: "the statement is not in RFC 8785 canonical form"}
	}
	switch {
	case st.Format != BagSealFormat:
		return nil, nil, &SealError{Agency: st.Agency, KeyID: keyID, Reason: fmt.Sprintf("statement format %q, want %q", st.Format, BagSealFormat)}
	case st.KeyID != keyID:
		return nil, nil, &SealError{Agency: st.Agency, KeyID: keyID, Reason: fmt.Sprintf("the statement names key %s", st.KeyID)}
	case st.Agency == "" || st.Person == "":
		return nil, nil, &SealError{Agency: st.Agency, KeyID: keyID, Reason: "the statement does not name the sending agency and person"}
	}
	if _, err := parseEventTime(st.Time); err != nil {
		return nil, nil, &SealError{Agency: st.Agency, KeyID: keyID, Reason: "the statement's time", Err: err}
	}
	return &st, stmt, nil
}

// CheckBagSeal verifies a seal (its statement and signature, base64) with key, the agency's
// key record, at the time t evx received it, and that it covers exactly files (the bag's tag
// files, as SealFileNames picks them). It returns the statement.
func CheckBagSeal(statement, signature string, key AgencyKey, files map[string][]byte, t time.Time) (*BagStatement, error) {
	st, stmt, err := BagStatementOf(statement, key.KeyID)
	if err != nil {
		return nil, err
	}
	fail := func(reason string, err error) error {
		return &SealError{Agency: st.Agency, KeyID: key.KeyID, Reason: reason, Err: err}
	}
	pub, err := key.Public()
	if err != nil {
		return nil, fail("the agency's key record", err)
	}
	if err := verifyStatement(pub, stmt, signature); err != nil {
		return nil, fail("the signature does not verify with the agency's key", err)
	}
	if err := key.CheckAt(st.Agency, t); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	want := SealFileNames(names)
	got := make([]string, len(st.Covers))
	for i, c := range st.Covers {
		got[i] = c.Name
	}
	if !slices.Equal(got, want) {
		return nil, fail(fmt.Sprintf("it covers %v, the bag holds %v", got, want), nil)
	}
	for _, c := range st.Covers {
		sum := sha256.Sum256(files[c.Name])
		if h := hex.EncodeToString(sum[:]); h != c.SHA256 {
			return nil, fail(fmt.Sprintf("it covers %s with SHA-256 %s, the bag's %s has %s: the seal is over other manifests", c.Name, c.SHA256, c.Name, h), nil)
		}
	}
	return st, nil
}

// verifyStatement checks a base64 signature over stmt by pub (the Signer contract).
func verifyStatement(pub crypto.PublicKey, stmt []byte, signature string) error {
	sig, err := base64.StdEncoding.Strict().DecodeString(signature)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	return VerifySignature(pub, stmt, sig)
}

// decodeStatement decodes a sealed statement's base64, at most MaxSealBytes.
func decodeStatement(statement string) ([]byte, error) {
	if len(statement) > MaxSealBytes*4/3+4 {
		return nil, fmt.Errorf("statement larger than %d bytes", MaxSealBytes)
	}
	return base64.StdEncoding.Strict().DecodeString(statement)
}
