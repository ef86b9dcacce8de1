package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/identify"
)

// DocumentIdentifiers are the identifiers found in one document of a bundle: read from the
// document's extraction record (the text and headers evx extracted at ingest, stored under
// the SHA-256 the acceptance records as extraction_sha256) as the index reads it
// (identify.FromRecord, phone regions from the requesting and requested states).
type DocumentIdentifiers struct {
	Name       string `json:"name"`
	SHA256     string `json:"sha256"`
	Extraction string `json:"extraction_sha256,omitempty"`
	// Identifiers are the valid values; LookAlikes those whose form or check digit fails
	// (an OCR error, or a lead), never matched.
	Identifiers []identify.Finding `json:"identifiers"`
	LookAlikes  []identify.Finding `json:"look_alikes"`
	Partial     bool               `json:"partial,omitempty"` // a limit stopped the scan
	// Missing says why nothing could be read: the document has no extraction record, or it
	// is no longer stored (the bundle's documents were disposed of).
	Missing string `json:"missing,omitempty"`
}

// maxIdentifyRecord caps an extraction record read for its identifiers: the extraction's
// own text cap and room for its JSON.
const maxIdentifyRecord = identify.DefaultMaxInput + 1<<20

// DocumentIdentifiers lists the identifiers of each document of an accepted bundle, in the
// acceptance's order. An unknown or rejected bundle is a *BundleNotFoundError. It records
// nothing: a host that serves it to legal staff records the read (RecordRead,
// ReadIdentifiers) first.
func (s *Service) DocumentIdentifiers(ctx context.Context, bundleID string) ([]DocumentIdentifiers, error) {
	evs, err := s.acceptedTrail(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	acc := evs[0]
	docs, err := s.EventDocuments(ctx, acc)
	if err != nil {
		return nil, err
	}
	return s.identifiersOf(ctx, bundleID, docs, acc.Details.Request)
}

// DeliveryIdentifiers lists the identifiers of each document of the counterpart's delivery,
// as DocumentIdentifiers does for legal staff, in the consignment's order. It is reading the
// documents' content, so it is recorded first, as a ContentAccessTracking event naming the
// documents with the reason read=identifiers; a delivery restricted by a refusal of the
// enforcing state is refused as its documents are. Another counterpart's delivery is not
// found.
func (s *Service) DeliveryIdentifiers(ctx context.Context, counterpart, deliveryID string) ([]DocumentIdentifiers, error) {
	d, trail, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, err
	}
	if err := s.checkRestricted(ctx, d.BundleID, trail); err != nil {
		return nil, err
	}
	var req *custody.Request
	if acc, ok := find(trail, ofType(custody.SubmissionAcceptance)); ok {
		req = acc.Event.Details.Request
	}
	_, _, err = s.appendOnce(ctx, d.BundleID, func([]custody.Entry) (*decision, error) {
		return &decision{typ: custody.ContentAccessTracking, actor: counterpartActor(ctx, counterpart),
			details: custody.Details{Counterpart: counterpart, Documents: con.Details.Documents, DocumentManifest: con.Details.DocumentManifest, Request: handlingOf(trail),
				Reasons: []string{"read=" + ReadIdentifiers}}}, nil
	})
	if err != nil {
		return nil, err
	}
	docs, err := s.EventDocuments(ctx, con)
	if err != nil {
		return nil, err
	}
	return s.identifiersOf(ctx, d.BundleID, docs, req)
}

// identifiersOf reads the identifiers of docs from their extraction records.
func (s *Service) identifiersOf(ctx context.Context, bundleID string, docs []custody.Document, req *custody.Request) ([]DocumentIdentifiers, error) {
	out := []DocumentIdentifiers{}
	for _, d := range docs {
		di := DocumentIdentifiers{Name: d.Name, SHA256: d.SHA256, Extraction: d.Extraction, Identifiers: []identify.Finding{}, LookAlikes: []identify.Finding{}}
		if d.Extraction == "" {
			di.Missing = "no extraction record"
			out = append(out, di)
			continue
		}
		res, err := readIdentifiers(ctx, s.c.Blobs, d.Extraction, phoneRegions(req), maxIdentifyRecord)
		switch {
		case errors.Is(err, ErrNotFound):
			di.Missing = "the extraction record is no longer stored"
		case err != nil:
			return nil, fmt.Errorf("identifiers of %s: %s: %w", bundleID, d.Name, err)
		default:
			di.Identifiers, di.LookAlikes, di.Partial = orEmpty(res.Identifiers), orEmpty(res.LookAlikes), res.Partial
		}
		out = append(out, di)
	}
	return out, nil
}

func orEmpty(fs []identify.Finding) []identify.Finding {
	if fs == nil {
		return []identify.Finding{}
	}
	return fs
}

// phoneRegions are the two-letter requesting and requested states of a bundle: the regions
// of phone numbers written in national form.
func phoneRegions(req *custody.Request) []string {
	if req == nil {
		return nil
	}
	var regions []string
	for _, s := range []string{req.RequestingState, req.RequestedState} {
		if len(s) == 2 {
			regions = append(regions, strings.ToUpper(s))
		}
	}
	return regions
}

// readIdentifiers scans the extraction record stored under sum, of at most max bytes.
func readIdentifiers(ctx context.Context, blobs BlobStore, sum string, regions []string, max int64) (*identify.Result, error) {
	rc, err := blobs.Open(ctx, sum)
	if err != nil {
		return nil, fmt.Errorf("open extraction %s: %w", sum, err)
	}
	defer rc.Close()
	rec, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("read extraction %s: %w", sum, err)
	}
	if int64(len(rec)) > max {
		return nil, fmt.Errorf("extraction %s larger than %d bytes", sum, max)
	}
	return identify.FromRecord(rec, identify.Options{Regions: regions, MaxInput: int(max) - 1<<20})
}
