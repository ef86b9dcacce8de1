package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/pipeline"
)

// Work item bounds: one item is checked by one invocation, well inside the function's 900 s
// even when every document of it must be read in full (8 GiB at the 100 MiB/s or so one
// Lambda reads from S3 is about 80 s; docs/volumes.md).
const (
	DefaultItemBundles = 200
	DefaultItemBytes   = 8 << 30
	// MaxItemBundles bounds the bundles of one item as read from the queue; an item body
	// stays under SQS's 256 KiB (a bundle id is at most 64 bytes).
	MaxItemBundles = 1000
	maxItemBody    = 256 << 10
)

// FixityItem is one work item of the daily fixity pass: a slice of the window's bundles, put
// on the fixity queue by the daily run and checked by one invocation.
type FixityItem struct {
	Run     string   `json:"run"`  // the daily run that cut it: its time, RFC 3339 UTC
	Item    int      `json:"item"` // 1..Of
	Of      int      `json:"of"`
	Bundles []string `json:"bundles"`
}

// ItemError is a fixity queue message that is not a FixityItem within its limits.
type ItemError struct {
	MessageID string
	Reason    string
}

func (e *ItemError) Error() string { return fmt.Sprintf("fixity item %s: %s", e.MessageID, e.Reason) }

// parseItem reads one queue message as a FixityItem.
func parseItem(m events.SQSMessage) (FixityItem, error) {
	var it FixityItem
	if len(m.Body) > maxItemBody {
		return it, &ItemError{MessageID: m.MessageId, Reason: fmt.Sprintf("body of %d bytes, at most %d", len(m.Body), maxItemBody)}
	}
	if err := json.Unmarshal([]byte(m.Body), &it); err != nil {
		return it, &ItemError{MessageID: m.MessageId, Reason: "not JSON: " + err.Error()}
	}
	switch {
	case len(it.Bundles) == 0 || len(it.Bundles) > MaxItemBundles:
		return it, &ItemError{MessageID: m.MessageId, Reason: fmt.Sprintf("%d bundles, want 1 to %d", len(it.Bundles), MaxItemBundles)}
	case it.Of < 1 || it.Item < 1 || it.Item > it.Of:
		return it, &ItemError{MessageID: m.MessageId, Reason: fmt.Sprintf("item %d of %d", it.Item, it.Of)}
	}
	if _, err := time.Parse(time.RFC3339, it.Run); err != nil {
		return it, &ItemError{MessageID: m.MessageId, Reason: "run: not an RFC 3339 time"}
	}
	for _, b := range it.Bundles {
		if len(b) == 0 || len(b) > 128 {
			return it, &ItemError{MessageID: m.MessageId, Reason: fmt.Sprintf("bundle id of %d bytes", len(b))}
		}
	}
	return it, nil
}

// cut splits the due bundles into work items of at most ItemBundles bundles and ItemBytes
// bytes of bundles (a bundle larger than that alone), in the order given.
func (h *Handler) cut(due []pipeline.Upload) []FixityItem {
	maxN := h.ItemBundles
	if maxN <= 0 {
		maxN = DefaultItemBundles
	}
	maxN = min(maxN, MaxItemBundles)
	maxB := h.ItemBytes
	if maxB <= 0 {
		maxB = DefaultItemBytes
	}
	run := h.Clock().UTC().Format(time.RFC3339)
	var items []FixityItem
	var cur []string
	var bytes int64
	for _, u := range due {
		if len(cur) > 0 && (len(cur) == maxN || bytes+u.Size > maxB) {
			items = append(items, FixityItem{Run: run, Bundles: cur})
			cur, bytes = nil, 0
		}
		cur = append(cur, u.BundleID)
		bytes += u.Size
	}
	if len(cur) > 0 {
		items = append(items, FixityItem{Run: run, Bundles: cur})
	}
	for i := range items {
		items[i].Item, items[i].Of = i+1, len(items)
	}
	return items
}

// FixityTally counts the work items of each daily run (*dynamostate.Table): FixitySent when
// the run sends them, FixityDone as each is done, LastFixityRun for the run before one.
type FixityTally interface {
	FixitySent(ctx context.Context, run string, n int) error
	FixityDone(ctx context.Context, run string) error
	LastFixityRun(ctx context.Context, before string) (run string, sent, done int, ok bool, err error)
}

// fanOut is the daily pass with a queue: it counts what the previous run left undone
// (FixityItemsMissing, a day after it sent its items), then cuts the window into work items,
// records how many and sends them.
func (h *Handler) fanOut(ctx context.Context, due []pipeline.Upload, res *Result) []error {
	var errs []error
	items := h.cut(due)
	run := h.Clock().UTC().Format(time.RFC3339)
	m := map[string]int{"FixityItemsSent": len(items), "FixityIncomplete": 0, "FixityRuns": 1}
	if h.Tally != nil {
		prev, sent, done, ok, err := h.Tally.LastFixityRun(ctx, run)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			m["FixityItemsMissing"] = max(0, sent-done)
			if sent > done && h.Log != nil {
				h.Log.ErrorContext(ctx, "fixity work items of the previous run not done", "run", prev, "sent", sent, "done", done)
			}
		}
		if err := h.Tally.FixitySent(ctx, run, len(items)); err != nil {
			errs = append(errs, err)
		}
	}
	res.Items = len(items)
	res.Missing = m["FixityItemsMissing"]
	if err := h.Enqueue(ctx, items); err != nil {
		// Items that did not go out are not done: the next run counts them missing.
		errs = append(errs, fmt.Errorf("fixity work items: %w", err))
	}
	if err := h.metric(m); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// items checks the work items of an SQS event. An item is done when every bundle of it was
// checked (or has nothing left to check: disposed of meanwhile); one that is not, for an error
// or for want of time, is a batch item failure and is handed out again. Each item done writes
// its metric line: FixityItemsDone 1, FixityChecked, FixityMismatch.
func (h *Handler) items(ctx context.Context, records []events.SQSMessage, res *Result) {
	margin := h.FixityMargin
	if margin <= 0 {
		margin = DefaultFixityMargin
	}
	deadline, bounded := ctx.Deadline()
	fail := func(m events.SQSMessage, err error) {
		res.BatchItemFailures = append(res.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		if h.Log != nil {
			h.Log.ErrorContext(ctx, "fixity work item not done", "message", m.MessageId, "err", err)
		}
	}
	for _, m := range records {
		it, err := parseItem(m)
		if err != nil {
			fail(m, err)
			continue
		}
		checked, mismatched := 0, []string{}
		var ierr error
		for _, b := range it.Bundles {
			if bounded && time.Until(deadline) < margin {
				ierr = fmt.Errorf("item %d of %d of run %s: stopped before the function's timeout after %d bundles", it.Item, it.Of, it.Run, checked)
				break
			}
			en, err := h.Service.Fixity(ctx, b)
			var nf *pipeline.BundleNotFoundError
			if errors.As(err, &nf) {
				continue
			}
			if err != nil {
				ierr = fmt.Errorf("fixity of %s: %w", b, err)
				break
			}
			checked++
			if len(en.Event.Details.Reasons) > 0 {
				mismatched = append(mismatched, b)
				if h.Log != nil {
					h.Log.ErrorContext(ctx, "fixity mismatch", "bundle", b, "reasons", en.Event.Details.Reasons)
				}
			}
		}
		res.Checked += checked
		res.Mismatched = append(res.Mismatched, mismatched...)
		if ierr != nil {
			// Its mismatches are recorded on the trails and counted now: a retry records them again.
			_ = h.metric(map[string]int{"FixityMismatch": len(mismatched), "FixityChecked": checked})
			fail(m, ierr)
			continue
		}
		if err := h.metric(map[string]int{"FixityItemsDone": 1, "FixityMismatch": len(mismatched), "FixityChecked": checked}); err != nil {
			fail(m, err)
			continue
		}
		if h.Tally != nil {
			if err := h.Tally.FixityDone(ctx, it.Run); err != nil {
				fail(m, err)
			}
		}
	}
	slices.Sort(res.Mismatched)
}

// serial is the daily pass without a queue: the window's bundles checked in this run, from
// another bundle each day, until the margin before the deadline; the bundles not reached are
// counted as FixityIncomplete.
func (h *Handler) serial(ctx context.Context, due []pipeline.Upload, res *Result) []error {
	var errs []error
	margin := h.FixityMargin
	if margin <= 0 {
		margin = DefaultFixityMargin
	}
	deadline, bounded := ctx.Deadline()
	start := 0
	if len(due) > 0 {
		start = int(h.Clock().Unix()/86400) % len(due)
	}
	for i := range due {
		if bounded && time.Until(deadline) < margin {
			res.Incomplete = len(due) - i
			if h.Log != nil {
				h.Log.ErrorContext(ctx, "fixity pass stopped before the function's timeout", "checked", res.Checked, "not_reached", res.Incomplete)
			}
			break
		}
		u := due[(start+i)%len(due)]
		en, err := h.Service.Fixity(ctx, u.BundleID)
		if err != nil {
			errs = append(errs, fmt.Errorf("fixity of %s: %w", u.BundleID, err))
			continue
		}
		res.Checked++
		if len(en.Event.Details.Reasons) > 0 {
			res.Mismatched = append(res.Mismatched, u.BundleID)
			if h.Log != nil {
				h.Log.ErrorContext(ctx, "fixity mismatch", "bundle", u.BundleID, "reasons", en.Event.Details.Reasons)
			}
		}
	}
	slices.Sort(res.Mismatched)
	if err := h.metric(map[string]int{"FixityMismatch": len(res.Mismatched), "FixityChecked": res.Checked, "FixityIncomplete": res.Incomplete, "FixityRuns": 1}); err != nil {
		errs = append(errs, err)
	}
	return errs
}
