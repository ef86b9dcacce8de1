package custody

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
)

// Key rotation. The key that signs the log is replaced by an explicit operation: the retiring
// key signs a statement introducing its successor, and that statement is an event of the log
// itself, on the subject KeyLogSubject (no bundle's trail), so that the log's Merkle tree
// fixes where in the log's history each key stopped and the next began.
//
// A KeyRotation event names the new key by its id in Details.Reference and carries both keys
// in Details.Reasons, as the first two lines:
//
//	retires <algorithm> <standard base64 of the PKIX DER public key>
//	introduces <algorithm> <standard base64 of the PKIX DER public key>
//
// (algorithm as PublicKey.Algorithm), then the operator's reason, if any. The event's KeyID
// is the retiring key's, and its signature is by that key. Anyone can recompute both ids:
//
//	echo BASE64 | base64 -d | sha256sum
//
// A key signs the events at leaf indexes up to and including the rotation that retires it;
// its successor signs every later one. A trail spanning rotations carries every rotation of
// the log (Trail.Rotations) with its inclusion proof, and Verify accepts it given any key of
// the chain: each rotation's signature is checked with the key the one before introduced,
// and the checkpoint must be signed by the chain's last key.

// KeyLogSubject is the custody subject of the log's own events: its key rotations.
const KeyLogSubject = "log:keys"

// KeyRotation: the key that signed the log until now introduces its successor (see above).
const KeyRotation EventType = "KeyRotation"

// MaxRotations bounds the rotations a trail may carry.
const MaxRotations = 1 << 12

// KeyRotationError: a trail's key rotations do not form one chain of signed statements from
// the trusted key to the key that signs its checkpoint. Seq is the rotation concerned (0 for
// the chain as a whole).
type KeyRotationError struct {
	Seq    uint64
	Reason string
	Err    error // the check that failed, when it has a type of its own (*InclusionError, *FutureEventError)
}

func (e *KeyRotationError) Error() string {
	msg := "key rotations: " + e.Reason
	if e.Seq != 0 {
		msg = fmt.Sprintf("key rotation seq %d: %s", e.Seq, e.Reason)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *KeyRotationError) Unwrap() error { return e.Err }

// RotationDetails is the Details of a KeyRotation event retiring key old for key next.
func RotationDetails(old, next crypto.PublicKey, reason string) (Details, error) {
	ro, err := rotationLine("retires", old)
	if err != nil {
		return Details{}, err
	}
	rn, err := rotationLine("introduces", next)
	if err != nil {
		return Details{}, err
	}
	id, err := KeyIDOf(next)
	if err != nil {
		return Details{}, err
	}
	d := Details{Reference: id, Reasons: []string{ro, rn}}
	if reason = strings.TrimSpace(reason); reason != "" {
		d.Reasons = append(d.Reasons, reason)
	}
	return d, nil
}

func rotationLine(verb string, pub crypto.PublicKey) (string, error) {
	pk, err := PublicKeyOf(pub)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return verb + " " + pk.Algorithm + " " + base64.StdEncoding.EncodeToString(der), nil
}

// ParseRotation reads the keys of a KeyRotation event and checks that they are the keys it
// names: the retired key is the event's KeyID, the new key its Details.Reference. It does not
// check the signature.
func ParseRotation(e Event) (retired, introduced crypto.PublicKey, err error) {
	if e.Type != KeyRotation {
		return nil, nil, fmt.Errorf("event type %s, want %s", e.Type, KeyRotation)
	}
	if len(e.Details.Reasons) < 2 {
		return nil, nil, fmt.Errorf("want the retired and the introduced key as its first two reasons")
	}
	if retired, err = parseRotationLine(e.Details.Reasons[0], "retires", e.KeyID); err != nil {
		return nil, nil, err
	}
	if introduced, err = parseRotationLine(e.Details.Reasons[1], "introduces", e.Details.Reference); err != nil {
		return nil, nil, err
	}
	return retired, introduced, nil
}

func parseRotationLine(line, verb, wantID string) (crypto.PublicKey, error) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != verb {
		return nil, fmt.Errorf("reason %q: want %q, an algorithm and a base64 PKIX key", truncate(line, 40), verb)
	}
	der, err := base64.StdEncoding.Strict().DecodeString(f[2])
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", verb, err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", verb, err)
	}
	pk, err := PublicKeyOf(pub)
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", verb, err)
	}
	switch {
	case pk.Algorithm != f[1]:
		return nil, fmt.Errorf("%s key is %s, the line states %s", verb, pk.Algorithm, f[1])
	case pk.KeyID != wantID:
		return nil, fmt.Errorf("%s key is %s, the event names %s", verb, pk.KeyID, orNone(wantID))
	}
	return pub, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// RotateKey records on l the rotation from k's key to next, signed by k's key, and returns
// the event. From then on the log must be signed by next: the caller swaps its signer (the
// embedded mode replaces its key file; on AWS the configuration names the new KMS key).
func (k *Keeper) RotateKey(ctx context.Context, next crypto.PublicKey, actor Actor, reason string) (Entry, error) {
	nextID, err := KeyIDOf(next)
	if err != nil {
		return Entry{}, err
	}
	if nextID == k.Signer.KeyID() {
		return Entry{}, fmt.Errorf("rotate key: the new key is the current key %s", nextID)
	}
	d, err := RotationDetails(k.Signer.Public(), next, reason)
	if err != nil {
		return Entry{}, err
	}
	return k.Record(ctx, KeyLogSubject, KeyRotation, actor, d)
}

// KeyUse is one key of a verified trail's chain, in the Report: which events of the trail it
// signed, and the rotations that introduced and retired it.
type KeyUse struct {
	KeyID string `json:"key_id"`
	// Events is how many of the trail's events the key signed; FirstSeq and LastSeq the
	// first and last of them (0 when none).
	Events   int    `json:"events"`
	FirstSeq uint64 `json:"first_seq,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`
	// Introduced and Retired are the times of the rotations that introduced and retired the
	// key (TimeFormat), empty for the chain's first and its current key.
	Introduced string `json:"introduced,omitempty"`
	Retired    string `json:"retired,omitempty"`
	// RetiredAtLeaf is the leaf index of the rotation that retired the key.
	RetiredAtLeaf *uint64 `json:"retired_at_leaf,omitempty"`
}

// chainKey is one key of a chain and the last leaf it may sign.
type chainKey struct {
	id   string
	pub  crypto.PublicKey
	last uint64 // leaf of the rotation retiring it; MaxUint64 for the current key
	use  KeyUse
}

// keyChain is the sequence of keys a trail's rotations establish, oldest first.
type keyChain struct {
	keys []chainKey
}

// newKeyChain checks the rotations' statements (everything but their inclusion, which needs
// the checkpoint: see checkIncluded) and returns the chain they establish. trusted must be
// one of its keys.
func newKeyChain(rots []TrailEvent, trusted crypto.PublicKey, trustedID string) (*keyChain, error) {
	if len(rots) == 0 {
		return &keyChain{keys: []chainKey{{id: trustedID, pub: trusted, last: math.MaxUint64, use: KeyUse{KeyID: trustedID}}}}, nil
	}
	if len(rots) > MaxRotations {
		return nil, &KeyRotationError{Reason: fmt.Sprintf("%d rotations, at most %d", len(rots), MaxRotations)}
	}
	c := &keyChain{}
	var prev *TrailEvent
	for i := range rots {
		te := &rots[i]
		e := te.Event
		fail := func(format string, a ...any) error {
			return &KeyRotationError{Seq: e.Seq, Reason: fmt.Sprintf(format, a...)}
		}
		if e.BundleID != KeyLogSubject {
			return nil, fail("subject %q, want %q", e.BundleID, KeyLogSubject)
		}
		if e.Seq != uint64(i)+1 {
			return nil, fail("at position %d, want seq %d", i, i+1)
		}
		wantPrev := ""
		if prev != nil {
			wantPrev = prev.Event.Hash
			if te.Leaf <= prev.Leaf {
				return nil, fail("leaf index %d not after the previous rotation's %d", te.Leaf, prev.Leaf)
			}
			if e.Time.Before(prev.Event.Time) {
				return nil, fail("dated %s, before the previous rotation", e.Time.UTC().Format(TimeFormat))
			}
		}
		if e.Prev != wantPrev {
			return nil, fail("prev is %s, want %s", orNone(e.Prev), orNone(wantPrev))
		}
		h, err := e.ComputeHash()
		if err != nil {
			return nil, fail("%v", err)
		}
		if got := fmt.Sprintf("%x", h); got != e.Hash {
			return nil, fail("content hashes to %s, the event states %s", got, orNone(e.Hash))
		}
		retired, introduced, err := ParseRotation(e)
		if err != nil {
			return nil, fail("%v", err)
		}
		if i == 0 {
			c.keys = append(c.keys, chainKey{id: e.KeyID, pub: retired, use: KeyUse{KeyID: e.KeyID}})
		}
		cur := &c.keys[len(c.keys)-1]
		if e.KeyID != cur.id {
			return nil, fail("signed by key %s, want %s, the key the previous rotation introduced", e.KeyID, cur.id)
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(e.Signature)
		if err == nil {
			err = VerifySignature(cur.pub, h[:], sig)
		}
		if err != nil {
			return nil, fail("signature by the retiring key %s: %v", cur.id, err)
		}
		cur.last = te.Leaf
		leaf := te.Leaf
		cur.use.Retired, cur.use.RetiredAtLeaf = e.Time.UTC().Format(TimeFormat), &leaf
		for _, k := range c.keys {
			if k.id == e.Details.Reference {
				return nil, fail("introduces key %s, which the chain already used", k.id)
			}
		}
		c.keys = append(c.keys, chainKey{id: e.Details.Reference, pub: introduced, last: math.MaxUint64,
			use: KeyUse{KeyID: e.Details.Reference, Introduced: e.Time.UTC().Format(TimeFormat)}})
		prev = te
	}
	for _, k := range c.keys {
		if k.id == trustedID {
			return c, nil
		}
	}
	return nil, &KeyRotationError{Reason: fmt.Sprintf("the trusted key %s is none of the chain's %d keys (first %s, current %s)",
		trustedID, len(c.keys), c.keys[0].id, c.current().id)}
}

// current is the chain's last key: the one that signs checkpoints.
func (c *keyChain) current() *chainKey { return &c.keys[len(c.keys)-1] }

// at returns the key that may sign the event at leaf.
func (c *keyChain) at(leaf uint64) *chainKey {
	for i := range c.keys {
		if leaf <= c.keys[i].last {
			return &c.keys[i]
		}
	}
	return c.current()
}

// checkIncluded checks the rotations against the checkpoint: each inclusion proof leads to
// its root, and none is dated after the export time or the verifier's clock.
func (c *keyChain) checkIncluded(rots []TrailEvent, size uint64, root []byte, exported, now, clockLimit time.Time) error {
	for _, te := range rots {
		if len(te.Proof) > maxProofLen {
			return &KeyRotationError{Seq: te.Event.Seq, Reason: fmt.Sprintf("proof of %d hashes", len(te.Proof))}
		}
		ck := checkEvent(te, size)
		seq := te.Event.Seq
		if ck.inclErr != nil || string(ck.root) != string(root) {
			return &KeyRotationError{Seq: seq, Reason: "not in the checkpoint's log",
				Err: &InclusionError{Seq: seq, Leaf: te.Leaf, Size: size, Want: root, Got: ck.root, Err: ck.inclErr}}
		}
		t := te.Event.Time
		if !exported.IsZero() && t.After(exported) {
			return &KeyRotationError{Seq: seq, Reason: "dated after the export", Err: &FutureEventError{Seq: seq, Bound: "export", Limit: exported.UTC().Format(TimeFormat), Got: t.UTC().Format(TimeFormat)}}
		}
		if !now.IsZero() && t.After(clockLimit) {
			return &KeyRotationError{Seq: seq, Reason: "dated after the verifier's clock", Err: &FutureEventError{Seq: seq, Bound: "clock", Limit: clockLimit.UTC().Format(TimeFormat), Got: t.UTC().Format(TimeFormat)}}
		}
	}
	return nil
}

// checkEvents is checkEvents with each event's signature checked by the key of the chain
// that may sign at its leaf.
func (c *keyChain) checkEvents(evs []TrailEvent, size uint64, root []byte) []eventCheck {
	if len(c.keys) == 1 {
		return checkEvents(evs, c.keys[0].pub, size, root)
	}
	out := make([]eventCheck, len(evs))
	parallel(len(evs), 64, func(i int) {
		out[i] = checkEvent(evs[i], size)
		if ck := &out[i]; ck.fieldErr == nil && ck.sigErr == nil {
			ck.sigErr = VerifySignature(c.at(evs[i].Leaf).pub, ck.sum[:], ck.sig)
		}
	})
	return out
}

// RotationReport is the part of a Report on a trail that spans key rotations.
type RotationReport struct {
	// Keys is the chain of keys, oldest first; the last signs the checkpoint.
	Keys []KeyUse `json:"keys"`
}

// report lists the chain's keys with the events of evs each signed; nil without rotations.
func (c *keyChain) report(evs []TrailEvent) *RotationReport {
	if len(c.keys) == 1 {
		return nil
	}
	out := make([]KeyUse, len(c.keys))
	for i := range c.keys {
		out[i] = c.keys[i].use
	}
	for _, te := range evs {
		for i := range c.keys {
			if c.keys[i].id != te.Event.KeyID {
				continue
			}
			u := &out[i]
			u.Events++
			if u.FirstSeq == 0 {
				u.FirstSeq = te.Event.Seq
			}
			u.LastSeq = te.Event.Seq
		}
	}
	return &RotationReport{Keys: out}
}

// openOlder opens a checkpoint held from before, signed by any key of the chain.
func (c *keyChain) openOlder(text []byte) (*log.Checkpoint, error) {
	var firstErr error
	for i := len(c.keys) - 1; i >= 0; i-- {
		cp, err := OpenCheckpoint(text, c.keys[i].pub)
		if err == nil {
			return cp, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// exportRotations adds to t the log's rotations rots, each with its inclusion proof in the
// log of size, and lists every key of the chain in t.Keys, oldest first.
func exportRotations(ctx context.Context, l Ledger, t *Trail, rots []Entry, size uint64) error {
	if len(rots) == 0 {
		return nil
	}
	current := t.Keys
	t.Keys = nil
	seen := map[string]bool{}
	add := func(pub crypto.PublicKey) error {
		pk, err := PublicKeyOf(pub)
		if err != nil || seen[pk.KeyID] {
			return err
		}
		seen[pk.KeyID] = true
		t.Keys = append(t.Keys, pk)
		return nil
	}
	for _, en := range rots {
		retired, introduced, err := ParseRotation(en.Event)
		if err != nil {
			return fmt.Errorf("key rotation seq %d: %w", en.Event.Seq, err)
		}
		if err := add(retired); err != nil {
			return err
		}
		if err := add(introduced); err != nil {
			return err
		}
		p, err := InclusionProof(ctx, l, en.Leaf, size)
		if err != nil {
			return fmt.Errorf("key rotation seq %d: inclusion: %w", en.Event.Seq, err)
		}
		t.Rotations = append(t.Rotations, TrailEvent{Event: en.Event, Leaf: en.Leaf, Proof: hexList(p)})
	}
	for _, k := range current {
		if !seen[k.KeyID] {
			t.Keys = append(t.Keys, k)
		}
	}
	return nil
}

// Failure of a KeyRotationError names the rotation and the reason; the check it wraps, if
// any, is in the message.
func (e *KeyRotationError) Failure() Failure {
	return Failure{Kind: "KeyRotationError", Seq: e.Seq, HasSeq: e.Seq != 0, Facts: []Fact{{"reason", e.Reason}}}
}

// LogKeyError: a ledger refused an event signed by a key other than the one that signs the
// log (the key of its latest event, or the key its latest rotation introduced), so that after
// a rotation nothing still holding the retired key appends. Ledgers shared by several
// writers (SQLite, DynamoDB) enforce it inside the append.
type LogKeyError struct {
	Bundle    string
	Seq       uint64
	Want, Got string
}

func (e *LogKeyError) Error() string {
	return fmt.Sprintf("append %s/%d: signed by key %s, but the log is signed by %s (after a key rotation, only the new key appends)", e.Bundle, e.Seq, e.Got, e.Want)
}

// NextLogKey is the key that signs the log once e is appended: the key e introduces if it is
// a rotation (on KeyLogSubject), else e's own.
func NextLogKey(e Event) string {
	if e.BundleID == KeyLogSubject && e.Type == KeyRotation && e.Details.Reference != "" {
		return e.Details.Reference
	}
	return e.KeyID
}
