package main

import (
	"bytes"
	"context"
	"encoding/base64"

	"github.com/evx-project/evx/shared/custody"
)

// manifestCases are the vectors of document manifests (details.document_manifest): the
// bundle's documents listed in a manifest the trail carries instead of inline, as evx writes
// them for bundles of many documents, and that manifest edited, dropped, disowned, or
// referenced with a count or a form that lies. The trail is the same bundle's life on a log
// of its own, with its own older checkpoint (manifest-older.txt).
func manifestCases(ctx context.Context, files map[string][]byte) ([]tcase, error) {
	docs := docRecords()
	data, ref, err := custody.EncodeDocumentManifest(docs)
	if err != nil {
		return nil, err
	}
	good, older, err := buildManifest(ctx, ref)
	if err != nil {
		return nil, err
	}
	good.DocumentManifests = []custody.ManifestFile{custody.ManifestFileOf(data)}
	files["manifest-older.txt"] = older
	var cases []tcase
	add := func(name, want string, t *custody.Trail) {
		cases = append(cases, tcase{name: name, want: want, checkpoint: "manifest-older.txt", data: marshal(t)})
	}
	add("manifest-good", "ok", good)

	// The manifest's bytes changed (a document's hash), its listed SHA-256 kept.
	t := clone(good)
	edited := bytes.Replace(data, []byte(docs[1].SHA256), []byte(flipHex(docs[1].SHA256)), 1)
	t.DocumentManifests = []custody.ManifestFile{{SHA256: ref.SHA256, Manifest: base64.StdEncoding.EncodeToString(edited)}}
	add("manifest-edited", "DocumentManifestError", t)

	// The manifest left out of the trail: the documents cannot be checked.
	t = clone(good)
	t.DocumentManifests = nil
	add("manifest-missing", "DocumentManifestError", t)

	// A manifest no event references, slipped in beside the real one.
	t = clone(good)
	extra, _, err := custody.EncodeDocumentManifest(docs[:1])
	if err != nil {
		return nil, err
	}
	t.DocumentManifests = append(t.DocumentManifests, custody.ManifestFileOf(extra))
	add("manifest-unreferenced", "FormatError", t)

	// Events signed by evx's key stating a count the manifest does not hold.
	lying := ref
	lying.Count++
	t, lyingOlder, err := buildManifest(ctx, lying)
	if err != nil {
		return nil, err
	}
	t.DocumentManifests = good.DocumentManifests
	add("manifest-count-lies", "DocumentManifestError", t)
	// A log of its own: its older checkpoint, so that only the count is wrong.
	cases[len(cases)-1].checkpoint = "manifest-count-lies-older.txt"
	files["manifest-count-lies-older.txt"] = lyingOlder

	// A manifest whose hash and size the event states, but written in another form than the
	// canonical one (indented): one list of documents has one manifest.
	var loose bytes.Buffer
	loose.Write(bytes.Replace(data, []byte(`{"documents":[`), []byte("{\n  \"documents\": ["), 1))
	odd := custody.ManifestFileOf(loose.Bytes())
	oddRef := custody.DocumentManifest{Count: ref.Count, SHA256: odd.SHA256, Size: int64(loose.Len())}
	t, oddOlder, err := buildManifest(ctx, oddRef)
	if err != nil {
		return nil, err
	}
	t.DocumentManifests = []custody.ManifestFile{odd}
	add("manifest-not-canonical", "DocumentManifestError", t)
	cases[len(cases)-1].checkpoint = "manifest-not-canonical-older.txt"
	files["manifest-not-canonical-older.txt"] = oddOlder

	// The documents are checked against the manifest as they are against an inline list.
	add("manifest-document-modified", "DocumentHashError", good)
	cases[len(cases)-1].documents = "documents-modified"
	return cases, nil
}

// buildManifest records the bundle's life with its documents in the manifest ref names, and
// returns the trail (with a consistency proof from the older checkpoint) and that checkpoint.
func buildManifest(ctx context.Context, ref custody.DocumentManifest) (*custody.Trail, []byte, error) {
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: trusted, Origin: Origin, Now: clock()}
	uploader := custody.Actor{Kind: custody.ActorUser, ID: "investigator.jansen@politie.example"}
	nl := custody.Actor{Kind: custody.ActorCounterpart, ID: "NL-OM"}
	m := &ref
	steps := []step{
		{Bundle, custody.SubmissionAcceptance, uploader, custody.Details{DocumentManifest: m, Reference: "MLA-2026-BE-0042"}},
		{"EVX-2026-0002", custody.SubmissionRejection, uploader, custody.Details{Reasons: []string{"manifest-sha256.txt: data/x.pdf: checksum mismatch"}}},
		{Bundle, custody.ContentConsignment, custody.Actor{Kind: custody.ActorSystem, ID: "route"}, custody.Details{Counterpart: "NL-OM", DocumentManifest: m}},
		{Bundle, custody.ConsignmentAcceptance, nl, custody.Details{DocumentManifest: m, Counterpart: "NL-OM"}},
		{Bundle, custody.FixityCheck, custody.Actor{Kind: custody.ActorSystem, ID: "audit"}, custody.Details{DocumentManifest: m}},
	}
	var older []byte
	olderSize := uint64(0)
	for i, s := range steps {
		if _, err := k.Record(ctx, s.bundle, s.typ, s.actor, s.d); err != nil {
			return nil, nil, err
		}
		if i == 2 {
			var err error
			if older, err = k.Checkpoint(ctx); err != nil {
				return nil, nil, err
			}
			olderSize = uint64(i + 1)
		}
	}
	t, err := k.Export(ctx, Bundle, custody.ExportOptions{ConsistencyFrom: olderSize})
	return t, older, err
}
