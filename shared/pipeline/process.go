package pipeline

import (
	"context"
	"errors"
	"fmt"

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
	return s.c.Uploads.AddUpload(ctx, u)
}

// Status is where a bundle stands, for its uploader.
type Status struct {
	Upload     Upload        `json:"upload"`
	Ingest     *IngestResult `json:"ingest,omitempty"` // nil until ingested
	Deliveries []Delivery    `json:"deliveries,omitempty"`
}

// Process runs every step an upload still needs: Ingest, then Route for an accepted bundle,
// moving its state to rejected or routed. Each step is idempotent, so Process may be repeated
// after any failure.
func (s *Service) Process(ctx context.Context, bundleID string) (*Status, error) {
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
	if err := s.setState(ctx, &st.Upload, UploadAccepted); err != nil {
		return nil, err
	}
	if st.Deliveries, err = s.Route(ctx, bundleID); err != nil {
		return nil, err
	}
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
	st := &Status{Upload: u}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	en, ok := find(trail, isSubmission)
	if !ok {
		return st, nil
	}
	st.Ingest = resultOf(en)
	for _, cp := range st.Ingest.Counterparts {
		d, err := s.c.Deliveries.Delivery(ctx, DeliveryID(bundleID, cp))
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

// Fixity re-hashes the stored documents of an accepted bundle against the hashes its
// acceptance recorded and records FixityCheck: Reasons lists every document missing or
// changed, empty when all match.
func (s *Service) Fixity(ctx context.Context, bundleID string) (custody.Entry, error) {
	trail, err := s.Events(ctx, bundleID)
	if err != nil {
		return custody.Entry{}, err
	}
	acc, ok := find(trail, ofType(custody.SubmissionAcceptance))
	if !ok {
		return custody.Entry{}, &BundleNotFoundError{BundleID: bundleID, Reason: "no accepted submission to check"}
	}
	var reasons []string
	for _, d := range acc.Event.Details.Documents {
		got, err := s.rehash(ctx, d.SHA256)
		switch {
		case errors.Is(err, ErrNotFound):
			reasons = append(reasons, fmt.Sprintf("%s: stored blob %s is missing", d.Name, d.SHA256))
		case err != nil:
			return custody.Entry{}, err
		case got != d.SHA256:
			reasons = append(reasons, fmt.Sprintf("%s: stored blob hashes to %s, recorded %s", d.Name, got, d.SHA256))
		}
	}
	en, _, err := s.appendOnce(ctx, bundleID, func([]custody.Entry) (*decision, error) {
		return &decision{typ: custody.FixityCheck, actor: system("audit"), details: custody.Details{
			Documents: acc.Event.Details.Documents, Reasons: capReasons(reasons)}}, nil
	})
	return en, err
}
