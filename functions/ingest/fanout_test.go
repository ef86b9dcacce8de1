package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
)

// IngestQueue names the ingest queue in the node's queues.
const IngestQueue = "evx-ingest"

// localRequeue sends to the node's queue: it drops a dedupID sent before, as the sent table
// does on AWS.
type localRequeue struct{ q pipeline.Queue }

func (l localRequeue) SendStandard(ctx context.Context, name, dedupID string, body []byte) error {
	return l.q.Send(ctx, name, dedupID, body)
}

// fanHandler is newHandler with member records and a fan-out of 4 members a chunk.
func fanHandler(t testing.TB) (*Handler, *fntest.Bucket) {
	h, b := newHandler(t)
	n := b.Node
	members := &statetest.MemMembers{}
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Origin: local.DefaultOrigin, Clock: (&fntest.Clock{T: fntest.T0}).Now,
		Members: members, Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Service, h.Members, h.Requeue, h.IngestQueue = svc, members, localRequeue{n.Queue}, IngestQueue
	h.FanOut = &pipeline.FanOut{MinMembers: 5, MinBytes: 1 << 40, ChunkMembers: 4, ChunkBytes: 1 << 40, Parallel: 2, Margin: time.Second}
	return h, b
}

// drain feeds the ingest queue's messages back to the handler, as the event source mapping
// does, delivering each twice, until the queue is empty; it returns the results by kind.
func drain(t *testing.T, h *Handler, deadline time.Duration) map[string]int {
	t.Helper()
	ctx := context.Background()
	kinds := map[string]int{}
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("the ingest queue never empties")
		}
		msgs, err := h.Queue.Receive(ctx, IngestQueue, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return kinds
		}
		for _, m := range msgs {
			for range 2 {
				cx, cancel := context.WithTimeout(ctx, deadline)
				res, err := h.Message(cx, m.Body)
				cancel()
				if err != nil {
					t.Fatalf("message %s: %v", m.Body, err)
				}
				switch {
				case strings.Contains(string(m.Body), `"finish"`):
					kinds["finish"]++
				case strings.HasPrefix(res.State, "chunk done"):
					kinds["chunk done"]++
				default:
					kinds[res.State]++
				}
			}
			if err := h.Queue.Ack(ctx, IngestQueue, m.Handle); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A bag of 10 documents is split into 3 chunks on the ingest queue; their messages, each
// delivered twice, store the documents and send one finish, which records one acceptance, locks
// every document and queues the bundle for routing once.
func TestIngestFanOut(t *testing.T) {
	h, b := fanHandler(t)
	docs := map[string][]byte{}
	for i := range 10 {
		docs[fmt.Sprintf("exhibit-%02d.txt", i)] = fmt.Appendf(nil, "Exhibit %d\n", i)
	}
	b.Put(t, "incoming/EIO-2026-0042.zip", fntest.BagOf(t, docs, "nl-om"))
	ctx := context.Background()
	res, err := h.Message(ctx, fntest.Event(t, "object-created.json"))
	if err != nil || res.Chunks != 3 || res.Accepted {
		t.Fatalf("first message = %+v, %v; want 3 chunks queued", res, err)
	}
	kinds := drain(t, h, time.Minute)
	if kinds["chunk done"] != 6 || kinds["finish"] != 2 {
		t.Errorf("results %v, want 6 chunk runs done and 2 finishes", kinds)
	}
	msgs, err := h.Queue.Receive(ctx, "evx-accepted", 10, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("accepted queue holds %d messages (%v), want 1", len(msgs), err)
	}
	var am AcceptedMessage
	json.Unmarshal(msgs[0].Body, &am)
	if u, err := h.State.Upload(ctx, am.Bundle); err != nil || u.State != pipeline.UploadAccepted {
		t.Errorf("upload = %+v, %v; want accepted", u, err)
	}
	if n := len(h.Retain.(*retainer).locked); n != 10 {
		t.Errorf("locked %d documents, want 10", n)
	}
	// The object event again: the outcome stands, nothing is split.
	if res, err := h.Message(ctx, fntest.Event(t, "object-created.json")); err != nil || !res.Accepted || res.Chunks != 0 {
		t.Errorf("event again = %+v, %v; want the acceptance", res, err)
	}
}

// Chunks whose invocations end too soon (a deadline under the margin) are sent again, each a
// new attempt, until MaxAttempts: then the message is poison.
func TestIngestChunkContinued(t *testing.T) {
	h, b := fanHandler(t)
	docs := map[string][]byte{}
	for i := range 6 {
		docs[fmt.Sprintf("exhibit-%02d.txt", i)] = fmt.Appendf(nil, "Exhibit %d\n", i)
	}
	b.Put(t, "incoming/EIO-2026-0042.zip", fntest.BagOf(t, docs, "nl-om"))
	ctx := context.Background()
	res, err := h.Message(ctx, fntest.Event(t, "object-created.json"))
	if err != nil || res.Chunks != 2 {
		t.Fatalf("first message = %+v, %v", res, err)
	}
	cx, cancel := context.WithTimeout(ctx, 500*time.Millisecond) // under the 1 s margin
	defer cancel()
	msgs, _ := h.Queue.Receive(ctx, IngestQueue, 10, time.Minute)
	var m ChunkMessage
	json.Unmarshal(msgs[0].Body, &m)
	if res, err := h.Message(cx, msgs[0].Body); err != nil || res.State != "chunk continued" {
		t.Fatalf("chunk at its deadline = %+v, %v; want continued", res, err)
	}
	next, _ := h.Queue.Receive(ctx, IngestQueue, 10, time.Minute)
	if len(next) != 1 || !strings.Contains(string(next[0].Body), `"attempt":1`) {
		t.Errorf("queue after the continued chunk: %d messages, want one of attempt 1", len(next))
	}
	m.Attempt = MaxAttempts
	body, _ := json.Marshal(m)
	var pe *PoisonError
	if _, err := h.Message(ctx, body); !errors.As(err, &pe) {
		t.Errorf("chunk at attempt %d = %v, want a *PoisonError", MaxAttempts, err)
	}
	for _, bad := range []string{`{"chunk":{"bundle":"x","chunk":3,"of":2}}`, `{"chunk":{"bundle":"x","chunk":0,"of":0}}`, `{"chunk":"x"}`} {
		if _, err := h.Message(ctx, json.RawMessage(bad)); !errors.As(err, &pe) {
			t.Errorf("Message(%s) = %v, want a *PoisonError", bad, err)
		}
	}
}
