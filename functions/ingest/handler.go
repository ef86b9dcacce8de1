package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Submitter records the bag an S3 event names as an upload (awsenv.Env.Submit on AWS).
type Submitter interface {
	Submit(ctx context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error)
}

// Retainer locks a stored document until a time (s3blob.Store.Retain on AWS: Object Lock
// retention on that object version alone).
type Retainer interface {
	Retain(ctx context.Context, sha256 string, until time.Time) error
}

// Handler ingests the uploads of an SQS batch from the ingest queue. Each message is either
// an EventBridge "Object Created" event of the uploads bucket, which names a bag: the handler
// records the upload, runs Ingest (SubmissionAcceptance or SubmissionRejection, once per
// bundle), locks an accepted bundle's documents for RetainFor from its acceptance and hands
// the bundle to the accepted-bundles queue, which the route function consumes; or a
// ResumeMessage the sweep function sent for an upload recorded but never ingested, which
// runs the same steps from Ingest on. Every step is idempotent, so the same message delivered
// twice makes one acceptance and one message. Messages fail one by one
// (ReportBatchItemFailures): a failed one returns to the queue and, after its
// maxReceiveCount, waits in the dead-letter queue.
type Handler struct {
	Service  *pipeline.Service
	Uploads  Submitter
	State    pipeline.Uploads
	Queue    pipeline.Queue
	Accepted string // logical name of the accepted-bundles queue
	// Retain and RetainFor lock the documents of an accepted bundle; Retain nil locks nothing
	// (the embedded backends have no Object Lock).
	Retain    Retainer
	RetainFor time.Duration
	// FanOut splits the ingest of a large bag into chunks (pipeline.Service.Plan), each a
	// ChunkMessage on IngestQueue for an invocation of its own; the chunk that finds every
	// chunk done (Members) sends a FinishMessage, whose invocation records the outcome. Nil
	// ingests every bag in one invocation.
	FanOut      *pipeline.FanOut
	Members     pipeline.Members
	Requeue     Requeuer
	IngestQueue string // SQS name of the ingest queue (EVX_INGEST_QUEUE)
	Log         *slog.Logger
}

// Requeuer sends to the ingest queue, a standard queue (sqsqueue.Queue.SendStandard on AWS):
// a dedupID already sent is dropped, so that a message run twice continues its chunk once.
type Requeuer interface {
	SendStandard(ctx context.Context, name, dedupID string, body []byte) error
}

// ChunkMessage is the body of a message for one chunk of a large bag's ingest: Attempt counts
// the invocations that ran it before and stopped at their deadline.
type ChunkMessage struct {
	Chunk   pipeline.Chunk `json:"chunk"`
	Attempt int            `json:"attempt"`
}

// FinishMessage is the body of the message that records the outcome of a bag ingested in
// chunks, once every chunk is done.
type FinishMessage struct {
	Finish string `json:"finish"`
}

// MaxAttempts bounds the invocations of one chunk: each runs until its deadline, so a chunk
// that needs more makes no progress (a member too large for one invocation).
const MaxAttempts = 50

// ResumeMessage is the body the sweep function puts on the ingest queue for an upload left
// received.
type ResumeMessage struct {
	Resume string `json:"resume"`
}

// PoisonError is a message that can never be ingested: it names no upload.
type PoisonError struct {
	MessageID string
	Reason    string
}

func (e *PoisonError) Error() string { return fmt.Sprintf("message %s: %s", e.MessageID, e.Reason) }

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		if _, err := h.Message(ctx, json.RawMessage(m.Body)); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			if h.Log != nil {
				var pe *PoisonError
				h.Log.ErrorContext(ctx, "ingest failed", "message", m.MessageId, "receives", m.Attributes["ApproximateReceiveCount"],
					"poison", errors.As(err, &pe), "err", err)
			}
		}
	}
	return resp, nil
}

// MaxMessage is the largest message body taken (SQS allows 256 KiB; an S3 event is ~1 KiB).
const MaxMessage = 256 << 10

// Message ingests what one message body names.
func (h *Handler) Message(ctx context.Context, body json.RawMessage) (*Result, error) {
	if len(body) > MaxMessage {
		return nil, &PoisonError{Reason: fmt.Sprintf("body of %d bytes, larger than %d", len(body), MaxMessage)}
	}
	var probe struct {
		Resume string          `json:"resume"`
		Finish string          `json:"finish"`
		Chunk  json.RawMessage `json:"chunk"`
		Source string          `json:"source"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, &PoisonError{Reason: "body is not JSON: " + err.Error()}
	}
	if probe.Chunk != nil {
		var m ChunkMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, &PoisonError{Reason: "chunk message: " + err.Error()}
		}
		return h.chunk(ctx, m)
	}
	if probe.Finish != "" {
		u, err := h.State.Upload(ctx, probe.Finish)
		if err != nil {
			return nil, fmt.Errorf("finish %s: %w", probe.Finish, err)
		}
		return h.ingest(ctx, u, "its chunks")
	}
	if probe.Resume != "" {
		u, err := h.State.Upload(ctx, probe.Resume)
		if err != nil {
			return nil, fmt.Errorf("resume %s: %w", probe.Resume, err)
		}
		return h.start(ctx, u, "resumed by the sweeper")
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, &PoisonError{Reason: "body is no EventBridge event: " + err.Error()}
	}
	return h.objectCreated(ctx, ev)
}

// objectCreated is the detail of an S3 "Object Created" event on EventBridge.
type objectCreated struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		VersionID string `json:"version-id"`
	} `json:"object"`
	Requester string `json:"requester"`
}

// Result is what one invocation did.
type Result struct {
	Skipped      string   `json:"skipped,omitempty"` // why the event named no upload
	Bundle       string   `json:"bundle,omitempty"`
	Accepted     bool     `json:"accepted"`
	State        string   `json:"state,omitempty"`
	Documents    int      `json:"documents,omitempty"`
	Counterparts []string `json:"counterparts,omitempty"`
	Reasons      []string `json:"reasons,omitempty"`
	// Chunks: the chunks the ingest was split into; Chunk: the chunk this invocation ran.
	Chunks int             `json:"chunks,omitempty"`
	Chunk  *pipeline.Chunk `json:"chunk,omitempty"`
}

// AcceptedMessage is the body of a message on the accepted-bundles queue.
type AcceptedMessage struct {
	Bundle string `json:"bundle"`
}

func (h *Handler) objectCreated(ctx context.Context, ev events.EventBridgeEvent) (*Result, error) {
	if ev.Source != "aws.s3" || ev.DetailType != "Object Created" {
		return nil, &PoisonError{Reason: fmt.Sprintf("unexpected event %q from %q: want \"Object Created\" from aws.s3", ev.DetailType, ev.Source)}
	}
	var d objectCreated
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, &PoisonError{Reason: "event detail: " + err.Error()}
	}
	if d.Bucket.Name == "" || d.Object.Key == "" {
		return nil, &PoisonError{Reason: "event detail names no bucket or key"}
	}
	if !strings.HasPrefix(d.Object.Key, s3bags.Prefix) {
		// Not an upload (template.yaml's rule passes only incoming/): nothing to do, and
		// nothing for EventBridge to retry.
		return &Result{Skipped: "s3://" + d.Bucket.Name + "/" + d.Object.Key + " is not under " + s3bags.Prefix}, nil
	}
	uploader := "s3"
	if d.Requester != "" {
		uploader = "s3:" + d.Requester
	}
	u, err := h.Uploads.Submit(ctx, d.Bucket.Name, d.Object.Key, d.Object.VersionID, uploader, d.Object.Size)
	if err != nil {
		return nil, err
	}
	return h.start(ctx, u, d.Object.Key)
}

// start ingests an upload whole, or sends the chunks of its ingest to the ingest queue.
func (h *Handler) start(ctx context.Context, u pipeline.Upload, from string) (*Result, error) {
	if h.FanOut == nil || h.Requeue == nil || u.State.Final() {
		return h.ingest(ctx, u, from)
	}
	chunks, err := h.Service.Plan(ctx, u.BundleID, *h.FanOut)
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		return h.ingest(ctx, u, from)
	}
	for _, c := range chunks {
		if err := h.sendChunk(ctx, ChunkMessage{Chunk: c}); err != nil {
			return nil, err
		}
	}
	if h.Log != nil {
		h.Log.InfoContext(ctx, "ingest fanned out", "bundle", u.BundleID, "from", from, "chunks", len(chunks))
	}
	return &Result{Bundle: u.BundleID, State: string(u.State), Chunks: len(chunks)}, nil
}

// chunk runs one chunk of a large bag's ingest: again on the queue if it stopped at its
// deadline, and the finish on the queue if it was the last chunk left.
func (h *Handler) chunk(ctx context.Context, m ChunkMessage) (*Result, error) {
	c := m.Chunk
	if h.FanOut == nil || h.Members == nil || h.Requeue == nil {
		return nil, &PoisonError{Reason: "a chunk message, and this function does not fan out"}
	}
	if c.Of < 1 || c.Of > pipeline.MaxChunks || c.K < 0 || c.K >= c.Of || m.Attempt < 0 {
		return nil, &PoisonError{Reason: fmt.Sprintf("chunk %d of %d, attempt %d", c.K, c.Of, m.Attempt)}
	}
	if m.Attempt >= MaxAttempts {
		return nil, &PoisonError{Reason: fmt.Sprintf("chunk %d of %d of %s still not done after %d invocations", c.K, c.Of, c.Bundle, m.Attempt)}
	}
	if _, err := h.State.Upload(ctx, c.Bundle); err != nil {
		return nil, fmt.Errorf("chunk of %s: %w", c.Bundle, err)
	}
	done, err := h.Service.IngestChunk(ctx, c, *h.FanOut)
	if err != nil {
		return nil, err
	}
	out := &Result{Bundle: c.Bundle, Chunk: &c}
	if !done {
		m.Attempt++
		if err := h.sendChunk(ctx, m); err != nil {
			return nil, err
		}
		out.State = "chunk continued"
		return out, nil
	}
	n, err := h.Members.ChunkDone(ctx, c.Bundle, c.K)
	if err != nil {
		return nil, err
	}
	out.State = fmt.Sprintf("chunk done (%d of %d)", n, c.Of)
	if n >= c.Of {
		body, _ := json.Marshal(FinishMessage{Finish: c.Bundle})
		if err := h.Requeue.SendStandard(ctx, h.IngestQueue, "finish/"+c.Bundle, body); err != nil {
			return nil, fmt.Errorf("queue the finish of %s: %w", c.Bundle, err)
		}
	}
	if h.Log != nil {
		h.Log.InfoContext(ctx, "ingest chunk", "bundle", c.Bundle, "chunk", c.K, "of", c.Of, "attempt", m.Attempt, "done", n)
	}
	return out, nil
}

// sendChunk puts a chunk message on the ingest queue; the same attempt sent twice (a message
// delivered twice) is deduplicated.
func (h *Handler) sendChunk(ctx context.Context, m ChunkMessage) error {
	body, _ := json.Marshal(m)
	dedup := fmt.Sprintf("chunk/%s/%d/%d", m.Chunk.Bundle, m.Chunk.K, m.Attempt)
	if err := h.Requeue.SendStandard(ctx, h.IngestQueue, dedup, body); err != nil {
		return fmt.Errorf("queue chunk %d of %s: %w", m.Chunk.K, m.Chunk.Bundle, err)
	}
	return nil
}

// RetainParallel is how many documents are locked at once: a bundle of 20,000 documents takes
// 20,000 PutObjectRetention calls.
const RetainParallel = 16

// retain locks docs until until, RetainParallel at a time; the first error is returned.
func (h *Handler) retain(ctx context.Context, bundleID string, docs []custody.Document, until time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	work := make(chan custody.Document)
	for range min(RetainParallel, len(docs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				if err := h.Retain.Retain(ctx, d.SHA256, until); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("lock %s of %s: %w", d.Name, bundleID, err)
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, d := range docs {
		if ctx.Err() != nil {
			break
		}
		work <- d
	}
	close(work)
	wg.Wait()
	return first
}

// ingest runs the steps from Ingest on for a recorded upload.
func (h *Handler) ingest(ctx context.Context, u pipeline.Upload, from string) (*Result, error) {
	res, err := h.Service.Ingest(ctx, u.BundleID)
	if err != nil {
		return nil, err
	}
	out := &Result{Bundle: u.BundleID, Accepted: res.Accepted, Documents: len(res.Documents), Counterparts: res.Counterparts, Reasons: res.Reasons}
	state := pipeline.UploadRejected
	if res.Accepted {
		state = pipeline.UploadAccepted
		if h.Retain != nil {
			if err := h.retain(ctx, u.BundleID, res.Documents, res.Event.Time.Add(h.RetainFor)); err != nil {
				return nil, err
			}
		}
		body, _ := json.Marshal(AcceptedMessage{Bundle: u.BundleID})
		if err := h.Queue.Send(ctx, h.Accepted, u.BundleID, body); err != nil {
			return nil, fmt.Errorf("queue %s for routing: %w", u.BundleID, err)
		}
	}
	if u.State.Final() || u.State == state {
		state = u.State
	} else if err := h.State.SetUploadState(ctx, u.BundleID, state); err != nil {
		return nil, err
	}
	out.State = string(state)
	if h.Log != nil {
		h.Log.InfoContext(ctx, "ingest", "bundle", u.BundleID, "from", from, "accepted", res.Accepted, "documents", len(res.Documents), "reasons", len(res.Reasons))
	}
	return out, nil
}
