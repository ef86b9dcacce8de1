package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

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
	docs, err := s.EventDocuments(ctx, con)
	if err != nil {
		return nil, err
	}
	return &Manifest{Delivery: d, Reference: con.Details.Reference, Request: s.request(ctx, d.BundleID),
		Documents: docs, Consignment: con}, nil
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

// checkRestricted returns a *DisposedError when the bundle's documents were disposed of, and a
// *RestrictedError when the bundle answers a request whose data is restricted
// (Config.Requests).
func (s *Service) checkRestricted(ctx context.Context, bundleID string, trail []custody.Entry) error {
	if err := checkDisposed(bundleID, trail); err != nil {
		return err
	}
	if s.c.Requests == nil {
		return nil
	}
	acc, ok := find(trail, ofType(custody.SubmissionAcceptance))
	if !ok || acc.Event.Details.Request == nil || acc.Event.Details.Request.RequestReference == "" {
		return nil
	}
	ref := acc.Event.Details.Request.RequestReference
	restricted, why, err := s.c.Requests.Restricted(ctx, ref)
	if err != nil {
		return fmt.Errorf("request %s of %s: %w", ref, bundleID, err)
	}
	if restricted {
		return &RestrictedError{BundleID: bundleID, Request: ref, Reason: why}
	}
	return nil
}

// FetchDocument opens a document of the counterpart's delivery by its name in the bag
// ("data/..."), after recording ContentAccessTracking: no byte leaves without its record. The
// caller closes the reader.
func (s *Service) FetchDocument(ctx context.Context, counterpart, deliveryID, name string) (io.ReadCloser, custody.Document, error) {
	d, trail, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, custody.Document{}, err
	}
	if err := s.checkRestricted(ctx, d.BundleID, trail); err != nil {
		return nil, custody.Document{}, err
	}
	var doc custody.Document
	found := false
	docs, err := s.EventDocuments(ctx, con)
	if err != nil {
		return nil, custody.Document{}, err
	}
	for _, x := range docs {
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
		return &decision{typ: custody.ContentAccessTracking, actor: counterpartActor(ctx, counterpart),
			details: custody.Details{Counterpart: counterpart, Documents: []custody.Document{doc}, Request: handlingOf(trail)}}, nil
	})
	if err != nil {
		rc.Close()
		return nil, custody.Document{}, err
	}
	return &servedDocument{s: s, bundle: d.BundleID, doc: doc, rc: rc, h: sha256.New()}, doc, nil
}

// servedDocument hashes a document as it is served: a stored blob whose bytes no longer
// match the recorded size and SHA-256 ends the read with a *DigestMismatchError (or
// *SizeMismatchError) instead of io.EOF, so that the host can abort the response before it
// completes (api holds back the last byte until the read ends), and the mismatch is
// recorded on the bundle's trail as a FixityCheck naming the document.
type servedDocument struct {
	s       *Service
	bundle  string
	doc     custody.Document
	rc      io.ReadCloser
	h       hash.Hash
	n       int64
	checked bool  // the hash was checked at the recorded size
	err     error // the mismatch, once found
}

func (d *servedDocument) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if rest := d.doc.Size - d.n; int64(len(p)) > rest+1 {
		p = p[:rest+1] // one byte past the recorded size reveals a longer blob
	}
	n, err := d.rc.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	switch {
	case d.n > d.doc.Size:
		return 0, d.mismatch(&SizeMismatchError{Key: d.doc.Name, Want: d.doc.Size, Got: d.n})
	case d.n == d.doc.Size && !d.checked:
		d.checked = true
		if got := hex.EncodeToString(d.h.Sum(nil)); got != d.doc.SHA256 {
			// These bytes are passed on; the read after them fails instead of ending.
			d.mismatch(&DigestMismatchError{Key: d.doc.Name, Want: d.doc.SHA256, Got: got})
			return n, nil
		}
	case err == io.EOF && d.n < d.doc.Size:
		return n, d.mismatch(&SizeMismatchError{Key: d.doc.Name, Want: d.doc.Size, Got: d.n})
	}
	return n, err
}

// mismatch records the FixityCheck of the document and returns err from now on.
func (d *servedDocument) mismatch(err error) error {
	d.err = err
	reason := fmt.Sprintf("%s: stored blob altered, found while serving it: %v", d.doc.Name, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // the request's may be ending
	defer cancel()
	if _, _, aerr := d.s.appendOnce(ctx, d.bundle, func([]custody.Entry) (*decision, error) {
		return &decision{typ: custody.FixityCheck, actor: system("serve"), details: custody.Details{
			Documents: []custody.Document{d.doc}, Reasons: []string{reason}}}, nil
	}); aerr != nil {
		d.s.c.Log.Error("record fixity mismatch", "bundle", d.bundle, "document", d.doc.Name, "err", aerr)
	}
	d.s.c.Log.Error("FIXITY MISMATCH while serving a document: response aborted", "bundle", d.bundle, "document", d.doc.Name, "err", err)
	return err
}

func (d *servedDocument) Close() error { return d.rc.Close() }
