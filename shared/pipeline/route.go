package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

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
	// The three steps run for every counterpart at once, in turn: the deliveries indexed
	// together, then the notices sent together, then the consignments recorded in one append,
	// so that a bundle for several counterparts waits for three writes, not three for each.
	var todo []*consignment
	now := s.c.Clock().UTC()
	for _, cp := range acc.Event.Details.Counterparts {
		if why := withheld[cp]; why != "" {
			// H2: not consigned until the original sender consents (consent.go).
			s.c.Log.Info("route withheld", "bundle", bundleID, "counterpart", cp, "why", why)
			continue
		}
		_, done := find(trail, forCounterpart(cp, custody.ContentConsignment))
		todo = append(todo, &consignment{cp: cp, done: done, d: Delivery{
			ID: DeliveryID(bundleID, cp), BundleID: bundleID, Counterpart: cp,
			Created: now, Deadline: now.Add(s.c.ReceiptWindow), State: DeliveryConsigned, Handling: handling,
		}})
	}
	if err := each(todo, func(c *consignment) error {
		d, err := s.c.Deliveries.AddDelivery(ctx, c.d)
		if err != nil {
			return fmt.Errorf("index delivery of %s to %s: %w", bundleID, c.cp, err)
		}
		c.d = d
		return nil
	}); err != nil {
		return nil, err
	}
	var notify []*consignment
	for _, c := range todo {
		if !c.done {
			notify = append(notify, c)
		}
	}
	if err := each(notify, func(c *consignment) error {
		body, _ := json.Marshal(Notice{Delivery: c.d.ID, Bundle: bundleID, Deadline: c.d.Deadline.UTC().Format(custody.TimeFormat)})
		if err := s.c.Queue.Send(ctx, QueueName(c.cp), c.d.ID, body); err != nil {
			return fmt.Errorf("notify %s of %s: %w", c.cp, bundleID, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if len(notify) > 0 {
		_, err := s.appendAllOnce(ctx, bundleID, func(trail []custody.Entry) ([]*decision, error) {
			var ds []*decision
			for _, c := range notify {
				if _, done := find(trail, forCounterpart(c.cp, custody.ContentConsignment)); done {
					continue
				}
				ds = append(ds, &decision{typ: custody.ContentConsignment, actor: system("route"), details: custody.Details{
					Counterpart: c.cp, Deadline: c.d.Deadline.UTC().Format(custody.TimeFormat),
					Documents: acc.Event.Details.Documents, DocumentManifest: acc.Event.Details.DocumentManifest, Reference: acc.Event.Details.Reference,
				}})
			}
			return ds, nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]Delivery, 0, len(todo))
	for _, c := range todo {
		out = append(out, c.d)
	}
	s.c.Log.Info("route", "bundle", bundleID, "deliveries", len(out))
	return out, nil
}

// consignment is Route's work for one counterpart.
type consignment struct {
	cp   string
	done bool // the trail holds its ContentConsignment already
	d    Delivery
}

// each runs fn on every item at once and returns the first error (in items' order).
func each[T any](items []T, fn func(T) error) error {
	if len(items) == 1 {
		return fn(items[0])
	}
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(it)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
