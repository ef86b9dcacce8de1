package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/pipeline"
)

// Submitter records the bag an S3 event names as an upload (awsenv.Env.Submit on AWS).
type Submitter interface {
	Submit(ctx context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error)
}

// Handler ingests the bag an EventBridge "Object Created" event names: it records the upload,
// runs Ingest (SubmissionAcceptance or SubmissionRejection, once per bundle) and hands an
// accepted bundle to the accepted-bundles queue, which the route function consumes. Every
// step is idempotent, so the same event delivered twice makes one acceptance and one message.
type Handler struct {
	Service  *pipeline.Service
	Uploads  Submitter
	State    pipeline.Uploads
	Queue    pipeline.Queue
	Accepted string // logical name of the accepted-bundles queue
	Log      *slog.Logger
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
}

// AcceptedMessage is the body of a message on the accepted-bundles queue.
type AcceptedMessage struct {
	Bundle string `json:"bundle"`
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) (*Result, error) {
	if ev.Source != "aws.s3" || ev.DetailType != "Object Created" {
		return nil, fmt.Errorf("unexpected event %q from %q: want \"Object Created\" from aws.s3", ev.DetailType, ev.Source)
	}
	var d objectCreated
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("event detail: %w", err)
	}
	if d.Bucket.Name == "" || d.Object.Key == "" {
		return nil, fmt.Errorf("event detail names no bucket or key")
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
	res, err := h.Service.Ingest(ctx, u.BundleID)
	if err != nil {
		return nil, err
	}
	out := &Result{Bundle: u.BundleID, Accepted: res.Accepted, Documents: len(res.Documents), Counterparts: res.Counterparts, Reasons: res.Reasons}
	state := pipeline.UploadRejected
	if res.Accepted {
		state = pipeline.UploadAccepted
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
		h.Log.InfoContext(ctx, "ingest", "bundle", u.BundleID, "key", d.Object.Key, "accepted", res.Accepted, "documents", len(res.Documents), "reasons", len(res.Reasons))
	}
	return out, nil
}
