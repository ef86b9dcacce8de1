//go:build integration

package web

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// TestIntegrationVerifierPageLargeManifest: the page verifies the trail of a 5,000-document
// acceptance (its documents in a 1.5 MiB manifest, each one checked), agrees with
// custody.VerifyTrail, and refuses the trail with one document of the manifest changed. Its
// time beside Go's is logged.
func TestIntegrationVerifierPageLargeManifest(t *testing.T) {
	ctx := context.Background()
	seed := sha256.Sum256([]byte("evx large manifest test key"))
	signer, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]custody.Document, 5000)
	files := map[string][]byte{}
	for i := range docs {
		body := []byte(fmt.Sprintf("exhibit %d\n", i))
		h, h5 := sha256.Sum256(body), sha256.Sum256(append(body, 'x'))
		docs[i] = custody.Document{Name: fmt.Sprintf("data/doc-%05d.txt", i), Size: int64(len(body)), SHA256: hex.EncodeToString(h[:]),
			SHA512: hex.EncodeToString(h5[:]) + hex.EncodeToString(h5[:]), MediaType: "text/plain; charset=utf-8", Extraction: hex.EncodeToString(h5[:])}
		files[docs[i].Name] = body
	}
	data, ref, err := custody.EncodeDocumentManifest(docs)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: signer, Origin: "evx.example/custody",
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	uploader := custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"}
	if _, err := k.Record(ctx, "B-5000", custody.SubmissionAcceptance, uploader, custody.Details{Counterparts: []string{"nl-om"}, DocumentManifest: &ref}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Record(ctx, "B-5000", custody.ContentConsignment, custody.Actor{Kind: custody.ActorSystem, ID: "route"}, custody.Details{Counterpart: "nl-om", DocumentManifest: &ref}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "B-5000", custody.ExportOptions{Time: clock.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	tr.DocumentManifests = []custody.ManifestFile{custody.ManifestFileOf(data)}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := custody.PublicKeyOf(signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range files {
		writeFile(t, dir, name, b)
	}
	start := time.Now()
	rep, err := custody.VerifyTrail(raw, signer.Public(), custody.VerifyOptions{Documents: dir})
	goTook := time.Since(start)
	if err != nil || rep.DocumentsCheck != 5000 {
		t.Fatalf("VerifyTrail = %+v, %v; want 5000 documents checked", rep, err)
	}
	bctx := browser(t)
	openVerifier(t, bctx)
	start = time.Now()
	res := verifyInPage(t, bctx, raw, []byte(pk.PEM), nil, files)
	pageTook := time.Since(start)
	if !res.OK || res.Report.DocumentsChecked != 5000 {
		t.Fatalf("page: %+v (%+v), want verified with 5000 documents checked", res.Report, res.Error)
	}
	t.Logf("trail of %d bytes, manifest of %d: evx verify %v, the page %v (documents passed in, checked by both)", len(raw), len(data), goTook.Round(time.Millisecond), pageTook.Round(time.Millisecond))
	// One document of the manifest changed: the page finds the document differs from it.
	files[docs[4999].Name] = []byte("exhibit 4999, altered\n")
	res = verifyInPage(t, bctx, raw, []byte(pk.PEM), nil, files)
	if res.OK || res.Error.Type != "DocumentHashError" {
		t.Errorf("page with a document changed: %+v, want DocumentHashError", res.Error)
	}
}

// writeFile writes b at dir/name, making its folders.
func writeFile(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
