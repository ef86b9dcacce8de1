package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
)

// metricLines decodes the embedded-metric-format lines written to b.
func metricLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("metric line %q: %v", l, err)
		}
		out = append(out, m)
	}
	b.Reset()
	return out
}

func sum(lines []map[string]any, name string) int {
	n := 0
	for _, l := range lines {
		if v, ok := l[name].(float64); ok {
			n += int(v)
		}
	}
	return n
}

// TestAuditFanOut: with a queue, the daily run cuts the window into work items (by bundles
// and by bytes), checks nothing itself and counts the items sent; the items, handed back as
// an SQS event, are checked, a changed document found, each item done counted; a message that
// is no item and an item out of time are batch item failures, not counted done.
func TestAuditFanOut(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	var ups []pipeline.Upload
	for i := range 5 {
		id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.BagOf(t, map[string][]byte{fmt.Sprintf("exhibit-%d.txt", i): fmt.Appendf(nil, "Exhibit %d, seized at the port of Algeciras\n", i)}, "nl-om")))
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
	// The third bundle's document changed in the store.
	trail, err := n.Service.Events(ctx, ups[2].BundleID)
	if err != nil {
		t.Fatal(err)
	}
	doc := trail[0].Event.Details.Documents[0].SHA256
	p := filepath.Join(n.Dir, local.BlobsDir, doc[0:2], doc[2:4], doc)
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	var sent []FixityItem
	tally := &memTally{sent: map[string]int{}, done: map[string]int{}}
	h := &Handler{Service: n.Service, Window: 24 * time.Hour, Clock: clock.Now, Metrics: &metrics, ItemBundles: 2, Tally: tally,
		Recent:  func(context.Context, time.Time) ([]pipeline.Upload, error) { return ups, nil },
		Enqueue: func(_ context.Context, items []FixityItem) error { sent = append(sent, items...); return nil }}
	got, err := fntest.Invoke(t, h.Handle, fntest.Event(t, "daily.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	json.Unmarshal(got, &res)
	if res.Items != 3 || res.Checked != 0 || len(sent) != 3 || len(sent[0].Bundles) != 2 || len(sent[2].Bundles) != 1 || sent[2].Item != 3 || sent[2].Of != 3 {
		t.Fatalf("daily run = %s, sent %+v; want 3 items of 2, 2 and 1 bundles, nothing checked", got, sent)
	}
	lines := metricLines(t, &metrics)
	if sum(lines, "FixityItemsSent") != 3 || sum(lines, "FixityRuns") != 1 || sum(lines, "FixityChecked") != 0 {
		t.Errorf("daily run's metrics %v; want 3 items sent, one run", lines)
	}

	var records []events.SQSMessage
	for i, it := range sent {
		b, _ := json.Marshal(it)
		records = append(records, events.SQSMessage{MessageId: fmt.Sprintf("m-%d", i+1), Body: string(b), EventSource: "aws:sqs"})
	}
	bad, _ := json.Marshal(FixityItem{Run: "2026-01-01T00:00:00Z", Item: 1, Of: 1, Bundles: []string{"no-such-bundle"}})
	records = append(records, events.SQSMessage{MessageId: "m-junk", Body: `{"bundles":"x"}`},
		events.SQSMessage{MessageId: "m-unknown", Body: string(bad)})
	// The first item is lost: never handed to the function.
	ev, _ := json.Marshal(events.SQSEvent{Records: records[1:]})
	got, err = fntest.Invoke(t, h.Handle, ev)
	if err != nil {
		t.Fatal(err)
	}
	res = Result{}
	json.Unmarshal(got, &res)
	var failed []string
	for _, f := range res.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if res.Checked != 3 || !slices.Equal(res.Mismatched, []string{ups[2].BundleID}) || !slices.Equal(failed, []string{"m-junk"}) {
		t.Errorf("items run = %s; want 3 checked, %s mismatched, m-junk failed", got, ups[2].BundleID)
	}
	lines = metricLines(t, &metrics)
	// m-unknown is done: a bundle with nothing to check (unknown, or disposed of since).
	if sum(lines, "FixityItemsDone") != 3 || sum(lines, "FixityChecked") != 3 || sum(lines, "FixityMismatch") != 1 || sum(lines, "FixityRuns") != 0 {
		t.Errorf("items run's metrics %v; want 3 items done, 3 checked, 1 mismatch", lines)
	}
	if run := sent[0].Run; tally.sent[run] != 3 || tally.done[run] != 2 {
		t.Errorf("tally of run %s: %d sent, %d done; want 3 and 2", run, tally.sent[run], tally.done[run])
	}

	// The next day's run counts the lost item missing.
	clock.T = clock.T.Add(24 * time.Hour)
	sent = nil
	got, err = fntest.Invoke(t, h.Handle, fntest.Event(t, "daily.json"))
	if err != nil {
		t.Fatal(err)
	}
	res = Result{}
	json.Unmarshal(got, &res)
	if lines := metricLines(t, &metrics); res.Missing != 1 || sum(lines, "FixityItemsMissing") != 1 {
		t.Errorf("next daily run = %s, metrics %v; want 1 item of the previous run missing", got, lines)
	}
	records = records[:1]

	// An item that cannot finish before the margin is handed back, not counted done.
	h.FixityMargin = time.Hour
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := h.Handle(dctx, Task{Records: records})
	if err != nil || len(r.BatchItemFailures) != 1 || r.BatchItemFailures[0].ItemIdentifier != "m-1" || r.Checked != 0 {
		t.Errorf("item out of time = %+v, %v; want m-1 failed, nothing checked", r, err)
	}
	if lines := metricLines(t, &metrics); sum(lines, "FixityItemsDone") != 0 {
		t.Errorf("item out of time counted done: %v", lines)
	}
}

func TestCutByBytes(t *testing.T) {
	h := &Handler{Clock: (&fntest.Clock{T: fntest.T0}).Now, ItemBundles: 100, ItemBytes: 250}
	var due []pipeline.Upload
	for i, size := range []int64{100, 100, 100, 400, 10} {
		due = append(due, pipeline.Upload{BundleID: fmt.Sprint(i), Size: size})
	}
	var got [][]string
	for _, it := range h.cut(due) {
		got = append(got, it.Bundles)
	}
	want := [][]string{{"0", "1"}, {"2"}, {"3"}, {"4"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("cut = %v, want %v", got, want)
	}
}

func TestParseItem(t *testing.T) {
	ok := `{"run":"2026-12-04T02:00:00Z","item":1,"of":2,"bundles":["b1"]}`
	for _, tc := range []struct {
		name, body string
		wantErr    bool
	}{
		{"ok", ok, false},
		{"not-json", "{", true},
		{"no-bundles", `{"run":"2026-12-04T02:00:00Z","item":1,"of":1,"bundles":[]}`, true},
		{"item-past-of", `{"run":"2026-12-04T02:00:00Z","item":3,"of":2,"bundles":["b1"]}`, true},
		{"bad-run", `{"run":"yesterday","item":1,"of":1,"bundles":["b1"]}`, true},
		{"empty-bundle", `{"run":"2026-12-04T02:00:00Z","item":1,"of":1,"bundles":[""]}`, true},
		{"too-many", `{"run":"2026-12-04T02:00:00Z","item":1,"of":1,"bundles":[` + strings.Repeat(`"b",`, MaxItemBundles) + `"b"]}`, true},
		{"too-long", strings.Repeat(" ", maxItemBody+1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseItem(events.SQSMessage{MessageId: "m", Body: tc.body})
			var ie *ItemError
			if (err != nil) != tc.wantErr || (err != nil && !errors.As(err, &ie)) {
				t.Errorf("parseItem(%s) = %v, want error %v (an *ItemError)", tc.name, err, tc.wantErr)
			}
		})
	}
}

func FuzzParseItem(f *testing.F) {
	f.Add(`{"run":"2026-12-04T02:00:00Z","item":1,"of":2,"bundles":["b1"]}`)
	f.Add(`{"bundles":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		it, err := parseItem(events.SQSMessage{MessageId: "m", Body: body})
		if err != nil {
			var ie *ItemError
			if !errors.As(err, &ie) {
				t.Fatalf("parseItem(%q) = %v, not an *ItemError", body, err)
			}
			return
		}
		if len(it.Bundles) == 0 || len(it.Bundles) > MaxItemBundles || it.Item < 1 || it.Item > it.Of {
			t.Fatalf("parseItem(%q) = %+v outside its limits", body, it)
		}
	})
}

// memTally is a FixityTally in memory.
type memTally struct{ sent, done map[string]int }

func (m *memTally) FixitySent(_ context.Context, run string, n int) error {
	m.sent[run] = n
	return nil
}
func (m *memTally) FixityDone(_ context.Context, run string) error { m.done[run]++; return nil }
func (m *memTally) LastFixityRun(_ context.Context, before string) (string, int, int, bool, error) {
	last := ""
	for r := range m.sent {
		if r < before && r > last {
			last = r
		}
	}
	return last, m.sent[last], m.done[last], last != "", nil
}
