package request

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Book is the pipeline's view of the requests (pipeline.Requests): a bundle that names a
// request in EVX-Request-Reference goes only to the request's parties, only while the request
// takes answers (received or accepted), and only from a party; once accepted it is recorded
// as answering the request (RequestAnswered, by the deployment's agency, Desk.Home).
type Book struct{ Desk *Desk }

var _ pipeline.Requests = Book{}

// CheckAnswer implements pipeline.Requests.
func (b Book) CheckAnswer(ctx context.Context, id string, counterparts []string) (allowed, refused []string, known bool, err error) {
	s, err := b.Desk.State(ctx, id)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return counterparts, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	refuseAll := func(why string) ([]string, []string, bool, error) {
		for _, cp := range counterparts {
			refused = append(refused, fmt.Sprintf("counterpart %s: %s", cp, why))
		}
		return nil, refused, true, nil
	}
	if s.Status != Received && s.Status != Accepted {
		return refuseAll(fmt.Sprintf("request %s is %s and takes no answer", id, s.Status))
	}
	if s.PartyOf(b.Desk.Home) == "" {
		return refuseAll(fmt.Sprintf("this agency (%s) is not a party to request %s", b.Desk.Home, id))
	}
	for _, cp := range counterparts {
		if cp == b.Desk.Home || s.PartyOf(cp) == "" {
			refused = append(refused, fmt.Sprintf("counterpart %s is not a party to request %s (parties: %v)", cp, id, s.Parties()))
			continue
		}
		allowed = append(allowed, cp)
	}
	return allowed, refused, true, nil
}

// Answered implements pipeline.Requests.
func (b Book) Answered(ctx context.Context, id, bundle, uploader string) error {
	s, err := b.Desk.State(ctx, id)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return err
	}
	if slices.Contains(s.Bundles, bundle) {
		return nil
	}
	_, err = b.Desk.Act(ctx, id, Actor{Agency: b.Desk.Home, Person: uploader}, Action{Type: custody.RequestAnswered, Bundle: bundle})
	var te *TransitionError
	if errors.As(err, &te) {
		// The request stopped taking answers between ingest and now (withdrawn, refused):
		// the bundle stays accepted, and is not recorded as an answer.
		return nil
	}
	return err
}

// Restricted implements pipeline.Requests: an enforcing authority's refusal restricts the data
// already delivered (Regulation (EU) 2023/1543 art. 12).
func (b Book) Restricted(ctx context.Context, id string) (bool, string, error) {
	s, err := b.Desk.State(ctx, id)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	if !s.Restricted {
		return false, "", nil
	}
	return true, fmt.Sprintf("the enforcing authority %s refused the order (%s): no further access", s.Enforcing, strings.Join(s.Grounds, "; ")), nil
}

// Preservation implements pipeline.Requests: the preservation period of a European
// Preservation Order (Regulation (EU) 2023/1543 art. 11), as the request's events leave it.
// A request of another type, or whose period has not started, preserves nothing.
func (b Book) Preservation(ctx context.Context, id string) (pipeline.Preservation, bool, error) {
	s, err := b.Desk.State(ctx, id)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return pipeline.Preservation{}, false, nil
	}
	if err != nil {
		return pipeline.Preservation{}, false, err
	}
	d := s.Deadline("preservation")
	if d == nil {
		return pipeline.Preservation{}, false, nil
	}
	p := pipeline.Preservation{Rule: d.Citation}
	switch d.Status {
	case ClockOpen, ClockSuspended:
		p.State, p.Until = custody.PreservationRunning, d.Due
	case ClockContinuing:
		p.State = custody.PreservationContinuing
	case ClockPending:
		return pipeline.Preservation{}, false, nil
	default: // ended, closed by a withdrawal
		p.State, p.Until = custody.PreservationEnded, d.Done
	}
	return p, true, nil
}

// SyncPreservations brings the retention recorded on every bundle answering a European
// Preservation Order up to date with the order's period (sync: pipeline.Service's
// SyncRetention), and returns how many bundles gained a RetentionSet. The scheduled task of
// the clocks runs it after Sweep, so that an extension, a confirmation or the end of a period
// reaches the bundles it covers within one period of the schedule.
func SyncPreservations(ctx context.Context, d interface {
	List(ctx context.Context, f Filter) ([]*State, error)
}, sync func(ctx context.Context, bundle string) (custody.Entry, bool, error)) (int, error) {
	states, err := d.List(ctx, Filter{})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, s := range states {
		if s.Type != EPOCPR {
			continue
		}
		for _, b := range s.Bundles {
			_, ok, err := sync(ctx, b)
			if err != nil {
				errs = append(errs, fmt.Errorf("retention of %s (request %s): %w", b, s.ID, err))
				continue
			}
			if ok {
				n++
			}
		}
	}
	return n, errors.Join(errs...)
}
