package pipeline

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"golang.org/x/sync/errgroup"
)

// DefaultFullReadDays is Config.FullReadDays's default: every document is read in full once
// in 30 days, a thirtieth of them a day.
const DefaultFullReadDays = 30

// StoredChecksum is what a blob store keeps of a blob's checksum, read without the bytes.
type StoredChecksum struct {
	// SHA256 is the store's full-object SHA-256 of the blob (lowercase hex), comparable with
	// the SHA-256 custody recorded; "" when the store keeps none.
	SHA256 string
	// Composite is a checksum over the blob's parts (S3's COMPOSITE SHA-256 of a multipart
	// object: base64 of the SHA-256 of the parts' SHA-256s, "-" and the part count). It says
	// nothing about the whole-object SHA-256 by itself: Fixity compares it with the value a
	// full read of the bytes computed and recorded on the trail. "" when the store keeps none.
	Composite string
}

// None reports whether the store keeps no checksum of the blob (stored before checksums).
func (c StoredChecksum) None() bool { return c.SHA256 == "" && c.Composite == "" }

// ChecksumStore is a BlobStore that keeps a checksum of every blob it stored and can say it
// without reading the blob (S3: HeadObject with the checksum mode). Fixity then reads a
// document in full only on its sample day (FullReadDay) or when the store keeps no checksum
// it can compare.
//
// StoredChecksum returns the blob's stored checksum, or an error wrapping ErrNotFound.
// Reread reads the blob in full and returns the SHA-256 of its bytes (lowercase hex) and,
// for a blob the store keeps a Composite of, the composite computed from the bytes over the
// blob's parts ("" otherwise), or an error wrapping ErrNotFound.
type ChecksumStore interface {
	StoredChecksum(ctx context.Context, sum string) (StoredChecksum, error)
	Reread(ctx context.Context, sum string) (sha256 string, composite string, err error)
}

// FullReadDay is the day, counted from 0 to period-1, on which Fixity reads the document with
// SHA-256 sum in full: the first eight bytes of sum, big-endian, modulo period. The days of a
// period are the days since 1970-01-01 UTC modulo period ([SampleDay]). SHA-256 spreads
// documents evenly, so about one in period documents is read in full each day and every
// document once in every period days; anyone can recompute the day from the trail.
func FullReadDay(sum string, period int) int {
	if period <= 1 {
		return 0
	}
	b, err := hex.DecodeString(sum[:min(16, len(sum))])
	if err != nil || len(b) < 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(b) % uint64(period))
}

// SampleDay is the day of the period at t: days since 1970-01-01 UTC, modulo period.
func SampleDay(t time.Time, period int) int {
	if period <= 1 {
		return 0
	}
	return int((t.UTC().Unix() / 86400) % int64(period))
}

// The findings a FixityCheck records, one per document read in full (the court trail says
// when each document was last read whole) and one counting the documents whose stored
// checksum was compared instead.
const (
	findingFullRead  = ": read in full"
	findingComposite = ", composite checksum "
)

// FixityMethods is what a FixityCheck event says of how it checked: the names of the
// documents it read in full (a finding "NAME: read in full" each) and how many it checked by
// the store's checksum alone. An event recorded before checksums (no findings) read every
// document in full.
func FixityMethods(e custody.Event) (fullRead []string, compared int) {
	if e.Type != custody.FixityCheck {
		return nil, 0
	}
	if len(e.Details.Findings) == 0 {
		for _, d := range e.Details.Documents {
			fullRead = append(fullRead, d.Name)
		}
		return fullRead, 0
	}
	for _, f := range e.Details.Findings {
		if n, ok := fullReadName(f); ok {
			fullRead = append(fullRead, n)
		} else if _, err := fmt.Sscanf(f, "compared with the stored checksum, not read: %d documents", &compared); err == nil {
			continue
		}
	}
	return fullRead, compared
}

func fullReadName(f string) (string, bool) {
	if i := strings.LastIndex(f, findingComposite); i >= 0 && strings.HasSuffix(f[:i], findingFullRead) {
		return strings.TrimSuffix(f[:i], findingFullRead), true
	}
	if strings.HasSuffix(f, findingFullRead) {
		return strings.TrimSuffix(f, findingFullRead), true
	}
	return "", false
}

// boundComposite returns the composite checksum of the document named name that the latest
// full read on trail recorded, "" when none did.
func boundComposite(trail []custody.Entry, name, sum string) string {
	for i := len(trail) - 1; i >= 0; i-- {
		e := trail[i].Event
		if e.Type != custody.FixityCheck || len(e.Details.Reasons) > 0 {
			continue
		}
		for _, f := range e.Details.Findings {
			prefix := name + findingFullRead + findingComposite
			if strings.HasPrefix(f, prefix) {
				if e.Details.DocumentManifest != nil {
					// The check's documents are the acceptance's manifest, which lists it.
					return strings.TrimPrefix(f, prefix)
				}
				for _, d := range e.Details.Documents {
					if d.Name == name && d.SHA256 == sum {
						return strings.TrimPrefix(f, prefix)
					}
				}
			}
		}
	}
	return ""
}

// sameComposite compares two composite checksums: the base64 digest, and the part count
// where both name one (an emulator may answer without the "-N").
func sameComposite(a, b string) bool {
	da, na, _ := strings.Cut(a, "-")
	db, nb, _ := strings.Cut(b, "-")
	return da == db && (na == "" || nb == "" || na == nb)
}

// Fixity checks the stored documents of an accepted bundle against the hashes its acceptance
// recorded and records FixityCheck: Reasons lists every document missing or changed, empty
// when all match. Over a ChecksumStore a document is read in full on its sample day
// (FullReadDay), when the store keeps no checksum of it, and, for a multipart document, until
// a full read has recorded its composite checksum; on other days its stored checksum is
// compared, without a read. The event's Findings name the documents read in full. Up to
// FixityConcurrency documents are checked at once; reasons and findings keep the documents'
// order.
func (s *Service) Fixity(ctx context.Context, bundleID string) (custody.Entry, error) {
	trail, err := s.Events(ctx, bundleID)
	if err != nil {
		return custody.Entry{}, err
	}
	acc, ok := find(trail, ofType(custody.SubmissionAcceptance))
	if !ok {
		return custody.Entry{}, &BundleNotFoundError{BundleID: bundleID, Reason: "no accepted submission to check"}
	}
	if checkDisposed(bundleID, trail) != nil {
		return custody.Entry{}, &BundleNotFoundError{BundleID: bundleID, Reason: "its documents were disposed of: nothing to check"}
	}
	cs, checksums := s.c.Blobs.(ChecksumStore)
	period := s.c.FullReadDays
	if period <= 0 {
		period = DefaultFullReadDays
	}
	today := SampleDay(s.c.Clock(), period)
	var reasons, findings []string
	docs, err := s.EventDocuments(ctx, acc.Event)
	var me *custody.DocumentManifestError
	switch {
	case errors.As(err, &me), errors.Is(err, ErrNotFound):
		// The stored manifest itself is damaged or gone: that is the check's finding.
		reasons = append(reasons, err.Error())
	case err != nil:
		return custody.Entry{}, err
	}
	checks := make([]docCheck, len(docs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(FixityConcurrency)
	for i, d := range docs {
		g.Go(func() error {
			var err error
			if checksums {
				checks[i], err = s.checkStored(gctx, cs, trail, d, period, today)
			} else {
				checks[i], err = s.checkRead(gctx, d)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return custody.Entry{}, err
	}
	compared := 0
	for _, c := range checks {
		switch {
		case c.reason != "":
			reasons = append(reasons, c.reason)
		case c.finding != "":
			findings = append(findings, c.finding)
		case c.compared:
			compared++
		}
	}
	if compared > 0 {
		findings = append(findings, fmt.Sprintf("compared with the stored checksum, not read: %d documents", compared))
	}
	en, _, err := s.appendOnce(ctx, bundleID, func([]custody.Entry) (*decision, error) {
		return &decision{typ: custody.FixityCheck, actor: system("audit"), details: custody.Details{
			Documents: acc.Event.Details.Documents, DocumentManifest: acc.Event.Details.DocumentManifest,
			Reasons: capReasons(reasons), Findings: findings}}, nil
	})
	return en, err
}

// FixityConcurrency is how many documents of a bundle Fixity checks at once: a HeadObject
// each mostly waits on the network, and a full read streams through a copy buffer.
const FixityConcurrency = 8

// docCheck is what checking one document found: a reason (missing or changed), or a finding
// (read in full), or that its stored checksum was compared.
type docCheck struct {
	reason, finding string
	compared        bool
}

// checkRead reads a document in full from a store that keeps no checksums.
func (s *Service) checkRead(ctx context.Context, d custody.Document) (docCheck, error) {
	got, err := s.rehash(ctx, d.SHA256)
	switch {
	case errors.Is(err, ErrNotFound):
		return docCheck{reason: fmt.Sprintf("%s: stored blob %s is missing", d.Name, d.SHA256)}, nil
	case err != nil:
		return docCheck{}, err
	case got != d.SHA256:
		return docCheck{reason: fmt.Sprintf("%s: stored blob hashes to %s, recorded %s", d.Name, got, d.SHA256)}, nil
	}
	return docCheck{}, nil
}

// checkStored checks a document over a ChecksumStore: its stored checksum, or a full read on
// its sample day, when the store keeps none, or while no full read has bound its composite.
func (s *Service) checkStored(ctx context.Context, cs ChecksumStore, trail []custody.Entry, d custody.Document, period, today int) (docCheck, error) {
	stored, err := cs.StoredChecksum(ctx, d.SHA256)
	if errors.Is(err, ErrNotFound) {
		return docCheck{reason: fmt.Sprintf("%s: stored blob %s is missing", d.Name, d.SHA256)}, nil
	}
	if err != nil {
		return docCheck{}, err
	}
	bound := ""
	if stored.Composite != "" {
		bound = boundComposite(trail, d.Name, d.SHA256)
	}
	full := FullReadDay(d.SHA256, period) == today || stored.None() || (stored.Composite != "" && bound == "")
	if !full {
		switch {
		case stored.SHA256 != "" && stored.SHA256 != d.SHA256:
			return docCheck{reason: fmt.Sprintf("%s: the store's checksum is SHA-256 %s, recorded %s", d.Name, stored.SHA256, d.SHA256)}, nil
		case stored.Composite != "" && !sameComposite(stored.Composite, bound):
			return docCheck{reason: fmt.Sprintf("%s: the store's composite checksum is %s, a full read recorded %s", d.Name, stored.Composite, bound)}, nil
		}
		return docCheck{compared: true}, nil
	}
	got, composite, err := cs.Reread(ctx, d.SHA256)
	switch {
	case errors.Is(err, ErrNotFound):
		return docCheck{reason: fmt.Sprintf("%s: stored blob %s is missing", d.Name, d.SHA256)}, nil
	case err != nil:
		return docCheck{}, err
	case got != d.SHA256:
		return docCheck{reason: fmt.Sprintf("%s: stored blob hashes to %s, recorded %s", d.Name, got, d.SHA256)}, nil
	case stored.SHA256 != "" && stored.SHA256 != got:
		return docCheck{reason: fmt.Sprintf("%s: the store's checksum is SHA-256 %s, its bytes hash to %s", d.Name, stored.SHA256, got)}, nil
	case stored.Composite != "" && !sameComposite(stored.Composite, composite):
		return docCheck{reason: fmt.Sprintf("%s: the store's composite checksum is %s, its bytes give %s", d.Name, stored.Composite, composite)}, nil
	}
	f := d.Name + findingFullRead
	if composite != "" {
		f += findingComposite + composite
	}
	return docCheck{finding: f}, nil
}
