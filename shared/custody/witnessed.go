package custody

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Witnesses. A witness keeps the last checkpoint of evx's log it saw, checks that each new one
// is consistent with it and cosigns it (C2SP tlog-cosignature, cosignature/v1: an Ed25519
// signature over "cosignature/v1\ntime <unix seconds>\n" and the checkpoint body, added to
// the note as one more signature line). evx keeps the cosigned checkpoints; a trail carries
// the one it was exported with ([WitnessedRecord]) so that a verifier can ask for a quorum of
// witnesses it trusts ([VerifyOptions.Witnesses], [VerifyOptions.Quorum]).

// WitnessedRecord is a checkpoint of evx's log cosigned by witnesses, as a trail carries it:
// the note (evx's signature and the witnesses' cosignature lines), the RFC 6962 consistency
// proof between its size and the trail checkpoint's (from the smaller to the larger; empty
// when equal), and the bundle's head record in its heads tree.
type WitnessedRecord struct {
	Checkpoint  string     `json:"checkpoint"`
	Consistency []string   `json:"consistency"`
	Head        *HeadProof `json:"head,omitempty"`
}

// Completeness is what Verify proved of a trail's completeness: the trail holds every event of
// its bundle that the log of Size leaves holds (the checkpoint committing to the bundle's head
// at that size). Witnessed says the checkpoint carries at least the asked quorum of valid
// cosignatures by the witness keys given; Cosigners names them ("<name>+<key hash>").
type Completeness struct {
	Size      uint64   `json:"checkpoint_size"`
	Witnessed bool     `json:"witnessed"`
	Cosigners []string `json:"cosigners,omitempty"`
}

// MaxCosignatures bounds the cosignature lines a checkpoint note may carry (the note package
// stops at 100 signatures).
const MaxCosignatures = 64

// CosignatureVerifier returns the verifier of a witness's cosignatures from its verifier key
// ("<name>+<key hash>+<base64(0x04 || Ed25519 public key)>", C2SP signed-note; a plain Ed25519
// key, 0x01, is taken as the same key used for cosignature/v1).
func CosignatureVerifier(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("witness key %.40q: %w", vkey, err)
	}
	return v, nil
}

// Cosigners returns the names ("<name>+<key hash>") of the witnesses among vs whose cosignature
// on the signed note text verifies, each once. Other lines are ignored.
func Cosigners(text []byte, vs []note.Verifier) []string {
	body, sigs, ok := bytes.Cut(text, []byte("\n\n"))
	if !ok {
		return nil
	}
	msg := append(append([]byte(nil), body...), '\n')
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(sigs), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		if !ok {
			continue
		}
		name, b64, _ := strings.Cut(rest, " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) < 5 {
			continue
		}
		hash := binary.BigEndian.Uint32(raw[:4])
		for _, v := range vs {
			id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
			if v.Name() == name && v.KeyHash() == hash && !seen[id] && v.Verify(msg, raw[4:]) {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// QuorumError: the checkpoint the trail offers carries fewer valid cosignatures by the
// witness keys given than the quorum asked. Got names the witnesses whose cosignature verified.
type QuorumError struct {
	Want   int
	Got    []string
	Keys   int    // witness keys given
	Reason string // why none counted, when the trail carries no cosigned checkpoint
}

func (e *QuorumError) Error() string {
	msg := fmt.Sprintf("witnesses: %d valid cosignature(s) by the %d witness key(s) given, quorum is %d", len(e.Got), e.Keys, e.Want)
	if len(e.Got) > 0 {
		msg += " (cosigned by " + strings.Join(e.Got, ", ") + ")"
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

func (e *QuorumError) Failure() Failure {
	return Failure{Kind: "QuorumError", Want: fmt.Sprint(e.Want), Got: fmt.Sprint(len(e.Got)),
		Facts: []Fact{{"cosigners", strings.Join(e.Got, ", ")}, {"reason", e.Reason}}}
}

// TruncatedError: the trail ends before the head of its bundle that a checkpoint commits to:
// the log of Size leaves holds the bundle's event WantSeq (hash WantHash), the trail's events
// in that log stop at GotSeq. Events were cut from the end of the trail.
type TruncatedError struct {
	At       string // "trail checkpoint" or "witnessed checkpoint"
	Size     uint64
	WantSeq  uint64
	WantHash string
	GotSeq   uint64
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("trail is incomplete: the %s (log size %d) commits to the bundle's event seq %d (%s), the trail ends at seq %d: %d event(s) are missing from its end",
		e.At, e.Size, e.WantSeq, e.WantHash, e.GotSeq, e.WantSeq-e.GotSeq)
}

func (e *TruncatedError) Failure() Failure {
	return Failure{Kind: "TruncatedError", Seq: e.GotSeq, HasSeq: true, Want: e.WantSeq, Got: e.GotSeq,
		Facts: []Fact{{"checkpoint", e.At}, {"log_size", e.Size}, {"head", e.WantHash}}}
}

// HeadError: a checkpoint's commitment to the bundle's head does not hold: the head record's
// proof fails, or the record names another event than the trail's last one in that log.
type HeadError struct {
	At     string
	Reason string
}

func (e *HeadError) Error() string { return "head of the bundle in the " + e.At + ": " + e.Reason }

func (e *HeadError) Failure() Failure {
	return Failure{Kind: "HeadError", Facts: []Fact{{"checkpoint", e.At}, {"reason", e.Reason}}}
}

// checkCompleteness is the last step of Verify: the trail checkpoint's heads line (when it has
// one), the witnessed checkpoint (when the trail carries one) and the quorum asked.
func checkCompleteness(t *Trail, chain *keyChain, opt VerifyOptions) (*Completeness, error) {
	cp, ext, err := openCheckpoint([]byte(t.Checkpoint), chain.current().pub)
	if err != nil {
		return nil, err
	}
	var done *Completeness
	hc, has, err := CheckpointHeads(ext)
	if err != nil {
		return nil, &CheckpointError{Reason: err.Error()}
	}
	if has {
		if err := checkHead(t, t.Head, hc, cp.Size, "trail checkpoint"); err != nil {
			return nil, err
		}
		done = &Completeness{Size: cp.Size}
	} else if t.Head != nil {
		return nil, &FormatError{Err: errors.New("trail carries a head record, its checkpoint commits to no heads")}
	}
	var vs []note.Verifier
	for _, k := range opt.Witnesses {
		v, err := CosignatureVerifier(k)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	// The trail's own checkpoint may be the cosigned one.
	if own := Cosigners([]byte(t.Checkpoint), vs); opt.Quorum > 0 && len(own) >= opt.Quorum && done != nil {
		done.Witnessed, done.Cosigners = true, own
		return done, nil
	}
	w := t.Witnessed
	if w == nil {
		if opt.Quorum > 0 {
			return nil, &QuorumError{Want: opt.Quorum, Keys: len(vs), Reason: "the trail carries no cosigned checkpoint (export it again once witnesses have cosigned one)"}
		}
		return done, nil
	}
	wcp, wext, err := openWithChain(chain, []byte(w.Checkpoint))
	if err != nil {
		if ce, ok := err.(*CheckpointError); ok {
			ce.Reason = "witnessed checkpoint: " + ce.Reason
		}
		return nil, err
	}
	if len(w.Consistency) > 2*maxProofLen {
		return nil, &FormatError{Err: fmt.Errorf("witnessed checkpoint: consistency proof of %d hashes", len(w.Consistency))}
	}
	small, big := wcp, cp
	if wcp.Size > cp.Size {
		small, big = cp, wcp
	}
	// checkConsistency reads the proof from a ConsistencyRecord; lend it this one.
	proofTrail := &Trail{Consistency: &ConsistencyRecord{FromSize: small.Size, Proof: w.Consistency}}
	if err := checkConsistency(proofTrail, small.Origin, small.Size, small.Hash, big.Origin, big.Size, big.Hash); err != nil {
		return nil, err
	}
	cos := Cosigners([]byte(w.Checkpoint), vs)
	if len(cos) < opt.Quorum {
		return nil, &QuorumError{Want: opt.Quorum, Got: cos, Keys: len(vs)}
	}
	whc, whas, err := CheckpointHeads(wext)
	if err != nil {
		return nil, &CheckpointError{Reason: "witnessed checkpoint: " + err.Error()}
	}
	if !whas {
		if opt.Quorum > 0 {
			return nil, &QuorumError{Want: opt.Quorum, Got: cos, Keys: len(vs), Reason: "the witnessed checkpoint commits to no heads, so it proves nothing of the trail's completeness"}
		}
		return done, nil
	}
	if err := checkHead(t, w.Head, whc, wcp.Size, "witnessed checkpoint"); err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		// No witness keys: the witnessed checkpoint is evx's word, as the trail's own is.
		if done == nil || wcp.Size > done.Size {
			done = &Completeness{Size: wcp.Size}
		}
		return done, nil
	}
	return &Completeness{Size: wcp.Size, Witnessed: len(cos) > 0 && len(cos) >= opt.Quorum, Cosigners: cos}, nil
}

// openWithChain opens a checkpoint signed by any key of the chain (a cosigned checkpoint may
// predate the trail's last rotation), newest key first.
func openWithChain(c *keyChain, text []byte) (*log.Checkpoint, []byte, error) {
	var firstErr error
	for i := len(c.keys) - 1; i >= 0; i-- {
		cp, ext, err := openCheckpoint(text, c.keys[i].pub)
		if err == nil {
			return cp, ext, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, nil, firstErr
}

// witnessedRecord ties the cosigned checkpoint w to a trail of bundleID proven at size.
func witnessedRecord(ctx context.Context, l LogReader, origin, bundleID string, size uint64, w []byte) (*WitnessedRecord, error) {
	body, _, ok := bytes.Cut(w, []byte("\n\n"))
	if !ok || len(w) > maxCheckpoint {
		return nil, errors.New("not a signed checkpoint note")
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(append(body, '\n')); err != nil {
		return nil, err
	}
	if cp.Origin != origin {
		return nil, fmt.Errorf("checkpoint of log %q, want %q", cp.Origin, origin)
	}
	logSize, err := l.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	if cp.Size > logSize {
		return nil, fmt.Errorf("checkpoint of size %d, beyond the log's %d", cp.Size, logSize)
	}
	small, big := min(cp.Size, size), max(cp.Size, size)
	var p [][]byte
	if small > 0 && small < big {
		if p, err = ConsistencyProof(ctx, l, small, big); err != nil {
			return nil, err
		}
	}
	rec := &WitnessedRecord{Checkpoint: string(w), Consistency: hexList(p)}
	heads, err := headsAt(ctx, l, cp.Size)
	if err != nil {
		return nil, err
	}
	if heads == nil {
		// A checkpoint that commits to heads, in a trail without the bundle's head record,
		// fails verification: say so now, not in the verifier's hands.
		if _, has, err := NoteHeads(w); err != nil {
			return nil, err
		} else if has {
			return nil, fmt.Errorf("the checkpoint of size %d commits to every bundle's head, and the ledger keeps them no more: %w", cp.Size, ErrHeadsUnknown)
		}
		return rec, nil
	}
	if rec.Head, _, err = heads.Proof(bundleID); err != nil {
		return nil, err
	}
	return rec, nil
}

// FollowRotations opens the checkpoint cp for someone who trusts key trusted and is shown the
// log's key rotations rots (KeyRotation events with their inclusion proofs in cp's log, as a
// trail carries them): the rotations must form one chain of statements signed by the keys
// they retire, through trusted, to the key that signs cp, and each must be in cp's log. It
// returns the checkpoint, its extension lines and the keys of the chain after trusted (none
// when trusted signs cp). A witness uses it to follow evx's key across rotations.
func FollowRotations(cp []byte, trusted crypto.PublicKey, rots []TrailEvent) (*log.Checkpoint, []byte, []crypto.PublicKey, error) {
	id, err := KeyIDOf(trusted)
	if err != nil {
		return nil, nil, nil, err
	}
	chain, err := newKeyChain(rots, trusted, id)
	if err != nil {
		return nil, nil, nil, err
	}
	c, ext, err := openCheckpoint(cp, chain.current().pub)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := chain.checkIncluded(rots, c.Size, c.Hash, time.Time{}, time.Time{}, time.Time{}); err != nil {
		return nil, nil, nil, err
	}
	var after []crypto.PublicKey
	for i, k := range chain.keys {
		if k.id == id {
			for _, n := range chain.keys[i+1:] {
				after = append(after, n.pub)
			}
			break
		}
	}
	return c, ext, after, nil
}

// RotationsAt returns the log's key rotations among its first size leaves, each with its
// inclusion proof in the log of that size: what FollowRotations takes.
func RotationsAt(ctx context.Context, l Ledger, size uint64) ([]TrailEvent, error) {
	es, err := l.Events(ctx, KeyLogSubject)
	if err != nil {
		return nil, err
	}
	var out []TrailEvent
	for _, en := range es {
		if en.Leaf >= size {
			break
		}
		p, err := InclusionProof(ctx, l, en.Leaf, size)
		if err != nil {
			return nil, err
		}
		out = append(out, TrailEvent{Event: en.Event, Leaf: en.Leaf, Proof: hexList(p)})
	}
	return out, nil
}
