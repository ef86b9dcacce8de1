package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

func newHandler(t *testing.T) (*Handler, *fntest.Bucket) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	b := &fntest.Bucket{Name: "evx-evidence-test", Dir: t.TempDir(), Node: n}
	return &Handler{Service: n.Service, Uploads: b, State: n.Uploads, Queue: n.Queue, Accepted: "evx-accepted"}, b
}

// The same S3 event delivered twice makes one acceptance and one message for route.
func TestIngestTwiceOneAcceptance(t *testing.T) {
	h, b := newHandler(t)
	b.Put(t, "incoming/EIO-2026-0042.zip", fntest.Bag(t, "nl-om", "es-fge"))
	ev := fntest.Event(t, "object-created.json")
	first, err := fntest.Invoke(t, h.Handle, ev)
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "object-created", first)
	second, err := fntest.Invoke(t, h.Handle, ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(second) != string(first) {
		t.Errorf("second invocation = %s, want the first's %s", second, first)
	}
	ctx := context.Background()
	msgs, err := h.Queue.Receive(ctx, "evx-accepted", 10, 60e9)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("accepted queue holds %d messages (%v), want 1", len(msgs), err)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(string(msgs[0].Body), `{"bundle":"`), `"}`)
	trail, err := h.Service.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var acceptances int
	for _, e := range trail {
		if e.Event.Type == custody.SubmissionAcceptance {
			acceptances++
		}
	}
	if acceptances != 1 {
		t.Errorf("trail holds %d acceptances, want 1", acceptances)
	}
	if u, err := h.State.Upload(ctx, id); err != nil || u.State != pipeline.UploadAccepted {
		t.Errorf("upload = %+v, %v; want state accepted", u, err)
	}
}

func TestIngestRejectsNotABag(t *testing.T) {
	h, b := newHandler(t)
	b.Put(t, "incoming/not-a-bag.zip", []byte("PK\x03\x04 this is no zip"))
	got, err := fntest.Invoke(t, h.Handle, fntest.Event(t, "object-created-not-a-bag.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "object-created-not-a-bag", got)
	if msgs, _ := h.Queue.Receive(context.Background(), "evx-accepted", 10, 60e9); len(msgs) != 0 {
		t.Errorf("accepted queue holds %d messages, want none", len(msgs))
	}
}

// An object outside incoming/ is no upload: skipped, nothing recorded, nothing to retry.
func TestIngestSkipsOtherKeys(t *testing.T) {
	h, b := newHandler(t)
	b.Put(t, "evidence/0000.bin", fntest.Bag(t, "nl-om"))
	ev := bytes.ReplaceAll(fntest.Event(t, "object-created.json"), []byte("incoming/EIO-2026-0042.zip"), []byte("evidence/0000.bin"))
	got, err := fntest.Invoke(t, h.Handle, ev)
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "object-created-elsewhere", got)
	if p, _ := h.State.Pending(context.Background()); len(p) != 0 {
		t.Errorf("pending uploads %+v, want none", p)
	}
}

func TestIngestRefusesOtherEvents(t *testing.T) {
	h, _ := newHandler(t)
	for _, ev := range []string{
		`{"source":"aws.ec2","detail-type":"Object Created","detail":{}}`,
		`{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":""}}}`,
		`{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"other"},"object":{"key":"incoming/x.zip"}}}`,
		`not json`,
	} {
		if got, err := fntest.Invoke(t, h.Handle, []byte(ev)); err == nil {
			t.Errorf("Invoke(%s) = %s, want an error", ev, got)
		}
	}
}
