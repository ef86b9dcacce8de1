package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// ResumeMessage is the body the sweeper puts on the ingest queue for an upload left received:
// the ingest function ingests the recorded upload it names.
type ResumeMessage struct {
	Resume string `json:"resume"`
}

// Input is what starts the sweeper: the schedule's {"task":"pending"}, or the EventBridge event
// of a notice-age alarm entering ALARM.
type Input struct {
	Task       string          `json:"task"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// alarmChange is the detail of a "CloudWatch Alarm State Change" event.
type alarmChange struct {
	AlarmName string `json:"alarmName"`
	State     struct {
		Value string `json:"value"`
	} `json:"state"`
}

// Sender puts one message on a queue by its SQS name.
type Sender interface {
	SendTo(ctx context.Context, queue string, body []byte) error
}

// Handler finishes or reports the uploads left pending, and moves notices about to expire
// unread from a counterpart's queue to its dead-letter queue.
//
// An upload still received Grace after it arrived was never ingested (its event was lost, or
// the ingest function stopped before recording an outcome): within the next Window the
// sweeper puts a ResumeMessage for it on the ingest queue (runs every Window/2, so at least
// once, at most twice; ingest is idempotent). An upload still received after that, or accepted
// and not routed after Grace, is stuck: it is logged and counted in the StuckUploads metric,
// on which template.yaml's alarm fires.
type Handler struct {
	Pending     func(ctx context.Context) ([]pipeline.Upload, error)
	Queue       Sender
	IngestQueue string // SQS name of the ingest queue
	Grace       time.Duration
	Window      time.Duration
	Clock       pipeline.Clock
	Notices     *Mover
	AlarmPrefix string    // notice-age alarms are named AlarmPrefix + counterpart id
	Metrics     io.Writer // stdout in the function
	Log         *slog.Logger
}

// Result is what one run did.
type Result struct {
	Requeued []string `json:"requeued"`
	Stuck    []string `json:"stuck"`
	Moved    int      `json:"moved,omitempty"` // notices moved to a dead-letter queue
	Queue    string   `json:"queue,omitempty"` // the counterpart queue swept for notices
}

// UnexpectedInputError is an invocation the sweeper has no task for.
type UnexpectedInputError struct{ Task, DetailType string }

func (e *UnexpectedInputError) Error() string {
	return fmt.Sprintf("sweep: no task %q for an event of type %q", e.Task, e.DetailType)
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, in Input) (*Result, error) {
	switch {
	case in.Task == "pending":
		return h.pending(ctx)
	case in.DetailType == "CloudWatch Alarm State Change":
		var d alarmChange
		if err := json.Unmarshal(in.Detail, &d); err != nil {
			return nil, fmt.Errorf("alarm event: %w", err)
		}
		id, ok := strings.CutPrefix(d.AlarmName, h.AlarmPrefix)
		if !ok || h.AlarmPrefix == "" || d.State.Value != "ALARM" {
			return &Result{Requeued: []string{}, Stuck: []string{}}, nil // not a notice-age alarm going off
		}
		if err := pipeline.CheckQueueName(id); err != nil {
			return nil, fmt.Errorf("alarm %s: %w", d.AlarmName, err)
		}
		n, err := h.Notices.Move(ctx, id)
		if h.Log != nil {
			h.Log.InfoContext(ctx, "notices moved", "counterpart", id, "moved", n, "err", err)
		}
		return &Result{Requeued: []string{}, Stuck: []string{}, Moved: n, Queue: id}, err
	}
	return nil, &UnexpectedInputError{Task: in.Task, DetailType: in.DetailType}
}

func (h *Handler) pending(ctx context.Context) (*Result, error) {
	ups, err := h.Pending(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Requeued: []string{}, Stuck: []string{}}
	now := h.Clock()
	var errs []error
	for _, u := range ups {
		age := now.Sub(u.Received)
		switch {
		case age < h.Grace:
			// Still on its way through the queues.
		case u.State == pipeline.UploadReceived && age < h.Grace+h.Window:
			body, _ := json.Marshal(ResumeMessage{Resume: u.BundleID})
			if err := h.Queue.SendTo(ctx, h.IngestQueue, body); err != nil {
				errs = append(errs, fmt.Errorf("requeue %s: %w", u.BundleID, err))
				continue
			}
			res.Requeued = append(res.Requeued, u.BundleID)
		default:
			res.Stuck = append(res.Stuck, u.BundleID)
			if h.Log != nil {
				h.Log.ErrorContext(ctx, "upload stuck", "bundle", u.BundleID, "state", u.State, "received", u.Received)
			}
		}
	}
	if err := h.metric(len(res.Stuck)); err != nil {
		errs = append(errs, err)
	}
	if h.Log != nil {
		h.Log.InfoContext(ctx, "sweep", "pending", len(ups), "requeued", len(res.Requeued), "stuck", len(res.Stuck))
	}
	return res, errors.Join(errs...)
}

// metric writes one embedded-metric-format line: the StuckUploads count.
func (h *Handler) metric(stuck int) error {
	if h.Metrics == nil {
		return nil
	}
	b, err := json.Marshal(map[string]any{
		"_aws": map[string]any{
			"Timestamp": h.Clock().UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace": "evx", "Dimensions": [][]string{{}},
				"Metrics": []any{map[string]string{"Name": "StuckUploads", "Unit": "Count"}},
			}},
		},
		"StuckUploads": stuck,
	})
	if err != nil {
		return err
	}
	_, err = h.Metrics.Write(append(b, '\n'))
	return err
}
