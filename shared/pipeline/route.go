package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/evx-project/evx/shared/custody"
)

// DeliveryID names the delivery of a bundle to a counterpart: "d-" and 32 hex digits of
// SHA-256(bundle id, NUL, counterpart id). It is also the delivery's dedup id on the queue.
func DeliveryID(bundleID, counterpart string) string {
	return custody.DeliveryID(bundleID, counterpart)
}

// Notice is the body of the message a counterpart's queue receives for each delivery. It is a
// notification only: the delivery itself is listed and fetched through Deliver's calls, so a
// notice received twice is harmless.
type Notice struct {
	Delivery string `json:"delivery"`
	Bundle   string `json:"bundle"`
	Deadline string `json:"deadline"` // custody.TimeFormat
}

// Route consigns an accepted bundle to each counterpart its SubmissionAcceptance names, in
// three idempotent steps per counterpart: the delivery is indexed (its deadline fixed the first
// time, ReceiptWindow after), a Notice is sent on the counterpart's queue with the delivery id
// as dedup id (skipped once the consignment is recorded, so a retry long after the queue's dedup
// window sends nothing), and ContentConsignment is recorded unless the trail holds it already.
// Counterparts the directory refused at ingest get nothing; their refusal is in the
// acceptance's reasons. Route on a rejected or unknown bundle is a *BundleNotFoundError.
func (s *Service) Route(ctx context.Context, bundleID string) ([]Delivery, error) {
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("read trail of %s: %w", bundleID, err)
	}
	acc, ok := find(trail, ofType(custody.SubmissionAcceptance))
	if !ok {
		return nil, &BundleNotFoundError{BundleID: bundleID, Reason: "no accepted submission to route"}
	}
	if r := acc.Event.Details.Request; s.c.Requests != nil && r != nil && r.RequestReference != "" {
		u, err := s.c.Uploads.Upload(ctx, bundleID)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", bundleID, err)
		}
		if err := s.c.Requests.Answered(ctx, r.RequestReference, bundleID, u.Uploader); err != nil {
			return nil, fmt.Errorf("bundle %s answers request %s: %w", bundleID, r.RequestReference, err)
		}
	}
	withheld, err := s.withheld(ctx, bundleID, acc.Event)
	if err != nil {
		return nil, err
	}
	handling := custody.BundleHandlingCode(custody.EntryEvents(trail))
	if handling == "" {
		handling = HandlingNone
	}
	var out []Delivery
	for _, cp := range acc.Event.Details.Counterparts {
		if why := withheld[cp]; why != "" {
			// H2: not consigned until the original sender consents (consent.go).
			s.c.Log.Info("route withheld", "bundle", bundleID, "counterpart", cp, "why", why)
			continue
		}
		now := s.c.Clock().UTC()
		d, err := s.c.Deliveries.AddDelivery(ctx, Delivery{
			ID: DeliveryID(bundleID, cp), BundleID: bundleID, Counterpart: cp,
			Created: now, Deadline: now.Add(s.c.ReceiptWindow), State: DeliveryConsigned, Handling: handling,
		})
		if err != nil {
			return nil, fmt.Errorf("index delivery of %s to %s: %w", bundleID, cp, err)
		}
		consigned := forCounterpart(cp, custody.ContentConsignment)
		if _, done := find(trail, consigned); !done {
			body, _ := json.Marshal(Notice{Delivery: d.ID, Bundle: bundleID, Deadline: d.Deadline.UTC().Format(custody.TimeFormat)})
			if err := s.c.Queue.Send(ctx, QueueName(cp), d.ID, body); err != nil {
				return nil, fmt.Errorf("notify %s of %s: %w", cp, bundleID, err)
			}
			_, _, err := s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
				if _, done := find(trail, consigned); done {
					return nil, nil
				}
				return &decision{typ: custody.ContentConsignment, actor: system("route"), details: custody.Details{
					Counterpart: cp, Deadline: d.Deadline.UTC().Format(custody.TimeFormat),
					Documents: acc.Event.Details.Documents, DocumentManifest: acc.Event.Details.DocumentManifest, Reference: acc.Event.Details.Reference,
				}}, nil
			})
			if err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	s.c.Log.Info("route", "bundle", bundleID, "deliveries", len(out))
	return out, nil
}
