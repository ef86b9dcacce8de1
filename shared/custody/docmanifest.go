package custody

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// A document manifest holds an event's documents outside the event, when they are too many
// to inline (a DynamoDB item holds at most 400 KB). The event then carries, in place of
// details.documents, details.document_manifest: the manifest's SHA-256, its size in bytes and
// the number of documents it lists (version 2, an addition under the rule of
// docs/trail-format.md). The manifest is stored content-addressed beside the documents and
// exported with the trail (Trail.DocumentManifests), and Verify checks it against the event
// before it checks the documents, the seal or the receipt the event carries against it.
//
// Byte layout: the RFC 8785 form of
//
//	{"documents":[Document, ...],"format":"evx-document-manifest/1"}
//
// each Document written exactly as in an event's canonical form (members sorted, empty ones
// left out). One list of documents has one manifest: DecodeDocumentManifest refuses any
// other spelling of the same list.

// DocumentManifestFormat names the manifest layout; DecodeDocumentManifest refuses any other.
const DocumentManifestFormat = "evx-document-manifest/1"

// Limits on a document manifest, checked before and while it is read.
const (
	MaxManifestDocuments = 1_000_000
	MaxManifestBytes     = 512 << 20 // 512 MiB
)

// DocumentManifest is the reference an event carries to its documents' manifest
// (details.document_manifest, version 2).
type DocumentManifest struct {
	Count  int64  `json:"count"`  // documents listed, 1..MaxManifestDocuments
	SHA256 string `json:"sha256"` // lowercase hex SHA-256 of the manifest's bytes
	Size   int64  `json:"size"`   // bytes of the manifest, 1..MaxManifestBytes
}

// ManifestFile is a document manifest as a trail carries it: its SHA-256 and its exact bytes
// (standard base64).
type ManifestFile struct {
	SHA256   string `json:"sha256"`
	Manifest string `json:"manifest"`
}

// DocumentManifestError: a document manifest does not match the event that references it, is
// missing from the trail, or is not a well-formed manifest. Reason is one of "missing",
// "size", "hash", "count" or "malformed"; Want is what the event states (size, hash, count),
// Got what the manifest in hand gives.
type DocumentManifestError struct {
	Seq       uint64 // the event referencing the manifest; 0 outside a trail
	SHA256    string // the manifest the event names
	Reason    string
	Want, Got string
	Err       error
}

func (e *DocumentManifestError) Error() string {
	at := "document manifest " + e.SHA256
	if e.Seq > 0 {
		at = fmt.Sprintf("event seq %d: %s", e.Seq, at)
	}
	switch e.Reason {
	case "missing":
		return at + ": not in the trail (the event lists its documents in it)"
	case "malformed":
		return fmt.Sprintf("%s: not a well-formed %s manifest: %v", at, DocumentManifestFormat, e.Err)
	case "hash":
		return fmt.Sprintf("%s: its bytes hash to %s", at, e.Got)
	}
	return fmt.Sprintf("%s: %s %s, the event states %s", at, e.Reason, e.Got, e.Want)
}
func (e *DocumentManifestError) Unwrap() error { return e.Err }

func (e *DocumentManifestError) Failure() Failure {
	f := Failure{Kind: "DocumentManifestError", Seq: e.Seq, HasSeq: e.Seq > 0, Want: e.Want, Got: e.Got,
		Facts: []Fact{{"reason", e.Reason}, {"manifest", e.SHA256}}}
	return f
}

// EncodeDocumentManifest returns the manifest of docs (see the byte layout above) and the
// reference an event carries to it. docs must be 1..MaxManifestDocuments well-formed documents.
func EncodeDocumentManifest(docs []Document) ([]byte, DocumentManifest, error) {
	if len(docs) == 0 || len(docs) > MaxManifestDocuments {
		return nil, DocumentManifest{}, fmt.Errorf("document manifest of %d documents: want 1..%d", len(docs), MaxManifestDocuments)
	}
	b := make([]byte, 0, 64+300*len(docs))
	b = append(b, `{"documents":[`...)
	for i, d := range docs {
		if err := checkDocument(d); err != nil {
			return nil, DocumentManifest{}, err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCanonicalDocument(b, d)
		if len(b) > MaxManifestBytes {
			return nil, DocumentManifest{}, fmt.Errorf("document manifest exceeds %d bytes", MaxManifestBytes)
		}
	}
	b = append(b, `],"format":"`+DocumentManifestFormat+`"}`...)
	sum := sha256.Sum256(b)
	return b, DocumentManifest{Count: int64(len(docs)), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}, nil
}

// DecodeDocumentManifest reads a manifest's documents, strictly: the layout above, every
// document well formed, at most MaxManifestBytes and MaxManifestDocuments, and exactly the
// bytes EncodeDocumentManifest writes for them. A failure is a *DocumentManifestError with
// Reason "malformed" (or "size" for the byte limit); it never panics.
func DecodeDocumentManifest(data []byte) ([]Document, error) {
	sum := sha256.Sum256(data)
	fail := func(err error) error {
		return &DocumentManifestError{SHA256: hex.EncodeToString(sum[:]), Reason: "malformed", Err: err}
	}
	if len(data) > MaxManifestBytes {
		return nil, &DocumentManifestError{SHA256: hex.EncodeToString(sum[:]), Reason: "size", Want: fmt.Sprintf("at most %d bytes", MaxManifestBytes), Got: fmt.Sprintf("%d bytes", len(data))}
	}
	if !utf8.Valid(data) {
		return nil, fail(errors.New("not UTF-8"))
	}
	var m struct {
		Documents []Document `json:"documents"`
		Format    string     `json:"format"`
	}
	if err := strictUnmarshal(data, &m); err != nil {
		return nil, fail(err)
	}
	if m.Format != DocumentManifestFormat {
		return nil, fail(fmt.Errorf("format %q, want %q", m.Format, DocumentManifestFormat))
	}
	if len(m.Documents) == 0 || len(m.Documents) > MaxManifestDocuments {
		return nil, fail(fmt.Errorf("%d documents: want 1..%d", len(m.Documents), MaxManifestDocuments))
	}
	again, _, err := EncodeDocumentManifest(m.Documents)
	if err != nil {
		return nil, fail(err)
	}
	if string(again) != string(data) {
		return nil, fail(errors.New("not in canonical form (RFC 8785, members sorted, empty members left out, no whitespace)"))
	}
	return m.Documents, nil
}

// OpenDocumentManifest checks that data is the manifest ref names (size, then SHA-256, then
// the documents it lists and their count) and returns its documents. A failure is a
// *DocumentManifestError (Seq 0: the caller names the event).
func OpenDocumentManifest(data []byte, ref DocumentManifest) ([]Document, error) {
	fail := func(reason, want, got string) error {
		return &DocumentManifestError{SHA256: ref.SHA256, Reason: reason, Want: want, Got: got}
	}
	if err := checkManifestRef(ref); err != nil {
		return nil, &DocumentManifestError{SHA256: ref.SHA256, Reason: "malformed", Err: err}
	}
	if int64(len(data)) != ref.Size {
		return nil, fail("size", fmt.Sprint(ref.Size), fmt.Sprint(len(data)))
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != ref.SHA256 {
		return nil, fail("hash", ref.SHA256, got)
	}
	docs, err := DecodeDocumentManifest(data)
	if err != nil {
		var me *DocumentManifestError
		if errors.As(err, &me) {
			me.SHA256 = ref.SHA256
		}
		return nil, err
	}
	if int64(len(docs)) != ref.Count {
		return nil, fail("count", fmt.Sprint(ref.Count), fmt.Sprint(len(docs)))
	}
	return docs, nil
}

// checkManifestRef refuses a reference no manifest could match.
func checkManifestRef(r DocumentManifest) error {
	switch {
	case !isHex(r.SHA256, 64):
		return fmt.Errorf("document_manifest sha256 %q: want 64 lowercase hex digits", r.SHA256)
	case r.Count < 1 || r.Count > MaxManifestDocuments:
		return fmt.Errorf("document_manifest count %d: want 1..%d", r.Count, MaxManifestDocuments)
	case r.Size < 1 || r.Size > MaxManifestBytes:
		return fmt.Errorf("document_manifest size %d: want 1..%d", r.Size, MaxManifestBytes)
	}
	return nil
}

// ManifestFileOf is the trail's copy of a manifest's bytes.
func ManifestFileOf(data []byte) ManifestFile {
	sum := sha256.Sum256(data)
	return ManifestFile{SHA256: hex.EncodeToString(sum[:]), Manifest: base64.StdEncoding.EncodeToString(data)}
}

// manifestDocuments resolves the documents of every event of t that references a manifest,
// checking each against its reference; inline documents are not included. It refuses a
// manifest the trail carries twice, malformed, or that no event references (*FormatError),
// and an event whose manifest is missing or does not match (*DocumentManifestError).
func manifestDocuments(t *Trail) (map[int][]Document, error) {
	files := map[string][]byte{}
	for i, f := range t.DocumentManifests {
		if !isHex(f.SHA256, 64) {
			return nil, &FormatError{Err: fmt.Errorf("document_manifests[%d]: sha256 %q: want 64 lowercase hex digits", i, f.SHA256)}
		}
		if _, dup := files[f.SHA256]; dup {
			return nil, &FormatError{Err: fmt.Errorf("document_manifests[%d]: manifest %s listed twice", i, f.SHA256)}
		}
		if base64.StdEncoding.DecodedLen(len(f.Manifest)) > MaxManifestBytes+3 {
			return nil, &FormatError{Err: fmt.Errorf("document_manifests[%d]: more than %d bytes", i, MaxManifestBytes)}
		}
		b, err := base64.StdEncoding.Strict().DecodeString(f.Manifest)
		if err != nil {
			return nil, &FormatError{Err: fmt.Errorf("document_manifests[%d]: manifest is not base64: %w", i, err)}
		}
		files[f.SHA256] = b
	}
	out := map[int][]Document{}
	used := map[string]bool{}
	for i, te := range t.Events {
		ref := te.Event.Details.DocumentManifest
		if ref == nil {
			continue
		}
		b, ok := files[ref.SHA256]
		if !ok {
			return nil, &DocumentManifestError{Seq: te.Event.Seq, SHA256: ref.SHA256, Reason: "missing"}
		}
		docs, err := OpenDocumentManifest(b, *ref)
		if err != nil {
			var me *DocumentManifestError
			if errors.As(err, &me) {
				me.Seq = te.Event.Seq
			}
			return nil, err
		}
		used[ref.SHA256] = true
		out[i] = docs
	}
	for i, f := range t.DocumentManifests {
		if !used[f.SHA256] {
			return nil, &FormatError{Err: fmt.Errorf("document_manifests[%d]: manifest %s is referenced by no event of the trail", i, f.SHA256)}
		}
	}
	return out, nil
}

// EventDocuments returns the documents an event records: its inline list, or those of its
// manifest, read with load (by SHA-256) and checked against the reference
// (OpenDocumentManifest). load is not called for an event without a manifest.
func EventDocuments(e Event, load func(sha256 string) ([]byte, error)) ([]Document, error) {
	ref := e.Details.DocumentManifest
	if ref == nil {
		return e.Details.Documents, nil
	}
	if err := checkManifestRef(*ref); err != nil {
		return nil, &DocumentManifestError{Seq: e.Seq, SHA256: ref.SHA256, Reason: "malformed", Err: err}
	}
	b, err := load(ref.SHA256)
	if err != nil {
		return nil, fmt.Errorf("event seq %d: read document manifest %s: %w", e.Seq, ref.SHA256, err)
	}
	docs, err := OpenDocumentManifest(b, *ref)
	if err != nil {
		var me *DocumentManifestError
		if errors.As(err, &me) {
			me.Seq = e.Seq
		}
		return nil, err
	}
	return docs, nil
}

// Documents returns the documents of the trail's event at position i: inline, or from the
// manifest the trail carries (checked as Verify checks it).
func (t *Trail) Documents(i int) ([]Document, error) {
	e := t.Events[i].Event
	if e.Details.DocumentManifest == nil {
		return e.Details.Documents, nil
	}
	return EventDocuments(e, func(sum string) ([]byte, error) {
		for _, f := range t.DocumentManifests {
			if f.SHA256 == sum {
				return base64.StdEncoding.Strict().DecodeString(f.Manifest)
			}
		}
		return nil, &DocumentManifestError{Seq: e.Seq, SHA256: sum, Reason: "missing"}
	})
}

// WithDocuments returns t, or a copy of it in which every event whose document manifest the
// trail carries, matching its reference, lists the manifest's documents inline: for readers
// (reports) that show documents. Events whose manifest is missing or does not match keep
// their reference alone; Verify says why. The copy's events carry both members, so it is for
// reading only, never to be verified or written out.
func (t *Trail) WithDocuments() *Trail {
	if t == nil || len(t.DocumentManifests) == 0 {
		return t
	}
	out := *t
	out.Events = append([]TrailEvent(nil), t.Events...)
	for i := range out.Events {
		if out.Events[i].Event.Details.DocumentManifest == nil {
			continue
		}
		if docs, err := t.Documents(i); err == nil {
			out.Events[i].Event.Details.Documents = docs
		}
	}
	return &out
}

// DocumentCount is the number of documents d records: inline, or as its manifest states.
func (d Details) DocumentCount() int {
	if d.DocumentManifest != nil {
		return int(d.DocumentManifest.Count)
	}
	return len(d.Documents)
}
