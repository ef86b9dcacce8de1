package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
)

// Limits on what a rejection records, so that a bag with a million problems cannot make a
// million-line event.
const (
	MaxReasons     = 100
	MaxReasonBytes = 1000
)

// IngestResult is the outcome of Ingest, as the bundle's trail records it.
type IngestResult struct {
	BundleID string `json:"bundle"`
	Accepted bool   `json:"accepted"`
	// Documents are the accepted bundle's payload files (empty on rejection).
	Documents []custody.Document `json:"documents,omitempty"`
	// Counterparts are those the bundle will be consigned to.
	Counterparts []string `json:"counterparts,omitempty"`
	// Reasons: on rejection every reason; on acceptance the counterparts refused, if any.
	Reasons []string         `json:"reasons,omitempty"`
	Request *custody.Request `json:"request,omitempty"`
	Event   custody.Event    `json:"event"`
}

func (s *Service) resultOf(ctx context.Context, en custody.Entry) (*IngestResult, error) {
	e := en.Event
	docs, err := s.EventDocuments(ctx, e)
	if err != nil {
		return nil, err
	}
	return &IngestResult{
		BundleID: e.BundleID, Accepted: e.Type == custody.SubmissionAcceptance,
		Documents: docs, Counterparts: e.Details.Counterparts,
		Reasons: e.Details.Reasons, Request: e.Details.Request, Event: e,
	}, nil
}

var isSubmission = ofType(custody.SubmissionAcceptance, custody.SubmissionRejection)

// Ingest validates the stored bag of bundleID under evx's intake policy (bagit.ModeEVX) and
// records SubmissionAcceptance or SubmissionRejection; if the trail already holds either, it
// returns that outcome and does nothing else.
//
// The bag is read once: each payload file streams straight into the blob store under the
// SHA-256 the bag's manifest claims, and the store checks the bytes against it (a file whose
// bytes differ is not stored, and the bag's report names it); the reader is a HashingReader,
// so a store may take the SHA-256 validation computes rather than compute it again. Text and metadata are then
// extracted from the stored blob, read back through random access (RandomAccess, or a
// temporary copy when the store has none), so extraction sees exactly the verified bytes; the
// extraction result is stored as JSON, content-addressed, and its hash recorded with the
// document.
//
// A bag is rejected with every reason found: each problem the bag validation reports (as the
// sentence its typed error renders), and each counterpart the directory refuses (unknown,
// inactive, legal basis or handling code not accepted) when no counterpart is left. When some
// counterparts are refused but not all, the bundle is accepted for the others and the refusals
// are the acceptance's Reasons. An error is returned only when the work could not be done
// (storage, ledger); the step can then be run again.
func (s *Service) Ingest(ctx context.Context, bundleID string) (*IngestResult, error) {
	if err := checkBundleID(bundleID); err != nil {
		return nil, err
	}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("read trail of %s: %w", bundleID, err)
	}
	if en, ok := find(trail, isSubmission); ok {
		return s.resultOf(ctx, en)
	}
	if s.c.Intake == nil || s.c.Intake.assess == nil {
		return nil, fmt.Errorf("ingest %s: %w", bundleID, ErrNoIntake)
	}
	// Shared with other ingests, exclusive of a disposal, from the first document stored to the
	// outcome recorded (Service.stored).
	s.stored.RLock()
	d, err := s.c.Intake.assess(s, ctx, bundleID)
	if err != nil {
		s.stored.RUnlock()
		return nil, err
	}
	en, ok, err := s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
		if _, done := find(trail, isSubmission); done {
			return nil, nil
		}
		return d, nil
	})
	s.stored.RUnlock()
	if err != nil {
		return nil, err
	}
	if !ok { // another run recorded the outcome first
		trail, err := s.c.Ledger.Events(ctx, bundleID)
		if err != nil {
			return nil, fmt.Errorf("read trail of %s: %w", bundleID, err)
		}
		if en, ok = find(trail, isSubmission); !ok {
			return nil, fmt.Errorf("ingest %s: outcome vanished from the trail", bundleID)
		}
	}
	res, err := s.resultOf(ctx, en)
	if err != nil {
		return nil, err
	}
	s.c.Log.Info("ingest", "bundle", bundleID, "accepted", res.Accepted, "documents", len(res.Documents), "reasons", len(res.Reasons))
	if s.search != nil && res.Accepted {
		// The index is a projection of the trail: a failure here is logged, and Reindex
		// catches up at the next start.
		if err := s.IndexBundle(ctx, bundleID); err != nil {
			s.c.Log.Warn("search index", "bundle", bundleID, "err", err)
		}
	}
	return res, nil
}

// Intake is what Ingest does beyond recording the outcome: it opens the stored bag, validates
// it, stores its payload files and extracts their text. BagIntake builds it. A Service whose
// Config has no Intake does not ingest (ErrNoIntake), and a program that never calls
// BagIntake links neither bag validation nor text extraction: Ingest reaches them only
// through the function BagIntake returns.
type Intake struct {
	assess  func(s *Service, ctx context.Context, bundleID string) (*decision, error)
	members func(s *Service, ctx context.Context, bundleID string) ([]bagit.Member, bool, error)
	chunk   func(s *Service, ctx context.Context, c Chunk, f FanOut) (bool, error)
}

// BagIntake returns evx's intake: the bag is validated under evx's intake policy
// (bagit.ModeEVX) within lim (the zero value: bagit's defaults), its payload streamed into the
// blob store, and each document of an accepted bundle extracted with extract (required;
// extract.Record in every host).
func BagIntake(extract Extractor, lim bagit.Limits) *Intake {
	return &Intake{
		assess: func(s *Service, ctx context.Context, bundleID string) (*decision, error) {
			if extract == nil {
				return nil, fmt.Errorf("ingest %s: %w", bundleID, ErrNoIntake)
			}
			return s.assess(ctx, bundleID, extract, lim)
		},
		members: func(s *Service, ctx context.Context, bundleID string) ([]bagit.Member, bool, error) {
			bag, err := s.c.Bags.OpenBag(ctx, bundleID, lim)
			if err != nil {
				if isBagError(err) {
					return nil, false, nil // Ingest rejects it
				}
				return nil, false, fmt.Errorf("open bag of %s: %w", bundleID, err)
			}
			defer bag.Close()
			ms, ok := bag.Members()
			return ms, ok, nil
		},
		chunk: func(s *Service, ctx context.Context, c Chunk, f FanOut) (bool, error) {
			if extract == nil {
				return false, fmt.Errorf("ingest %s: %w", c.Bundle, ErrNoIntake)
			}
			return s.ingestChunk(ctx, c, f, extract, lim)
		},
	}
}

// assess validates, stores and extracts, and returns the event to record.
func (s *Service) assess(ctx context.Context, bundleID string, extract Extractor, lim bagit.Limits) (*decision, error) {
	actor := system("ingest")
	var uploader Party
	if u, err := s.c.Uploads.Upload(ctx, bundleID); err == nil {
		actor = submitter(u.Uploader, actor)
		uploader = UploaderParty(u.Uploader)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	reject := func(reasons []string) *decision {
		return &decision{typ: custody.SubmissionRejection, actor: actor, details: custody.Details{Reasons: capReasons(reasons)}}
	}
	bag, err := s.c.Bags.OpenBag(ctx, bundleID, lim)
	if err != nil {
		if isBagError(err) {
			return reject([]string{err.Error()}), nil
		}
		return nil, fmt.Errorf("open bag of %s: %w", bundleID, err)
	}
	defer bag.Close()
	prog, err := s.progress(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	consume := func(f bagit.File, r io.Reader) error {
		if err := prog.failed(); err != nil {
			return err
		}
		return s.storeMember(ctx, bundleID, f, r)
	}
	rep, err := bag.Validate(bagit.Options{Mode: bagit.ModeEVX, Consume: consume, Known: prog.known, Verified: prog.verified})
	if err != nil {
		return nil, err
	}
	if err := prog.failed(); err != nil {
		return nil, err
	}
	if !rep.Valid() {
		var reasons []string
		for _, e := range rep.Errors {
			reasons = append(reasons, e.Error())
		}
		if len(reasons) == 0 {
			reasons = []string{"the bag is not valid"}
		}
		return reject(reasons), nil
	}
	seal, sealReasons, err := s.checkSeal(ctx, bag, uploader, s.c.Clock())
	if err != nil {
		return nil, err
	}
	if len(sealReasons) > 0 {
		return reject(sealReasons), nil
	}
	fields := bagit.Fields{}
	if rep.Fields != nil {
		fields = *rep.Fields
	}
	allowed, refused, err := s.admit(ctx, fields)
	if err != nil {
		return nil, err
	}
	if s.c.Requests != nil && fields.RequestReference != "" && len(allowed) > 0 {
		ok, no, known, err := s.c.Requests.CheckAnswer(ctx, fields.RequestReference, allowed)
		if err != nil {
			return nil, fmt.Errorf("check request %s: %w", fields.RequestReference, err)
		}
		if known {
			allowed, refused = ok, append(refused, no...)
		}
	}
	if len(allowed) == 0 {
		return reject(append([]string{"no counterpart named in bag-info.txt can receive this bundle"}, refused...)), nil
	}
	docs := make([]custody.Document, 0, len(rep.Files))
	xctx := withBundleStates(ctx, fields.RequestingState, fields.RequestedState)
	for _, f := range rep.Files {
		doc := custody.Document{Name: f.Path, Size: f.Size, SHA256: f.Digests[digestSHA256], SHA512: f.Digests["sha512"]}
		if doc.MediaType, doc.Extraction, err = prog.extracted(xctx, bundleID, doc, extract); err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	req := &custody.Request{
		CaseReference: fields.ExternalIdentifier, RequestReference: fields.RequestReference,
		RequestingState: fields.RequestingState, RequestedState: fields.RequestedState,
		LegalBasis: fields.LegalBasis, HandlingCode: fields.HandlingCode, HandlingRestriction: fields.HandlingRestriction,
	}
	ref := fields.RequestReference
	if ref == "" {
		ref = fields.ExternalIdentifier
	}
	return &decision{typ: custody.SubmissionAcceptance, actor: actor, details: custody.Details{
		Counterparts: allowed, Documents: docs, Reasons: capReasons(refused), Reference: ref, Request: req, Seal: seal,
	}}, nil
}

const digestSHA256 = "sha256"

// admit checks each named counterpart against the directory.
func (s *Service) admit(ctx context.Context, f bagit.Fields) (allowed, refused []string, err error) {
	seen := map[string]bool{}
	for _, id := range f.Counterparts {
		if seen[id] {
			continue
		}
		seen[id] = true
		cp, err := s.c.Directory.Counterpart(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			refused = append(refused, fmt.Sprintf("counterpart %q is not in the counterpart directory", id))
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("look up counterpart %q: %w", id, err)
		}
		switch {
		case !cp.Active:
			refused = append(refused, fmt.Sprintf("counterpart %s (%s) is inactive in the counterpart directory", id, cp.Name))
		case !cp.Receives():
			refused = append(refused, fmt.Sprintf("agency %s (%s) only sends: the agency directory does not list it as receiving", id, cp.Name))
		case len(cp.LegalBases) > 0 && !slices.Contains(cp.LegalBases, f.LegalBasis):
			if f.LegalBasis == "" {
				refused = append(refused, fmt.Sprintf("counterpart %s requires EVX-Legal-Basis, one of %v; the bag names none", id, cp.LegalBases))
			} else {
				refused = append(refused, fmt.Sprintf("counterpart %s does not accept legal basis %q (accepts %v)", id, f.LegalBasis, cp.LegalBases))
			}
		case len(cp.HandlingCodes) > 0 && f.HandlingCode != "" && !slices.Contains(cp.HandlingCodes, f.HandlingCode):
			refused = append(refused, fmt.Sprintf("counterpart %s is not cleared for handling code %s (cleared for %v)", id, f.HandlingCode, cp.HandlingCodes))
		default:
			allowed = append(allowed, id)
		}
	}
	return allowed, refused, nil
}

// storeMember is the bag validation's consumer: it stores a payload file under the SHA-256 the
// bag's manifest claims, holding it for bundleID first (Config.Guard).
func (s *Service) storeMember(ctx context.Context, bundleID string, f bagit.File, r io.Reader) error {
	sum := f.Claimed[digestSHA256]
	if !ValidSum(sum) {
		return nil // not listed in manifest-sha256.txt: the report says so
	}
	if err := s.hold(ctx, sum, bundleID); err != nil {
		return err
	}
	er := &errReader{r: r}
	var src io.Reader = er
	if h, ok := r.(HashingReader); ok {
		src = hashingErrReader{er, h}
	}
	err := s.c.Blobs.Put(ctx, sum, f.Size, src)
	var dm *DigestMismatchError
	var sm *SizeMismatchError
	switch {
	case err == nil, errors.As(err, &dm), errors.As(err, &sm):
		return nil // a mismatch is in the report as a *bagit.ChecksumError
	case er.err != nil && !errors.Is(er.err, context.Canceled) && ctx.Err() == nil:
		return nil // the container failed mid-file: the report says how
	}
	return fmt.Errorf("store %s of %s: %w", f.Path, bundleID, err)
}

// extractDoc extracts a stored document and stores the result; it returns the detected media
// type and the result's hash. A document extraction cannot read is recorded as such, with
// the reason in the stored result: it does not make the bundle invalid.
func (s *Service) extractDoc(ctx context.Context, bundleID string, doc custody.Document, extract Extractor) (mediaType, sum string, err error) {
	r, size, cleanup, err := s.openReaderAt(ctx, doc.SHA256)
	if err != nil {
		return "", "", fmt.Errorf("read back %s: %w", doc.Name, err)
	}
	defer cleanup()
	mediaType, body, err := extract(ctx, r, size, doc.Name)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", "", fmt.Errorf("extract %s: %w", doc.Name, err)
	}
	h := sha256.Sum256(body)
	sum = hex.EncodeToString(h[:])
	if err := s.hold(ctx, sum, bundleID); err != nil {
		return "", "", err
	}
	if err := s.c.Blobs.Put(ctx, sum, int64(len(body)), bytes.NewReader(body)); err != nil {
		return "", "", fmt.Errorf("store extraction of %s: %w", doc.Name, err)
	}
	return mediaType, sum, nil
}

// hold records bundleID as a holder of blob sum before it is stored, with the guard that
// orders ingests and disposals across processes (Config.Guard); nothing without one.
func (s *Service) hold(ctx context.Context, sum, bundleID string) error {
	if s.c.Guard == nil {
		return nil
	}
	if err := s.c.Guard.Hold(ctx, sum, bundleID); err != nil {
		return fmt.Errorf("hold %s for %s: %w", sum, bundleID, err)
	}
	return nil
}

// openReaderAt gives random access to a stored blob, through RandomAccess or a temporary copy.
func (s *Service) openReaderAt(ctx context.Context, sum string) (io.ReaderAt, int64, func(), error) {
	if ra, ok := s.c.Blobs.(RandomAccess); ok {
		r, size, err := ra.OpenReaderAt(ctx, sum)
		if err != nil {
			return nil, 0, nil, err
		}
		return r, size, func() { r.Close() }, nil
	}
	rc, err := s.c.Blobs.Open(ctx, sum)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rc.Close()
	f, err := os.CreateTemp("", "evx-extract-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, rc)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return f, n, cleanup, nil
}

// isBagError reports whether err is bagit's verdict on the bag rather than a failure to read it.
func isBagError(err error) bool {
	_, ok := bagit.ProblemOf(err)
	return ok
}

func capReasons(rs []string) []string {
	out := make([]string, 0, min(len(rs), MaxReasons+1))
	for i, r := range rs {
		if i == MaxReasons {
			out = append(out, fmt.Sprintf("and %d more problems", len(rs)-MaxReasons))
			break
		}
		if len(r) > MaxReasonBytes {
			r = truncateUTF8(r, MaxReasonBytes) + "…"
		}
		out = append(out, r)
	}
	return out
}

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// errReader remembers the error its reader returned.
type errReader struct {
	r   io.Reader
	err error
}

// hashingErrReader is an errReader over a HashingReader, and hashes as that one does.
type hashingErrReader struct {
	*errReader
	h HashingReader
}

func (e hashingErrReader) SHA256() string { return e.h.SHA256() }

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
