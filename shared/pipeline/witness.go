package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/evx-project/evx/shared/custody"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoints keeps the checkpoints of the custody log that evx showed witnesses, and the
// cosignatures they returned (package witness; C2SP tlog-cosignature).
//
// PutCheckpoint stores note as the checkpoint of the log at size unless one is stored for
// that size, and returns the stored one either way (the first write wins). Checkpoint returns
// the stored note of size, or an error wrapping ErrNotFound. RecentCheckpoints returns the
// stored sizes, largest first, at most limit of them. PutCosignature stores a witness's
// cosignature line of the checkpoint of size, replacing that witness's earlier line for the
// same size; Cosignatures returns the lines of size ordered by witness (none when there are
// none). Writes are durable when they return.
//
// The conformance suite is statetest.RunCheckpoints.
type Checkpoints interface {
	PutCheckpoint(ctx context.Context, size uint64, note []byte) ([]byte, error)
	Checkpoint(ctx context.Context, size uint64) ([]byte, error)
	RecentCheckpoints(ctx context.Context, limit int) ([]uint64, error)
	PutCosignature(ctx context.Context, size uint64, witness string, line []byte) error
	Cosignatures(ctx context.Context, size uint64) ([][]byte, error)
}

// ErrNoWitnessing is returned by the witnessing calls of a Service without Checkpoints.
var ErrNoWitnessing = errors.New("this evx keeps no cosignatures (no checkpoint store configured)")

// WitnessOffer is what evx shows a witness: its latest checkpoint and the RFC 6962 consistency
// proof to it from the size the witness holds (empty when FromSize is 0 or the size itself).
type WitnessOffer struct {
	Checkpoint string   `json:"checkpoint"`
	Size       uint64   `json:"size"`
	FromSize   uint64   `json:"from_size"`
	Proof      [][]byte `json:"proof"`
	// Rotations are the log's key rotations with their inclusion proofs in the checkpoint's
	// log, when its key was ever rotated: a witness follows them to the key that signs it.
	Rotations []custody.TrailEvent `json:"key_rotations,omitempty"`
}

// WitnessAheadError: the witness holds a checkpoint larger than any evx has: evx lost history,
// or the witness follows another log under the same name.
type WitnessAheadError struct{ Held, Size uint64 }

func (e *WitnessAheadError) Error() string {
	return fmt.Sprintf("the witness holds a checkpoint of size %d, the log has only %d leaves", e.Held, e.Size)
}

// CosignatureError: a cosignature evx refuses to keep, and why.
type CosignatureError struct{ Reason string }

func (e *CosignatureError) Error() string { return "cosignature refused: " + e.Reason }

// WitnessOffer returns the checkpoint a witness holding size from should cosign: the latest
// stored one, or a new one signed now when the log has grown since (never with
// Config.OfferStoredOnly: then the latest stored one, ErrNotFound while none is). Every
// witness asking while the log does not grow gets the same checkpoint, so that their
// cosignatures meet.
func (s *Service) WitnessOffer(ctx context.Context, from uint64) (*WitnessOffer, error) {
	cs := s.c.Checkpoints
	if cs == nil {
		return nil, ErrNoWitnessing
	}
	size, err := s.c.Ledger.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	var cp []byte
	if recent, err := cs.RecentCheckpoints(ctx, 1); err != nil {
		return nil, err
	} else if s.c.OfferStoredOnly {
		if len(recent) == 0 {
			return nil, fmt.Errorf("no checkpoint published for witnesses yet: %w", ErrNotFound)
		}
		if recent[0] > size {
			return nil, fmt.Errorf("stored checkpoint of size %d, beyond the log's %d", recent[0], size)
		}
		if from > recent[0] && from <= size {
			return nil, fmt.Errorf("the witness holds a checkpoint of size %d, later than the latest published (%d): %w", from, recent[0], ErrNotFound)
		}
		size = recent[0]
		if cp, err = cs.Checkpoint(ctx, size); err != nil {
			return nil, err
		}
	} else if len(recent) == 1 && recent[0] == size {
		if cp, err = cs.Checkpoint(ctx, size); err != nil {
			return nil, err
		}
	} else {
		signed, err := s.keeper.CheckpointAt(ctx, size)
		if err != nil {
			return nil, err
		}
		if cp, err = cs.PutCheckpoint(ctx, size, signed); err != nil {
			return nil, err
		}
	}
	if from > size {
		return nil, &WitnessAheadError{Held: from, Size: size}
	}
	o := &WitnessOffer{Checkpoint: string(cp), Size: size, FromSize: from, Proof: [][]byte{}}
	if o.Rotations, err = custody.RotationsAt(ctx, s.c.Ledger, size); err != nil {
		return nil, err
	}
	if from > 0 && from < size {
		if o.Proof, err = custody.ConsistencyProof(ctx, s.c.Ledger, from, size); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// PublishCheckpoint signs a checkpoint of the log as it is now and, with Checkpoints, keeps it
// as the checkpoint witnesses are offered for its size, unless one is kept for that size
// already (the first stays: witnesses asking while the log does not grow all cosign it). It
// returns the checkpoint just signed. A host serving witnesses with Config.OfferStoredOnly
// calls it on a schedule (the audit function on AWS).
func (s *Service) PublishCheckpoint(ctx context.Context) ([]byte, error) {
	size, err := s.c.Ledger.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := s.keeper.CheckpointAt(ctx, size)
	if err != nil {
		return nil, err
	}
	if cs := s.c.Checkpoints; cs != nil {
		if _, err := cs.PutCheckpoint(ctx, size, cp); err != nil {
			return nil, fmt.Errorf("keep checkpoint of size %d for witnesses: %w", size, err)
		}
	}
	return cp, nil
}

// AddCosignature keeps a witness's cosignature of the stored checkpoint of size. vkey is the
// witness's verifier key (C2SP signed-note vkey, cosignature/v1); the line must be a valid
// cosignature by it of that checkpoint. Which witnesses count is the verifier's choice
// (evx verify --witness): evx keeps any valid one, up to custody.MaxCosignatures a checkpoint.
func (s *Service) AddCosignature(ctx context.Context, size uint64, vkey, line string) error {
	cs := s.c.Checkpoints
	if cs == nil {
		return ErrNoWitnessing
	}
	cp, err := cs.Checkpoint(ctx, size)
	if err != nil {
		return err
	}
	v, err := custody.CosignatureVerifier(vkey)
	if err != nil {
		return &CosignatureError{Reason: err.Error()}
	}
	line = strings.TrimSuffix(line, "\n") + "\n"
	if strings.Count(line, "\n") != 1 || len(line) > 1024 {
		return &CosignatureError{Reason: "want one signature line"}
	}
	id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
	if got := custody.Cosigners(append(append([]byte(nil), cp...), line...), []note.Verifier{v}); len(got) != 1 {
		return &CosignatureError{Reason: fmt.Sprintf("the line is not a valid cosignature by %s of the checkpoint of size %d", id, size)}
	}
	have, err := cs.Cosignatures(ctx, size)
	if err != nil {
		return err
	}
	if len(have) >= custody.MaxCosignatures {
		return &CosignatureError{Reason: fmt.Sprintf("the checkpoint of size %d has %d cosignatures already", size, len(have))}
	}
	return cs.PutCosignature(ctx, size, id, []byte(line))
}

// CosignedCheckpoint returns the stored checkpoint of size (the latest when size is 0) with
// every cosignature kept for it appended.
func (s *Service) CosignedCheckpoint(ctx context.Context, size uint64) ([]byte, error) {
	cs := s.c.Checkpoints
	if cs == nil {
		return nil, ErrNoWitnessing
	}
	if size == 0 {
		recent, err := cs.RecentCheckpoints(ctx, 1)
		if err != nil {
			return nil, err
		}
		if len(recent) == 0 {
			return nil, fmt.Errorf("no checkpoint shown to witnesses yet: %w", ErrNotFound)
		}
		size = recent[0]
	}
	cp, err := cs.Checkpoint(ctx, size)
	if err != nil {
		return nil, err
	}
	lines, err := cs.Cosignatures(ctx, size)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), cp...)
	for _, l := range lines {
		out = append(out, l...)
	}
	return out, nil
}

// recentWitnessed bounds the stored checkpoints an export looks through for the best cosigned one.
const recentWitnessed = 16

// bestWitnessed returns, among the recent stored checkpoints, the one with the most
// cosignatures (the largest of those), with them; nil when none has any.
func (s *Service) bestWitnessed(ctx context.Context) ([]byte, error) {
	cs := s.c.Checkpoints
	if cs == nil {
		return nil, nil
	}
	recent, err := cs.RecentCheckpoints(ctx, recentWitnessed)
	if err != nil {
		return nil, err
	}
	best, bestN := uint64(0), 0
	for _, size := range recent {
		lines, err := cs.Cosignatures(ctx, size)
		if err != nil {
			return nil, err
		}
		if len(lines) > bestN {
			best, bestN = size, len(lines)
		}
	}
	if bestN == 0 {
		return nil, nil
	}
	return s.CosignedCheckpoint(ctx, best)
}

// MaxLeavesPage is the most leaves one Leaves call returns.
const MaxLeavesPage = 1000

// ErrNoLeafFeed is returned by Leaves when the ledger cannot list its leaves.
var ErrNoLeafFeed = errors.New("this evx's ledger lists no leaves: witnesses cannot replay the log")

// Leaves returns the log's leaves from (inclusive) to to (exclusive, at most MaxLeavesPage
// after from and at most the log's size), each with the bundle key (custody.BundleKey, a
// SHA-256 of the id: never the id itself) and seq of its event: the feed a witness replays to
// check a checkpoint's heads line (package witness). It reveals how many bundles there are
// and how many events each has, not which bundles nor their content.
func (s *Service) Leaves(ctx context.Context, from, to uint64) ([]custody.Head, error) {
	ll, ok := s.c.Ledger.(custody.LeafLister)
	if !ok {
		return nil, ErrNoLeafFeed
	}
	size, err := s.c.Ledger.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	to = min(to, size, from+MaxLeavesPage)
	if from > to {
		return nil, fmt.Errorf("leaves from %d: the log has %d: %w", from, size, ErrNotFound)
	}
	ls, err := ll.Leaves(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for i := range ls {
		ls[i].Key, ls[i].BundleID = custody.BundleKey(ls[i].BundleID), ""
	}
	return ls, nil
}
