package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// manyDocuments writes n small documents into a fresh folder and returns the folder and their paths.
func manyDocuments(t testing.TB, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("doc-%05d.txt", i))
		if err := os.WriteFile(paths[i], []byte(fmt.Sprintf("exhibit %d of the seizure, page 1\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, paths
}

// eventBytes is the size of e as the ledgers store it (its JSON).
func eventBytes(t testing.TB, e custody.Event) int {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// TestManyDocumentsOneMachine: a bag of 5,000 documents is accepted on one machine with its
// documents in a document manifest; it is routed, pulled and acknowledged, and its trail,
// exported with the manifests, verifies, documents included. The figures (event size with and
// without the manifest, ingest time) are logged for docs/aws.md.
func TestManyDocumentsOneMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 documents")
	}
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	svc := n.Service
	dir, srcs := manyDocuments(t, 5000)
	id := upload(t, n, makeBag(t, srcs, info("nl-om")))
	start := time.Now()
	st, err := svc.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if !st.Ingest.Accepted || len(st.Ingest.Documents) != 5000 {
		t.Fatalf("Process = accepted %v, %d documents (%q); want accepted, 5000", st.Ingest.Accepted, len(st.Ingest.Documents), st.Ingest.Reasons)
	}
	acc := st.Ingest.Event
	ref := acc.Details.DocumentManifest
	if ref == nil || ref.Count != 5000 || len(acc.Details.Documents) != 0 || acc.Version != custody.Version2 {
		t.Fatalf("acceptance details %+v, version %d: want a manifest of 5000 documents, none inline, version 2", ref, acc.Version)
	}
	inline := acc
	inline.Details.Documents, inline.Details.DocumentManifest = st.Ingest.Documents, nil
	size := eventBytes(t, acc)
	if size > 100_000 {
		t.Errorf("acceptance event of %d bytes, want far below DynamoDB's 400 KB", size)
	}
	t.Logf("5,000 documents: ingest and route %v; acceptance event %d bytes (inline: %d bytes); manifest %d bytes",
		took.Round(time.Millisecond), size, eventBytes(t, inline), ref.Size)

	// Routing references the same manifest; the counterpart sees every document.
	d := onlyDelivery(t, svc, "nl-om")
	m, err := svc.Manifest(ctx, "nl-om", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Consignment.Details.DocumentManifest == nil || *m.Consignment.Details.DocumentManifest != *ref || len(m.Documents) != 5000 {
		t.Fatalf("consignment references %+v with %d documents, want the acceptance's manifest, 5000", m.Consignment.Details.DocumentManifest, len(m.Documents))
	}
	rc, doc, err := svc.FetchDocument(ctx, "nl-om", d.ID, m.Documents[4321].Name)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if doc.SHA256 != st.Ingest.Documents[4321].SHA256 {
		t.Errorf("FetchDocument = %+v, want %+v", doc, st.Ingest.Documents[4321])
	}
	var confirmed []pipeline.ReceiptDocument
	for _, x := range m.Documents {
		confirmed = append(confirmed, pipeline.ReceiptDocument{Name: x.Name, SHA256: x.SHA256})
	}
	rcpt, err := svc.PostReceipt(ctx, "nl-om", d.ID, pipeline.ReceiptRequest{Accepted: true, Documents: confirmed})
	if err != nil {
		t.Fatal(err)
	}
	if rcpt.Outcome != custody.ConsignmentAcceptance || len(rcpt.Documents) != 5000 {
		t.Fatalf("receipt %s with %d documents, want ConsignmentAcceptance of 5000", rcpt.Outcome, len(rcpt.Documents))
	}
	if _, err := svc.Fixity(ctx, id); err != nil {
		t.Fatal(err)
	}

	// The trail carries each manifest once; it verifies, every document checked through them.
	tr, err := svc.Export(ctx, id, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, te := range tr.Events {
		if len(te.Event.Details.Documents) > 1 { // a fetch names its one document
			t.Errorf("event %d (%s) lists %d documents inline, want them in a manifest", te.Event.Seq, te.Event.Type, len(te.Event.Details.Documents))
		}
	}
	if len(tr.DocumentManifests) != 2 { // the acceptance's; the receipt's (name and hashes only)
		t.Errorf("trail carries %d manifests, want 2", len(tr.DocumentManifests))
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.VerifyTrail(raw, n.Signer.Public(), custody.VerifyOptions{Documents: dir})
	if err != nil || rep.DocumentsCheck != 5000 {
		t.Fatalf("VerifyTrail = %+v, %v; want verified, 5000 documents checked", rep, err)
	}
	t.Logf("trail of %d events: %d bytes", len(tr.Events), len(raw))
	// Without its manifests the trail does not verify.
	tr.DocumentManifests = tr.DocumentManifests[1:]
	raw, _ = json.Marshal(tr)
	var me *custody.DocumentManifestError
	if _, err := custody.VerifyTrail(raw, n.Signer.Public(), custody.VerifyOptions{}); !errors.As(err, &me) || me.Reason != "missing" {
		t.Errorf("VerifyTrail(a manifest dropped) = %v, want a *DocumentManifestError, missing", err)
	}
}

// TestFewDocumentsStayInline: a bag just under the thresholds keeps today's form, its
// documents listed in the acceptance itself, and its trail carries no manifest.
func TestFewDocumentsStayInline(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	// 300 documents of these names, with SHA-512, media type and extraction, take about
	// 118 KiB: under InlineDocumentsBytesMax.
	_, srcs := manyDocuments(t, 300)
	id := upload(t, n, makeBag(t, srcs, info("nl-om")))
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	acc := st.Ingest.Event
	if !st.Ingest.Accepted || acc.Details.DocumentManifest != nil || len(acc.Details.Documents) != 300 {
		t.Fatalf("acceptance of 300 documents: manifest %+v, %d inline; want 300 inline", acc.Details.DocumentManifest, len(acc.Details.Documents))
	}
	b, _ := json.Marshal(acc.Details.Documents)
	if len(b) > pipeline.InlineDocumentsBytesMax || len(b) < pipeline.InlineDocumentsBytesMax*3/4 {
		t.Errorf("inline list of %d bytes, want just under %d", len(b), pipeline.InlineDocumentsBytesMax)
	}
	tr, err := n.Service.Export(ctx, id, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.DocumentManifests) != 0 {
		t.Errorf("trail carries %d manifests, want none", len(tr.DocumentManifests))
	}
	verifyTrail(t, n, id)
}

// BenchmarkIngestManyDocuments: a 5,000-document bag ingested and routed on one machine (its
// documents in a manifest), per document, as a ratio to a 300-document bag (inline) ingested
// in the same run: the manifest's cost beside the per-document work both share.
func BenchmarkIngestManyDocuments(b *testing.B) {
	ctx := context.Background()
	perDoc := func(n int) time.Duration {
		_, srcs := manyDocuments(b, n)
		bag := makeBag(b, srcs, info("nl-om"))
		var total time.Duration
		for range b.N {
			node := openNode(b, b.TempDir(), newClock())
			id := upload(b, node, bag)
			start := time.Now()
			if st, err := node.Service.Process(ctx, id); err != nil || !st.Ingest.Accepted {
				b.Fatalf("Process = %v", err)
			}
			total += time.Since(start)
		}
		return total / time.Duration(b.N*n)
	}
	small := perDoc(300)
	large := perDoc(5000)
	b.ReportMetric(large.Seconds()*5000, "s/5000-doc-bag")
	b.ReportMetric(large.Seconds()*1e6, "us/doc")
	b.ReportMetric(large.Seconds()/small.Seconds(), "ratio-per-doc-vs-300-inline")
}

// longNamedBag is a bag for nl-om of n documents with names of about 820 bytes: past
// InlineDocumentsBytesMax with few documents, so that a test of the manifest's readers stays quick.
func longNamedBag(t testing.TB, n int) []byte {
	t.Helper()
	top := filepath.Join(t.TempDir(), strings.Repeat("a", 200))
	deep := filepath.Join(top, strings.Repeat("b", 200), strings.Repeat("c", 200), strings.Repeat("d", 200))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(deep, fmt.Sprintf("doc-%03d.txt", i)), []byte(fmt.Sprintf("page %d of the ledger\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return makeBag(t, []string{top}, info("nl-om"))
}

// TestManifestBundleDisposed: a bundle whose documents are in a manifest is disposed of like
// any other: every document and extraction record deleted, the DocumentsDisposed event
// referencing the same manifest, which stays stored, and the trail still verifies.
func TestManifestBundleDisposed(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	svc := n.Service
	id := upload(t, n, longNamedBag(t, 120))
	st, err := svc.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ingest.Event.Details.DocumentManifest
	if ref == nil || ref.Count != 120 || len(st.Ingest.Documents) != 120 {
		t.Fatalf("acceptance manifest %+v, %d documents; want a manifest of 120", ref, len(st.Ingest.Documents))
	}
	if _, err := svc.ReviewRetention(ctx, id, custody.DecisionDispose, time.Time{}, "case closed"); err != nil {
		t.Fatal(err)
	}
	en, err := svc.Dispose(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if en.Event.Type != custody.DocumentsDisposed || en.Event.Details.DocumentManifest == nil || *en.Event.Details.DocumentManifest != *ref || en.Event.Details.DocumentCount() != 120 {
		t.Fatalf("disposal %s, manifest %+v; want DocumentsDisposed of the acceptance's manifest", en.Event.Type, en.Event.Details.DocumentManifest)
	}
	for _, d := range st.Ingest.Documents {
		for _, sum := range []string{d.SHA256, d.Extraction} {
			if rc, err := n.Blobs.Open(ctx, sum); err == nil {
				rc.Close()
				t.Fatalf("blob %s of %s still stored after the disposal", sum, d.Name)
			}
		}
	}
	if rc, err := n.Blobs.Open(ctx, ref.SHA256); err != nil {
		t.Fatalf("the document manifest was deleted with the documents: %v", err)
	} else {
		rc.Close()
	}
	verifyTrail(t, n, id)
	// Disposing again finds the manifest and ends with nothing more to do.
	if _, err := svc.Dispose(ctx, id); err != nil {
		t.Errorf("Dispose again = %v", err)
	}
}

// TestCorruptStoredManifest: a stored manifest changed behind evx's back is a typed error
// for every reader, never a panic, and a fixity check records it as its finding.
func TestCorruptStoredManifest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := openNode(t, dir, newClock())
	svc := n.Service
	id := upload(t, n, longNamedBag(t, 120))
	st, err := svc.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ingest.Event.Details.DocumentManifest
	if ref == nil {
		t.Fatal("no manifest")
	}
	// Find the manifest's file in the blob folder and change one byte.
	var path string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), ref.SHA256) {
			path = p
		}
		return nil
	})
	if path == "" {
		t.Fatal("manifest file not found in the blob folder")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	b[100] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var me *custody.DocumentManifestError
	if _, err := svc.EventDocuments(ctx, st.Ingest.Event); !errors.As(err, &me) || me.Reason != "hash" || me.Seq != 1 {
		t.Errorf("EventDocuments(corrupt manifest) = %v, want a *DocumentManifestError, hash, seq 1", err)
	}
	d := onlyDelivery(t, svc, "nl-om")
	if _, err := svc.Manifest(ctx, "nl-om", d.ID); !errors.As(err, &me) {
		t.Errorf("Manifest(corrupt) = %v, want a *DocumentManifestError", err)
	}
	if _, err := svc.Export(ctx, id, custody.ExportOptions{}); err != nil {
		t.Fatal(err) // exported as stored: the verifier says what is wrong
	}
	tr, _ := svc.Export(ctx, id, custody.ExportOptions{})
	raw, _ := json.Marshal(tr)
	if _, err := custody.VerifyTrail(raw, n.Signer.Public(), custody.VerifyOptions{}); !errors.As(err, &me) || me.Reason != "hash" {
		t.Errorf("VerifyTrail(corrupt manifest) = %v, want a *DocumentManifestError, hash", err)
	}
	en, err := svc.Fixity(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(en.Event.Details.Reasons) != 1 || !strings.Contains(en.Event.Details.Reasons[0], "document manifest") {
		t.Errorf("FixityCheck reasons %q, want the damaged manifest", en.Event.Details.Reasons)
	}
}
