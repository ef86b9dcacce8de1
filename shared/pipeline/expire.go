package pipeline

import (
	"context"
	"fmt"

	"github.com/evx-project/evx/shared/custody"
)

// Expire records AcceptanceRejectionExpiry for every delivery still waiting for its receipt
// past its deadline, and returns those deliveries. It is idempotent: a delivery whose trail
// already holds an outcome gets no second one (its indexed state is brought in line).
func (s *Service) Expire(ctx context.Context) ([]Delivery, error) {
	due, err := s.c.Deliveries.Due(ctx, s.c.Clock())
	if err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	var out []Delivery
	for _, d := range due {
		typ, err := s.expire(ctx, d)
		if err != nil {
			return out, err
		}
		if typ == custody.AcceptanceRejectionExpiry {
			d.State = DeliveryExpired
			out = append(out, d)
		}
	}
	return out, nil
}

// expire records the expiry of d unless its trail holds an outcome, and returns the outcome.
func (s *Service) expire(ctx context.Context, d Delivery) (custody.EventType, error) {
	var outcome custody.EventType
	deadline := d.Deadline.UTC().Format(custody.TimeFormat)
	_, _, err := s.appendOnce(ctx, d.BundleID, func(trail []custody.Entry) (*decision, error) {
		if en, ok := find(trail, forCounterpart(d.Counterpart, isOutcome...)); ok {
			outcome = en.Event.Type
			return nil, nil
		}
		outcome = custody.AcceptanceRejectionExpiry
		return &decision{typ: custody.AcceptanceRejectionExpiry, actor: system("expiry"), details: custody.Details{
			Counterpart: d.Counterpart, Deadline: deadline,
			Reasons: []string{fmt.Sprintf("counterpart %s posted no receipt by the deadline %s", d.Counterpart, deadline)},
		}}, nil
	})
	if err != nil {
		return "", err
	}
	s.syncState(ctx, d, outcome)
	return outcome, nil
}
