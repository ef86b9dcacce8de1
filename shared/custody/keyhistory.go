package custody

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// A trail carries, beside its bundle's events, the key changes (AgencyKeyAdded, -Rotated,
// -Revoked, -Expired) of every agency whose seal its events carry: the events of each such
// agency's subject (AgencySubject), with their inclusion proofs in the trail's checkpoint
// (Trail.AgencyKeyChanges). Verify checks them like the bundle's events (evx's signature,
// inclusion, each agency's subject a chain from seq 1) and checks every seal of such an
// agency against the key history they make: the key must have been added to the log, and
// the seal recorded before the key's revocation or expiry as the log records them. That
// history is evx's own word too, but a word in the log: the same to every holder of a
// checkpoint, and cosigned by witnesses when the checkpoint is.

// KeyHistoryError: the agency key changes a trail carries are not a sound part of the
// trail's log (Err says how: a bad hash, signature or inclusion proof), or not a history a
// verifier can rely on (Reason: a gap in an agency's subject, a rotation not signed by the
// previous key, a change to a key never added).
type KeyHistoryError struct {
	Agency string
	Seq    uint64 // the key change's seq on the agency's subject
	Reason string
	Err    error
}

func (e *KeyHistoryError) Error() string {
	msg := fmt.Sprintf("key history of %s, event seq %d: %s", e.Agency, e.Seq, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *KeyHistoryError) Unwrap() error { return e.Err }

func (e *KeyHistoryError) Failure() Failure {
	return Failure{Kind: "KeyHistoryError", Seq: e.Seq, HasSeq: true, Facts: []Fact{{"agency", e.Agency}, {"reason", e.Reason}}}
}

// AgencyHead is the head record of an agency's key-change subject (AgencySubject) in the
// checkpoint's heads tree.
type AgencyHead struct {
	Agency string     `json:"agency"`
	Head   *HeadProof `json:"head"`
}

// keyHistory is an agency's keys as the log records them: each key's record with the
// bounds its changes set.
type keyHistory struct {
	keys map[string]AgencyKey
}

// sealedAgencies lists the agencies whose seals the events carry, sorted.
func sealedAgencies(evs []Entry) []string {
	var out []string
	for _, en := range evs {
		e := en.Event
		switch {
		case e.Details.Seal != nil && e.Actor.Agency != "":
			out = append(out, e.Actor.Agency)
		case e.Details.Receipt != nil && e.Details.Counterpart != "":
			out = append(out, e.Details.Counterpart)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// exportKeyChanges adds to t the key changes of the agencies whose seals entries carry,
// below size.
func exportKeyChanges(ctx context.Context, l Ledger, t *Trail, entries []Entry, size uint64, heads *HeadsTree) error {
	for _, a := range sealedAgencies(entries) {
		evs, err := l.Events(ctx, AgencySubject(a))
		if err != nil {
			return fmt.Errorf("key changes of %s: %w", a, err)
		}
		for _, en := range evs {
			if en.Leaf >= size {
				break
			}
			p, err := InclusionProof(ctx, l, en.Leaf, size)
			if err != nil {
				return fmt.Errorf("key changes of %s: inclusion of seq %d: %w", a, en.Event.Seq, err)
			}
			t.AgencyKeyChanges = append(t.AgencyKeyChanges, TrailEvent{Event: en.Event, Leaf: en.Leaf, Proof: hexList(p)})
		}
		if heads == nil {
			continue
		}
		hp, ok, err := heads.Proof(AgencySubject(a))
		if err != nil {
			return fmt.Errorf("key changes of %s: head: %w", a, err)
		}
		if ok {
			t.AgencyKeyHeads = append(t.AgencyKeyHeads, AgencyHead{Agency: a, Head: hp})
		}
	}
	return nil
}

// checkKeyHeads holds each agency's key changes to the head of its subject that the
// checkpoint's heads line commits to, when it has one: none may be cut off the end.
func checkKeyHeads(t *Trail, chain *keyChain, size uint64) error {
	_, ext, err := openCheckpoint([]byte(t.Checkpoint), chain.current().pub)
	if err != nil {
		return err
	}
	hc, has, err := CheckpointHeads(ext)
	if err != nil {
		return &CheckpointError{Reason: err.Error()}
	}
	if !has {
		if len(t.AgencyKeyHeads) > 0 {
			return &KeyHistoryError{Reason: "the trail carries agency key heads, its checkpoint commits to no heads"}
		}
		return nil
	}
	byAgency := map[string][]TrailEvent{}
	for _, te := range t.AgencyKeyChanges {
		a := te.Event.Details.KeyChange.Agency
		byAgency[a] = append(byAgency[a], te)
	}
	heads := map[string]*HeadProof{}
	for _, ah := range t.AgencyKeyHeads {
		if byAgency[ah.Agency] == nil || heads[ah.Agency] != nil {
			return &KeyHistoryError{Agency: ah.Agency, Reason: "a head record for an agency whose key changes the trail does not carry, or a second one"}
		}
		heads[ah.Agency] = ah.Head
	}
	for _, a := range slices.Sorted(maps.Keys(byAgency)) {
		sub := &Trail{BundleID: AgencySubject(a), Events: byAgency[a]}
		if err := checkHead(sub, heads[a], hc, size, "trail checkpoint"); err != nil {
			evs := byAgency[a] // never empty: a is one of its keys
			return &KeyHistoryError{Agency: a, Seq: evs[len(evs)-1].Event.Seq, Reason: "the agency's key changes are not complete to the head the checkpoint commits to", Err: err}
		}
	}
	return nil
}

// checkKeyHistory checks the key changes the trail carries and returns each agency's history.
func checkKeyHistory(t *Trail, chain *keyChain, size uint64, root []byte, exported, now, clockLimit time.Time) (map[string]*keyHistory, error) {
	if len(t.AgencyKeyChanges) == 0 && len(t.AgencyKeyHeads) == 0 {
		return nil, nil
	}
	out := map[string]*keyHistory{}
	last := map[string]*Event{}
	for _, te := range t.AgencyKeyChanges {
		e := te.Event
		kc := e.Details.KeyChange
		agency := ""
		if kc != nil {
			agency = kc.Agency
		}
		fail := func(reason string, err error) error {
			return &KeyHistoryError{Agency: agency, Seq: e.Seq, Reason: reason, Err: err}
		}
		if kc == nil || !slices.Contains([]EventType{AgencyKeyAdded, AgencyKeyRotated, AgencyKeyRevoked, AgencyKeyExpired}, e.Type) {
			return nil, fail(fmt.Sprintf("a %s event on %q is not an agency key change", e.Type, e.BundleID), nil)
		}
		if e.BundleID != AgencySubject(agency) {
			return nil, fail(fmt.Sprintf("a change to %s's keys recorded on subject %q", agency, e.BundleID), nil)
		}
		if len(te.Proof) > maxProofLen {
			return nil, fail(fmt.Sprintf("proof of %d hashes", len(te.Proof)), nil)
		}
		ck := checkEvent(te, size)
		switch {
		case ck.fieldErr != nil:
			return nil, fail("malformed", ck.fieldErr)
		case ck.hash != e.Hash:
			return nil, fail("its hash", &EventHashError{Seq: e.Seq, Want: e.Hash, Got: ck.hash})
		}
		k := chain.at(te.Leaf)
		if e.KeyID != k.id {
			return nil, fail("its signature", &SignatureError{Seq: e.Seq, WantKeyID: k.id, GotKeyID: e.KeyID})
		}
		if ck.sigErr == nil {
			ck.sigErr = VerifySignature(k.pub, ck.sum[:], ck.sig)
		}
		if ck.sigErr != nil {
			return nil, fail("its signature", &SignatureError{Seq: e.Seq, WantKeyID: k.id, GotKeyID: e.KeyID, Err: ck.sigErr})
		}
		if ck.inclErr != nil || string(ck.root) != string(root) {
			return nil, fail("not in the checkpoint's log", &InclusionError{Seq: e.Seq, Leaf: te.Leaf, Size: size, Want: root, Got: ck.root, Err: ck.inclErr})
		}
		if !exported.IsZero() && e.Time.After(exported) {
			return nil, fail("dated after the export", &FutureEventError{Seq: e.Seq, Bound: "export", Limit: exported.UTC().Format(TimeFormat), Got: e.Time.UTC().Format(TimeFormat)})
		}
		if !now.IsZero() && e.Time.After(clockLimit) {
			return nil, fail("dated after the verifier's clock", &FutureEventError{Seq: e.Seq, Bound: "clock", Limit: clockLimit.UTC().Format(TimeFormat), Got: e.Time.UTC().Format(TimeFormat)})
		}
		prev, wantSeq, wantPrev := last[agency], uint64(1), ""
		if prev != nil {
			wantSeq, wantPrev = prev.Seq+1, prev.Hash
			if e.Time.Before(prev.Time) {
				return nil, fail("dated before the change it follows", &TimeOrderError{Seq: e.Seq, Previous: prev.Time.Format(TimeFormat), Got: e.Time.Format(TimeFormat)})
			}
		}
		if e.Seq != wantSeq || e.Prev != wantPrev {
			return nil, fail(fmt.Sprintf("the agency's key changes are not complete from seq 1 (seq %d follows %d)", e.Seq, wantSeq-1), nil)
		}
		last[agency] = &e
		h := out[agency]
		if h == nil {
			h = &keyHistory{keys: map[string]AgencyKey{}}
			out[agency] = h
		}
		id := kc.Key.KeyID
		if _, err := kc.Key.Public(); err != nil {
			return nil, fail("its key record", err)
		}
		rec, known := h.keys[id]
		switch e.Type {
		case AgencyKeyAdded, AgencyKeyRotated:
			if known {
				return nil, fail("key "+id+" added twice", nil)
			}
			if e.Type == AgencyKeyRotated {
				old, ok := h.keys[kc.PreviousKeyID]
				if !ok {
					return nil, fail("a rotation from key "+kc.PreviousKeyID+", which the log never added", nil)
				}
				if err := CheckRotation(agency, old, kc.Key, kc.RotationSignature); err != nil {
					return nil, fail("the rotation", err)
				}
			}
			h.keys[id] = kc.Key
			continue
		case AgencyKeyRevoked:
			if !known {
				return nil, fail("a revocation of key "+id+", which the log never added", nil)
			}
			rec.Revoked = earlier(rec.Revoked, orTime(kc.Key.Revoked, e.Time))
		case AgencyKeyExpired:
			if !known {
				return nil, fail("an expiry of key "+id+", which the log never added", nil)
			}
			rec.NotAfter = earlier(rec.NotAfter, orTime(kc.Key.NotAfter, e.Time))
		}
		if rec.PEM != kc.Key.PEM {
			return nil, fail("key "+id+" changes its PEM", nil)
		}
		h.keys[id] = rec
	}
	if err := checkKeyHeads(t, chain, size); err != nil {
		return nil, err
	}
	return out, nil
}

func orTime(s string, t time.Time) string {
	if s != "" {
		return s
	}
	return t.UTC().Format(TimeFormat)
}

// earlier returns the earlier of two TimeFormat bounds, "" meaning unbounded. An unparsable
// bound is kept, so that CheckAt reports it.
func earlier(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	ta, err := parseEventTime(a)
	if err != nil {
		return a
	}
	tb, err := parseEventTime(b)
	if err != nil || !ta.Before(tb) {
		return b
	}
	return a
}

// later is earlier's twin for lower bounds.
func later(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	if earlier(a, b) == a {
		return b
	}
	return a
}

// bound returns rec with the bounds of the log's history of its agency tightened into it,
// and whether the history has the key; with no history for the agency, rec and true.
func (h *keyHistory) bound(rec AgencyKey) (AgencyKey, bool) {
	if h == nil {
		return rec, true
	}
	k, ok := h.keys[rec.KeyID]
	if !ok || k.PEM != rec.PEM {
		return rec, false
	}
	// When the log added the key does not bound it: seals recorded before evx began to record
	// key changes (evx serve records them at its start) stay valid.
	rec.NotBefore = later(rec.NotBefore, k.NotBefore)
	rec.NotAfter = earlier(rec.NotAfter, k.NotAfter)
	rec.Revoked = earlier(rec.Revoked, k.Revoked)
	return rec, true
}
