package pipeline

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/evx-project/evx/shared/custody"
)

// LegalAccess, on a bundle's reads subject (ReadsSubject): a person with the legal role read
// the bundle's trail, its verification or its report. Actor names the reader (kind user,
// agency and person); reasons "read=status|trail|verification|report", and for a trail read of an
// older checkpoint "consistency_from=N". Recorded before anything is served, so that no read
// goes unrecorded; recorded on a subject of its own so that the bundle's own chain, and the
// report that renders it, never change because somebody read them.
const LegalAccess custody.EventType = "LegalAccess"

// ReadsPrefix begins every reads subject.
const ReadsPrefix = "reads:"

// What a legal read reads (the "read=" reason of a LegalAccess event).
const (
	ReadTrail        = "trail"
	ReadVerification = "verification"
	ReadReport       = "report"
	ReadStatus       = "status"      // the bundle's status, which lists its documents
	ReadIdentifiers  = "identifiers" // the identifiers found in the bundle's documents
	ReadRetention    = "retention"   // where the bundle stands in its retention
)

// ReadsSubject is the custody subject on which reads of bundleID are recorded:
// "reads:BUNDLE". Reads of a reads subject are recorded on that subject itself, so that
// reading the record of reads adds to it rather than to a subject of its own.
func ReadsSubject(bundleID string) string {
	if strings.HasPrefix(bundleID, ReadsPrefix) {
		return bundleID
	}
	return ReadsPrefix + bundleID
}

// ReadRecordError is a legal read that was refused because its record could not be written.
type ReadRecordError struct {
	BundleID string
	Err      error
}

func (e *ReadRecordError) Error() string {
	return fmt.Sprintf("the read of %s was not served: its record could not be written: %v", e.BundleID, e.Err)
}

func (e *ReadRecordError) Unwrap() error { return e.Err }

// RecordRead records that the caller acting in ctx (ActingAs) reads what of bundleID, as a
// LegalAccess event on ReadsSubject(bundleID). The bundle must exist (a *BundleNotFoundError
// otherwise, and nothing is recorded); a record that cannot be written is a
// *ReadRecordError, and the host must then refuse the read. extra reasons ("key=value")
// follow "read=what".
func (s *Service) RecordRead(ctx context.Context, bundleID, what string, extra ...string) (custody.Entry, error) {
	if _, err := s.Events(ctx, bundleID); err != nil {
		return custody.Entry{}, err
	}
	subject := ReadsSubject(bundleID)
	if len(subject) > 128 {
		return custody.Entry{}, &ReadRecordError{BundleID: bundleID, Err: fmt.Errorf("reads subject of %d characters, at most 128", len(subject))}
	}
	p, _ := ActingParty(ctx)
	actor := partyActor(custody.ActorUser, UploaderName(p), p)
	if actor.ID == "" {
		actor.ID = "legal"
	}
	reasons := append([]string{"read=" + what}, extra...)
	en, err := s.keeper.Record(ctx, subject, LegalAccess, actor, custody.Details{Reasons: reasons})
	if err != nil {
		return custody.Entry{}, &ReadRecordError{BundleID: bundleID, Err: err}
	}
	return en, nil
}

// ReadDocument: a document of the bundle (the "read=" reason of LegalAccess; the event's
// documents name it with its size and hashes).
const ReadDocument = "document"

// BundleDocumentNotFoundError: the accepted bundle has no document of that name. Wraps
// ErrNotFound.
type BundleDocumentNotFoundError struct {
	BundleID, Name string
}

func (e *BundleDocumentNotFoundError) Error() string {
	return fmt.Sprintf("bundle %s has no document %q; its status lists its documents", e.BundleID, e.Name)
}

func (e *BundleDocumentNotFoundError) Unwrap() error { return ErrNotFound }

// LegalDocument opens a document of an accepted bundle by its name in the bag ("data/...")
// for legal staff, after recording the read (RecordRead, read=document, with the document):
// no byte leaves without its record. The reader checks the bytes against the recorded size
// and SHA-256 as FetchDocument's does. The caller closes it.
func (s *Service) LegalDocument(ctx context.Context, bundleID, name string) (io.ReadCloser, custody.Document, error) {
	trail, err := s.Events(ctx, bundleID)
	if err != nil {
		return nil, custody.Document{}, err
	}
	if trail[0].Event.Type != custody.SubmissionAcceptance {
		return nil, custody.Document{}, &BundleNotFoundError{BundleID: bundleID}
	}
	if err := s.checkRestricted(ctx, bundleID, trail); err != nil {
		return nil, custody.Document{}, err
	}
	docs, err := s.EventDocuments(ctx, trail[0].Event)
	if err != nil {
		return nil, custody.Document{}, err
	}
	i := slices.IndexFunc(docs, func(d custody.Document) bool { return d.Name == name })
	if i < 0 {
		return nil, custody.Document{}, &BundleDocumentNotFoundError{BundleID: bundleID, Name: name}
	}
	doc := docs[i]
	rc, err := s.c.Blobs.Open(ctx, doc.SHA256)
	if err != nil {
		return nil, custody.Document{}, fmt.Errorf("open %s of %s: %w", name, bundleID, err)
	}
	p, _ := ActingParty(ctx)
	actor := partyActor(custody.ActorUser, UploaderName(p), p)
	if actor.ID == "" {
		actor.ID = "legal"
	}
	if _, err := s.keeper.Record(ctx, ReadsSubject(bundleID), LegalAccess, actor, custody.Details{
		Reasons: []string{"read=" + ReadDocument}, Documents: []custody.Document{doc}, Request: handlingOf(trail)}); err != nil {
		rc.Close()
		return nil, custody.Document{}, &ReadRecordError{BundleID: bundleID, Err: err}
	}
	return &servedDocument{s: s, bundle: bundleID, doc: doc, rc: rc, h: sha256.New()}, doc, nil
}

// PartyTo reports whether agency is a party to bundle bundleID: its sender (the agency of the
// uploader who submitted it first; home, the deployment's own agency, for an uploader naming
// none, as a bag put into the deployment's bucket) or a counterpart it was consigned to. Legal
// staff of an agency read the bundles their agency is party to (api); an unknown bundle is
// ErrNotFound.
func (s *Service) PartyTo(ctx context.Context, bundleID, agency, home string) (bool, error) {
	u, err := s.c.Uploads.Upload(ctx, bundleID)
	if err != nil {
		return false, err
	}
	sender := UploaderParty(u.Uploader).Agency
	if sender == "" {
		sender = home
	}
	if agency != "" && sender == agency {
		return true, nil
	}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return false, err
	}
	for _, en := range trail {
		if en.Event.Type == custody.ContentConsignment && en.Event.Details.Counterpart == agency {
			return true, nil
		}
	}
	return false, nil
}
