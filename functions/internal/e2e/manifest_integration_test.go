//go:build integration

package e2e

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// manifestBag writes n small documents and bags them for nl-om; it returns the bag and the
// folder of the documents.
func manifestBag(t *testing.T, n int) ([]byte, string) {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("doc-%05d.txt", i))
		if err := os.WriteFile(paths[i], []byte(fmt.Sprintf("exhibit %d of the seizure, page 1\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := bagit.Create(out, paths, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"}}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b, dir
}

// TestIntegrationManyDocumentsOnAWS: on DynamoDB Local (which enforces DynamoDB's 400 KB item
// limit) behind the dynamoledger, S3, SQS and KMS on moto_server, wired as the ingest function
// is: a bag of 5,000 documents, whose acceptance with its documents inline DynamoDB refuses, is
// accepted with them in a document manifest, routed, and its trail (manifest included)
// verifies with the KMS key, every document checked; a bag just under the thresholds keeps
// its documents inline.
func TestIntegrationManyDocumentsOnAWS(t *testing.T) {
	ddb := os.Getenv("EVX_DYNAMODB_LOCAL_URL")
	if os.Getenv("AWS_ENDPOINT_URL") == "" || ddb == "" {
		t.Skip("no emulators: run through infra/emulators.sh")
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb)
	ctx := context.Background()
	st := newStack(t, ctx, moduleRoot(t))
	env := st.ingestEnv(t, ctx)
	pub, err := x509.ParsePKIXPublicKey(st.cfg.SigningPublicKey)
	if err != nil {
		t.Fatal(err)
	}

	bag, dir := manifestBag(t, 5000)
	start := time.Now()
	id := putAndAccept(t, ctx, st, env, "home/m.devries", bag)
	took := time.Since(start)
	trail, err := env.Ledger.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	acc := trail[0].Event
	ref := acc.Details.DocumentManifest
	if acc.Type != custody.SubmissionAcceptance || ref == nil || ref.Count != 5000 || len(acc.Details.Documents) != 0 {
		t.Fatalf("event 1: %s, manifest %+v, %d inline; want SubmissionAcceptance of a 5000-document manifest", acc.Type, ref, len(acc.Details.Documents))
	}
	docs, err := env.Service.EventDocuments(ctx, acc)
	if err != nil || len(docs) != 5000 {
		t.Fatalf("EventDocuments = %d, %v; want 5000", len(docs), err)
	}
	// The same acceptance with its documents inline: DynamoDB refuses the item.
	inline := acc
	inline.BundleID, inline.Details.Documents, inline.Details.DocumentManifest = id+"-inline", docs, nil
	if err := custody.Seal(ctx, env.Signer, &inline); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(inline)
	if _, err := env.Ledger.Append(ctx, inline); err == nil {
		t.Errorf("Append(acceptance of 5000 documents inline, %d bytes) = nil, want DynamoDB's item size refusal", len(body))
	}
	small, _ := json.Marshal(acc)
	t.Logf("5,000 documents on AWS emulators: accepted and routed in %v; acceptance %d bytes (inline %d bytes, refused); manifest %d bytes",
		took.Round(time.Millisecond), len(small), len(body), ref.Size)

	// Routed to nl-om with the same manifest; the trail exported with it verifies.
	m, err := env.Service.Manifest(ctx, "nl-om", pipeline.DeliveryID(id, "nl-om"))
	if err != nil || len(m.Documents) != 5000 || m.Consignment.Details.DocumentManifest == nil {
		t.Fatalf("Manifest(nl-om) = %v; want 5000 documents from the manifest", err)
	}
	tr, err := env.Service.Export(ctx, id, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.VerifyTrail(raw, pub, custody.VerifyOptions{Documents: dir})
	if err != nil || rep.DocumentsCheck != 5000 || len(tr.DocumentManifests) != 1 {
		t.Fatalf("VerifyTrail = %+v, %v (%d manifests); want verified, 5000 documents, one manifest", rep, err, len(tr.DocumentManifests))
	}

	// Just under the thresholds: the documents stay in the acceptance.
	bag, _ = manifestBag(t, 300)
	id = putAndAccept(t, ctx, st, env, "home/m.devries", bag)
	trail, err = env.Ledger.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if acc := trail[0].Event; acc.Details.DocumentManifest != nil || len(acc.Details.Documents) != 300 {
		t.Errorf("acceptance of 300 documents: manifest %+v, %d inline; want 300 inline", acc.Details.DocumentManifest, len(acc.Details.Documents))
	}
	tr, err = env.Service.Export(ctx, id, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(tr)
	var me *custody.DocumentManifestError
	if _, err := custody.VerifyTrail(raw, pub, custody.VerifyOptions{}); err != nil || errors.As(err, &me) || len(tr.DocumentManifests) != 0 {
		t.Errorf("VerifyTrail(300 inline) = %v, %d manifests; want verified, none", err, len(tr.DocumentManifests))
	}
}
