package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// DefaultReviewAfter is the time from a bundle's acceptance to its first retention review when
// the sending agency's directory entry sets none (review_after_days): three years. The Law
// Enforcement Directive (EU) 2016/680 art. 5 asks for time limits for erasure or periodic
// review; the period itself is national law's, hence the directory setting.
const DefaultReviewAfter = 3 * 365 * 24 * time.Hour

// Preservation is what a request asks of the data answering it: that it not be deleted while
// its preservation period runs (a European Preservation Order, Regulation (EU) 2023/1543 art.
// 11). State is custody.PreservationRunning (until Until), PreservationContinuing (no end: a
// production order followed) or PreservationEnded (at Until).
type Preservation struct {
	State string
	Until time.Time
	Rule  string
}

// ContinuingLock is how far ahead SyncRetention locks the documents of a preservation that
// continues without an end (an EPOC-PR confirmed by a production order): rolled forward on
// every run.
const ContinuingLock = 90 * 24 * time.Hour

// Retainer locks a stored document against deletion until a time (S3 Object Lock on AWS). It
// never shortens a lock. Optional: the embedded store refuses deletion through the recorded
// retention alone.
type Retainer interface {
	Retain(ctx context.Context, sha256 string, until time.Time) error
}

// BlobDeleter deletes a stored document (a missing one is not an error): what disposal needs
// of the blob store.
type BlobDeleter interface {
	Delete(ctx context.Context, sum string) error
}

// BlobLocks is implemented by document stores that can forbid deletion (S3 Object Lock):
// LockedUntil is when the last lock on the stored blob sum ends (zero when none).
type BlobLocks interface {
	LockedUntil(ctx context.Context, sum string) (time.Time, error)
}

// DocumentGuard orders, across the processes that share one document store, the ingests that
// store documents and the disposals that delete them (on AWS, many Lambdas; dynamostate.Table).
// Documents are content-addressed: a bundle being ingested may bring a document that a
// disposal is about to delete as held by no one, and the ingest's Put, finding the object, would
// not store it again. So an ingest holds every blob before it stores it, a disposal claims a
// blob before deleting it, which succeeds only while no other bundle holds it, and a hold waits
// while a claim stands. One process orders them with Service.stored alone and needs none.
type DocumentGuard interface {
	// Hold records bundle as a holder of blob sum; it waits while another bundle's disposal
	// claims sum, and fails rather than return while the claim stands.
	Hold(ctx context.Context, sum, bundle string) error
	// Claim marks sum as being deleted by bundle's disposal, when no other bundle holds it
	// and no other disposal claims it; otherwise ok is false and holder names one who does.
	// A claim bundle already holds succeeds again.
	Claim(ctx context.Context, sum, bundle string) (holder string, ok bool, err error)
	// Drop removes bundle's hold of sum: a bundle rejected, or disposed of.
	Drop(ctx context.Context, sum, bundle string) error
	// Release ends bundle's claim of sum, the blob deleted, and its hold.
	Release(ctx context.Context, sum, bundle string) error
}

// Hold is one preservation order on a bundle, as its last RetentionSet for the order left it.
type Hold struct {
	Request string    `json:"request"`
	State   string    `json:"state"`          // running, continuing or ended
	Until   time.Time `json:"until,omitzero"` // zero while continuing
	Rule    string    `json:"rule,omitempty"` // the rule that set the period
	Seq     uint64    `json:"event_seq"`      // of the RetentionSet
	Since   time.Time `json:"since,omitzero"` // when it was recorded
}

// Forbids reports whether h forbids deletion at now.
func (h Hold) Forbids(now time.Time) bool {
	return h.State == custody.PreservationContinuing || h.State == custody.PreservationRunning && now.Before(h.Until)
}

// Retention is where a bundle stands in its retention, as its events leave it.
type Retention struct {
	BundleID string    `json:"bundle"`
	Sender   string    `json:"sender"`
	Accepted time.Time `json:"accepted"`
	// ReviewDue is when legal staff are to review the bundle: ReviewAfter from its acceptance,
	// or the date the last review extending it set; zero once disposal is authorised.
	ReviewDue   time.Time     `json:"review_due,omitzero"`
	ReviewAfter time.Duration `json:"review_after"`
	Holds       []Hold        `json:"holds,omitempty"`
	// Decision is the last review's: "", DecisionExtend or DecisionDispose; DecidedBy and
	// DecidedAt say who and when.
	Decision  string    `json:"decision,omitempty"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Note      string    `json:"note,omitempty"`
	// Disposed: the documents were deleted (DocumentsDisposed); Kept are those another bundle
	// still holds.
	Disposed   bool      `json:"disposed,omitempty"`
	DisposedAt time.Time `json:"disposed_at,omitzero"`
	Kept       []string  `json:"kept,omitempty"`
}

// ForbiddenBy returns the holds that forbid deletion at now.
func (r *Retention) ForbiddenBy(now time.Time) []Hold {
	var out []Hold
	for _, h := range r.Holds {
		if h.Forbids(now) {
			out = append(out, h)
		}
	}
	return out
}

// RetentionOf folds a bundle's events (event 1 its SubmissionAcceptance) into its retention;
// reviewAfter is the sending agency's review period. A function of the events alone, so a
// verifier can rebuild it from an exported trail.
func RetentionOf(evs []custody.Event, reviewAfter time.Duration) Retention {
	r := Retention{ReviewAfter: reviewAfter}
	if len(evs) == 0 {
		return r
	}
	r.BundleID, r.Sender, r.Accepted = evs[0].BundleID, custody.Sender(evs), evs[0].Time
	r.ReviewDue = r.Accepted.Add(reviewAfter)
	for _, e := range evs {
		switch e.Type {
		case custody.RetentionSet:
			h := Hold{Request: e.Details.Reference, State: custody.TaggedReason(e.Details, "state"), Rule: custody.TaggedReason(e.Details, "rule"), Seq: e.Seq, Since: e.Time}
			h.Until, _ = time.Parse(custody.TimeFormat, e.Details.Deadline)
			if i := slices.IndexFunc(r.Holds, func(x Hold) bool { return x.Request == h.Request }); i >= 0 {
				r.Holds[i] = h
			} else {
				r.Holds = append(r.Holds, h)
			}
		case custody.RetentionReviewed:
			r.Decision, r.DecidedAt, r.Note = custody.TaggedReason(e.Details, "decision"), e.Time, custody.TaggedReason(e.Details, "note")
			r.DecidedBy = e.Actor.ID
			if r.Decision == custody.DecisionExtend {
				r.ReviewDue, _ = time.Parse(custody.TimeFormat, e.Details.Deadline)
			} else {
				r.ReviewDue = time.Time{}
			}
		case custody.DocumentsDisposed:
			r.Disposed, r.DisposedAt = true, e.Time
			r.Kept = nil
			for _, k := range e.Details.Reasons {
				if v, ok := strings.CutPrefix(k, "kept="); ok {
					r.Kept = append(r.Kept, v)
				}
			}
		}
	}
	return r
}

// RetentionError is a retention act refused: the caller may not review the bundle, disposal
// is not authorised, or a preservation order forbids it.
type RetentionError struct {
	BundleID string
	Reason   string
}

func (e *RetentionError) Error() string {
	return fmt.Sprintf("retention of bundle %s: %s", e.BundleID, e.Reason)
}

// DisposedError is a read of a document that was disposed of (DocumentsDisposed).
type DisposedError struct {
	BundleID string
	At       time.Time
}

func (e *DisposedError) Error() string {
	return fmt.Sprintf("the documents of bundle %s were disposed of on %s; its custody trail remains", e.BundleID, e.At.UTC().Format(time.DateOnly))
}

// reviewAfter is the review period of the sending agency (DefaultReviewAfter when it sets none
// or is not in the directory).
func (s *Service) reviewAfter(ctx context.Context, sender string) time.Duration {
	if sender == "" {
		return DefaultReviewAfter
	}
	a, err := s.c.Directory.Counterpart(ctx, sender)
	if err != nil || a.ReviewAfterDays <= 0 {
		return DefaultReviewAfter
	}
	return time.Duration(a.ReviewAfterDays) * 24 * time.Hour
}

// retentionCaller returns the bundle's events if the caller may act on its retention: the
// sending agency, or the data folder's operator (a caller naming no agency). Anyone else is
// told the bundle does not exist.
func (s *Service) retentionCaller(ctx context.Context, bundleID string) ([]custody.Event, Party, error) {
	evs, err := s.acceptedTrail(ctx, bundleID)
	if err != nil {
		return nil, Party{}, err
	}
	p, _ := ActingParty(ctx)
	if p.Agency != "" && p.Agency != custody.Sender(evs) {
		return nil, Party{}, &BundleNotFoundError{BundleID: bundleID}
	}
	return evs, p, nil
}

// Retention returns where the bundle stands in its retention, for its sending agency (or the
// operator).
func (s *Service) Retention(ctx context.Context, bundleID string) (Retention, error) {
	evs, _, err := s.retentionCaller(ctx, bundleID)
	if err != nil {
		return Retention{}, err
	}
	return RetentionOf(evs, s.reviewAfter(ctx, custody.Sender(evs))), nil
}

// SyncRetention records on the bundle the preservation period of the request it answers, when
// that request preserves (an EPOC-PR) and its period changed since the last RetentionSet:
// started, extended, continued without an end, or ended. With a Retainer it also locks every
// document until the period's end (ContinuingLock from now while it continues without one),
// on every run. Once however often it runs; ok reports a new event.
func (s *Service) SyncRetention(ctx context.Context, bundleID string) (en custody.Entry, ok bool, err error) {
	if s.c.Requests == nil {
		return custody.Entry{}, false, nil
	}
	evs, err := s.acceptedTrail(ctx, bundleID)
	if err != nil {
		return custody.Entry{}, false, err
	}
	req := evs[0].Details.Request
	if req == nil || req.RequestReference == "" {
		return custody.Entry{}, false, nil
	}
	p, known, err := s.c.Requests.Preservation(ctx, req.RequestReference)
	if err != nil || !known {
		return custody.Entry{}, false, err
	}
	if s.c.Retainer != nil && (p.State == custody.PreservationRunning || p.State == custody.PreservationContinuing) {
		until := p.Until
		if p.State == custody.PreservationContinuing {
			// No end: a lock that rolls forward. Every run extends it to ContinuingLock from
			// now, so it cannot lapse while the order continues (the scheduler runs daily),
			// needs no legal hold (which evx could then never release), and once the order
			// ends, it is no longer extended and runs out.
			until = s.c.Clock().Add(ContinuingLock)
		}
		docs, err := s.EventDocuments(ctx, evs[0])
		if err != nil {
			return custody.Entry{}, false, err
		}
		for _, d := range docs {
			if err := s.c.Retainer.Retain(ctx, d.SHA256, until); err != nil {
				return custody.Entry{}, false, fmt.Errorf("retain %s of %s: %w", d.Name, bundleID, err)
			}
		}
	}
	deadline := ""
	if !p.Until.IsZero() {
		deadline = p.Until.UTC().Format(custody.TimeFormat)
	}
	return s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
		for i := len(trail) - 1; i >= 0; i-- {
			e := trail[i].Event
			if e.Type == custody.RetentionSet && e.Details.Reference == req.RequestReference {
				if custody.TaggedReason(e.Details, "state") == p.State && e.Details.Deadline == deadline {
					return nil, nil
				}
				break
			}
		}
		reasons := []string{"state=" + p.State}
		if p.Rule != "" {
			reasons = append(reasons, "rule="+p.Rule)
		}
		return &decision{typ: custody.RetentionSet, actor: system("retention"),
			details: custody.Details{Reference: req.RequestReference, Deadline: deadline, Reasons: reasons}}, nil
	})
}

// MaxRetentionNote bounds the note of a review.
const MaxRetentionNote = 2000

// ReviewRetention records the review of a bundle by legal staff of its sending agency (the
// caller): DecisionExtend to the next review date next, or DecisionDispose. A review
// repeating the last decision (and date) records nothing.
func (s *Service) ReviewRetention(ctx context.Context, bundleID, decisionName string, next time.Time, note string) (custody.Entry, error) {
	evs, p, err := s.retentionCaller(ctx, bundleID)
	if err != nil {
		return custody.Entry{}, err
	}
	fail := func(format string, a ...any) (custody.Entry, error) {
		return custody.Entry{}, &RetentionError{BundleID: bundleID, Reason: fmt.Sprintf(format, a...)}
	}
	now := s.c.Clock()
	switch {
	case decisionName != custody.DecisionExtend && decisionName != custody.DecisionDispose:
		return fail("decision %q: want %s or %s", decisionName, custody.DecisionExtend, custody.DecisionDispose)
	case decisionName == custody.DecisionExtend && !next.After(now):
		return fail("an extension names a next review date after now")
	case decisionName == custody.DecisionDispose && !next.IsZero():
		return fail("a disposal names no next review date")
	case len(note) > MaxRetentionNote || strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 && r != '\t' }):
		return fail("note: want at most %d characters on one line", MaxRetentionNote)
	}
	if RetentionOf(evs, 0).Disposed {
		return fail("its documents were disposed of already")
	}
	deadline := ""
	if !next.IsZero() {
		deadline = next.UTC().Format(custody.TimeFormat)
	}
	reasons := []string{"decision=" + decisionName}
	if note != "" {
		reasons = append(reasons, "note="+note)
	}
	actor := partyActor(custody.ActorUser, UploaderName(p), p)
	if actor.ID == "" {
		actor.ID = "legal"
	}
	en, _, err := s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
		r := RetentionOf(custody.EntryEvents(trail), 0)
		if r.Decision == decisionName && (decisionName == custody.DecisionDispose || r.ReviewDue.Equal(next.UTC().Truncate(0))) {
			return nil, nil
		}
		return &decision{typ: custody.RetentionReviewed, actor: actor, details: custody.Details{Deadline: deadline, Reasons: reasons}}, nil
	})
	return en, err
}

// Dispose deletes the documents of a bundle (and their extracted text) once legal staff
// authorised it (ReviewRetention with DecisionDispose) and no preservation order forbids it,
// then records DocumentsDisposed; the custody trail, which holds only hashes, stays. A
// document another bundle not disposed of holds too (documents are stored by their SHA-256)
// is kept and named. Disposing again records nothing; a disposal interrupted before its event
// is finished by the next call.
func (s *Service) Dispose(ctx context.Context, bundleID string) (custody.Entry, error) {
	evs, _, err := s.retentionCaller(ctx, bundleID)
	if err != nil {
		return custody.Entry{}, err
	}
	if _, _, err := s.SyncRetention(ctx, bundleID); err != nil {
		return custody.Entry{}, err
	}
	if evs, err = s.acceptedTrail(ctx, bundleID); err != nil {
		return custody.Entry{}, err
	}
	r := RetentionOf(evs, 0)
	fail := func(format string, a ...any) (custody.Entry, error) {
		return custody.Entry{}, &RetentionError{BundleID: bundleID, Reason: fmt.Sprintf(format, a...)}
	}
	extraction := map[string]string{}                           // document hash -> extraction record hash
	docsOf := make([][]custody.Document, len(evs))              // each event's documents, inline or from its manifest
	opened := map[custody.DocumentManifest][]custody.Document{} // manifests read: events share them
	for i, e := range evs {
		if m := e.Details.DocumentManifest; m != nil && opened[*m] != nil {
			docsOf[i] = opened[*m]
		} else if docsOf[i], err = s.EventDocuments(ctx, e); err != nil {
			return custody.Entry{}, err
		} else if m != nil {
			opened[*m] = docsOf[i]
		}
		for _, d := range docsOf[i] {
			if d.Extraction != "" {
				extraction[d.SHA256] = d.Extraction
			}
		}
	}
	blobsOf := func(d custody.Document) []string {
		if x := extraction[d.SHA256]; x != "" {
			return []string{d.SHA256, x}
		}
		return []string{d.SHA256}
	}
	if r.Disposed {
		// A run interrupted after its record leaves claims standing: end them.
		for i, e := range evs {
			if e.Type != custody.DocumentsDisposed {
				continue
			}
			for _, d := range docsOf[i] {
				if err := s.releaseAll(ctx, bundleID, blobsOf(d)); err != nil {
					return custody.Entry{}, err
				}
			}
		}
		return custody.Entry{}, s.reindexDisposed(ctx, bundleID)
	}
	if r.Decision != custody.DecisionDispose {
		return fail("disposal is not authorised: legal staff of the sending agency review it first (evx retention review --decision dispose)")
	}
	if hs := r.ForbiddenBy(s.c.Clock()); len(hs) > 0 {
		h := hs[0]
		if h.State == custody.PreservationContinuing {
			return fail("request %s preserves it without an end (a production order followed)", h.Request)
		}
		return fail("request %s preserves it until %s", h.Request, h.Until.UTC().Format(custody.TimeFormat))
	}
	del := s.c.Disposer
	if del == nil {
		var ok bool
		if del, ok = s.c.Blobs.(BlobDeleter); !ok {
			return fail("this deployment's document store cannot delete")
		}
	}
	// No ingest stores a document between the check of its other holders and the record: in
	// this process by s.stored, across processes by the guard's claims.
	s.stored.Lock()
	defer s.stored.Unlock()
	held, err := s.heldElsewhere(ctx, bundleID)
	if err != nil {
		return custody.Entry{}, err
	}
	// Nothing is claimed or deleted while a lock forbids deleting any of it.
	if locks, ok := del.(BlobLocks); ok {
		now := s.c.Clock()
		for _, d := range docsOf[0] {
			if _, ok := held[d.SHA256]; ok {
				continue
			}
			for _, sum := range blobsOf(d) {
				until, err := locks.LockedUntil(ctx, sum)
				if err != nil {
					return custody.Entry{}, fmt.Errorf("dispose of %s of %s: %w", d.Name, bundleID, err)
				}
				if until.After(now) {
					return fail("document %s is locked by the store (S3 Object Lock) until %s", d.Name, until.UTC().Format(custody.TimeFormat))
				}
			}
		}
	}
	var deleted []custody.Document
	var kept, claimed []string
	for _, d := range docsOf[0] {
		if other, ok := held[d.SHA256]; ok {
			kept = append(kept, fmt.Sprintf("kept=%s held by %s", d.SHA256, other))
			continue
		}
		if other, ok, err := s.claimAll(ctx, bundleID, blobsOf(d)); err != nil {
			return custody.Entry{}, err
		} else if !ok {
			kept = append(kept, fmt.Sprintf("kept=%s held by %s", d.SHA256, other))
			continue
		}
		claimed = append(claimed, blobsOf(d)...)
		for _, sum := range slices.Backward(blobsOf(d)) { // the text first, as before
			if err := del.Delete(ctx, sum); err != nil {
				return custody.Entry{}, fmt.Errorf("dispose of %s of %s: %w", d.Name, bundleID, err)
			}
		}
		deleted = append(deleted, d)
	}
	en, _, err := s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
		if RetentionOf(custody.EntryEvents(trail), 0).Disposed {
			return nil, nil
		}
		return &decision{typ: custody.DocumentsDisposed, actor: system("retention"),
			details: custody.Details{Documents: deleted, Reasons: capReasons(kept)}}, nil
	})
	if err != nil {
		return custody.Entry{}, err // the claims stand: the next run finishes the disposal
	}
	if err := s.releaseAll(ctx, bundleID, claimed); err != nil {
		return en, err
	}
	return en, s.reindexDisposed(ctx, bundleID)
}

// claimAll claims every blob of sums for bundle's disposal (DocumentGuard), dropping the holds
// of bundles that no longer hold anything (rejected, or disposed of); when another bundle holds
// one, it releases what it claimed and returns that bundle. Without a guard it claims all.
func (s *Service) claimAll(ctx context.Context, bundle string, sums []string) (string, bool, error) {
	g := s.c.Guard
	if g == nil {
		return "", true, nil
	}
	var got []string
	for _, sum := range sums {
		holder, ok, err := s.claim(ctx, g, bundle, sum)
		if err == nil && !ok {
			err = s.releaseAll(ctx, bundle, got)
		}
		if err != nil || !ok {
			return holder, false, err
		}
		got = append(got, sum)
	}
	return "", true, nil
}

func (s *Service) claim(ctx context.Context, g DocumentGuard, bundle, sum string) (string, bool, error) {
	for try := 0; ; try++ {
		holder, ok, err := g.Claim(ctx, sum, bundle)
		if err != nil || ok || try >= 8 {
			return holder, ok, err
		}
		// A hold of a bundle whose ingest ended in a rejection, or that was disposed of, is
		// stale; a bundle with no outcome yet is being ingested and holds the blob.
		trail, err := s.c.Ledger.Events(ctx, holder)
		if err != nil {
			return "", false, err
		}
		evs := custody.EntryEvents(trail)
		if len(evs) == 0 || evs[0].Type == custody.SubmissionAcceptance && !RetentionOf(evs, 0).Disposed {
			return holder, false, nil
		}
		if err := g.Drop(ctx, sum, holder); err != nil {
			return "", false, err
		}
	}
}

// releaseAll ends bundle's claims of sums.
func (s *Service) releaseAll(ctx context.Context, bundle string, sums []string) error {
	if s.c.Guard == nil {
		return nil
	}
	for _, sum := range sums {
		if err := s.c.Guard.Release(ctx, sum, bundle); err != nil {
			return fmt.Errorf("release %s of %s: %w", sum, bundle, err)
		}
	}
	return nil
}

// reindexDisposed takes the text of a disposed bundle's documents out of the search index
// (the bundle stays findable by its references); nothing without search.
func (s *Service) reindexDisposed(ctx context.Context, bundleID string) error {
	if s.search == nil {
		return nil
	}
	if _, err := s.indexBundle(ctx, bundleID); err != nil {
		return fmt.Errorf("dispose of %s: search index: %w", bundleID, err)
	}
	return nil
}

// acceptedBundles calls each with the events of every accepted bundle of the ledger, in id
// order. It needs a ledger that lists its subjects (the embedded one; on AWS a table scan).
func (s *Service) acceptedBundles(ctx context.Context, each func(id string, evs []custody.Event) error) error {
	lister, ok := s.c.Ledger.(interface {
		Subjects(ctx context.Context, prefix string) ([]string, error)
	})
	if !ok {
		return errors.New("the ledger cannot list its bundles")
	}
	subjects, err := lister.Subjects(ctx, "")
	if err != nil {
		return fmt.Errorf("list bundles: %w", err)
	}
	slices.Sort(subjects)
	for _, id := range subjects {
		if strings.Contains(id, ":") {
			continue // requests, reads, agencies and the key log
		}
		trail, err := s.c.Ledger.Events(ctx, id)
		if err != nil {
			return fmt.Errorf("trail of %s: %w", id, err)
		}
		evs := custody.EntryEvents(trail)
		if len(evs) == 0 || evs[0].Type != custody.SubmissionAcceptance {
			continue
		}
		if err := each(id, evs); err != nil {
			return err
		}
	}
	return nil
}

// heldElsewhere maps each document hash that a bundle other than bundleID still holds
// (accepted, not disposed of) to one such bundle.
func (s *Service) heldElsewhere(ctx context.Context, bundleID string) (map[string]string, error) {
	held := map[string]string{}
	err := s.acceptedBundles(ctx, func(id string, evs []custody.Event) error {
		if id == bundleID || RetentionOf(evs, 0).Disposed {
			return nil
		}
		docs, err := s.EventDocuments(ctx, evs[0])
		if err != nil {
			return err
		}
		for _, d := range docs {
			if _, ok := held[d.SHA256]; !ok {
				held[d.SHA256] = id
			}
		}
		// Its document manifest too, in case a document of the bundle disposed of has its bytes.
		if m := evs[0].Details.DocumentManifest; m != nil {
			if _, ok := held[m.SHA256]; !ok {
				held[m.SHA256] = id
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dispose: %w", err)
	}
	return held, nil
}

// Retentions lists the retention of every accepted bundle the caller's agency sent (every
// bundle for a caller naming no agency), in bundle id order; with dueBy not zero, only those
// not disposed of whose review is due by then or whose disposal is authorised.
func (s *Service) Retentions(ctx context.Context, dueBy time.Time) ([]Retention, error) {
	p, _ := ActingParty(ctx)
	out := []Retention{}
	err := s.acceptedBundles(ctx, func(id string, evs []custody.Event) error {
		sender := custody.Sender(evs)
		if p.Agency != "" && p.Agency != sender {
			return nil
		}
		r := RetentionOf(evs, s.reviewAfter(ctx, sender))
		due := !r.Disposed && (r.Decision == custody.DecisionDispose || !r.ReviewDue.After(dueBy))
		if !dueBy.IsZero() && !due {
			return nil
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// checkDisposed refuses a read of a bundle whose documents were disposed of.
func checkDisposed(bundleID string, trail []custody.Entry) error {
	for i := len(trail) - 1; i >= 0; i-- {
		if e := trail[i].Event; e.Type == custody.DocumentsDisposed {
			return &DisposedError{BundleID: bundleID, At: e.Time}
		}
	}
	return nil
}
