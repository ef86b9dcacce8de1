package custody

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// TrailFormat identifies the trail file layout; Verify refuses any other.
const TrailFormat = "evx-custody-trail/1"

// Trail is a bundle's custody trail as exported for offline verification: every event of the
// bundle in sequence order, each with its inclusion proof in the log state that Checkpoint
// signs, the public key that signed them, and (on request) a consistency proof from an older
// log size to the checkpoint's.
type Trail struct {
	Format     string      `json:"format"`
	BundleID   string      `json:"bundle"`
	Keys       []PublicKey `json:"keys"`
	Checkpoint string      `json:"checkpoint"` // signed note, see OpenCheckpoint
	// Exported is when the trail was exported (TimeFormat, UTC); no event may be later.
	// Older trails lack it.
	Exported    string             `json:"exported,omitempty"`
	Events      []TrailEvent       `json:"events"`
	Consistency *ConsistencyRecord `json:"consistency,omitempty"`
	// Rotations are every KeyRotation of the log (subject KeyLogSubject), with their proofs,
	// when its key was ever rotated (see rotation.go); absent otherwise.
	Rotations []TrailEvent `json:"key_rotations,omitempty"`
	// AgencyKeyChanges are the key changes of every agency whose seal the events carry (the
	// events of each one's subject AgencySubject, in order), with their proofs; absent when
	// there are none (keyhistory.go).
	AgencyKeyChanges []TrailEvent `json:"agency_key_changes,omitempty"`
	// AgencyKeyHeads, when the checkpoint commits to every subject's head, are the head
	// records of the agency subjects AgencyKeyChanges holds, one an agency, in its order: so that a key change
	// cut off the end of an agency's history is caught.
	AgencyKeyHeads []AgencyHead `json:"agency_key_heads,omitempty"`
	// Head is the bundle's head record in the checkpoint's heads tree, when the checkpoint
	// has a heads line (completeness.go); Witnessed a cosigned checkpoint, when evx has one.
	Head      *HeadProof       `json:"head,omitempty"`
	Witnessed *WitnessedRecord `json:"witnessed,omitempty"`
	// LaterRotations, in a trail exported at an earlier log size, are the rotations of evx's
	// key recorded after it (laterrotations.go); absent when there are none.
	LaterRotations *LaterRotations `json:"later_key_rotations,omitempty"`
	// DocumentManifests are the document manifests the events reference
	// (details.document_manifest, docmanifest.go), each once, in the order first referenced;
	// absent when no event references one.
	DocumentManifests []ManifestFile `json:"document_manifests,omitempty"`
}

// PublicKey is a signing key as a trail lists it, for people checking by hand. Verification
// trusts only the key given to Verify, never these.
type PublicKey struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"` // "ed25519" or "ecdsa-p256"
	PEM       string `json:"pem"`       // PKIX public key, as `openssl pkey -pubin` reads it
}

// TrailEvent is an event with its leaf index and inclusion proof (lowercase hex hashes, the
// RFC 6962 audit path from the leaf upwards).
type TrailEvent struct {
	Event Event    `json:"event"`
	Leaf  uint64   `json:"leaf_index"`
	Proof []string `json:"inclusion_proof"`
}

// ConsistencyRecord proves that the log at the checkpoint's size extends the log at FromSize
// (RFC 6962 consistency proof, lowercase hex).
type ConsistencyRecord struct {
	FromSize uint64   `json:"from_size"`
	Proof    []string `json:"proof"`
}

// ExportOptions tune Export.
type ExportOptions struct {
	// ConsistencyFrom, when not zero, adds a consistency proof from that log size (the size of
	// a checkpoint the recipient already holds) to the exported checkpoint's.
	ConsistencyFrom uint64
	// Time is the export time the trail's checkpoint states (see SignCheckpointAt); the
	// Keeper's clock, or
	// time.Now, when zero. It is never stated before the last event's time.
	Time time.Time
	// Witnessed, when set, is a checkpoint of this log cosigned by witnesses (the note with
	// its cosignature lines); the trail carries it with the proofs that tie it to the trail.
	Witnessed []byte
	// Size, when not zero, exports the trail against the checkpoint of the log at that size
	// (an earlier state of the log, at most its current size) instead of its current state:
	// only the bundle's events below it, with proofs to its root. It is how a trail is
	// served again exactly as an earlier export (a report's) proved it.
	Size uint64
}

// Export builds the trail of bundleID: its events, read from l, proven against a checkpoint
// of the log's current state signed by s under origin. This is the call the pipeline and the
// CLI use; marshal the result with json.Marshal (or MarshalIndent) to write the trail file.
func Export(ctx context.Context, l Ledger, s Signer, origin, bundleID string, opt ExportOptions) (*Trail, error) {
	entries, err := l.Events(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", bundleID, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("export %s: no such bundle", bundleID)
	}
	rots, err := l.Events(ctx, KeyLogSubject)
	if err != nil {
		return nil, fmt.Errorf("export %s: key rotations: %w", bundleID, err)
	}
	// Read the size after the events: appends are atomic, so every leaf read is below it.
	size, err := l.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", bundleID, err)
	}
	full, allRots := size, rots
	if opt.Size > 0 {
		if opt.Size > size {
			return nil, &LogSizeError{Want: opt.Size, Size: size}
		}
		size = opt.Size
		for len(entries) > 0 && entries[len(entries)-1].Leaf >= size {
			entries = entries[:len(entries)-1]
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("export %s: no such bundle at log size %d", bundleID, size)
		}
		for len(rots) > 0 && rots[len(rots)-1].Leaf >= size {
			rots = rots[:len(rots)-1]
		}
	}
	root, err := RootAt(ctx, l, size)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", bundleID, err)
	}
	now := opt.Time
	if now.IsZero() {
		now = time.Now()
	}
	heads, err := headsAt(ctx, l, size)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", bundleID, err)
	}
	cp, err := signCheckpoint(ctx, s, origin, size, root, now, heads)
	if err != nil {
		return nil, fmt.Errorf("export %s: checkpoint: %w", bundleID, err)
	}
	pk, err := PublicKeyOf(s.Public())
	if err != nil {
		return nil, err
	}
	t := &Trail{Format: TrailFormat, BundleID: bundleID, Keys: []PublicKey{pk}, Checkpoint: string(cp)}
	if err := exportRotations(ctx, l, t, rots, size); err != nil {
		return nil, fmt.Errorf("export %s: %w", bundleID, err)
	}
	if err := exportLaterRotations(ctx, l, s, origin, t, allRots, size, full, now); err != nil {
		return nil, fmt.Errorf("export %s: later key rotations: %w", bundleID, err)
	}
	for _, en := range entries {
		p, err := InclusionProof(ctx, l, en.Leaf, size)
		if err != nil {
			return nil, fmt.Errorf("export %s: inclusion of seq %d: %w", bundleID, en.Event.Seq, err)
		}
		t.Events = append(t.Events, TrailEvent{Event: en.Event, Leaf: en.Leaf, Proof: hexList(p)})
	}
	if err := exportKeyChanges(ctx, l, t, entries, size, heads); err != nil {
		return nil, fmt.Errorf("export %s: %w", bundleID, err)
	}
	if opt.ConsistencyFrom > 0 {
		if opt.ConsistencyFrom > size {
			return nil, fmt.Errorf("export %s: consistency from size %d beyond log size %d", bundleID, opt.ConsistencyFrom, size)
		}
		p, err := ConsistencyProof(ctx, l, opt.ConsistencyFrom, size)
		if err != nil {
			return nil, fmt.Errorf("export %s: consistency: %w", bundleID, err)
		}
		t.Consistency = &ConsistencyRecord{FromSize: opt.ConsistencyFrom, Proof: hexList(p)}
	}
	if heads != nil {
		if t.Head, _, err = heads.Proof(bundleID); err != nil {
			return nil, fmt.Errorf("export %s: head: %w", bundleID, err)
		}
	}
	if opt.Witnessed != nil {
		if t.Witnessed, err = witnessedRecord(ctx, l, origin, bundleID, size, opt.Witnessed); err != nil {
			return nil, fmt.Errorf("export %s: witnessed checkpoint: %w", bundleID, err)
		}
	}
	return t, nil
}

// Export is Export with the keeper's ledger, signer and origin.
func (k *Keeper) Export(ctx context.Context, bundleID string, opt ExportOptions) (*Trail, error) {
	if opt.Time.IsZero() && k.Now != nil {
		opt.Time = k.Now()
	}
	return Export(ctx, k.Ledger, k.Signer, k.Origin, bundleID, opt)
}

// LogSizeError is an export asked for at a log size the log has not reached.
type LogSizeError struct {
	Want, Size uint64
}

func (e *LogSizeError) Error() string {
	return fmt.Sprintf("log size %d asked for, the log holds %d leaves", e.Want, e.Size)
}

// PublicKeyOf describes pub as a trail lists it.
func PublicKeyOf(pub crypto.PublicKey) (PublicKey, error) {
	id, err := KeyIDOf(pub)
	if err != nil {
		return PublicKey{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return PublicKey{}, err
	}
	alg := "ed25519"
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		alg = "ecdsa-p256"
	}
	return PublicKey{KeyID: id, Algorithm: alg, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}, nil
}

// ParsePublicKeyPEM reads a PEM "PUBLIC KEY" (PKIX) block holding an Ed25519 or ECDSA P-256 key.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("public key: want a PEM \"PUBLIC KEY\" block")
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if err := checkKeyType(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// Limits on trails read by ParseTrail.
const (
	MaxTrailBytes = 1 << 30 // 1 GiB
	maxProofLen   = 64      // hashes in one proof; a log of 2^64 leaves needs 64
)

// ParseTrail reads a trail file strictly: unknown fields, trailing data and malformed values
// are a *FormatError.
func ParseTrail(data []byte) (*Trail, error) {
	if len(data) > MaxTrailBytes {
		return nil, &FormatError{Err: fmt.Errorf("trail of %d bytes exceeds %d", len(data), MaxTrailBytes)}
	}
	lay, err := scanJSON(data)
	if err != nil {
		return nil, &FormatError{Err: err}
	}
	// The events are cut out and decoded on every core; the rest is decoded as a whole, with
	// an empty events array in their place.
	var raw struct {
		Format      string             `json:"format"`
		BundleID    string             `json:"bundle"`
		Keys        []PublicKey        `json:"keys"`
		Checkpoint  string             `json:"checkpoint"`
		Events      []json.RawMessage  `json:"events"`
		Consistency *ConsistencyRecord `json:"consistency,omitempty"`
		Rotations   []TrailEvent       `json:"key_rotations,omitempty"`
		KeyChanges  []TrailEvent       `json:"agency_key_changes,omitempty"`
		KeyHeads    []AgencyHead       `json:"agency_key_heads,omitempty"`
		Head        *HeadProof         `json:"head,omitempty"`
		Witnessed   *WitnessedRecord   `json:"witnessed,omitempty"`
		Later       *LaterRotations    `json:"later_key_rotations,omitempty"`
		Manifests   []ManifestFile     `json:"document_manifests,omitempty"`
	}
	head := data
	if lay.events[1] > lay.events[0] {
		head = make([]byte, 0, len(data)-(lay.events[1]-lay.events[0])+2)
		head = append(head, data[:lay.events[0]]...)
		head = append(head, "[]"...)
		head = append(head, data[lay.events[1]+1:]...)
	}
	if err := strictUnmarshal(head, &raw); err != nil {
		return nil, &FormatError{Err: err}
	}
	if len(raw.Events) > 0 || lay.events[1] <= lay.events[0] && len(lay.elems) > 0 {
		return nil, &FormatError{Err: errors.New("events array not found where expected")}
	}
	for _, el := range lay.elems {
		if el[1] < el[0] {
			return nil, &FormatError{Err: errors.New("unterminated event")}
		}
	}
	t := Trail{Format: raw.Format, BundleID: raw.BundleID, Keys: raw.Keys, Checkpoint: raw.Checkpoint,
		Consistency: raw.Consistency, Rotations: raw.Rotations, AgencyKeyChanges: raw.KeyChanges, AgencyKeyHeads: raw.KeyHeads, Head: raw.Head, Witnessed: raw.Witnessed, LaterRotations: raw.Later, DocumentManifests: raw.Manifests, Events: make([]TrailEvent, len(lay.elems))}
	errs := make([]error, len(lay.elems))
	parallel(len(lay.elems), 128, func(i int) {
		el := lay.elems[i]
		errs[i] = decodeTrailEvent(data[el[0]:el[1]+1], &t.Events[i])
	})
	for i, err := range errs {
		var ve *VersionError
		if errors.As(err, &ve) {
			return nil, ve
		}
		if err != nil {
			return nil, &FormatError{Err: fmt.Errorf("event at position %d: %w", i, err)}
		}
	}
	if t.Format != TrailFormat {
		return nil, &FormatError{Err: fmt.Errorf("format %q, want %q", t.Format, TrailFormat)}
	}
	if len(t.Events) == 0 {
		return nil, &FormatError{Err: errNoEvents}
	}
	for i, te := range t.Events {
		if len(te.Proof) > maxProofLen {
			return nil, &FormatError{Err: fmt.Errorf("event at position %d: proof of %d hashes", i, len(te.Proof))}
		}
	}
	if t.Consistency != nil && len(t.Consistency.Proof) > 2*maxProofLen {
		return nil, &FormatError{Err: fmt.Errorf("consistency proof of %d hashes", len(t.Consistency.Proof))}
	}
	return &t, nil
}

func hexList(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h)
	}
	return out
}

func unhexList(ss []string) ([][]byte, error) {
	out := make([][]byte, len(ss))
	buf := make([]byte, 32*len(ss)) // one allocation for all the hashes
	for i, s := range ss {
		out[i] = buf[32*i : 32*i+32 : 32*i+32]
		if !decodeLowerHex32(out[i], s) {
			return nil, fmt.Errorf("proof hash %d: %q is not 64 lowercase hex digits", i, s)
		}
	}
	return out, nil
}

// decodeTrailEvent decodes one entry of a trail's events in a single pass (the event's time
// as a string, checked as Event.UnmarshalJSON checks it).
func decodeTrailEvent(b []byte, te *TrailEvent) error {
	if fastDecodeTrailEvent(b, te) {
		return nil
	}
	return jsonDecodeTrailEvent(b, te)
}

// jsonDecodeTrailEvent is decodeTrailEvent with encoding/json alone.
func jsonDecodeTrailEvent(b []byte, te *TrailEvent) error {
	var w struct {
		Event wireEvent `json:"event"`
		Leaf  uint64    `json:"leaf_index"`
		Proof []string  `json:"inclusion_proof"`
	}
	if err := strictUnmarshal(b, &w); err != nil {
		if ve := peekVersion(b); ve != nil {
			return ve
		}
		return err
	}
	t, err := parseEventTime(w.Event.Time)
	if err != nil {
		return err
	}
	e := w.Event
	v, err := wireVersion(e.Version)
	if err != nil {
		return err
	}
	*te = TrailEvent{Leaf: w.Leaf, Proof: w.Proof, Event: Event{
		Version: v, BundleID: e.BundleID, Seq: e.Seq, Type: e.Type, Time: t, Actor: e.Actor, Details: e.Details,
		Prev: e.Prev, KeyID: e.KeyID, Hash: e.Hash, Signature: e.Signature,
	}}
	return nil
}

// lowerHex maps '0'-'9' and 'a'-'f' to their values and every other byte to 0xff.
var lowerHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	return t
}()

// decodeLowerHex32 decodes s, 64 lowercase hex digits (isHex(s, 64)), into dst[:32] in one pass and
// reports whether s was such.
func decodeLowerHex32(dst []byte, s string) bool {
	if len(s) != 64 || len(dst) < 32 {
		return false
	}
	var bad byte
	for i := 0; i < 32; i++ {
		hi, lo := lowerHex[s[2*i]], lowerHex[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo
	}
	return bad&0xf0 == 0
}

// EventList returns the trail's events without their proofs, in order.
func (t *Trail) EventList() []Event {
	evs := make([]Event, len(t.Events))
	for i, e := range t.Events {
		evs[i] = e.Event
	}
	return evs
}
