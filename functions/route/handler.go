package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/pipeline"
)

// Handler routes the accepted bundles of an SQS batch from the accepted-bundles queue: for
// each, a delivery and a ContentConsignment per counterpart, and a notice on the
// counterpart's queue. Messages fail one by one (ReportBatchItemFailures): a failed message
// returns to the queue and, after the queue's maxReceiveCount, moves to its dead-letter queue,
// while the rest of the batch is done.
//
// Route never ingests: a message naming a bundle without an accepted submission fails with
// nothing recorded and ends in the dead-letter queue (ingest sends the message only after it
// recorded the acceptance, so such a message is forged or the ledger was restored behind the
// queue; the sweep function finishes an upload whose ingest stopped half-way). A message whose
// body names no bundle fails the same way.
type Handler struct {
	Service *pipeline.Service
	State   pipeline.Uploads
	Log     *slog.Logger
}

// PoisonError is a message that can never be routed.
type PoisonError struct {
	MessageID string
	Bundle    string // empty when the body names none
	Reason    string
}

func (e *PoisonError) Error() string {
	if e.Bundle == "" {
		return fmt.Sprintf("message %s: %s", e.MessageID, e.Reason)
	}
	return fmt.Sprintf("message %s (bundle %s): %s", e.MessageID, e.Bundle, e.Reason)
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		if err := h.route(ctx, m); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			if h.Log != nil {
				var pe *PoisonError
				h.Log.ErrorContext(ctx, "route failed", "message", m.MessageId, "receives", m.Attributes["ApproximateReceiveCount"], "poison", errors.As(err, &pe), "err", err)
			}
		}
	}
	return resp, nil
}

func (h *Handler) route(ctx context.Context, m events.SQSMessage) error {
	var body struct {
		Bundle string `json:"bundle"`
	}
	if err := json.Unmarshal([]byte(m.Body), &body); err != nil || body.Bundle == "" {
		return &PoisonError{MessageID: m.MessageId, Reason: "body names no bundle"}
	}
	id := body.Bundle
	ds, err := h.Service.Route(ctx, id)
	var nf *pipeline.BundleNotFoundError
	if errors.As(err, &nf) {
		return &PoisonError{MessageID: m.MessageId, Bundle: id, Reason: "no accepted submission: " + nf.Reason}
	}
	if err != nil {
		return err
	}
	if err := h.State.SetUploadState(ctx, id, pipeline.UploadRouted); err != nil && !errors.Is(err, pipeline.ErrNotFound) {
		return err
	}
	if h.Log != nil {
		h.Log.InfoContext(ctx, "routed", "bundle", id, "deliveries", len(ds))
	}
	return nil
}
