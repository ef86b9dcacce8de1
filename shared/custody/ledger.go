package custody

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/transparency-dev/merkle/compact"
)

// Ledger stores custody events and the global log over them. Implementations: the reference
// [MemLedger] here, the SQLite ledger in shared/backend/local/sqliteledger, the DynamoDB
// ledger in shared/backend/aws/dynamoledger; every one runs the conformance suite in package
// ledgertest.
//
// The ledger neither signs nor trusts: it stores sealed events and the node hashes of the
// RFC 6962 tree over their leaf hashes. Proofs are built from those nodes by [InclusionProof],
// [ConsistencyProof] and [RootAt], so every backend produces identical proofs.
type Ledger interface {
	// Append stores e as the next event of its bundle and appends its leaf hash (e.Hash) to the
	// log, atomically, returning the leaf index. It is conditional: e.Seq must be one more than
	// the bundle's last sequence (1 for a new bundle) and e.Prev that event's hash; otherwise
	// nothing is written and the error is a *ConflictError. e.Hash must be the hash of e
	// (ComputeHash); signatures are not checked here.
	Append(ctx context.Context, e Event) (leaf uint64, err error)
	// Events returns the bundle's events in sequence order (none for an unknown bundle).
	Events(ctx context.Context, bundleID string) ([]Entry, error)
	// Last returns the bundle's last event; ok is false for an unknown bundle.
	Last(ctx context.Context, bundleID string) (last Entry, ok bool, err error)
	LogReader
}

// BatchAppender is implemented by ledgers that append several consecutive events of one
// bundle in one transaction, all or none: evs[0] is conditional as in Append, each later event
// follows the one before it (CheckBatch). Keeper.RecordAll uses it when the ledger has it.
//
// A ledger may bound the events of one call: past its bound AppendAll writes nothing and
// returns a *BatchLimitError, and the caller appends them one by one.
type BatchAppender interface {
	AppendAll(ctx context.Context, evs []Event) (leaves []uint64, err error)
}

// BatchLimitError is AppendAll's answer to more events than the ledger writes at once.
type BatchLimitError struct{ Events, Limit int }

func (e *BatchLimitError) Error() string {
	return fmt.Sprintf("append: a batch of %d events, over the ledger's %d a transaction", e.Events, e.Limit)
}

// CheckBatch returns an error unless evs is a non-empty chain of one bundle: each event's Seq
// and Prev follow the event before it.
func CheckBatch(evs []Event) error {
	if len(evs) == 0 {
		return errors.New("append: no events")
	}
	for i := 1; i < len(evs); i++ {
		a, b := evs[i-1], evs[i]
		if b.BundleID != a.BundleID || b.Seq != a.Seq+1 || b.Prev != a.Hash {
			return fmt.Errorf("append: event %d of the batch (%s/%d) does not follow %s/%d", i, b.BundleID, b.Seq, a.BundleID, a.Seq)
		}
	}
	return nil
}

// LogReader reads the log's stored state: its size and the hashes of perfect subtrees
// (compact.NodeID level/index, level 0 being the leaves). Every node whose leaves are all below
// Size must be readable.
type LogReader interface {
	LogSize(ctx context.Context) (uint64, error)
	// Nodes returns the hashes of ids, in order; an id not stored is an error.
	Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
}

// Entry is a stored event and the index of its leaf in the log.
type Entry struct {
	Event Event
	Leaf  uint64
}

// ConflictError is returned by Ledger.Append when the event is not the bundle's next one:
// another writer got there first (or the caller's view is stale). Re-read Last and retry.
type ConflictError struct {
	BundleID string
	Seq      uint64 // the sequence the caller tried to write
	WantSeq  uint64 // the sequence the ledger expects next
	WantPrev string // hash of the bundle's last event ("" for a new bundle)
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("custody conflict: bundle %s: append seq %d, ledger expects seq %d after %q",
		e.BundleID, e.Seq, e.WantSeq, e.WantPrev)
}

// CheckAppend is the condition every Ledger.Append enforces, for backends to share: last is
// the bundle's current last event (ok false for a new bundle). It is CheckSealed and CheckNext.
func CheckAppend(e Event, last Entry, ok bool) error {
	if err := CheckNext(e, last, ok); err != nil {
		return err
	}
	return CheckSealed(e)
}

// CheckNext returns a *ConflictError unless e is the event that follows last (ok false: the
// bundle has no event yet). Only last.Event.Seq and last.Event.Hash are read.
func CheckNext(e Event, last Entry, ok bool) error {
	wantSeq, wantPrev := uint64(1), ""
	if ok {
		wantSeq, wantPrev = last.Event.Seq+1, last.Event.Hash
	}
	if e.Seq != wantSeq || e.Prev != wantPrev {
		return &ConflictError{BundleID: e.BundleID, Seq: e.Seq, WantSeq: wantSeq, WantPrev: wantPrev}
	}
	return nil
}

// CheckSealed returns an error unless e's fields are well formed and e.Hash is its hash
// (a *EventHashError when the hash differs).
func CheckSealed(e Event) error {
	h, err := e.ComputeHash()
	if err != nil {
		return fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
	}
	if got := hex.EncodeToString(h[:]); got != e.Hash {
		return &EventHashError{Seq: e.Seq, Want: e.Hash, Got: got}
	}
	return nil
}

// Keeper records events: it builds, seals and appends them, retrying on conflicts.
type Keeper struct {
	Ledger Ledger
	Signer Signer
	// Origin names the log in its checkpoints, e.g. "evx.example.org/custody". No spaces or '+'.
	Origin string
	// Now returns the time stamped on events; time.Now when nil.
	Now func() time.Time
	// Retries bounds the attempts after a *ConflictError; 16 when zero.
	Retries int
}

// Draft is an event to record: Keeper fills in bundle, sequence, time, chain and signature.
type Draft struct {
	Type    EventType
	Actor   Actor
	Details Details
}

// Record appends a new event of type typ to the bundle, after its current last event, and
// returns it sealed with its leaf index. A concurrent writer that wins the sequence makes
// Record re-read and retry, up to k.Retries times.
func (k *Keeper) Record(ctx context.Context, bundleID string, typ EventType, actor Actor, d Details) (Entry, error) {
	es, err := k.RecordAll(ctx, bundleID, []Draft{{Type: typ, Actor: actor, Details: d}})
	if err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// RecordAll appends several events to the bundle in order, as Record does. When the ledger is
// a BatchAppender they are written in one transaction, all or none (one fsync for all);
// otherwise one by one.
func (k *Keeper) RecordAll(ctx context.Context, bundleID string, drafts []Draft) ([]Entry, error) {
	if len(drafts) == 0 {
		return nil, nil
	}
	retries := k.Retries
	if retries == 0 {
		retries = 16
	}
	now := k.Now
	if now == nil {
		now = time.Now
	}
	batcher, batch := k.Ledger.(BatchAppender)
	var done []Entry // written one by one before a conflict
	for attempt := 0; ; attempt++ {
		last, ok, err := k.Ledger.Last(ctx, bundleID)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", bundleID, err)
		}
		evs := make([]Event, len(drafts))
		for i, d := range drafts {
			e := Event{BundleID: bundleID, Seq: 1, Type: d.Type, Time: now().UTC(), Actor: d.Actor, Details: d.Details}
			var prev *Event
			if i > 0 {
				prev = &evs[i-1]
			} else if ok {
				prev = &last.Event
			}
			if prev != nil {
				e.Seq, e.Prev = prev.Seq+1, prev.Hash
				if e.Time.Before(prev.Time) {
					e.Time = prev.Time // times never go backwards within a bundle
				}
			}
			if err := Seal(ctx, k.Signer, &e); err != nil {
				return nil, err
			}
			evs[i] = e
		}
		var leaves []uint64
		var limit *BatchLimitError
		if batch {
			leaves, err = batcher.AppendAll(ctx, evs)
		}
		if !batch || errors.As(err, &limit) {
			leaves, err = nil, nil
			for _, e := range evs {
				var leaf uint64
				if leaf, err = k.Ledger.Append(ctx, e); err != nil {
					break
				}
				leaves = append(leaves, leaf)
			}
		}
		for i, leaf := range leaves {
			done = append(done, Entry{Event: evs[i], Leaf: leaf})
		}
		drafts = drafts[len(leaves):]
		var ce *ConflictError
		if errors.As(err, &ce) && attempt < retries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", bundleID, err)
		}
		return done, nil
	}
}

// strictUnmarshal decodes one JSON value into v, refusing unknown fields and trailing data.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// EntryEvents returns the events of es, in order.
func EntryEvents(es []Entry) []Event {
	evs := make([]Event, len(es))
	for i, e := range es {
		evs[i] = e.Event
	}
	return evs
}
