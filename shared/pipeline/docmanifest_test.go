package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
