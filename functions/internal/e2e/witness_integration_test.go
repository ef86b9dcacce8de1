//go:build integration

package e2e

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/witness"
)

// Witnesses on AWS, between the real bootstraps and the emulator: the api function offers the
// checkpoint the audit function signed on its schedule and kept, and
// signs nothing to do so; a witness cosigns it, the api keeps the cosignature and serves the
// cosigned checkpoint; while the log grows between two scheduled runs every witness is shown
// the same checkpoint, and the next run's checkpoint comes with the consistency proof from it.
func TestIntegrationWitnessOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "api", "audit")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-nl-om-0123456789": {map[string]string{"sub": "u1", "iss": issuer, "client_id": "evx-sample-nl-om"}, []string{"evx/counterpart"}},
		"tok-legal-0123456789": {map[string]string{"sub": "clerk-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
	})
	api, err := client.New(srv.URL, client.WithToken("tok-nl-om-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	anonymous, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(st.cfg.SigningPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := witness.GenerateKey("nl-om.example/witness")
	if err != nil {
		t.Fatal(err)
	}
	wit, err := witness.New(skey, t.TempDir(), pub)
	if err != nil {
		t.Fatal(err)
	}
	env := st.ingestEnv(t, ctx) // in this process, straight to the emulator
	var apiErr *client.APIError
	if _, err := anonymous.WitnessOffer(ctx, 0); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous witness offer = %v, want 401", err)
	}
	bundle := putAndAccept(t, ctx, st, env, "s3:test", fntest.Bag(t, "nl-om"))

	// Before the first scheduled checkpoint there is nothing to offer, and nothing is signed.
	w.take()
	if _, err := api.WitnessOffer(ctx, 0); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("witness offer before any checkpoint was kept = %v, want 404", err)
	}
	if calls := w.take(); count(calls, "KMS Sign") != 0 {
		t.Errorf("the witness offer made %q, want no KMS Sign", calls)
	}

	publish := func() string {
		t.Helper()
		var out struct {
			Checkpoint string `json:"checkpoint"`
		}
		if err := json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "checkpoint"}), &out); err != nil || out.Checkpoint == "" {
			t.Fatalf("checkpoint task: %+v, %v", out, err)
		}
		return out.Checkpoint
	}
	first := publish()
	w.take()
	o, err := api.WitnessOffer(ctx, 0)
	if err != nil || o.Checkpoint != first {
		t.Fatalf("witness offer = %+v, %v; want the checkpoint the audit function kept", o, err)
	}
	res, err := wit.Cosign(witness.Offer{Checkpoint: []byte(o.Checkpoint), FromSize: o.FromSize, Proof: o.Proof, Rotations: o.Rotations})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.PostCosignature(ctx, res.Size, vkey, string(res.Cosignature)); err != nil {
		t.Fatal(err)
	}
	cosigned, err := api.CosignedCheckpoint(ctx, 0)
	if err != nil || string(cosigned) != first+string(res.Cosignature) {
		t.Fatalf("cosigned checkpoint = %q, %v; want the kept one with the witness's line", cosigned, err)
	}
	if calls := w.take(); count(calls, "KMS Sign") != 0 {
		t.Errorf("a witness round made %q, want no KMS Sign", calls)
	}

	// The log grows: the offer stays the kept checkpoint until the next scheduled run.
	putAndAccept(t, ctx, st, env, "s3:test", fntest.Bag(t, "nl-om"))
	if o, err := api.WitnessOffer(ctx, res.Size); err != nil || o.Checkpoint != first || len(o.Proof) != 0 {
		t.Errorf("offer after growth, before the next run = %+v, %v; want the first checkpoint again", o, err)
	}
	second := publish()
	// The next run at the same log size signs again and reads the heads it kept: no Scan.
	w.take()
	publish()
	if calls := w.take(); count(calls, "DynamoDB Scan") != 0 || count(calls, "KMS Sign") != 1 {
		t.Errorf("a checkpoint run while the log did not grow made %q, want one KMS Sign and no Scan", calls)
	}
	o, err = api.WitnessOffer(ctx, res.Size)
	if err != nil || o.Checkpoint != second || o.FromSize != res.Size || len(o.Proof) == 0 {
		t.Fatalf("offer after the next run = %+v, %v; want its checkpoint with a proof from %d", o, err, res.Size)
	}
	if res, err = wit.Cosign(witness.Offer{Checkpoint: []byte(o.Checkpoint), FromSize: o.FromSize, Proof: o.Proof, Rotations: o.Rotations}); err != nil || res.HeldSize == 0 {
		t.Fatalf("second round = %+v, %v; want a cosignature from the size held", res, err)
	}
	if err := api.PostCosignature(ctx, res.Size, vkey, string(res.Cosignature)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CosignedCheckpoint(ctx, res.Size); err != nil {
		t.Error(err)
	}

	// A trail exported by the api carries the cosigned checkpoint with the bundle's head,
	// proven from the heads the audit function kept beside it (the api scans nothing): with a
	// quorum of one it is complete as of that checkpoint, and cut at the end it fails.
	legal, err := client.New(srv.URL, client.WithToken("tok-legal-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	w.take()
	raw, err := legal.Trail(ctx, bundle, client.TrailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if calls := w.take(); count(calls, "DynamoDB Scan") != 0 || count(calls, "S3 GetObject") == 0 {
		t.Errorf("the api's export made %q, want no Scan and the kept heads read from S3", calls)
	}
	var trail custody.Trail
	if err := json.Unmarshal(raw, &trail); err != nil {
		t.Fatal(err)
	}
	if trail.Witnessed == nil || !strings.HasPrefix(trail.Witnessed.Checkpoint, second) || trail.Witnessed.Head == nil {
		t.Fatalf("exported trail's witnessed checkpoint %+v, want the second kept checkpoint, cosigned, with the bundle's head", trail.Witnessed)
	}
	rep, err := custody.Verify(&trail, pub, custody.VerifyOptions{Witnesses: []string{vkey}, Quorum: 1})
	if err != nil || rep.Complete == nil || !rep.Complete.Witnessed || rep.Complete.Size != res.Size {
		t.Errorf("Verify(exported trail, quorum 1) = %+v, %v; want complete as of the cosigned checkpoint, size %d", rep, err, res.Size)
	}
	cut := trail
	cut.Events = cut.Events[:len(cut.Events)-1]
	var te *custody.TruncatedError
	if _, err := custody.Verify(&cut, pub, custody.VerifyOptions{Witnesses: []string{vkey}, Quorum: 1}); !errors.As(err, &te) {
		t.Errorf("Verify(trail without its last event) = %v, want *TruncatedError", err)
	}

}
