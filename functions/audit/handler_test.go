package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// routedBundles uploads and processes one sample bag for each counterpart and returns the
// uploads as the deliveries table would list them, routed.
func routedBundles(t *testing.T, n *local.Node, counterparts ...string) []pipeline.Upload {
	t.Helper()
	ctx := context.Background()
	var ups []pipeline.Upload
	for _, cp := range counterparts {
		id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.Bag(t, cp)))
		if err != nil {
			t.Fatal(err)
		}
		u, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Service.Process(ctx, id); err != nil {
			t.Fatal(err)
		}
		u.State = pipeline.UploadRouted
		ups = append(ups, u)
	}
	return ups
}

func TestAudit(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	ups := routedBundles(t, n, "nl-om", "es-fge")
	// Both bags hold the same documents: change one stored blob, and both bundles mismatch.
	trail, err := n.Service.Events(ctx, ups[0].BundleID)
	if err != nil {
		t.Fatal(err)
	}
	sum := trail[0].Event.Details.Documents[0].SHA256
	p := filepath.Join(n.Dir, local.BlobsDir, sum[0:2], sum[2:4], sum)
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	h := &Handler{Service: n.Service, Window: 24 * time.Hour, Clock: clock.Now, Metrics: &metrics,
		Recent: func(ctx context.Context, since time.Time) ([]pipeline.Upload, error) { return ups, nil }}

	// Hourly: expiry only, nothing due yet.
	got, err := fntest.Invoke(t, h.Handle, fntest.Event(t, "expiry.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "expiry-none-due", got)
	if metrics.Len() != 0 {
		t.Errorf("expiry run wrote metrics %q", metrics.String())
	}

	// Daily, past every deadline: two fixity checks that mismatch, two expiries.
	clock.T = clock.T.Add(15 * 24 * time.Hour)
	got, err = fntest.Invoke(t, h.Handle, fntest.Event(t, "daily.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "daily", got)
	var emf struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name string }
			}
		} `json:"_aws"`
		FixityMismatch int
	}
	if err := json.Unmarshal(metrics.Bytes(), &emf); err != nil || emf.FixityMismatch != 2 || emf.AWS.CloudWatchMetrics[0].Namespace != "evx" ||
		!strings.Contains(metrics.String(), `"Name":"FixityMismatch"`) {
		t.Errorf("metric line %q (%v): want FixityMismatch 2 in namespace evx", metrics.String(), err)
	}
	trail, _ = n.Service.Events(ctx, ups[0].BundleID)
	var fixity, expiry int
	for _, e := range trail {
		switch e.Event.Type {
		case custody.FixityCheck:
			fixity++
		case custody.AcceptanceRejectionExpiry:
			expiry++
		}
	}
	if fixity != 1 || expiry != 1 {
		t.Errorf("trail has %d FixityCheck, %d expiries; want 1 and 1", fixity, expiry)
	}
}

// The checkpoint task signs the log's state, keeps it for witnesses and publishes it; the
// next run publishes the grown log's.
func TestAuditPublishesCheckpoint(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	var published [][]byte
	h := &Handler{Service: n.Service, Clock: clock.Now, Publish: func(_ context.Context, cp []byte) error {
		published = append(published, cp)
		return nil
	}}
	if _, err := h.Handle(ctx, Task{Task: "checkpoint"}); err != nil {
		t.Fatal(err)
	}
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.Bag(t, "nl-om")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	res, err := h.Handle(ctx, Task{Task: "checkpoint"})
	if err != nil {
		t.Fatal(err)
	}
	if len(published) != 2 || bytes.Equal(published[0], published[1]) || res.Checkpoint != string(published[1]) {
		t.Fatalf("published %q, want two different checkpoints, the second returned", published)
	}
	if !strings.HasPrefix(string(published[1]), n.Service.Origin()+"\n") {
		t.Errorf("checkpoint %q does not start with the log's origin %q", published[1], n.Service.Origin())
	}
	if o, err := n.Service.WitnessOffer(ctx, 0); err != nil || o.Checkpoint != string(published[1]) {
		t.Errorf("witness offer = %+v, %v; want the checkpoint published, kept for witnesses", o, err)
	}
	h.Publish = nil
	if _, err := h.Handle(ctx, Task{Task: "checkpoint"}); err == nil {
		t.Error("checkpoint task without Publish = nil error")
	}
}

// TestAuditSweepsRequestClocks: the scheduled run records DeadlineMissed for an EIO not
// recognised in 30 days and sends the overdue reminder to the addressee's queue, once.
func TestAuditSweepsRequestClocks(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	q := request.Request{ID: "EIO-HOME-1", Type: request.EIO, Issuer: n.Requests.Home, IssuerPerson: "ana",
		Addressee: "nl-om", LegalBasis: "Directive 2014/41/EU"}
	if _, err := n.Requests.Issue(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Requests.Act(ctx, q.ID, request.Actor{Agency: "nl-om", Person: "x"}, request.Action{Type: custody.RequestReceived}); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Service: n.Service, Clock: clock.Now, Requests: n.Requests}
	clock.T = clock.T.Add(30*24*time.Hour + time.Minute)
	for run, want := range []int{1, 0} {
		res, err := h.Handle(ctx, Task{Task: "expiry"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests == nil || res.Requests.Missed != want {
			t.Errorf("run %d: requests %+v, want %d DeadlineMissed", run, res.Requests, want)
		}
	}
	s, err := n.Requests.State(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Deadline("recognition"); d.Status != request.ClockMissed || len(d.Reminders) != 1 || d.Reminders[0] != "overdue" {
		t.Errorf("recognition = %s, reminders %v; want missed, [overdue]", d.Status, d.Reminders)
	}
	msgs, err := n.Queue.Receive(ctx, pipeline.QueueName("nl-om"), 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	reminders := 0
	for _, m := range msgs {
		if strings.Contains(string(m.Body), `"request-reminder"`) {
			reminders++
		}
	}
	if reminders != 1 {
		t.Errorf("reminders on nl-om's queue = %d, want 1", reminders)
	}
}

// TestAuditRecordsAgencyKeys: every run records the directory's key changes the log does
// not hold yet, once: the key added on the first run, its expiry on the first run past its
// not_after, nothing on a later run; the checkpoint the run signs covers them.
func TestAuditRecordsAgencyKeys(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := custody.NewAgencyKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	rec.NotAfter = fntest.T0.Add(24 * time.Hour).UTC().Format(custody.TimeFormat)
	cps := fntest.Directory(t).Counterparts()
	cps[0].SealKeys = []custody.AgencyKey{rec}
	d, err := directory.New(cps)
	if err != nil {
		t.Fatal(err)
	}
	var published [][]byte
	h := &Handler{Service: n.Service, Clock: clock.Now, Agencies: d.Counterparts(), Publish: func(_ context.Context, cp []byte) error {
		published = append(published, cp)
		return nil
	}}
	subject := custody.AgencySubject(cps[0].ID)
	run := func(want ...custody.EventType) {
		t.Helper()
		res, err := h.Handle(ctx, Task{Task: "checkpoint"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.KeyChanges) != len(want) {
			t.Fatalf("run recorded %v, want %v", res.KeyChanges, want)
		}
		for i, typ := range want {
			if !strings.Contains(res.KeyChanges[i], ":"+string(typ)+":") {
				t.Errorf("run recorded %v, want %v", res.KeyChanges, want)
			}
		}
		trail, err := n.Service.Events(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		size, err := strconv.ParseUint(strings.Split(string(published[len(published)-1]), "\n")[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if last := trail[len(trail)-1].Leaf; last >= size {
			t.Errorf("checkpoint of size %d does not cover the key change at leaf %d", size, last)
		}
	}
	run(custody.AgencyKeyAdded)
	run()
	clock.T = clock.T.Add(48 * time.Hour)
	run(custody.AgencyKeyExpired)
	run()
	trail, err := n.Service.Events(ctx, subject)
	if err != nil || len(trail) != 2 {
		t.Fatalf("%s holds %d events (%v), want the addition and the expiry", subject, len(trail), err)
	}
}

// TestAuditIndexes: the hourly and daily runs enter the accepted bundles received recently
// into the identifier index (two hours back on the expiry task, the fixity window on the
// daily run, everything on index-all), each once; the five-minute checkpoint task does not
// list uploads.
func TestAuditIndexes(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	ups := routedBundles(t, n, "nl-om", "es-fge")
	ups[1].State = pipeline.UploadAccepted // listed as accepted, not yet routed: indexed too
	ups = append(ups, pipeline.Upload{BundleID: strings.Repeat("f", 64), State: pipeline.UploadRejected})
	m, _, err := n.OpenMatcher(ctx, "home", clock.Now, pipeline.MatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	var asked []time.Time
	h := &Handler{Service: n.Service, Window: 30 * 24 * time.Hour, Clock: clock.Now, Index: m,
		Recent: func(_ context.Context, since time.Time) ([]pipeline.Upload, error) {
			asked = append(asked, since)
			return ups, nil
		},
		Publish: func(context.Context, []byte) error { return nil }}
	if res, err := h.Handle(ctx, Task{Task: "checkpoint"}); err != nil || res.Indexed != 0 || len(asked) != 0 {
		t.Fatalf("checkpoint task = %+v, %v, %d listings; want no indexing", res, err, len(asked))
	}
	res, err := h.Handle(ctx, Task{Task: "expiry"})
	if err != nil || res.Indexed != 2 {
		t.Fatalf("expiry task = %+v, %v; want 2 bundles indexed", res, err)
	}
	for _, u := range ups[:2] {
		es, _ := n.Ledger.Events(ctx, u.BundleID)
		if last := es[len(es)-1].Event.Type; last != pipeline.IdentifiersIndexed {
			t.Errorf("trail of %s ends with %s, want IdentifiersIndexed", u.BundleID, last)
		}
	}
	for _, task := range []string{"expiry", "", "index-all"} {
		if res, err := h.Handle(ctx, Task{Task: task}); err != nil || res.Indexed != 0 {
			t.Errorf("task %q = %+v, %v; want nothing more indexed", task, res, err)
		}
	}
	// The daily run lists its window once, for the index and the fixity check alike.
	want := []time.Time{clock.Now().Add(-2 * time.Hour), clock.Now().Add(-2 * time.Hour), clock.Now().Add(-30 * 24 * time.Hour), {}}
	if len(asked) != len(want) {
		t.Fatalf("Recent asked %d times (%v), want %d", len(asked), asked, len(want))
	}
	for i := range want {
		if !asked[i].Equal(want[i]) {
			t.Errorf("Recent #%d since %v, want %v", i, asked[i], want[i])
		}
	}
}

// The daily run reconciles the request registry before it sweeps the clocks; the hourly
// expiry run and the checkpoint task do not.
func TestAuditReconcilesRequests(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	calls := 0
	h := &Handler{Service: n.Service, Window: 24 * time.Hour, Clock: clock.Now,
		Recent:    func(context.Context, time.Time) ([]pipeline.Upload, error) { return nil, nil },
		Publish:   func(context.Context, []byte) error { return nil },
		Reconcile: func(context.Context) (int, error) { calls++; return 0, nil }}
	for _, task := range []string{"expiry", "checkpoint"} {
		if _, err := h.Handle(context.Background(), Task{Task: task}); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 0 {
		t.Fatalf("expiry and checkpoint runs reconciled %d times, want none", calls)
	}
	if _, err := h.Handle(context.Background(), Task{}); err != nil || calls != 1 {
		t.Fatalf("daily run: %v, reconciled %d times; want once", err, calls)
	}
}

// TestAuditDisposes: the dispose task disposes of the documents of a bundle whose disposal is
// authorised, keeps those another bundle holds, and leaves unauthorised bundles alone; the
// hourly run disposes of nothing.
func TestAuditDisposes(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	ups := routedBundles(t, n, "nl-om", "es-fge") // the same documents, in two bundles
	if _, err := n.Service.ReviewRetention(ctx, ups[0].BundleID, custody.DecisionDispose, time.Time{}, "case closed"); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Service: n.Service, Clock: clock.Now, Dispose: true}
	res, err := h.Handle(ctx, Task{Task: "expiry"})
	if err != nil || len(res.Disposed) != 0 {
		t.Fatalf("hourly run = %+v, %v; want nothing disposed", res, err)
	}
	res, err = h.Handle(ctx, Task{Task: "dispose"})
	if err != nil || len(res.Disposed) != 1 || res.Disposed[0] != ups[0].BundleID || len(res.Waiting) != 0 {
		t.Fatalf("dispose task = %+v, %v; want %s disposed", res, err, ups[0].BundleID)
	}
	r, err := n.Service.Retention(ctx, ups[0].BundleID)
	if err != nil || !r.Disposed || len(r.Kept) == 0 {
		t.Errorf("retention after = %+v, %v; want disposed, its documents kept as the other bundle's", r, err)
	}
	if res, err := h.Handle(ctx, Task{Task: "dispose"}); err != nil || len(res.Disposed) != 0 {
		t.Errorf("dispose task again = %+v, %v; want nothing more", res, err)
	}
}

// TestAuditFixityStopsBeforeTimeout: with too little of the invocation's time left, the daily
// pass checks nothing, says how many bundles it did not reach, and still writes its metric
// (FixityIncomplete, FixityRuns) instead of timing out without one; with time, it checks all.
func TestAuditFixityStopsBeforeTimeout(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ups := routedBundles(t, n, "nl-om", "es-fge")
	var metrics bytes.Buffer
	h := &Handler{Service: n.Service, Window: 24 * time.Hour, Clock: clock.Now, Metrics: &metrics, FixityMargin: time.Hour,
		Recent: func(ctx context.Context, since time.Time) ([]pipeline.Upload, error) { return ups, nil }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // less than the margin
	defer cancel()
	res, err := h.Handle(ctx, Task{})
	if err != nil || res.Checked != 0 || res.Incomplete != 2 {
		t.Fatalf("daily run near its timeout = %+v, %v; want nothing checked, 2 not reached", res, err)
	}
	var line map[string]any
	if err := json.Unmarshal(metrics.Bytes(), &line); err != nil || line["FixityIncomplete"] != 2.0 || line["FixityRuns"] != 1.0 || line["FixityChecked"] != 0.0 {
		t.Errorf("metric line %s (%v); want FixityIncomplete 2, FixityRuns 1, FixityChecked 0", metrics.String(), err)
	}
	h.FixityMargin = time.Second
	if res, err := h.Handle(ctx, Task{}); err != nil || res.Checked != 2 || res.Incomplete != 0 {
		t.Errorf("daily run with time = %+v, %v; want both checked", res, err)
	}
}

// Every run, the checkpoint task's too, first integrates the log's pending leaves.
func TestAuditIntegratesPendingLeaves(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	calls := 0
	h := &Handler{Service: n.Service, Window: 24 * time.Hour, Clock: clock.Now,
		Recent:    func(context.Context, time.Time) ([]pipeline.Upload, error) { return nil, nil },
		Publish:   func(context.Context, []byte) error { return nil },
		Integrate: func(context.Context) (int, error) { calls++; return 2, nil }}
	for i, task := range []string{"", "expiry", "checkpoint"} {
		res, err := h.Handle(context.Background(), Task{Task: task})
		if err != nil || res.Integrated != 2 || calls != i+1 {
			t.Fatalf("task %q: %v, integrated %d, %d calls; want 2 and %d", task, err, res.Integrated, calls, i+1)
		}
	}
}

// TestAuditSearchAll: the search-all task enters every accepted bundle the search index
// lacks, and none twice.
func TestAuditSearchAll(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ups := routedBundles(t, n, "nl-om", "es-fge")
	calls := 0
	h := &Handler{Service: n.Service, Clock: clock.Now,
		Recent: func(ctx context.Context, since time.Time) ([]pipeline.Upload, error) {
			if !since.IsZero() {
				t.Errorf("search-all listed the uploads since %v, want all", since)
			}
			return ups, nil
		},
		Reindex: func(ctx context.Context, got []pipeline.Upload) (int, error) { calls++; return len(got), nil }}
	res, err := h.Handle(context.Background(), Task{Task: "search-all"})
	if err != nil || res.Searchable != 2 || calls != 1 || res.Checked != 0 {
		t.Fatalf("search-all = %+v, %v, %d calls; want 2 indexed, nothing else run", res, err, calls)
	}
	h.Reindex = nil
	if _, err := h.Handle(context.Background(), Task{Task: "search-all"}); err == nil {
		t.Error("search-all without an index: no error")
	}
}
