package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// Task is the scheduled input: {"task":"expiry"} runs only Expire (and the request clocks); {"task":"checkpoint"}
// signs a checkpoint of the custody log, keeps it for witnesses and publishes it for the API to
// serve (pipeline.Service.PublishCheckpoint); {"task":"index-all"} enters every accepted bundle
// not yet in the identifier index (a backfill, by hand); {"task":"search-all"} enters every
// accepted bundle not yet in the search index (Reindex; a backfill, by hand);
// {"task":"dispose"} runs only the
// disposals (Dispose); anything else
// (the daily schedule's empty input) runs the fixity check and then Expire. With an Index,
// the hourly and daily runs first enter the bundles accepted recently into the identifier
// index (IndexRecent; the daily run, those of Window); the next checkpoint covers their
// IdentifiersIndexed events.
//
// An SQS event (Records: the fixity queue's messages, each a FixityItem) checks those work
// items of a daily fixity pass and nothing else.
type Task struct {
	Task    string              `json:"task"`
	Records []events.SQSMessage `json:"Records,omitempty"`
}

// Handler is the scheduled audit: it checks the stored documents of the bundles received in
// the last Window against the hashes their acceptance recorded (a FixityCheck event each;
// pipeline.Service.Fixity: S3's stored checksums, full reads on a rotating sample), fanned out
// as work items when Enqueue is set, and records AcceptanceRejectionExpiry for deliveries past
// their deadline. A mismatch is
// logged and counted in a FixityMismatch metric, written to Metrics as a CloudWatch embedded
// metric format line (namespace evx), on which template.yaml's alarm fires.
type Handler struct {
	Service *pipeline.Service
	// Recent lists the bundles received since a time (dynamostate.Table.Uploads on AWS).
	Recent  func(ctx context.Context, since time.Time) ([]pipeline.Upload, error)
	Window  time.Duration
	Clock   pipeline.Clock
	Metrics io.Writer // stdout in the function
	// Publish stores a signed checkpoint where the api function reads the latest from
	// (checkpoints/latest in the evidence bucket on AWS): the API never signs on request.
	Publish func(ctx context.Context, checkpoint []byte) error
	// Requests, when set, sweeps the request clocks on every run but the checkpoint task:
	// DeadlineMissed, PeriodEnded and reminders to the parties' queues (request.Desk.Sweep).
	Requests RequestSweeper
	// Agencies, when set, are the directory's agencies (directory.Directory.Counterparts):
	// every run, first, records the changes to their seal keys that the log does not hold yet
	// (pipeline.Service.SyncAgencyKeys), so that on AWS, where each function loads the
	// directory it is deployed with, the key changes are recorded once, by this function alone,
	// and a revocation or expiry within one schedule period (the checkpoint task runs every five
	// minutes) of its time; the checkpoint the same run signs covers them.
	Agencies []pipeline.Agency
	// Index, when set, is the identifier index (pipeline.Matcher): on the hourly expiry run
	// the accepted bundles received in the last IndexRecent (default two hours; Window on the
	// daily run, all of them on the index-all task) that it does not hold yet are indexed, each
	// IdentifiersIndexed.
	Index       Indexer
	IndexRecent time.Duration
	// Reconcile, when set, runs on the daily run before the request clocks are swept: it
	// registers every request the custody log holds that the request registry lacks
	// (request.Reconcile from the ledger's scan into dynamostate's "#subject" partition).
	Reconcile func(ctx context.Context) (int, error)
	// Dispose, when set, runs on the daily run and the dispose task: the documents of every
	// bundle whose disposal legal staff authorised are deleted (pipeline.Service.Dispose),
	// unless a preservation order or an Object Lock still keeps them, or another bundle holds
	// them. The function's role is the only one allowed to delete in the evidence bucket.
	Dispose bool
	// FixityMargin is what the daily run keeps of its invocation's time (the context's
	// deadline) for what follows the fixity pass and for its metric: the pass stops there and
	// counts the bundles it did not reach as FixityIncomplete, rather than run into the
	// function's timeout and leave no metric at all. 0 means DefaultFixityMargin. The pass
	// starts at another bundle each day, so that a window larger than one run can check is
	// covered over successive days.
	FixityMargin time.Duration
	// Integrate, when set, runs first on every run: it integrates into the log the leaves
	// still pending (of writers that crashed after storing their event; dynamoledger's
	// sequenced layout), so the checkpoint this run signs covers them.
	Integrate func(ctx context.Context) (int, error)
	// Enqueue, when set, fans the daily fixity pass out: the daily run cuts the window's
	// bundles into work items (FixityItem, at most ItemBundles bundles and ItemBytes bytes of
	// bundles each) and hands them to Enqueue (the fixity queue on AWS), whose messages come
	// back to this handler as SQS events, one invocation per item. Without it the daily run
	// checks the window itself, serially, within its own time.
	Enqueue     func(ctx context.Context, items []FixityItem) error
	ItemBundles int   // 0 means DefaultItemBundles
	ItemBytes   int64 // 0 means DefaultItemBytes
	// Tally, with Enqueue, counts each run's work items sent and done (dynamostate.Table's
	// "#fixity" partition): each daily run first reads the previous run's, a day on, and
	// writes what it did not finish as FixityItemsMissing, on which the alarm fires.
	Tally FixityTally
	// Reindex, when set, runs on the search-all task: every accepted bundle of the uploads
	// not yet in the search index is indexed (pipeline.Service.Reindex).
	Reindex func(ctx context.Context, ups []pipeline.Upload) (int, error)
	Log     *slog.Logger
}

// DefaultFixityMargin is Handler.FixityMargin's default.
const DefaultFixityMargin = 2 * time.Minute

// Indexer enters bundles into the identifier index (*pipeline.Matcher).
type Indexer interface {
	Backfill(ctx context.Context, ids []string) (int, error)
}

// RequestSweeper is the request clocks' scheduled task (*request.Desk).
type RequestSweeper interface {
	Sweep(ctx context.Context) (request.SweepResult, error)
}

// Result is what one run did.
type Result struct {
	Checked    int      `json:"checked"`
	Mismatched []string `json:"mismatched"`           // bundles with a document missing or changed
	Expired    []string `json:"expired"`              // deliveries expired now
	Checkpoint string   `json:"checkpoint,omitempty"` // the checkpoint published, for the checkpoint task
	// Requests counts what the sweep of the request clocks recorded (with Handler.Requests).
	Requests *request.SweepResult `json:"requests,omitempty"`
	// KeyChanges are the agency key changes this run recorded (with Handler.Agencies), each
	// as "agency:TYPE:KEYID".
	KeyChanges []string `json:"key_changes,omitempty"`
	// Indexed counts the bundles this run entered into the identifier index.
	Indexed int `json:"indexed,omitempty"`
	// Incomplete counts the bundles of the fixity window the daily run had no time to check.
	Incomplete int `json:"incomplete,omitempty"`
	// Disposed are the bundles whose documents this run disposed of (with Handler.Dispose);
	// Waiting those authorised whose disposal a preservation order or a lock still forbids,
	// each "BUNDLE: why".
	Disposed []string `json:"disposed,omitempty"`
	Waiting  []string `json:"waiting,omitempty"`
	// Integrated counts the pending leaves this run integrated into the log (with
	// Handler.Integrate).
	Integrated int `json:"integrated,omitempty"`
	// Searchable counts the bundles the search-all task entered into the search index.
	Searchable int `json:"searchable,omitempty"`
	// Items counts the fixity work items the daily run put on the queue (with Handler.Enqueue);
	// Missing those of the previous run that were not done (with Handler.Tally).
	Items   int `json:"items,omitempty"`
	Missing int `json:"missing,omitempty"`
	// BatchItemFailures, on an SQS event, names the work items not done: the queue hands them
	// out again, and after its maxReceiveCount moves them to its dead-letter queue.
	BatchItemFailures []events.SQSBatchItemFailure `json:"batchItemFailures,omitempty"`
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, in Task) (*Result, error) {
	res := &Result{Mismatched: []string{}, Expired: []string{}}
	if len(in.Records) > 0 {
		h.items(ctx, in.Records, res)
		return res, nil
	}
	var errs []error
	if h.Integrate != nil {
		n, err := h.Integrate(ctx)
		res.Integrated = n
		if err != nil {
			errs = append(errs, fmt.Errorf("integrate pending leaves: %w", err))
		}
	}
	// The uploads received since a time, listed once a run (the daily run's indexing and
	// fixity ask for the same window).
	listed := map[time.Time][]pipeline.Upload{}
	recentSince := func(since time.Time) ([]pipeline.Upload, error) {
		if ups, ok := listed[since]; ok {
			return ups, nil
		}
		ups, err := h.Recent(ctx, since)
		if err == nil {
			listed[since] = ups
		}
		return ups, err
	}
	if h.Agencies != nil {
		recorded, err := h.Service.SyncAgencyKeys(ctx, h.Agencies, h.Clock())
		for _, en := range recorded {
			kc := en.Event.Details.KeyChange
			res.KeyChanges = append(res.KeyChanges, kc.Agency+":"+string(en.Event.Type)+":"+kc.Key.KeyID)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("agency keys: %w", err))
		}
		if h.Log != nil && len(recorded) > 0 {
			h.Log.InfoContext(ctx, "agency key changes recorded", "changes", res.KeyChanges)
		}
	}
	// Not on the five-minute checkpoint task: listing the recent uploads reads the deliveries
	// table's whole upload partition (dynamostate.Table.Uploads), once an hour is enough.
	if h.Index != nil && in.Task != "checkpoint" {
		recent := h.IndexRecent
		if recent <= 0 {
			recent = 2 * time.Hour
		}
		var since time.Time // index-all: every upload
		switch in.Task {
		case "index-all":
		case "expiry":
			since = h.Clock().Add(-recent)
		default: // the daily run
			since = h.Clock().Add(-h.Window)
		}
		ups, err := recentSince(since)
		n := 0
		if err == nil {
			n, err = h.index(ctx, ups)
		}
		res.Indexed = n
		if err != nil {
			errs = append(errs, fmt.Errorf("identifier index: %w", err))
		}
	}
	if in.Task == "index-all" {
		return res, errors.Join(errs...)
	}
	if in.Task == "search-all" {
		if h.Reindex == nil {
			return res, errors.Join(append(errs, errors.New("search-all task: no search index"))...)
		}
		ups, err := recentSince(time.Time{})
		if err == nil {
			res.Searchable, err = h.Reindex(ctx, ups)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("search index: %w", err))
		}
		return res, errors.Join(errs...)
	}
	if h.Dispose && (in.Task == "dispose" || in.Task == "") {
		if err := h.dispose(ctx, res); err != nil {
			errs = append(errs, fmt.Errorf("disposal: %w", err))
		}
	}
	if in.Task == "dispose" {
		return res, errors.Join(errs...)
	}
	if in.Task == "checkpoint" {
		if h.Publish == nil {
			return nil, errors.New("checkpoint task: no place to publish checkpoints")
		}
		cp, err := h.Service.PublishCheckpoint(ctx)
		if err != nil {
			return nil, errors.Join(append(errs, fmt.Errorf("sign checkpoint: %w", err))...)
		}
		if err := h.Publish(ctx, cp); err != nil {
			return nil, errors.Join(append(errs, fmt.Errorf("publish checkpoint: %w", err))...)
		}
		res.Checkpoint = string(cp)
		return res, errors.Join(errs...)
	}
	if in.Task != "expiry" {
		ups, err := recentSince(h.Clock().Add(-h.Window))
		if err != nil {
			return nil, err
		}
		var due []pipeline.Upload
		for _, u := range ups {
			if u.State == pipeline.UploadAccepted || u.State == pipeline.UploadRouted {
				due = append(due, u)
			}
		}
		if h.Enqueue != nil {
			errs = append(errs, h.fanOut(ctx, due, res)...)
		} else {
			errs = append(errs, h.serial(ctx, due, res)...)
		}
	}
	ds, err := h.Service.Expire(ctx)
	for _, d := range ds {
		res.Expired = append(res.Expired, d.ID)
	}
	if err != nil {
		errs = append(errs, err)
	}
	if h.Reconcile != nil && in.Task != "expiry" {
		if _, err := h.Reconcile(ctx); err != nil {
			errs = append(errs, fmt.Errorf("request registry: %w", err))
		}
	}
	if h.Requests != nil {
		sw, err := h.Requests.Sweep(ctx)
		res.Requests = &sw
		if err != nil {
			errs = append(errs, fmt.Errorf("request clocks: %w", err))
		}
		if l, ok := h.Requests.(requestLister); ok {
			if _, err := request.SyncPreservations(ctx, l, h.Service.SyncRetention); err != nil {
				errs = append(errs, fmt.Errorf("preservation periods: %w", err))
			}
		}
	}
	if h.Log != nil {
		h.Log.InfoContext(ctx, "audit", "checked", res.Checked, "mismatched", len(res.Mismatched), "expired", len(res.Expired))
	}
	return res, errors.Join(errs...)
}

// dispose disposes of the documents of every bundle whose disposal is authorised and not yet
// done; one still kept by a preservation order or a lock waits for a later run.
func (h *Handler) dispose(ctx context.Context, res *Result) error {
	rs, err := h.Service.Retentions(ctx, h.Clock())
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rs {
		if r.Decision != custody.DecisionDispose || r.Disposed {
			continue
		}
		_, err := h.Service.Dispose(ctx, r.BundleID)
		var re *pipeline.RetentionError
		switch {
		case errors.As(err, &re):
			res.Waiting = append(res.Waiting, r.BundleID+": "+re.Reason)
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", r.BundleID, err))
		default:
			res.Disposed = append(res.Disposed, r.BundleID)
		}
	}
	if h.Log != nil && len(res.Disposed)+len(res.Waiting) > 0 {
		h.Log.InfoContext(ctx, "disposal", "disposed", res.Disposed, "waiting", res.Waiting)
	}
	return errors.Join(errs...)
}

// index enters the accepted bundles of ups into the identifier index.
func (h *Handler) index(ctx context.Context, ups []pipeline.Upload) (int, error) {
	var ids []string
	for _, u := range ups {
		if u.State == pipeline.UploadAccepted || u.State == pipeline.UploadRouted {
			ids = append(ids, u.BundleID)
		}
	}
	n, err := h.Index.Backfill(ctx, ids)
	if h.Log != nil && n > 0 {
		h.Log.InfoContext(ctx, "identifier index", "indexed", n)
	}
	return n, err
}

// requestLister is what recording the preservation periods on bundles needs of the requests
// (request.SyncPreservations); the deployed Desk has it.
type requestLister interface {
	List(ctx context.Context, f request.Filter) ([]*request.State, error)
}

// metric writes one embedded-metric-format line (namespace evx, no dimensions) with the
// counts of values: FixityMismatch, FixityChecked, FixityIncomplete, FixityRuns (1: a daily
// pass that ended; the FixityRunMissing alarm fires on a day without one), FixityItemsSent
// and FixityItemsDone (the FixityItemsMissing alarm fires when fewer were done than sent).
func (h *Handler) metric(values map[string]int) error {
	if h.Metrics == nil {
		return nil
	}
	names := slices.Sorted(maps.Keys(values))
	var defs []any
	line := map[string]any{}
	for _, n := range names {
		defs = append(defs, map[string]string{"Name": n, "Unit": "Count"})
		line[n] = values[n]
	}
	line["_aws"] = map[string]any{
		"Timestamp": h.Clock().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  "evx",
			"Dimensions": [][]string{{}},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = h.Metrics.Write(append(b, '\n'))
	return err
}
