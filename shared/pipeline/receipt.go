package pipeline

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/evx-project/evx/shared/custody"
)

// ReceiptFormat identifies the layout of a signed Receipt.
const ReceiptFormat = "evx-receipt/1"

// ReceiptDocument is a document's hash as the counterpart computed it.
type ReceiptDocument struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// ReceiptRequest is what a counterpart posts for one of its deliveries.
type ReceiptRequest struct {
	Accepted bool     `json:"accepted"`
	Reasons  []string `json:"reasons,omitempty"` // why it rejects (or notes on acceptance)
	// Documents are the hashes the counterpart computed over what it fetched.
	Documents []ReceiptDocument `json:"documents"`
	// Statement, Signature and KeyID, when given, are the counterpart's sealed receipt
	// statement (base64 of the RFC 8785 bytes of a custody.ReceiptStatement), its signature
	// (base64) and the id of the agency seal key that made it (docs/seals.md). The statement
	// then says everything: Accepted, Reasons and Documents are left out.
	Statement string `json:"statement,omitempty"`
	Signature string `json:"signature,omitempty"`
	KeyID     string `json:"key_id,omitempty"`
}

// Receipt is evx's signed answer to a posted receipt. It verifies with evx's public key alone
// (VerifyReceipt): the signature is over the RFC 8785 form of the receipt without its
// signature field, under the custody Signer contract.
type Receipt struct {
	Format      string            `json:"format"`
	Delivery    string            `json:"delivery"`
	Bundle      string            `json:"bundle"`
	Counterpart string            `json:"counterpart"`
	Outcome     custody.EventType `json:"outcome"` // ConsignmentAcceptance or ConsignmentRejection
	Reasons     []string          `json:"reasons,omitempty"`
	// Findings are evx's own findings (a document whose reported hash differs from the
	// record, or was not reported), recorded apart from the counterpart's reasons.
	Findings []string `json:"findings,omitempty"`
	// Mismatches are documents whose reported hash differs from the record (rejections only).
	Mismatches []HashMismatch     `json:"mismatches,omitempty"`
	Documents  []custody.Document `json:"documents"` // as recorded at ingest
	EventSeq   uint64             `json:"event_seq"`
	EventHash  string             `json:"event_hash"` // the recorded custody event
	LeafIndex  uint64             `json:"leaf_index"`
	Time       string             `json:"time"` // custody.TimeFormat
	// Checkpoint is a signed checkpoint of the custody log including the event: keep it, and
	// later trails must prove consistency with it.
	Checkpoint string `json:"checkpoint"`
	KeyID      string `json:"key_id"`
	Signature  string `json:"signature,omitempty"` // standard base64
	// Replayed is true when the receipt is the one stored for an earlier identical post (or
	// served by Service.Receipt): not part of the receipt, nor of what is signed.
	Replayed bool `json:"-"`
}

func (r *Receipt) signedBytes() ([]byte, error) {
	c := *r
	c.Signature = ""
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return custody.Canonicalize(raw)
}

// VerifyReceipt checks a receipt's signature with evx's public key.
func VerifyReceipt(r *Receipt, pub crypto.PublicKey) error {
	if r.Format != ReceiptFormat {
		return fmt.Errorf("receipt format %q, want %q", r.Format, ReceiptFormat)
	}
	kid, err := custody.KeyIDOf(pub)
	if err != nil {
		return err
	}
	if r.KeyID != kid {
		return fmt.Errorf("receipt signed by key %s, want %s", r.KeyID, kid)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil {
		return fmt.Errorf("receipt signature: %w", err)
	}
	msg, err := r.signedBytes()
	if err != nil {
		return err
	}
	return custody.VerifySignature(pub, msg, sig)
}

var isOutcome = []custody.EventType{custody.ConsignmentAcceptance, custody.ConsignmentRejection, custody.AcceptanceRejectionExpiry}

// PostReceipt records the counterpart's answer for its delivery and returns evx's signed
// receipt. The posted hashes are compared with the recorded ones: an acceptance whose hashes
// differ is refused with a *ReceiptMismatchError (nothing recorded; the counterpart should
// reject); a rejection is recorded as ConsignmentRejection with the counterpart's reasons and
// every mismatch. A delivery that already has an outcome (receipt or expiry) gives a
// *ReceiptConflictError, except an identical retry of the receipt that recorded it: that gets
// the receipt stored for the first post (Receipt.Replayed set; see Config.Receipts). A receipt
// after the deadline records the expiry first and gives a conflict too. Another
// counterpart's delivery is a *DeliveryNotFoundError.
func (s *Service) PostReceipt(ctx context.Context, counterpart, deliveryID string, req ReceiptRequest) (*Receipt, error) {
	d, trail, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, err
	}
	if en, ok := find(trail, forCounterpart(counterpart, isOutcome...)); ok {
		s.syncState(ctx, d, en.Event.Type)
		return s.replay(ctx, d, en, con, req)
	}
	if s.c.Clock().After(d.Deadline) {
		typ, err := s.expire(ctx, d)
		if err != nil {
			return nil, err
		}
		return nil, &ReceiptConflictError{Delivery: deliveryID, Recorded: typ}
	}
	recorded, err := s.EventDocuments(ctx, con)
	if err != nil {
		return nil, err
	}
	sealed, actor, err := s.openStatement(ctx, counterpart, d, &req)
	if err != nil {
		return nil, err
	}
	mismatches, err := compareHashes(recorded, req.Documents)
	if err != nil {
		return nil, err
	}
	reasons, err := checkReasons(req.Reasons)
	if err != nil {
		return nil, err
	}
	// Documents the counterpart itself refuses (in its sealed statement) are not confirmed,
	// whatever their hash.
	refused := map[string]bool{}
	if sealed != nil {
		for _, sd := range sealed.statement.Documents {
			refused[sd.Name] = sd.Outcome == custody.OutcomeRefused
		}
	}
	typ := custody.ConsignmentAcceptance
	if req.Accepted {
		for _, m := range mismatches {
			if !refused[m.Name] {
				return nil, &ReceiptMismatchError{Delivery: deliveryID, Mismatches: mismatches}
			}
		}
	} else {
		typ = custody.ConsignmentRejection
		if len(reasons) == 0 && len(mismatches) == 0 {
			return nil, &InvalidReceiptError{Reason: "a rejection needs at least one reason"}
		}
	}
	// The event lists the documents whose hashes the counterpart confirmed. A mismatch is
	// evx's own finding, recorded in Findings with both hashes, never in the counterpart's
	// Reasons; checking the trail against the documents (custody.VerifyOptions.Documents)
	// checks evx's record, not the counterpart's copy.
	var findings []string
	bad := map[string]bool{}
	for _, m := range mismatches {
		bad[m.Name] = true
		findings = append(findings, m.String())
	}
	var confirmed []custody.Document
	for _, r := range recorded {
		if !bad[r.Name] && !refused[r.Name] {
			confirmed = append(confirmed, custody.Document{Name: r.Name, Size: r.Size, SHA256: r.SHA256, SHA512: r.SHA512})
		}
	}
	var receipt *custody.ReceiptRecord
	if sealed != nil {
		receipt = &sealed.record
	}
	en, _, err := s.appendOnce(ctx, d.BundleID, func(trail []custody.Entry) (*decision, error) {
		if en, ok := find(trail, forCounterpart(counterpart, isOutcome...)); ok {
			return nil, &ReceiptConflictError{Delivery: deliveryID, Recorded: en.Event.Type}
		}
		return &decision{typ: typ, actor: actor,
			details: custody.Details{Counterpart: counterpart, Documents: confirmed, Reasons: capReasons(reasons), Reference: con.Details.Reference,
				Findings: capReasons(findings), Receipt: receipt}}, nil
	})
	var conflict *ReceiptConflictError
	if errors.As(err, &conflict) {
		// Another post recorded the outcome first (a retry racing its original): answer as a
		// retry would be answered.
		trail, terr := s.c.Ledger.Events(ctx, d.BundleID)
		if terr != nil {
			return nil, terr
		}
		if en, ok := find(trail, forCounterpart(counterpart, isOutcome...)); ok {
			return s.replay(ctx, d, en, con, req)
		}
	}
	if err != nil {
		return nil, err
	}
	s.syncState(ctx, d, typ)
	rc, err := s.signReceipt(ctx, d, en, recorded, mismatches)
	if err != nil {
		return nil, err
	}
	s.c.Log.Info("receipt", "delivery", deliveryID, "bundle", d.BundleID, "counterpart", counterpart, "outcome", typ)
	return s.storeReceipt(ctx, d.ID, storedReceipt{Request: normalRequest(req), Receipt: rc}, req)
}

// signReceipt signs evx's receipt of the recorded outcome en, with a checkpoint of the log
// as it is now.
func (s *Service) signReceipt(ctx context.Context, d Delivery, en custody.Entry, recorded []custody.Document, mismatches []HashMismatch) (*Receipt, error) {
	cp, err := s.keeper.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	rc := &Receipt{
		Format: ReceiptFormat, Delivery: d.ID, Bundle: d.BundleID, Counterpart: d.Counterpart,
		Outcome: en.Event.Type, Reasons: en.Event.Details.Reasons, Findings: en.Event.Details.Findings, Mismatches: mismatches, Documents: recorded,
		EventSeq: en.Event.Seq, EventHash: en.Event.Hash, LeafIndex: en.Leaf,
		Time: en.Event.Time.UTC().Format(custody.TimeFormat), Checkpoint: string(cp), KeyID: s.c.Signer.KeyID(),
	}
	msg, err := rc.signedBytes()
	if err != nil {
		return nil, err
	}
	sig, err := s.c.Signer.Sign(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	rc.Signature = base64.StdEncoding.EncodeToString(sig)
	return rc, nil
}

// storedReceipt is what Config.Receipts keeps for a delivery: the request answered and the
// signed receipt. Reissued marks a receipt signed afresh from the trail after the original
// answer was lost before it was stored (its request is then unknown).
type storedReceipt struct {
	Request  *ReceiptRequest `json:"request,omitempty"`
	Reissued bool            `json:"reissued,omitempty"`
	Receipt  *Receipt        `json:"receipt"`
}

// matches reports whether req is a retry of what st answered.
func (st storedReceipt) matches(req ReceiptRequest) bool {
	if st.Reissued || st.Request == nil {
		return outcomeOf(req) == st.Receipt.Outcome
	}
	a, _ := json.Marshal(st.Request)
	b, _ := json.Marshal(normalRequest(req))
	return string(a) == string(b)
}

func outcomeOf(req ReceiptRequest) custody.EventType {
	if req.Accepted {
		return custody.ConsignmentAcceptance
	}
	return custody.ConsignmentRejection
}

func normalRequest(req ReceiptRequest) *ReceiptRequest {
	if req.Reasons == nil {
		req.Reasons = []string{}
	}
	if req.Documents == nil {
		req.Documents = []ReceiptDocument{}
	}
	return &req
}

// storeReceipt keeps st for the delivery (the first stored wins) and returns the stored
// receipt if it answers req, else a *ReceiptConflictError. Without Config.Receipts it
// returns st's receipt.
func (s *Service) storeReceipt(ctx context.Context, deliveryID string, st storedReceipt, req ReceiptRequest) (*Receipt, error) {
	if s.c.Receipts == nil {
		return st.Receipt, nil
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	got, err := s.c.Receipts.PutReceipt(ctx, deliveryID, raw)
	if err != nil {
		return nil, fmt.Errorf("store receipt of %s: %w", deliveryID, err)
	}
	var won storedReceipt
	if err := json.Unmarshal(got, &won); err != nil || won.Receipt == nil {
		return nil, fmt.Errorf("stored receipt of %s is unreadable: %v", deliveryID, err)
	}
	if !won.matches(req) {
		return nil, &ReceiptConflictError{Delivery: deliveryID, Recorded: won.Receipt.Outcome}
	}
	won.Receipt.Replayed = string(got) != string(raw)
	return won.Receipt, nil
}

// replay answers a receipt posted for a delivery whose outcome en is recorded: an identical
// retry gets the receipt stored for the first post, anything else a *ReceiptConflictError.
// If the first answer was lost before it was stored, a retry with the same outcome gets a
// receipt signed afresh from the recorded event, which is then stored.
func (s *Service) replay(ctx context.Context, d Delivery, en custody.Entry, con custody.Event, req ReceiptRequest) (*Receipt, error) {
	conflict := &ReceiptConflictError{Delivery: d.ID, Recorded: en.Event.Type}
	if en.Event.Type == custody.AcceptanceRejectionExpiry || s.c.Receipts == nil {
		return nil, conflict
	}
	raw, err := s.c.Receipts.Receipt(ctx, d.ID)
	switch {
	case err == nil:
		var st storedReceipt
		if err := json.Unmarshal(raw, &st); err != nil || st.Receipt == nil {
			return nil, fmt.Errorf("stored receipt of %s is unreadable: %v", d.ID, err)
		}
		if !st.matches(req) {
			return nil, conflict
		}
		st.Receipt.Replayed = true
		return st.Receipt, nil
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	if outcomeOf(req) != en.Event.Type {
		return nil, conflict
	}
	rc, err := s.reissue(ctx, d, en, con)
	if err != nil {
		return nil, err
	}
	rc, err = s.storeReceipt(ctx, d.ID, storedReceipt{Reissued: true, Receipt: rc}, req)
	if rc != nil {
		rc.Replayed = true
	}
	return rc, err
}

// reissue signs a receipt of the recorded outcome en afresh from the trail: the mismatches
// of a rejection are in its reasons.
func (s *Service) reissue(ctx context.Context, d Delivery, en custody.Entry, con custody.Event) (*Receipt, error) {
	recorded, err := s.EventDocuments(ctx, con)
	if err != nil {
		return nil, err
	}
	return s.signReceipt(ctx, d, en, recorded, nil)
}

// Receipt returns the signed receipt of the counterpart's delivery: the one stored when the
// receipt was posted or, if none was stored, one signed afresh from the recorded outcome
// (and then stored). A delivery without a posted receipt is a *NoReceiptError; another
// counterpart's a *DeliveryNotFoundError.
func (s *Service) Receipt(ctx context.Context, counterpart, deliveryID string) (*Receipt, error) {
	d, trail, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, err
	}
	en, ok := find(trail, forCounterpart(counterpart, isOutcome...))
	if !ok || en.Event.Type == custody.AcceptanceRejectionExpiry {
		ne := &NoReceiptError{Delivery: deliveryID}
		if ok {
			ne.Recorded = en.Event.Type
		}
		return nil, ne
	}
	if s.c.Receipts != nil {
		raw, err := s.c.Receipts.Receipt(ctx, d.ID)
		if err == nil {
			var st storedReceipt
			if err := json.Unmarshal(raw, &st); err != nil || st.Receipt == nil {
				return nil, fmt.Errorf("stored receipt of %s is unreadable: %v", d.ID, err)
			}
			st.Receipt.Replayed = true
			return st.Receipt, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	rc, err := s.reissue(ctx, d, en, con)
	if err != nil {
		return nil, err
	}
	if s.c.Receipts != nil {
		raw, err := json.Marshal(storedReceipt{Reissued: true, Receipt: rc})
		if err != nil {
			return nil, err
		}
		got, err := s.c.Receipts.PutReceipt(ctx, d.ID, raw)
		if err != nil {
			return nil, fmt.Errorf("store receipt of %s: %w", d.ID, err)
		}
		var st storedReceipt
		if err := json.Unmarshal(got, &st); err != nil || st.Receipt == nil {
			return nil, fmt.Errorf("stored receipt of %s is unreadable: %v", d.ID, err)
		}
		rc = st.Receipt
	}
	rc.Replayed = true
	return rc, nil
}

// compareHashes lists the recorded documents whose reported hash differs or is missing. A
// reported name not in the delivery, or reported twice, is an *InvalidReceiptError.
func compareHashes(recorded []custody.Document, reported []ReceiptDocument) ([]HashMismatch, error) {
	if len(reported) > len(recorded) {
		return nil, &InvalidReceiptError{Reason: fmt.Sprintf("%d documents reported, the delivery has %d", len(reported), len(recorded))}
	}
	got := map[string]string{}
	for _, r := range reported {
		if _, dup := got[r.Name]; dup {
			return nil, &InvalidReceiptError{Reason: fmt.Sprintf("document %q reported twice", r.Name)}
		}
		got[r.Name] = r.SHA256
	}
	known := map[string]bool{}
	var out []HashMismatch
	for _, d := range recorded {
		known[d.Name] = true
		if g := got[d.Name]; g != d.SHA256 {
			if g != "" && !ValidSum(g) {
				return nil, &InvalidReceiptError{Reason: fmt.Sprintf("sha256 of %q is not 64 lowercase hex digits", d.Name)}
			}
			out = append(out, HashMismatch{Name: d.Name, Want: d.SHA256, Got: g})
		}
	}
	for name := range got {
		if !known[name] {
			return nil, &InvalidReceiptError{Reason: fmt.Sprintf("document %q is not in the delivery", name)}
		}
	}
	return out, nil
}

func checkReasons(rs []string) ([]string, error) {
	if len(rs) > MaxReasons {
		return nil, &InvalidReceiptError{Reason: fmt.Sprintf("%d reasons given, at most %d", len(rs), MaxReasons)}
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if !utf8.ValidString(r) || len(r) > MaxReasonBytes {
			return nil, &InvalidReceiptError{Reason: fmt.Sprintf("each reason must be UTF-8 text of at most %d bytes", MaxReasonBytes)}
		}
		if r != "" {
			out = append(out, r)
		}
	}
	return out, nil
}

// syncState moves the delivery's indexed state to match the outcome on its trail. The trail
// is the record, so a lost race here is harmless and only logged.
func (s *Service) syncState(ctx context.Context, d Delivery, outcome custody.EventType) {
	to := map[custody.EventType]DeliveryState{
		custody.ConsignmentAcceptance: DeliveryAccepted, custody.ConsignmentRejection: DeliveryRejected,
		custody.AcceptanceRejectionExpiry: DeliveryExpired,
	}[outcome]
	if to == "" {
		return
	}
	if err := s.c.Deliveries.SetDeliveryState(ctx, d.ID, DeliveryConsigned, to); err != nil && !errors.Is(err, ErrStateConflict) {
		s.c.Log.Warn("delivery state", "delivery", d.ID, "state", to, "err", err)
	}
}

// sealedReceipt is a counterpart's receipt statement opened and checked.
type sealedReceipt struct {
	statement *custody.ReceiptStatement
	record    custody.ReceiptRecord
}

// openStatement checks the sealed statement req carries, if any, against the directory: the
// statement must be by a seal key of the counterpart valid now, verify, and be about this
// delivery of this bundle, by this counterpart; its person must be the one acting (when the
// host names one). It then fills req's outcome, reasons (its reason codes, then its note)
// and documents from the statement, which must not be given besides. Without a statement,
// a counterpart the directory marks require_signed_receipts is refused. It returns the actor
// of the receipt event. Failures are *InvalidReceiptError.
func (s *Service) openStatement(ctx context.Context, counterpart string, d Delivery, req *ReceiptRequest) (*sealedReceipt, custody.Actor, error) {
	actor := counterpartActor(ctx, counterpart)
	cp, err := s.c.Directory.Counterpart(ctx, counterpart)
	if err != nil {
		return nil, actor, fmt.Errorf("look up counterpart %s: %w", counterpart, err)
	}
	if req.Statement == "" {
		if req.Signature != "" || req.KeyID != "" {
			return nil, actor, &InvalidReceiptError{Reason: "a signature and key id without the statement they sign"}
		}
		if cp.RequireSignedReceipts {
			return nil, actor, &InvalidReceiptError{Reason: fmt.Sprintf("counterpart %s must seal its receipts (require_signed_receipts in the agency directory): send a signed receipt statement (docs/seals.md)", counterpart)}
		}
		return nil, actor, nil
	}
	if req.Accepted || len(req.Reasons) > 0 || len(req.Documents) > 0 {
		return nil, actor, &InvalidReceiptError{Reason: "a sealed receipt statement says everything: leave accepted, reasons and documents out"}
	}
	key, ok := cp.SealKey(req.KeyID)
	if !ok {
		return nil, actor, &InvalidReceiptError{Reason: (&custody.SealError{Agency: counterpart, KeyID: req.KeyID, Reason: "the key is not one of the agency's seal keys in the agency directory"}).Error()}
	}
	st, err := custody.OpenReceiptStatement(req.Statement, req.Signature, key, s.c.Clock())
	if err != nil {
		return nil, actor, &InvalidReceiptError{Reason: err.Error()}
	}
	switch {
	case st.Agency != counterpart:
		return nil, actor, &InvalidReceiptError{Reason: fmt.Sprintf("the statement is agency %s's, the receipt is posted by %s", st.Agency, counterpart)}
	case st.Delivery != d.ID || st.Bundle != d.BundleID:
		return nil, actor, &InvalidReceiptError{Reason: fmt.Sprintf("the statement is about delivery %s of bundle %s, not %s of %s", st.Delivery, st.Bundle, d.ID, d.BundleID)}
	}
	if p, ok := ActingParty(ctx); ok && p.Agency == counterpart && p.Person != st.Person {
		return nil, actor, &InvalidReceiptError{Reason: fmt.Sprintf("the statement names %s, the receipt is posted by %s", st.Person, p.Person)}
	}
	req.Accepted = st.Outcome == custody.OutcomeAccepted
	req.Reasons = append([]string(nil), st.ReasonCodes...)
	if st.Note != "" {
		req.Reasons = append(req.Reasons, st.Note)
	}
	for _, sd := range st.Documents {
		req.Documents = append(req.Documents, ReceiptDocument{Name: sd.Name, SHA256: sd.SHA256})
	}
	actor = partyActor(custody.ActorCounterpart, counterpart, Party{Agency: counterpart, Person: st.Person})
	return &sealedReceipt{statement: st, record: custody.ReceiptRecord{KeyID: req.KeyID, Statement: req.Statement, Signature: req.Signature, Key: key}}, actor, nil
}
