package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

// A service built without an intake (the api and audit functions) does not ingest: a new
// bundle is left untouched with ErrNoIntake, while an outcome already recorded is returned.
func TestIngestWithoutIntake(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	defer n.Close()
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Origin: local.DefaultOrigin, Clock: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om")))
	if _, err := svc.Ingest(ctx, id); !errors.Is(err, pipeline.ErrNoIntake) {
		t.Fatalf("Ingest without intake = %v, want ErrNoIntake", err)
	}
	nx, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Origin: local.DefaultOrigin, Clock: clock.Now,
		Intake: pipeline.BagIntake(nil, bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nx.Ingest(ctx, id); !errors.Is(err, pipeline.ErrNoIntake) {
		t.Fatalf("Ingest with an intake without extractor = %v, want ErrNoIntake", err)
	}
	if trail, err := n.Ledger.Events(ctx, id); err != nil || len(trail) != 0 {
		t.Fatalf("trail after refused ingest = %d events, %v; want none", len(trail), err)
	}
	want, err := n.Service.Ingest(ctx, id)
	if err != nil || !want.Accepted {
		t.Fatalf("Ingest with intake = %+v, %v", want, err)
	}
	got, err := svc.Ingest(ctx, id)
	if err != nil || got.Event.Hash != want.Event.Hash {
		t.Errorf("Ingest of an ingested bundle without intake = %+v, %v; want the recorded acceptance", got, err)
	}
}
