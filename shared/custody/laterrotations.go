package custody

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/transparency-dev/formats/log"
)

// LaterRotations carries, in a trail exported against an earlier state of the log (ExportOptions.Size),
// the rotations of evx's key recorded after that state: a checkpoint of the log at a later size,
// signed like the trail's by the key evx holds now, the consistency proof from the trail's
// checkpoint to it, and each later rotation with its inclusion proof in it. Without them a
// trail whose events were signed before a rotation and whose checkpoint after it would link
// the two keys by nothing. An addition to evx-custody-trail/1 (docs/trail-format.md).
type LaterRotations struct {
	Checkpoint  string       `json:"checkpoint"`
	Consistency []string     `json:"consistency_proof"`
	Rotations   []TrailEvent `json:"key_rotations"`
}

// exportLaterRotations sets t.LaterRotations when rots (every rotation of the log of size
// full) holds rotations at or after size, the size of t's checkpoint.
func exportLaterRotations(ctx context.Context, l Ledger, s Signer, origin string, t *Trail, rots []Entry, size, full uint64, at time.Time) error {
	i := slices.IndexFunc(rots, func(en Entry) bool { return en.Leaf >= size })
	if i < 0 {
		return nil
	}
	root, err := RootAt(ctx, l, full)
	if err != nil {
		return err
	}
	heads, err := headsAt(ctx, l, full)
	if err != nil {
		return err
	}
	cp, err := signCheckpoint(ctx, s, origin, full, root, at, heads)
	if err != nil {
		return fmt.Errorf("checkpoint at %d: %w", full, err)
	}
	cons, err := ConsistencyProof(ctx, l, size, full)
	if err != nil {
		return fmt.Errorf("consistency %d to %d: %w", size, full, err)
	}
	later := &Trail{Keys: t.Keys}
	if err := exportRotations(ctx, l, later, rots[i:], full); err != nil {
		return err
	}
	t.Keys = mergeKeys(t.Keys, later.Keys)
	t.LaterRotations = &LaterRotations{Checkpoint: string(cp), Consistency: hexList(cons), Rotations: later.Rotations}
	return nil
}

// mergeKeys is a followed by the keys of b it lacks.
func mergeKeys(a, b []PublicKey) []PublicKey {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.ContainsFunc(out, func(o PublicKey) bool { return o.KeyID == k.KeyID }) {
			out = append(out, k)
		}
	}
	return out
}

// allRotations is the trail's rotations followed by its later ones: the chain of evx's keys
// up to the key that signs its checkpoints. Later rotations that list none are a
// *KeyRotationError.
func (t *Trail) allRotations() ([]TrailEvent, error) {
	if t.LaterRotations == nil {
		return t.Rotations, nil
	}
	if len(t.LaterRotations.Rotations) == 0 {
		return nil, &KeyRotationError{Reason: "later rotations: none listed"}
	}
	return append(slices.Clip(t.Rotations), t.LaterRotations.Rotations...), nil
}

// checkLaterRotations checks t.LaterRotations against the trail's checkpoint cp: its
// checkpoint is signed by the chain's current key for the same log at a larger size, consistent
// with cp, and holds every later rotation, each at or after cp's size. Every failure is a
// *KeyRotationError.
func checkLaterRotations(t *Trail, chain *keyChain, cp *log.Checkpoint, now, clockLimit time.Time) error {
	lr := t.LaterRotations
	if lr == nil {
		return nil
	}
	fail := func(err error, format string, a ...any) error {
		return &KeyRotationError{Reason: "later rotations: " + fmt.Sprintf(format, a...), Err: err}
	}
	if len(lr.Consistency) > 2*maxProofLen {
		return fail(nil, "consistency proof of %d hashes", len(lr.Consistency))
	}
	later, exported, err := OpenCheckpointTime([]byte(lr.Checkpoint), chain.current().pub)
	if err != nil {
		return fail(err, "checkpoint: %v", err)
	}
	for _, te := range lr.Rotations {
		if te.Leaf < cp.Size {
			return fail(nil, "rotation seq %d at leaf %d, inside the trail's log of size %d", te.Event.Seq, te.Leaf, cp.Size)
		}
	}
	if err := checkConsistency(&Trail{Consistency: &ConsistencyRecord{FromSize: cp.Size, Proof: lr.Consistency}},
		cp.Origin, cp.Size, cp.Hash, later.Origin, later.Size, later.Hash); err != nil {
		return fail(err, "the trail's checkpoint is not consistent with the later one: %v", err)
	}
	return chain.checkIncluded(lr.Rotations, later.Size, later.Hash, exported, now, clockLimit)
}
