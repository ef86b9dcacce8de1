//go:build integration

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// sampleSeal is a sample agency's seal key, derived as infra/counterparts.yaml says (the
// sample keys evx demo uses; never for real exchanges).
func sampleSeal(t *testing.T, id string) custody.Signer {
	t.Helper()
	seed := sha256.Sum256([]byte("evx sample counterpart " + id))
	var s custody.Signer
	var err error
	if id == "es-fge" {
		k, kerr := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
		if kerr != nil {
			t.Fatal(kerr)
		}
		s, err = custody.NewECDSASigner(k)
	} else {
		s, err = custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedBag is a zip bag for counterparts, sealed by agency's person with s.
func sealedBag(t *testing.T, s custody.Signer, agency, person string, counterparts ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "seizure-report.txt")
	if err := os.WriteFile(src, []byte("Seizure report 2026/114\nPort of Rotterdam, container MSCU 123456-7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := bagit.Info{{Label: bagit.LabelRequestReference, Value: "EIO-2026-0042"}, {Label: bagit.LabelRequestingState, Value: "ES"},
		{Label: bagit.LabelRequestedState, Value: "NL"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"}}
	for _, c := range counterparts {
		in = append(in, bagit.Field{Label: bagit.LabelCounterpart, Value: c})
	}
	out := filepath.Join(dir, "bundle.zip")
	if _, err := bagit.Create(out, []string{src}, bagit.CreateOptions{Info: in, Seal: func(tags map[string][]byte) (string, []byte, error) {
		b, err := custody.SealBag(context.Background(), s, agency, person, tags, time.Now())
		return custody.BagSealFile, b, err
	}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The parties' seals on AWS, between the real ingest, route and api bootstraps and the
// emulators: a bag sealed by nl-pol lands in the uploads bucket, the ingest function checks
// its seal against the directory and accepts it, the route function delivers it; nl-om posts
// a sealed acceptance and es-fge a sealed refusal with a reason code through the api function
// (a statement altered after signing is refused first); the trail the api exports carries
// the seals and the agencies' key histories from the log, and custody.Verify checks them. A
// bag sealed by a key not nl-pol's is a SubmissionRejection naming the seal.
func TestIntegrationSealsOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	// The deployment is nl-pol's (template.yaml's Agency): its uploaders are people of nl-pol.
	fns := startFunctions(t, ctx, root, append(st.environ(), "EVX_AGENCY=nl-pol"), "ingest", "route", "api")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-j.devries-0123456": {map[string]string{"sub": "j.devries", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
		"tok-nl-om-0123456789":  {map[string]string{"sub": "p.bakker", "iss": issuer, "client_id": "evx-sample-nl-om"}, []string{"evx/counterpart"}},
		"tok-es-fge-0123456789": {map[string]string{"sub": "m.garcia", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/counterpart"}},
		"tok-legal-0123456789":  {map[string]string{"sub": "clerk-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
	})
	env, err := awsenv.Open(ctx, st.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The key changes in the log, as the audit function's first run records them.
	if _, err := env.Service.SyncAgencyKeys(ctx, env.Directory.Counterparts(), time.Now()); err != nil {
		t.Fatal(err)
	}
	// ingest feeds S3's event of an object in the uploads bucket to the ingest function.
	ingest := func(bucket, key, version string, size int64) {
		t.Helper()
		ev, _ := json.Marshal(objectCreated(bucket, key, version, size))
		st.send(t, st.ingest, string(ev))
		if failed := st.drain(t, fns["ingest"], st.ingest); len(failed) != 0 {
			t.Fatalf("ingest failed %v", failed)
		}
	}
	uploader, err := client.New(srv.URL, client.WithToken("tok-j.devries-0123456"))
	if err != nil {
		t.Fatal(err)
	}
	// upload posts bag to the api as j.devries of nl-pol and ingests it.
	upload := func(bag []byte) string {
		t.Helper()
		status, err := uploader.Upload(ctx, bytes.NewReader(bag), int64(len(bag)))
		if err != nil {
			t.Fatal(err)
		}
		id := status.Upload.BundleID
		if u, err := env.State.Upload(ctx, id); err != nil || u.Uploader != "nl-pol/j.devries" {
			t.Errorf("upload recorded as %+v, %v; want nl-pol/j.devries's (EVX_AGENCY and the token's sub)", u, err)
		}
		src, err := env.State.Source(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ingest(src.Bucket, src.Key, src.Version, int64(len(bag)))
		return id
	}
	refused := func(what, id string) {
		t.Helper()
		if u, err := env.State.Upload(ctx, id); err != nil || u.State != pipeline.UploadRejected {
			t.Errorf("%s: upload %+v, %v; want rejected", what, u, err)
		}
		if tr, err := env.Service.Events(ctx, id); err != nil || len(tr) != 1 || tr[0].Event.Type != custody.SubmissionRejection {
			t.Errorf("%s: trail %+v, %v; want one SubmissionRejection", what, tr, err)
		} else {
			t.Logf("%s refused: %q", what, tr[0].Event.Details.Reasons)
		}
	}

	// A sealed bag put in the uploads bucket by an IAM principal: no person of an agency
	// submitted it, so its seal cannot be held to one. Refused.
	key := "incoming/direct.zip"
	direct := sealedBag(t, sampleSeal(t, "nl-pol"), "nl-pol", "j.devries", "nl-om")
	put, err := st.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &st.uploads, Key: &key, Body: bytes.NewReader(direct)})
	if err != nil {
		t.Fatal(err)
	}
	ingest(st.uploads, key, aws.ToString(put.VersionId), int64(len(direct)))
	refused("a sealed bag put in S3 directly", s3bags.BundleID(st.uploads, key, aws.ToString(put.VersionId)))

	// A forged seal: nl-pol's name and person, another key. Refused, the seal named.
	forger, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	refused("a forged seal", upload(sealedBag(t, forger, "nl-pol", "j.devries", "nl-om")))
	// A seal naming another person of nl-pol than the one who submitted.
	refused("a seal of another person", upload(sealedBag(t, sampleSeal(t, "nl-pol"), "nl-pol", "a.visser", "nl-om")))

	// The sealed bag: accepted, then routed by the route function.
	bundle := upload(sealedBag(t, sampleSeal(t, "nl-pol"), "nl-pol", "j.devries", "nl-om", "es-fge"))
	if u, err := env.State.Upload(ctx, bundle); err != nil || u.State != pipeline.UploadAccepted {
		t.Fatalf("sealed upload %s = %+v, %v; want accepted", bundle, u, err)
	}
	if failed := st.drain(t, fns["route"], st.accepted); len(failed) != 0 {
		t.Fatalf("route failed %v", failed)
	}

	// Each counterpart fetches, hashes and seals its answer.
	answer := func(tok, agency, person string, accept bool, alter bool) error {
		t.Helper()
		c, err := client.New(srv.URL, client.WithToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		ds, err := c.Deliveries(ctx)
		if err != nil || len(ds) != 1 {
			t.Fatalf("%s deliveries = %d, %v; want one", agency, len(ds), err)
		}
		m, err := c.Manifest(ctx, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		stmt := &custody.ReceiptStatement{Agency: agency, Person: person, Delivery: ds[0].ID, Bundle: m.Delivery.BundleID, Outcome: custody.OutcomeAccepted}
		for _, d := range m.Documents {
			doc, err := c.Document(ctx, ds[0].ID, d.Name)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(doc.Body)
			doc.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			sd := custody.StatementDocument{Name: d.Name, SHA256: hex.EncodeToString(sum[:]), Outcome: custody.OutcomeAccepted}
			if !accept {
				sd.Outcome, sd.Reason = custody.OutcomeRefused, "legal-basis-insufficient"
			}
			stmt.Documents = append(stmt.Documents, sd)
		}
		if !accept {
			stmt.Outcome, stmt.ReasonCodes, stmt.Note = custody.OutcomeRefused, []string{"legal-basis-insufficient"}, "no dual criminality"
		}
		s := sampleSeal(t, agency)
		rec, err := custody.NewAgencyKey(s.Public())
		if err != nil {
			t.Fatal(err)
		}
		b, sig, err := custody.SignReceiptStatement(func(msg []byte) ([]byte, error) { return s.Sign(ctx, msg) }, rec.KeyID, stmt, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if alter {
			b = bytes.Replace(b, []byte(person), []byte("someone.else"), 1)
		}
		_, err = c.PostReceipt(ctx, ds[0].ID, pipeline.ReceiptRequest{Statement: base64.StdEncoding.EncodeToString(b),
			Signature: base64.StdEncoding.EncodeToString(sig), KeyID: rec.KeyID})
		return err
	}
	var apiErr *client.APIError
	if err := answer("tok-nl-om-0123456789", "nl-om", "p.bakker", true, true); !errors.As(err, &apiErr) || apiErr.StatusCode < 400 || apiErr.StatusCode >= 500 {
		t.Errorf("a statement altered after signing = %v, want refused with a 4xx", err)
	} else {
		t.Logf("altered statement refused: %v", err)
	}
	if err := answer("tok-nl-om-0123456789", "nl-om", "p.bakker", true, false); err != nil {
		t.Fatalf("nl-om's sealed acceptance: %v", err)
	}
	if err := answer("tok-es-fge-0123456789", "es-fge", "m.garcia", false, false); err != nil {
		t.Fatalf("es-fge's sealed refusal: %v", err)
	}

	// The trail the api exports: the sender's seal and both receipts, checked with the key
	// histories it carries from the log.
	legal, err := client.New(srv.URL, client.WithToken("tok-legal-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := legal.Trail(ctx, bundle, client.TrailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var trail custody.Trail
	if err := json.Unmarshal(raw, &trail); err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(st.cfg.SigningPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.Verify(&trail, pub, custody.VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify(exported trail) = %v, want nil", err)
	}
	kinds := map[string]string{}
	for _, sc := range rep.Seals {
		kinds[sc.Agency] = sc.Kind + "/" + sc.Outcome + "/" + sc.KeySource + "/" + sc.Person
	}
	want := map[string]string{"nl-pol": "sender//log/j.devries", "nl-om": "receipt/" + custody.OutcomeAccepted + "/log/p.bakker",
		"es-fge": "receipt/" + custody.OutcomeRefused + "/log/m.garcia"}
	for a, w := range want {
		if kinds[a] != w {
			t.Errorf("seal of %s = %q, want %q (all: %v)", a, kinds[a], w, kinds)
		}
	}
	if len(trail.AgencyKeyChanges) < 3 {
		t.Errorf("trail carries %d key changes, want the three agencies' keys from the log", len(trail.AgencyKeyChanges))
	}
}
