package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/evx-project/evx/shared/custody"
)

// Manifest is what a counterpart sees of one of its deliveries.
type Manifest struct {
	Delivery  Delivery           `json:"delivery"`
	Reference string             `json:"reference,omitempty"`
	Request   *custody.Request   `json:"request,omitempty"`
	Documents []custody.Document `json:"documents"`
	// Consignment is the ContentConsignment event, signed by evx.
	Consignment custody.Event `json:"consignment"`
}

// ListDeliveries returns the counterpart's deliveries, oldest first.
func (s *Service) ListDeliveries(ctx context.Context, counterpart string) ([]Delivery, error) {
	return s.c.Deliveries.ListDeliveries(ctx, counterpart)
}

// ownDelivery returns the delivery if it is the counterpart's and consigned on the trail; any
// other delivery is a *DeliveryNotFoundError, whether it exists or not.
func (s *Service) ownDelivery(ctx context.Context, counterpart, id string) (Delivery, []custody.Entry, custody.Event, error) {
	notFound := &DeliveryNotFoundError{Counterpart: counterpart, Delivery: id}
	d, err := s.c.Deliveries.Delivery(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return Delivery{}, nil, custody.Event{}, notFound
	case err != nil:
		return Delivery{}, nil, custody.Event{}, err
	case d.Counterpart != counterpart || counterpart == "":
		return Delivery{}, nil, custody.Event{}, notFound
	}
	trail, err := s.c.Ledger.Events(ctx, d.BundleID)
	if err != nil {
		return Delivery{}, nil, custody.Event{}, fmt.Errorf("read trail of %s: %w", d.BundleID, err)
	}
	con, ok := find(trail, forCounterpart(counterpart, custody.ContentConsignment))
	if !ok { // indexed but not yet consigned: Resume finishes it
		return Delivery{}, nil, custody.Event{}, notFound
	}
	return d, trail, con.Event, nil
}

// Manifest returns the counterpart's delivery: the documents with their recorded hashes and
// the signed consignment event.
func (s *Service) Manifest(ctx context.Context, counterpart, deliveryID string) (*Manifest, error) {
	d, _, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, err
	}
	return &Manifest{Delivery: d, Reference: con.Details.Reference, Request: s.request(ctx, d.BundleID),
		Documents: con.Details.Documents, Consignment: con}, nil
}

func (s *Service) request(ctx context.Context, bundleID string) *custody.Request {
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil
	}
	if acc, ok := find(trail, ofType(custody.SubmissionAcceptance)); ok {
		return acc.Event.Details.Request
	}
	return nil
}

// FetchDocument opens a document of the counterpart's delivery by its name in the bag
// ("data/..."), after recording ContentAccessTracking: no byte leaves without its record. The
// caller closes the reader.
func (s *Service) FetchDocument(ctx context.Context, counterpart, deliveryID, name string) (io.ReadCloser, custody.Document, error) {
	d, _, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, custody.Document{}, err
	}
	var doc custody.Document
	found := false
	for _, x := range con.Details.Documents {
		if x.Name == name {
			doc, found = x, true
			break
		}
	}
	if !found {
		return nil, custody.Document{}, &DocumentNotFoundError{Delivery: deliveryID, Name: name}
	}
	rc, err := s.c.Blobs.Open(ctx, doc.SHA256)
	if err != nil {
		return nil, custody.Document{}, fmt.Errorf("open %s of %s: %w", name, d.BundleID, err)
	}
	_, _, err = s.appendOnce(ctx, d.BundleID, func([]custody.Entry) (*decision, error) {
		return &decision{typ: custody.ContentAccessTracking, actor: custody.Actor{Kind: custody.ActorCounterpart, ID: counterpart},
			details: custody.Details{Counterpart: counterpart, Documents: []custody.Document{doc}}}, nil
	})
	if err != nil {
		rc.Close()
		return nil, custody.Document{}, err
	}
	return rc, doc, nil
}
