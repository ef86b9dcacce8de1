package pipeline_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// A second uploader's submission is recorded on the trail even when its own run failed and
// a resumed run (Resume, which knows no uploader) finished the bundle.
func TestResubmissionRecordedOnResume(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	bag := makeBag(t, evidence(t), info("nl-om"))
	id := upload(t, n, bag)
	// Every blob write fails: the first run and the second uploader's run both fail.
	f := &faults{at: -1}
	broken, err := pipeline.New(pipeline.Config{
		Blobs: failingBlobs{faultyBlobs{n.Blobs, f}}, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Receipts: n.Receipts, Submissions: n.Submissions,
		Origin: "evx.test/custody", Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.Process(ctx, id); err == nil {
		t.Fatal("Process with failing blob writes: no error")
	}
	id2, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
	if err != nil || id2 != id {
		t.Fatalf("Spool(same bytes) = %s, %v; want %s", id2, err, id)
	}
	if _, err := broken.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "bob", Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := broken.ProcessFor(ctx, id, "bob"); err == nil {
		t.Fatal("ProcessFor with failing blob writes: no error")
	}
	if _, err := n.Service.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if _, err := n.Service.Resume(ctx); err != nil { // a second resume records nothing twice
		t.Fatalf("Resume again: %v", err)
	}
	es, err := n.Service.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []custody.Actor
	for _, e := range es {
		if e.Event.Type == custody.Resubmission {
			got = append(got, e.Event.Actor)
		}
	}
	if len(got) != 1 || got[0].ID != "bob" {
		t.Errorf("Resubmission actors after resume = %+v, want bob once", got)
	}
	st, err := n.Service.BundleStatusFor(ctx, id, "bob")
	if err != nil || st.Ingest == nil || !st.Ingest.Accepted {
		t.Errorf("BundleStatusFor(bob) = %+v, %v; want the accepted outcome", st, err)
	}
}

// failingBlobs fails every Put.
type failingBlobs struct{ faultyBlobs }

func (b failingBlobs) Put(context.Context, string, int64, io.Reader) error { return errCrash }
