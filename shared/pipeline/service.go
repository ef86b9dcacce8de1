package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// DefaultReceiptWindow is how long a counterpart has to post its receipt when Config leaves
// ReceiptWindow zero.
const DefaultReceiptWindow = 14 * 24 * time.Hour

// Config holds the ports and settings of a Service. Every port is required.
type Config struct {
	Blobs      BlobStore
	Ledger     custody.Ledger
	Signer     custody.Signer
	Queue      Queue
	Directory  Directory
	Deliveries Deliveries
	Uploads    Uploads
	Bags       Bags
	// Receipts keeps the signed receipts, so that an identical retry of a receipt and
	// Service.Receipt return the receipt first signed. Optional: without it a retry is a
	// *ReceiptConflictError and Service.Receipt signs the receipt afresh from the trail.
	Receipts Receipts
	// Submissions records each uploader's submission of a bundle. Optional: without it a
	// second uploader of the same bytes is shown nothing (404) and recorded only by the
	// custody event Resubmission.
	Submissions Submissions
	// Requests checks that a bundle naming a request (EVX-Request-Reference) goes to the
	// request's parties, and records that it answers it. Optional: without it the reference
	// is free text.
	Requests Requests
	// Retainer locks the documents of a bundle a preservation order covers until the
	// period's end (S3 Object Lock). Optional.
	Retainer Retainer
	// Guard orders ingests storing documents against disposals deleting them across
	// processes (DocumentGuard). Optional: one process orders them itself.
	Guard DocumentGuard
	// Disposer deletes documents for Dispose when Blobs cannot (BlobDeleter): on AWS only the
	// function that disposes holds it. Optional.
	Disposer BlobDeleter
	// Checkpoints keeps the checkpoints shown to witnesses and their cosignatures. Optional:
	// without it evx serves no witnesses and exports trails without a cosigned checkpoint.
	Checkpoints Checkpoints
	// OfferStoredOnly makes WitnessOffer serve the latest checkpoint stored in Checkpoints and
	// never sign one on request: a host whose checkpoints are signed on a schedule
	// (PublishCheckpoint; the audit function on AWS) sets it where witnesses are served (the
	// api function), so that serving witnesses needs no signing.
	OfferStoredOnly bool
	// Origin names the custody log in checkpoints, e.g. "evx.example.org/custody".
	Origin string
	// Clock stamps events and deadlines; time.Now when nil.
	Clock Clock
	// ReceiptWindow is the time from consignment to the receipt deadline; DefaultReceiptWindow
	// when zero.
	ReceiptWindow time.Duration
	// Intake validates and extracts the bags Ingest records: BagIntake(extract.Record(...),
	// limits). A host that never ingests leaves it nil and then links neither bag validation
	// nor text extraction; its Ingest returns ErrNoIntake for a bundle not yet ingested.
	Intake *Intake
	// FullReadDays is the fixity sample's period: where Blobs keeps checksums of its own
	// (ChecksumStore), Fixity reads a document in full on one day in FullReadDays, the day
	// FullReadDay names, and otherwise compares the store's checksum; DefaultFullReadDays
	// when zero.
	FullReadDays int
	// Members records the progress of ingests a payload file at a time, so that an ingest run
	// again skips the files already stored and verified, and so that a large bag can be
	// ingested in chunks (Service.Plan, Service.IngestChunk). Optional: without it every run
	// reads the whole bag, and Plan never splits one.
	Members Members
	// Log receives one line per step; discarded when nil.
	Log *slog.Logger
}

// Service runs evx's use cases over the ports of a Config. Its methods are safe for
// concurrent use; every step reads the bundle's custody trail before acting and appends its
// event only if the trail does not already hold it, conditionally on the trail's last
// sequence, so steps retried after a crash or run twice at once record each event once.
type Service struct {
	c      Config
	keeper *custody.Keeper
	search SearchIndex // nil without WithSearch
	// stored orders what adds documents against what deletes them: an ingest holds it shared
	// from its first stored document to its recorded outcome, a disposal exclusively from its
	// check of the other holders to its record, so that a document a bundle being ingested
	// brings is never deleted as held by none (documents are stored by their SHA-256).
	stored *sync.RWMutex
}

// New checks c and returns the Service.
func New(c Config) (*Service, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Blobs": c.Blobs != nil, "Ledger": c.Ledger != nil, "Signer": c.Signer != nil,
		"Queue": c.Queue != nil, "Directory": c.Directory != nil, "Deliveries": c.Deliveries != nil,
		"Uploads": c.Uploads != nil, "Bags": c.Bags != nil, "Origin": c.Origin != "",
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("pipeline config: missing %v", missing)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.ReceiptWindow <= 0 {
		c.ReceiptWindow = DefaultReceiptWindow
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{c: c, stored: &sync.RWMutex{}}
	s.keeper = &custody.Keeper{Ledger: c.Ledger, Signer: c.Signer, Origin: c.Origin, Now: c.Clock}
	return s, nil
}

// Signer returns the key that signs events, checkpoints and receipts (its Public key verifies
// them all).
func (s *Service) Signer() custody.Signer { return s.c.Signer }

// Origin names the custody log in checkpoints.
func (s *Service) Origin() string { return s.c.Origin }

// maxAppendAttempts bounds the re-reads after a lost race for a bundle's next sequence.
const maxAppendAttempts = 32

// decision is what a step wants to append after reading the trail; nil means nothing is due.
type decision struct {
	typ     custody.EventType
	actor   custody.Actor
	details custody.Details
}

// appendOnce reads the bundle's trail, asks decide what to append, and appends it as the next
// event, conditionally: if another writer appended first it reads the trail again and asks
// again. decide returning nil (nothing to do) ends it with ok false. The time stamped is never
// before the trail's last event.
func (s *Service) appendOnce(ctx context.Context, bundleID string, decide func(trail []custody.Entry) (*decision, error)) (custody.Entry, bool, error) {
	es, err := s.appendAllOnce(ctx, bundleID, func(trail []custody.Entry) ([]*decision, error) {
		d, err := decide(trail)
		if err != nil || d == nil {
			return nil, err
		}
		return []*decision{d}, nil
	})
	if err != nil || len(es) == 0 {
		return custody.Entry{}, false, err
	}
	return es[0], true, nil
}

// appendAllOnce is appendOnce for several events, appended in order as the bundle's next ones:
// in one transaction (all or none) when the ledger is a custody.BatchAppender, otherwise one
// by one, asking decide again after a conflict with the trail as it then is (so events written
// before the conflict are not asked for twice). It returns the events it appended.
func (s *Service) appendAllOnce(ctx context.Context, bundleID string, decide func(trail []custody.Entry) ([]*decision, error)) ([]custody.Entry, error) {
	batcher, batch := s.c.Ledger.(custody.BatchAppender)
	var out []custody.Entry
	for range maxAppendAttempts {
		trail, err := s.c.Ledger.Events(ctx, bundleID)
		if err != nil {
			return out, fmt.Errorf("read trail of %s: %w", bundleID, err)
		}
		ds, err := decide(trail)
		if err != nil || len(ds) == 0 {
			return out, err
		}
		evs := make([]custody.Event, len(ds))
		var prev *custody.Event
		if n := len(trail); n > 0 {
			prev = &trail[n-1].Event
		}
		now := s.c.Clock().UTC()
		for i, d := range ds {
			if err := s.packDocuments(ctx, bundleID, &d.details); err != nil {
				return out, err
			}
			e := custody.Event{BundleID: bundleID, Seq: 1, Type: d.typ, Time: now, Actor: d.actor, Details: d.details}
			if prev != nil {
				e.Seq, e.Prev = prev.Seq+1, prev.Hash
				if e.Time.Before(prev.Time) {
					e.Time = prev.Time
				}
			}
			if err := custody.Seal(ctx, s.c.Signer, &e); err != nil {
				return out, err
			}
			evs[i] = e
			prev = &evs[i]
		}
		var leaves []uint64
		var limit *custody.BatchLimitError
		if batch && len(evs) > 1 {
			leaves, err = batcher.AppendAll(ctx, evs)
		}
		if !(batch && len(evs) > 1) || errors.As(err, &limit) {
			leaves, err = nil, nil
			for _, e := range evs {
				var leaf uint64
				if leaf, err = s.c.Ledger.Append(ctx, e); err != nil {
					break
				}
				leaves = append(leaves, leaf)
			}
		}
		for i, leaf := range leaves {
			out = append(out, custody.Entry{Event: evs[i], Leaf: leaf})
		}
		var conflict *custody.ConflictError
		if errors.As(err, &conflict) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("record %s for %s: %w", evs[len(leaves)].Type, bundleID, err)
		}
		return out, nil
	}
	return out, fmt.Errorf("record event for %s: lost the race for the next sequence %d times", bundleID, maxAppendAttempts)
}

// find returns the first event of the trail for which match is true.
func find(trail []custody.Entry, match func(e custody.Event) bool) (custody.Entry, bool) {
	for _, en := range trail {
		if match(en.Event) {
			return en, true
		}
	}
	return custody.Entry{}, false
}

func ofType(types ...custody.EventType) func(custody.Event) bool {
	return func(e custody.Event) bool {
		for _, t := range types {
			if e.Type == t {
				return true
			}
		}
		return false
	}
}

func forCounterpart(cp string, types ...custody.EventType) func(custody.Event) bool {
	is := ofType(types...)
	return func(e custody.Event) bool { return e.Details.Counterpart == cp && is(e) }
}

func system(id string) custody.Actor { return custody.Actor{Kind: custody.ActorSystem, ID: id} }
