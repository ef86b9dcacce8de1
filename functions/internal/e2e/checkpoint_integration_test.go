//go:build integration

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// The checkpoint is signed by the audit function (on its schedule, or on demand with
// {"task":"checkpoint"}) and served by the api from the evidence bucket: a flood of anonymous
// GET /v1/checkpoint costs one S3 GetObject each and never a KMS Sign or a read of the log,
// so it cannot spend the signing quota every custody append needs. Counted on the wire
// between the real bootstraps and the emulator.
func TestIntegrationCheckpointServedNotSigned(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "api", "audit")
	srv := apiAdapter(t, fns["api"], nil)
	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/v1/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// The agencies' seal keys: the first scheduled run records each key the directory holds
	// (AgencyKeyAdded on agency:ID), a later run and another function's process record none,
	// so the key changes are in the log once however many functions load the directory.
	keys := 0
	dir, err := directory.Load(st.cfg.Directory)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range dir.Counterparts() {
		keys += len(a.AllSealKeys())
	}
	var run struct {
		KeyChanges []string `json:"key_changes"`
	}
	json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "expiry"}), &run)
	if keys == 0 || len(run.KeyChanges) != keys {
		t.Fatalf("the first audit run recorded the key changes %q, want the %d seal keys of %s", run.KeyChanges, keys, st.cfg.Directory)
	}
	w.take()
	run.KeyChanges = nil
	json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "expiry"}), &run)
	if calls := w.take(); len(run.KeyChanges) != 0 || count(calls, "KMS Sign") != 0 || count(calls, "DynamoDB PutItem") != 0 {
		t.Errorf("the second audit run recorded %q with the calls %q, want nothing recorded", run.KeyChanges, calls)
	}

	// Before the first checkpoint task there is nothing to serve, and nothing is signed for it.
	w.take()
	if code, body := get(); code != http.StatusServiceUnavailable {
		t.Errorf("GET /v1/checkpoint before any was published = %d %s, want 503", code, body)
	}
	if calls := w.take(); !slices.Equal(calls, []string{"S3 GetObject"}) {
		t.Errorf("GET /v1/checkpoint before any was published made %q, want one S3 GetObject", calls)
	}

	// One custody event in the log, then the scheduled task: one KMS Sign, one S3 PutObject.
	c := st.cfg
	c.Intake = pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}) // the ingest function's wiring
	// In this process, straight to the emulator, not on the wire.
	env, err := awsenv.Open(ctx, c, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}
	if again, err := env.Service.SyncAgencyKeys(ctx, env.Directory.Counterparts(), time.Now()); err != nil || len(again) != 0 {
		t.Errorf("another process recorded %d key changes again (%v), want none", len(again), err)
	}
	for _, a := range dir.Counterparts() {
		trail, err := env.Service.Events(ctx, custody.AgencySubject(a.ID))
		if err != nil || len(trail) != len(a.AllSealKeys()) {
			t.Errorf("%s holds %d events (%v), want one per seal key: %d", custody.AgencySubject(a.ID), len(trail), err, len(a.AllSealKeys()))
		}
	}
	putAndAccept(t, ctx, st, env, "s3:test", fntest.Bag(t, "nl-om"))
	w.take()
	var published struct {
		Checkpoint string `json:"checkpoint"`
	}
	json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "checkpoint"}), &published)
	calls := w.take()
	// The heads it commits to are kept beside it (checkpoints/heads/), then it is published.
	if n := count(calls, "KMS Sign"); n != 1 || count(calls, "S3 PutObject") != 2 || count(calls, "DynamoDB Scan") == 0 {
		t.Errorf("the checkpoint task made %q, want a Scan of the custody table, one KMS Sign and two S3 PutObject (heads, checkpoint)", calls)
	}
	pub, err := x509.ParsePKIXPublicKey(st.cfg.SigningPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := custody.OpenCheckpoint([]byte(published.Checkpoint), pub)
	if err != nil || cp.Size < 1 {
		t.Fatalf("published checkpoint %q: %+v, %v; want one signed by the stack's key over the log", published.Checkpoint, cp, err)
	}

	// A flood: each request is one S3 GetObject and answers the published note.
	const flood = 25
	for range flood {
		if code, body := get(); code != http.StatusOK || body != published.Checkpoint {
			t.Fatalf("GET /v1/checkpoint = %d %q, want 200 and the published checkpoint", code, body)
		}
	}
	calls = w.take()
	if len(calls) != flood || count(calls, "S3 GetObject") != flood {
		t.Errorf("%d GET /v1/checkpoint made %q, want %d S3 GetObject and nothing else", flood, calls, flood)
	}
}

// putAndAccept puts bag in the uploads bucket, records it as uploader's, ingests and routes
// it with env (given an intake), and returns its bundle id.
// ingestEnv opens the stack in this process, wired as the ingest function is (bag intake and
// text extraction), for tests that put bags straight into the pipeline.
func (s *stack) ingestEnv(t *testing.T, ctx context.Context) *awsenv.Env {
	t.Helper()
	c := s.cfg
	c.Intake = pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{})
	env, err := awsenv.Open(ctx, c, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func putAndAccept(t *testing.T, ctx context.Context, st *stack, env *awsenv.Env, uploader string, bag []byte) string {
	t.Helper()
	var rb [6]byte
	rand.Read(rb[:])
	key := "incoming/" + hex.EncodeToString(rb[:]) + ".zip"
	put, err := st.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &st.uploads, Key: &key, Body: bytes.NewReader(bag)})
	if err != nil {
		t.Fatal(err)
	}
	up, err := env.Submit(ctx, st.uploads, key, aws.ToString(put.VersionId), uploader, int64(len(bag)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.Process(ctx, up.BundleID); err != nil {
		t.Fatal(err)
	}
	if u, err := env.State.Upload(ctx, up.BundleID); err != nil || u.State != pipeline.UploadRouted {
		t.Fatalf("upload %s = %+v, %v; want accepted and routed", up.BundleID, u, err)
	}
	return up.BundleID
}

func count(calls []string, name string) int {
	n := 0
	for _, c := range calls {
		if c == name {
			n++
		}
	}
	return n
}
