//go:build integration

package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/request"
)

// A preservation order on AWS: es-fge issues an EPOC-PR to this deployment (acting for a
// service provider), which acknowledges it through the api and answers with a bundle; the
// audit bootstrap's daily run records the period on the bundle and locks its documents with
// Object Lock until the period's end (receipt + 60 days), past the one day the stack's own
// retention gives them.
func TestIntegrationPreservationLocksOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	fns := startFunctions(t, ctx, root, st.environ(), "api", "audit")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-es-fge-01234567": {map[string]string{"sub": "ana.garcia", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/counterpart"}},
		"tok-officer-0123456": {map[string]string{"sub": "lr.officer", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
	})
	as := func(tok string) *client.Client { return apiClient(t, srv.URL, tok) }
	q := request.Request{ID: "EPOC-PR-ES-2026-7", Type: request.EPOCPR, Addressee: "home", IssuingState: "ES",
		LegalBasis: "Regulation (EU) 2023/1543 art. 6", DataCategory: "subscriber", Subject: "subscriber of +34 600 000 001"}
	if _, err := as("tok-es-fge-01234567").IssueRequest(ctx, q); err != nil {
		t.Fatal(err)
	}
	s, err := as("tok-officer-0123456").ActOnRequest(ctx, q.ID, "ack", client.RequestAction{})
	if err != nil || s.Status != request.Received {
		t.Fatalf("ack = %+v, %v", s, err)
	}
	received := s.Updated

	env := st.ingestEnv(t, ctx) // in this process, straight to the emulator
	bundle := putAndAccept(t, ctx, st, env, "lr.officer", answeringBag(t, q.ID))
	invoke(t, fns["audit"], map[string]string{})
	trail, err := env.Ledger.Events(ctx, bundle)
	if err != nil {
		t.Fatal(err)
	}
	var set bool
	for _, e := range trail {
		set = set || e.Event.Type == "RetentionSet"
	}
	if !set {
		t.Fatalf("the daily run recorded no RetentionSet on %s", bundle)
	}
	key, _ := s3blob.Key(trail[0].Event.Details.Documents[0].SHA256)
	head, err := st.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &st.cfg.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	want := received.Add(60 * 24 * time.Hour)
	if head.ObjectLockRetainUntilDate == nil || head.ObjectLockRetainUntilDate.Sub(want).Abs() > time.Second {
		t.Errorf("%s locked until %v, want the preservation's end %v", key, head.ObjectLockRetainUntilDate, want)
	}
}

// answeringBag is a bag of one document for es-fge that answers request id
// (EVX-Request-Reference).
func answeringBag(t *testing.T, id string) []byte {
	t.Helper()
	dir := t.TempDir()
	p := dir + "/subscriber.txt"
	if err := os.WriteFile(p, []byte("subscriber of +34 600 000 001: J. Doe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir() + "/bundle.zip"
	if _, err := bagit.Create(out, []string{p}, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "es-fge"}, {Label: bagit.LabelRequestReference, Value: id},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"},
	}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
