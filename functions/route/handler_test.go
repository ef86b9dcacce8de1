package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/pipeline"
)

// A batch of a good bundle (uploaded and accepted), a bad one (uploaded, never ingested, not
// a bag) and a body that names no bundle: the good one is routed, the other two fail alone.
// Route does not ingest the bad one: its trail stays empty and its upload received, for the
// sweep function to finish through the ingest function.
func TestRoutePartialBatch(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	submit := func(bag []byte) string {
		id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	good := submit(fntest.Bag(t, "nl-om", "es-fge"))
	if res, err := n.Service.Ingest(ctx, good); err != nil || !res.Accepted {
		t.Fatalf("Ingest(good) = %+v, %v", res, err)
	}
	bad := submit([]byte("PK\x03\x04 this is no zip"))
	ev := bytes.ReplaceAll(fntest.Event(t, "sqs-batch.json"), []byte("BUNDLE_GOOD"), []byte(good))
	ev = bytes.ReplaceAll(ev, []byte("BUNDLE_BAD"), []byte(bad))

	h := &Handler{Service: n.Service, State: n.Uploads}
	got, err := fntest.Invoke(t, h.Handle, ev)
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "sqs-batch", got)

	ds, err := n.Service.ListDeliveries(ctx, "nl-om")
	if err != nil || len(ds) != 1 || ds[0].BundleID != good {
		t.Errorf("nl-om deliveries = %+v, %v; want one of the good bundle", ds, err)
	}
	msgs, err := n.Queue.Receive(ctx, pipeline.QueueName("es-fge"), 10, 60e9)
	if err != nil || len(msgs) != 1 {
		t.Errorf("es-fge queue holds %d notices (%v), want 1", len(msgs), err)
	}
	trail, err := n.Service.Events(ctx, bad)
	if !errors.Is(err, pipeline.ErrNotFound) || len(trail) != 0 {
		t.Errorf("bad bundle's trail = %+v, %v; want none (route never ingests)", trail, err)
	}
	for id, want := range map[string]pipeline.UploadState{good: pipeline.UploadRouted, bad: pipeline.UploadReceived} {
		if u, err := n.Uploads.Upload(ctx, id); err != nil || u.State != want {
			t.Errorf("upload %s = %+v, %v; want state %s", id, u, err, want)
		}
	}

	// Redelivered (the SQS at-least-once case): nothing new, the same answer.
	again, err := fntest.Invoke(t, h.Handle, ev)
	if err != nil || !bytes.Equal(again, got) {
		t.Errorf("again = %s, %v; want %s", again, err, got)
	}
	if ds, _ := n.Service.ListDeliveries(ctx, "nl-om"); len(ds) != 1 {
		t.Errorf("after redelivery nl-om has %d deliveries, want 1", len(ds))
	}
	if msgs, _ := n.Queue.Receive(ctx, pipeline.QueueName("nl-om"), 10, 60e9); len(msgs) != 1 {
		t.Errorf("after redelivery nl-om's queue holds %d notices, want 1", len(msgs))
	}
}
