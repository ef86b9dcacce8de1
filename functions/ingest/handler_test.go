package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

func newHandler(t testing.TB) (*Handler, *fntest.Bucket) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	b := &fntest.Bucket{Name: "evx-evidence-test", Dir: t.TempDir(), Node: n}
	return &Handler{Service: n.Service, Uploads: b, State: n.Uploads, Queue: n.Queue, Accepted: "evx-accepted",
		Retain: &retainer{}, RetainFor: 3650 * 24 * time.Hour}, b
}

// retainer records what Retain was asked to lock.
type retainer struct {
	mu     sync.Mutex
	locked map[string]time.Time
}

func (r *retainer) Retain(_ context.Context, sum string, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.locked == nil {
		r.locked = map[string]time.Time{}
	}
	r.locked[sum] = until
	return nil
}

// sqsBatch wraps message bodies in the SQS event the event source mapping hands the function.
func sqsBatch(t *testing.T, bodies ...[]byte) []byte {
	t.Helper()
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i+1), Body: string(b), EventSource: "aws:sqs",
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A batch of an upload, a body that is no JSON and an event of another service: the upload is
// accepted and its documents locked from the acceptance on; the other two fail alone, and
// end in the dead-letter queue after their receives.
func TestIngestBatchFailsPoisonAlone(t *testing.T) {
	h, b := newHandler(t)
	b.Put(t, "incoming/EIO-2026-0042.zip", fntest.Bag(t, "nl-om", "es-fge"))
	got, err := fntest.Invoke(t, h.Handle, sqsBatch(t, fntest.Event(t, "object-created.json"), []byte("not json"),
		[]byte(`{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}`)))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	json.Unmarshal(got, &resp)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"m2", "m3"}; !slices.Equal(failed, want) {
		t.Errorf("failures %v, want %v", failed, want)
	}
	locked := h.Retain.(*retainer).locked
	if len(locked) != 2 {
		t.Fatalf("locked %v, want the bundle's two documents", locked)
	}
	for sum, until := range locked {
		if want := fntest.T0.Add(h.RetainFor); !until.Equal(want) {
			t.Errorf("document %s locked until %v, want %v (acceptance + retention)", sum, until, want)
		}
	}
	for _, body := range []string{"not json", `{"source":"aws.ec2"}`, strings.Repeat(" ", MaxMessage+1)} {
		var pe *PoisonError
		if _, err := h.Message(context.Background(), json.RawMessage(body)); !errors.As(err, &pe) {
			t.Errorf("Message(%.20q) = %v, want a *PoisonError", body, err)
		}
	}
}

// An upload recorded but never ingested: the sweeper's ResumeMessage ingests it; one naming
// no upload fails.
func TestIngestResume(t *testing.T) {
	h, b := newHandler(t)
	b.Put(t, "incoming/EIO-2026-0042.zip", fntest.Bag(t, "nl-om"))
	u, err := b.Submit(context.Background(), b.Name, "incoming/EIO-2026-0042.zip", "", "s3:test", 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Message(context.Background(), json.RawMessage(`{"resume":"`+u.BundleID+`"}`))
	if err != nil || !res.Accepted || res.State != string(pipeline.UploadAccepted) {
		t.Errorf("resume = %+v, %v; want accepted", res, err)
	}
	if _, err := h.Message(context.Background(), json.RawMessage(`{"resume":"no-such-bundle"}`)); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("resume of an unknown bundle = %v, want ErrNotFound", err)
	}
}

// The same S3 event delivered twice makes one acceptance and one message for route.
func TestIngestTwiceOneAcceptance(t *testing.T) {
	h, b := newHandler(t)
	b.Put(t, "incoming/EIO-2026-0042.zip", fntest.Bag(t, "nl-om", "es-fge"))
	ev := fntest.Event(t, "object-created.json")
	first, err := fntest.Invoke(t, h.Message, ev)
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "object-created", first)
	second, err := fntest.Invoke(t, h.Message, ev)
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
	got, err := fntest.Invoke(t, h.Message, fntest.Event(t, "object-created-not-a-bag.json"))
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
	got, err := fntest.Invoke(t, h.Message, ev)
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
		if got, err := fntest.Invoke(t, h.Message, []byte(ev)); err == nil {
			t.Errorf("Invoke(%s) = %s, want an error", ev, got)
		}
	}
}
