package custody

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SealCheck is one seal Verify checked: the event carrying it, whose seal it is, the key,
// where the key came from: "pinned" (VerifyOptions.AgencyKeys, obtained out of band), "log"
// (the agency's key changes the trail carries, Trail.AgencyKeyChanges: evx's log, the same
// to every holder of its checkpoints) or "trail" (only the key record the event carries, as
// evx's directory gave it: only as trustworthy as evx's own log), and the key's validity
// window as checked: the seal's time was at or after ValidFrom and before ValidUntil (the
// earlier of its expiry and revocation; "" when unbounded).
type SealCheck struct {
	Seq       uint64 `json:"seq"`
	Kind      string `json:"kind"` // "sender" (SubmissionAcceptance) or "receipt" (consignment outcome)
	Agency    string `json:"agency"`
	Person    string `json:"person"`
	KeyID     string `json:"key_id"`
	KeySource string `json:"key_source"` // "pinned" or "trail"
	Time      string `json:"time"`       // the event's time: when evx recorded the seal
	Outcome   string `json:"outcome,omitempty"`
	// ValidFrom, ValidUntil: the key's validity window (TimeFormat; "" when unbounded), the
	// tighter of the key record's and the log's history's; Revoked says ValidUntil is the
	// key's revocation (later than the seal), not its expiry.
	ValidFrom  string `json:"valid_from,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"`
	Revoked    bool   `json:"revoked,omitempty"`
}

// SealMismatchError: an event does not agree with the sealed statement it carries: What
// names the field, Sealed is the party's sealed word, Recorded what the event says. This is
// what an operator holding evx's key who rewrites a sealed refusal into an acceptance, or
// renames the sender, and re-signs the log, leaves behind.
type SealMismatchError struct {
	Seq              uint64
	What             string
	Sealed, Recorded string
}

func (e *SealMismatchError) Error() string {
	return fmt.Sprintf("event seq %d disagrees with the sealed statement it carries: %s is %q in the statement, %q in the event", e.Seq, e.What, e.Sealed, e.Recorded)
}

func (e *SealMismatchError) Failure() Failure {
	return Failure{Kind: "SealMismatchError", Seq: e.Seq, HasSeq: true, Want: e.Sealed, Got: e.Recorded, Facts: []Fact{{"field", e.What}}}
}

func (e *SealError) Failure() Failure {
	return Failure{Kind: "SealError", Seq: e.Seq, HasSeq: e.Seq > 0, Want: e.WantKeyID, Got: e.KeyID, Facts: []Fact{{"agency", e.Agency}, {"reason", e.Reason}}}
}

func (e *KeyValidityError) Failure() Failure {
	return Failure{Kind: "KeyValidityError", Seq: e.Seq, HasSeq: e.Seq > 0, Want: e.Reason + " since " + e.Since, Got: e.At, Facts: []Fact{{"agency", e.Agency}, {"key_id", e.KeyID}}}
}

func (e *VersionError) Failure() Failure {
	return Failure{Kind: "VersionError", Seq: e.Seq, HasSeq: true, Want: fmt.Sprint(e.Known), Got: fmt.Sprint(e.Got), Facts: []Fact{{"member", e.Member}}}
}

// checkSeals checks every seal the trail's events carry (the chain, hashes and signatures
// are checked before): sender seals on SubmissionAcceptance, receipt statements on
// ConsignmentAcceptance and ConsignmentRejection. pinned maps agency ids to the keys the
// verifier holds for them; an agency with pinned keys must have sealed its acts (its
// submission and its receipts), with one of those keys.
//
// history holds the agencies' key histories the trail carries (keyhistory.go): a seal of an
// agency with one must be made with a key the log added, before the log's revocation or
// expiry of it.
func checkSeals(t *Trail, pinned map[string][]crypto.PublicKey, history map[string]*keyHistory) ([]SealCheck, error) {
	var out []SealCheck
	for _, te := range t.Events {
		e := te.Event
		switch {
		case e.Details.Seal != nil:
			c, err := checkSenderSeal(e, pinned, history)
			if err != nil {
				return out, err
			}
			out = append(out, c)
		case e.Details.Receipt != nil:
			c, err := checkReceiptSeal(e, pinned, history)
			if err != nil {
				return out, err
			}
			out = append(out, c)
		case e.Type == SubmissionAcceptance && pinned[e.Actor.Agency] != nil:
			return out, &SealError{Seq: e.Seq, Agency: e.Actor.Agency, Reason: "the submission carries no sender's seal, but the verifier holds the agency's key: an agency whose key is pinned seals its acts"}
		case (e.Type == ConsignmentAcceptance || e.Type == ConsignmentRejection) && pinned[e.Details.Counterpart] != nil:
			return out, &SealError{Seq: e.Seq, Agency: e.Details.Counterpart, Reason: "the receipt carries no sealed statement, but the verifier holds the agency's key: an agency whose key is pinned seals its acts"}
		}
	}
	return out, nil
}

// sealKey returns the key to check a seal with: a pinned key of agency equal to the record's
// (the record must name it), else the record's own.
// With a key history of agency, the record's bounds are tightened by the history's, and a
// key the history lacks is a *SealError.
func sealKey(seq uint64, agency string, rec AgencyKey, keyID string, pinned map[string][]crypto.PublicKey, history map[string]*keyHistory) (AgencyKey, string, error) {
	if rec.KeyID != keyID {
		return rec, "", &SealError{Seq: seq, Agency: agency, KeyID: keyID, WantKeyID: rec.KeyID, Reason: "the seal names another key than its key record"}
	}
	if _, err := rec.Public(); err != nil {
		return rec, "", &SealError{Seq: seq, Agency: agency, KeyID: keyID, Reason: "its key record", Err: err}
	}
	source := "trail"
	if h := history[agency]; h != nil {
		var ok bool
		if rec, ok = h.bound(rec); !ok {
			return rec, "", &SealError{Seq: seq, Agency: agency, KeyID: keyID, WantKeyID: strings.Join(slices.Sorted(maps.Keys(h.keys)), " "),
				Reason: "the key is not among the agency's keys that evx's log records (agency_key_changes)"}
		}
		source = "log"
	}
	keys, ok := pinned[agency]
	if !ok {
		return rec, source, nil
	}
	var ids []string
	for _, k := range keys {
		id, err := KeyIDOf(k)
		if err != nil {
			return rec, "", err
		}
		if id == keyID {
			return rec, "pinned", nil
		}
		ids = append(ids, id)
	}
	return rec, "", &SealError{Seq: seq, Agency: agency, KeyID: keyID, WantKeyID: strings.Join(ids, " "), Reason: "the seal is not made with the agency's key the verifier holds (--agency-key)"}
}

func withSeq(err error, seq uint64) error {
	switch e := err.(type) {
	case *SealError:
		e.Seq = seq
	case *KeyValidityError:
		e.Seq = seq
	}
	return err
}

func checkSenderSeal(e Event, pinned map[string][]crypto.PublicKey, history map[string]*keyHistory) (SealCheck, error) {
	s := e.Details.Seal
	st, stmt, err := BagStatementOf(s.Statement, s.KeyID)
	if err != nil {
		return SealCheck{}, withSeq(err, e.Seq)
	}
	key, source, err := sealKey(e.Seq, st.Agency, s.Key, s.KeyID, pinned, history)
	if err != nil {
		return SealCheck{}, err
	}
	pub, _ := key.Public()
	if err := verifyStatement(pub, stmt, s.Signature); err != nil {
		return SealCheck{}, &SealError{Seq: e.Seq, Agency: st.Agency, KeyID: s.KeyID, Reason: "the sender's seal does not verify with the agency's key", Err: err}
	}
	if err := key.CheckAt(st.Agency, e.Time); err != nil {
		return SealCheck{}, withSeq(err, e.Seq)
	}
	mismatch := func(what, sealed, recorded string) error {
		return &SealMismatchError{Seq: e.Seq, What: what, Sealed: sealed, Recorded: recorded}
	}
	if e.Type != SubmissionAcceptance {
		return SealCheck{}, mismatch("event type", string(SubmissionAcceptance), string(e.Type))
	}
	if st.Agency != e.Actor.Agency {
		return SealCheck{}, mismatch("sending agency", st.Agency, e.Actor.Agency)
	}
	if st.Person != e.Actor.Person {
		return SealCheck{}, mismatch("submitting person", st.Person, e.Actor.Person)
	}
	// The documents are the sealed manifest's.
	manifest, err := base64.StdEncoding.Strict().DecodeString(s.Manifest)
	if err != nil || s.Manifest == "" {
		return SealCheck{}, &SealError{Seq: e.Seq, Agency: st.Agency, KeyID: s.KeyID, Reason: "the seal record carries no manifest-sha256.txt to hold the documents to"}
	}
	sum := sha256.Sum256(manifest)
	i := slices.IndexFunc(st.Covers, func(c Covered) bool { return c.Name == "manifest-sha256.txt" })
	if i < 0 || st.Covers[i].SHA256 != hex.EncodeToString(sum[:]) {
		sealed := ""
		if i >= 0 {
			sealed = st.Covers[i].SHA256
		}
		return SealCheck{}, mismatch("manifest-sha256.txt (SHA-256)", sealed, hex.EncodeToString(sum[:]))
	}
	listed := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(manifest))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			sum, name, ok = strings.Cut(sc.Text(), " ")
		}
		if ok {
			listed[decodeManifestPath(name)] = strings.ToLower(sum)
		}
	}
	for _, d := range e.Details.Documents {
		if listed[d.Name] != d.SHA256 {
			return SealCheck{}, mismatch("document "+d.Name+" (SHA-256 in the sealed manifest)", listed[d.Name], d.SHA256)
		}
		delete(listed, d.Name)
	}
	for name, sum := range listed {
		return SealCheck{}, mismatch("document "+name+" (in the sealed manifest, not in the event)", sum, "")
	}
	return window(SealCheck{Seq: e.Seq, Kind: "sender", Agency: st.Agency, Person: st.Person, KeyID: s.KeyID, KeySource: source, Time: e.Time.UTC().Format(TimeFormat)}, key), nil
}

// decodeManifestPath undoes BagIt's percent-encoding of CR, LF and % in manifest paths.
func decodeManifestPath(p string) string {
	return strings.NewReplacer("%0D", "\r", "%0d", "\r", "%0A", "\n", "%0a", "\n", "%25", "%").Replace(p)
}

func checkReceiptSeal(e Event, pinned map[string][]crypto.PublicKey, history map[string]*keyHistory) (SealCheck, error) {
	r := e.Details.Receipt
	agency := e.Details.Counterpart
	key, source, err := sealKey(e.Seq, agency, r.Key, r.KeyID, pinned, history)
	if err != nil {
		return SealCheck{}, err
	}
	st, err := OpenReceiptStatement(r.Statement, r.Signature, key, e.Time)
	if err != nil {
		return SealCheck{}, withSeq(err, e.Seq)
	}
	mismatch := func(what, sealed, recorded string) error {
		return &SealMismatchError{Seq: e.Seq, What: what, Sealed: sealed, Recorded: recorded}
	}
	want := map[string]EventType{OutcomeAccepted: ConsignmentAcceptance, OutcomeRefused: ConsignmentRejection}[st.Outcome]
	switch {
	case e.Type != want:
		return SealCheck{}, mismatch("outcome", st.Outcome+" ("+string(want)+")", string(e.Type))
	case st.Agency != agency:
		return SealCheck{}, mismatch("counterpart", st.Agency, agency)
	case st.Agency != e.Actor.Agency:
		return SealCheck{}, mismatch("acting agency", st.Agency, e.Actor.Agency)
	case st.Person != e.Actor.Person:
		return SealCheck{}, mismatch("acting person", st.Person, e.Actor.Person)
	case st.Delivery != DeliveryID(e.BundleID, agency):
		return SealCheck{}, mismatch("delivery", st.Delivery, DeliveryID(e.BundleID, agency))
	case st.Bundle != e.BundleID:
		return SealCheck{}, mismatch("bundle", st.Bundle, e.BundleID)
	}
	reasons := slices.Clone(st.ReasonCodes)
	if st.Note != "" {
		reasons = append(reasons, st.Note)
	}
	if !slices.Equal(reasons, e.Details.Reasons) {
		return SealCheck{}, mismatch("reasons", strings.Join(reasons, "; "), strings.Join(e.Details.Reasons, "; "))
	}
	for _, d := range e.Details.Documents {
		i := slices.IndexFunc(st.Documents, func(sd StatementDocument) bool { return sd.Name == d.Name })
		switch {
		case i < 0:
			return SealCheck{}, mismatch("document "+d.Name, "(not in the statement)", d.SHA256)
		case st.Documents[i].Outcome != OutcomeAccepted:
			return SealCheck{}, mismatch("document "+d.Name+" outcome", st.Documents[i].Outcome, "confirmed")
		case st.Documents[i].SHA256 != d.SHA256:
			return SealCheck{}, mismatch("document "+d.Name+" (SHA-256)", st.Documents[i].SHA256, d.SHA256)
		}
	}
	return window(SealCheck{Seq: e.Seq, Kind: "receipt", Agency: st.Agency, Person: st.Person, KeyID: r.KeyID, KeySource: source,
		Time: e.Time.UTC().Format(TimeFormat), Outcome: st.Outcome}, key), nil
}

// window sets c's validity window from the key record it was checked with.
func window(c SealCheck, key AgencyKey) SealCheck {
	c.ValidFrom = key.NotBefore
	c.ValidUntil = earlier(key.NotAfter, key.Revoked)
	c.Revoked = c.ValidUntil != "" && c.ValidUntil == key.Revoked
	return c
}
