package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/evx-project/evx/shared/custody"
)

// Submit records an upload whose bag the host has stored durably (Bags can open it), in state
// received, and returns the stored record: an upload already known keeps its state, so the
// same bag submitted twice is one bundle. The host acknowledges the upload only after Submit
// returns nil; Process (or Resume after a crash) does the rest.
func (s *Service) Submit(ctx context.Context, u Upload) (Upload, error) {
	if err := checkBundleID(u.BundleID); err != nil {
		return Upload{}, err
	}
	u.State = UploadReceived
	if u.Received.IsZero() {
		u.Received = s.c.Clock().UTC()
	}
	// The two records are written at once (each is idempotent, and a submission recorded
	// without its upload, by a crash between them, is recorded again with it on the retry).
	var stored Upload
	steps := []func() error{func() (err error) { stored, err = s.c.Uploads.AddUpload(ctx, u); return err }}
	if s.c.Submissions != nil && u.Uploader != "" {
		steps = append(steps, func() error {
			_, err := s.c.Submissions.AddSubmission(ctx, Submission{BundleID: u.BundleID, Uploader: u.Uploader, Size: u.Size, Received: u.Received})
			return err
		})
	}
	if err := each(steps, func(f func() error) error { return f() }); err != nil {
		return Upload{}, err
	}
	return stored, nil
}

// ProcessFor is Process for an upload by uploader, and returns the status as that uploader
// may see it (BundleStatusFor). When uploader is not the bundle's first uploader (it sent the
// exact bytes of a bundle another sent), Process records its submission on the trail.
func (s *Service) ProcessFor(ctx context.Context, bundleID, uploader string) (*Status, error) {
	if _, err := s.Process(ctx, bundleID); err != nil {
		return nil, err
	}
	return s.BundleStatusFor(ctx, bundleID, uploader)
}

// recordResubmissions appends a Resubmission event, once per uploader, for every submission
// of the bundle by an uploader other than its first, after the bundle's own outcome. Process
// calls it whatever run finishes the bundle (the uploader's own, or Resume's after a failed
// one), so that no submission is left off the trail.
func (s *Service) recordResubmissions(ctx context.Context, u Upload) error {
	if s.c.Submissions == nil {
		return nil
	}
	subs, err := s.c.Submissions.BundleSubmissions(ctx, u.BundleID)
	if err != nil {
		return fmt.Errorf("submissions of %s: %w", u.BundleID, err)
	}
	slices.SortFunc(subs, func(a, b Submission) int {
		return cmp.Or(a.Received.Compare(b.Received), cmp.Compare(a.Uploader, b.Uploader))
	})
	for _, sub := range subs {
		if sub.Uploader == "" || sub.Uploader == u.Uploader {
			continue
		}
		_, added, err := s.appendOnce(ctx, u.BundleID, func(trail []custody.Entry) (*decision, error) {
			if _, ok := find(trail, func(e custody.Event) bool {
				return e.Type == custody.Resubmission && e.Actor.ID == sub.Uploader
			}); ok {
				return nil, nil
			}
			return &decision{typ: custody.Resubmission, actor: submitter(sub.Uploader, custody.Actor{Kind: custody.ActorUser, ID: sub.Uploader})}, nil
		})
		if err != nil {
			return err
		}
		if added {
			s.c.Log.Info("resubmission", "bundle", u.BundleID, "uploader", sub.Uploader, "first_uploader", u.Uploader)
		}
	}
	return nil
}

// Status is where a bundle stands, for its uploader.
type Status struct {
	Upload     Upload        `json:"upload"`
	Ingest     *IngestResult `json:"ingest,omitempty"` // nil until ingested
	Deliveries []Delivery    `json:"deliveries,omitempty"`
}

// Process runs every step an upload still needs: Ingest, then Route for an accepted bundle,
// moving its state to rejected or routed, then records the submissions of later uploaders
// of the same bytes (Resubmission). Each step is idempotent, so Process may be repeated
// after any failure.
func (s *Service) Process(ctx context.Context, bundleID string) (*Status, error) {
	st, err := s.process(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	if err := s.recordResubmissions(ctx, st.Upload); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *Service) process(ctx context.Context, bundleID string) (*Status, error) {
	u, err := s.c.Uploads.Upload(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	res, err := s.Ingest(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	st := &Status{Upload: u, Ingest: res}
	if !res.Accepted {
		if err := s.setState(ctx, &st.Upload, UploadRejected); err != nil {
			return nil, err
		}
		return st, nil
	}
	// The accepted state and the routing are written at once: Route is idempotent, and an
	// upload left received by a crash meanwhile is processed again from Ingest, which finds
	// its acceptance.
	accepted := st.Upload
	if err := each([]func() error{
		func() error { return s.setState(ctx, &accepted, UploadAccepted) },
		func() (err error) { st.Deliveries, err = s.Route(ctx, bundleID); return err },
	}, func(f func() error) error { return f() }); err != nil {
		return nil, err
	}
	st.Upload = accepted
	if err := s.setState(ctx, &st.Upload, UploadRouted); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *Service) setState(ctx context.Context, u *Upload, st UploadState) error {
	if u.State == st || u.State.Final() {
		return nil
	}
	if err := s.c.Uploads.SetUploadState(ctx, u.BundleID, st); err != nil {
		return fmt.Errorf("upload %s state %s: %w", u.BundleID, st, err)
	}
	u.State = st
	return nil
}

// BundleStatus reports an upload's state, its ingest outcome and its deliveries.
func (s *Service) BundleStatus(ctx context.Context, bundleID string) (*Status, error) {
	u, err := s.c.Uploads.Upload(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	return s.statusOf(ctx, u, trail, true)
}

// BundleStatusFor is BundleStatus as one uploader may see it: its own submission of the
// bundle (see ProcessFor). A bundle that does not exist and another uploader's are both a
// *BundleNotFoundError, reached through the same store calls (Submissions.Submission, then
// Uploads.Upload: two point lookups), so that neither the answer nor the work behind it
// tells them apart.
func (s *Service) BundleStatusFor(ctx context.Context, bundleID, uploader string) (*Status, error) {
	notFound := &BundleNotFoundError{BundleID: bundleID}
	var sub Submission
	var subErr error = ErrNotFound
	if s.c.Submissions != nil {
		sub, subErr = s.c.Submissions.Submission(ctx, bundleID, uploader)
		if subErr != nil && !errors.Is(subErr, ErrNotFound) {
			return nil, subErr
		}
	}
	u, err := s.c.Uploads.Upload(ctx, bundleID)
	if errors.Is(err, ErrNotFound) || uploader == "" {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	first := u.Uploader == uploader
	if !first && subErr != nil {
		return nil, notFound // another uploader's bundle: the same two lookups as an absent one
	}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	if first {
		return s.statusOf(ctx, u, trail, true)
	}
	// A later uploader of the same bytes: its own submission, the bundle's outcome (it
	// follows from the bytes it sent), not the first submission's deliveries.
	u.Uploader, u.Size, u.Received = sub.Uploader, sub.Size, sub.Received
	return s.statusOf(ctx, u, trail, false)
}

// statusOf is the status of upload u whose trail is trail; deliveries are read only when
// withDeliveries is set.
func (s *Service) statusOf(ctx context.Context, u Upload, trail []custody.Entry, withDeliveries bool) (*Status, error) {
	st := &Status{Upload: u}
	en, ok := find(trail, isSubmission)
	if !ok {
		return st, nil
	}
	var err error
	if st.Ingest, err = s.resultOf(ctx, en); err != nil {
		return nil, err
	}
	if !withDeliveries {
		return st, nil
	}
	for _, cp := range st.Ingest.Counterparts {
		d, err := s.c.Deliveries.Delivery(ctx, DeliveryID(u.BundleID, cp))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		st.Deliveries = append(st.Deliveries, d)
	}
	return st, nil
}

// Resume finishes the work a stop or a crash interrupted: it processes every upload whose
// state is not final, then records the expiries that fell due. It returns how many uploads it
// processed and the errors of those that failed (the others are done).
func (s *Service) Resume(ctx context.Context) (int, error) {
	pending, err := s.c.Uploads.Pending(ctx)
	if err != nil {
		return 0, fmt.Errorf("list pending uploads: %w", err)
	}
	var errs []error
	for _, u := range pending {
		if _, err := s.Process(ctx, u.BundleID); err != nil {
			errs = append(errs, fmt.Errorf("resume %s: %w", u.BundleID, err))
		}
	}
	if _, err := s.Expire(ctx); err != nil {
		errs = append(errs, err)
	}
	return len(pending), errors.Join(errs...)
}

// AuditResult is the fixity check of one bundle.
type AuditResult struct {
	BundleID string   `json:"bundle"`
	Seq      uint64   `json:"event_seq"` // of the FixityCheck recorded
	Reasons  []string `json:"mismatches,omitempty"`
}

// Audit runs Fixity on every bundle named that has an accepted submission (others are
// skipped) and returns one result per bundle checked. A mismatch is a result with Reasons,
// recorded as such on the bundle's trail; an error stops the audit.
func (s *Service) Audit(ctx context.Context, bundles []string) ([]AuditResult, error) {
	var out []AuditResult
	for _, b := range bundles {
		en, err := s.Fixity(ctx, b)
		var nf *BundleNotFoundError
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("audit %s: %w", b, err)
		}
		out = append(out, AuditResult{BundleID: b, Seq: en.Event.Seq, Reasons: en.Event.Details.Reasons})
		if len(en.Event.Details.Reasons) > 0 {
			s.c.Log.Error("FIXITY MISMATCH", "bundle", b, "mismatches", en.Event.Details.Reasons)
		}
	}
	return out, nil
}
