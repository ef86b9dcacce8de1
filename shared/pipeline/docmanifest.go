package pipeline

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/evx-project/evx/shared/custody"
)

// An event lists its documents inline while they are few and short; above either threshold
// they go to a document manifest (custody.EncodeDocumentManifest), stored content-addressed in
// the blob store beside the documents and their extraction records, and the event carries
// only its reference (details.document_manifest: SHA-256, size, count). The thresholds keep
// an event well inside DynamoDB's 400 KB item, next to the seal an acceptance may carry (which
// holds the bag's manifest-sha256.txt, about as many bytes again for long names), and leave
// every smaller bundle in the form evx wrote before: with SHA-512, media type and extraction
// record, 128 KiB is about 330 documents of short names.
const (
	// InlineDocumentsMax is the most documents an event lists inline.
	InlineDocumentsMax = 1000
	// InlineDocumentsBytesMax is the most bytes the canonical form of an inline list may take.
	InlineDocumentsBytesMax = 128 << 10
)

// manifestOverhead is what a manifest holds beyond its documents' canonical list.
var manifestOverhead = len(`{"documents":[],"format":"` + custody.DocumentManifestFormat + `"}`)

// packDocuments moves d's documents into a stored manifest when they pass either threshold;
// it leaves d as it is otherwise. The manifest is held for bundleID (Config.Guard) before it
// is stored, as documents are, so that no disposal of another bundle deletes it.
func (s *Service) packDocuments(ctx context.Context, bundleID string, d *custody.Details) error {
	if len(d.Documents) == 0 || d.DocumentManifest != nil {
		return nil
	}
	data, ref, inline, err := manifestFor(d.Documents)
	if err != nil {
		return fmt.Errorf("document manifest of %s: %w", bundleID, err)
	}
	if inline {
		return nil
	}
	if err := s.hold(ctx, ref.SHA256, bundleID); err != nil {
		return err
	}
	if err := s.c.Blobs.Put(ctx, ref.SHA256, ref.Size, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("store document manifest of %s: %w", bundleID, err)
	}
	d.Documents, d.DocumentManifest = nil, &ref
	return nil
}

// manifestFor encodes docs' manifest and says whether they stay inline instead (at most
// InlineDocumentsMax documents whose canonical list takes at most InlineDocumentsBytesMax).
func manifestFor(docs []custody.Document) (data []byte, ref custody.DocumentManifest, inline bool, err error) {
	data, ref, err = custody.EncodeDocumentManifest(docs)
	if err != nil {
		return nil, ref, false, err
	}
	// The manifest's list is the inline list's bytes: "[" ... "]" within the same brackets.
	return data, ref, len(docs) <= InlineDocumentsMax && len(data)-manifestOverhead <= InlineDocumentsBytesMax, nil
}

// EventDocuments returns the documents event e records: its inline list or, when it references
// a document manifest, the manifest's documents, read from the blob store and checked against
// the reference (size, SHA-256, count, form). A manifest that does not match is a
// *custody.DocumentManifestError; every reader of a bundle's documents goes through here.
func (s *Service) EventDocuments(ctx context.Context, e custody.Event) ([]custody.Document, error) {
	return eventDocuments(ctx, s.c.Blobs, e)
}

func eventDocuments(ctx context.Context, blobs BlobStore, e custody.Event) ([]custody.Document, error) {
	if e.Details.DocumentManifest == nil {
		return e.Details.Documents, nil
	}
	docs, err := custody.EventDocuments(e, func(sum string) ([]byte, error) { return readManifest(ctx, blobs, sum) })
	if err != nil {
		return nil, fmt.Errorf("documents of %s: %w", e.BundleID, err)
	}
	return docs, nil
}

// readManifest reads a stored manifest, at most custody.MaxManifestBytes+1 bytes of it.
func readManifest(ctx context.Context, blobs BlobStore, sum string) ([]byte, error) {
	rc, err := blobs.Open(ctx, sum)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, custody.MaxManifestBytes+1))
}

// attachManifests adds to t every document manifest its events reference, once each, in the
// order first referenced: what the trail's holder needs to verify them offline.
func (s *Service) attachManifests(ctx context.Context, t *custody.Trail) error {
	seen := map[string]bool{}
	for _, te := range t.Events {
		ref := te.Event.Details.DocumentManifest
		if ref == nil || seen[ref.SHA256] {
			continue
		}
		seen[ref.SHA256] = true
		data, err := readManifest(ctx, s.c.Blobs, ref.SHA256)
		if err != nil {
			return fmt.Errorf("export %s: document manifest %s of seq %d: %w", t.BundleID, ref.SHA256, te.Event.Seq, err)
		}
		// Listed under the hash the event references, whatever the stored bytes hash to: a
		// manifest damaged in the store is then reported as changed, not as missing.
		t.DocumentManifests = append(t.DocumentManifests, custody.ManifestFile{SHA256: ref.SHA256, Manifest: base64.StdEncoding.EncodeToString(data)})
	}
	return nil
}
