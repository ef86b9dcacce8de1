// Package queuetest is the conformance suite for [pipeline.Queue]: the SQLite queues of
// package local and the SQS queues run [Run] so that the use cases can rely on one
// behaviour.
//
// The suite uses only the queue names in [Names]; a backend whose queues must exist
// beforehand (SQS) creates those in its factory, fresh for each call. Visibility timeouts
// are whole seconds (1 to 2 s), so the suite takes a few seconds; subtests that wait run in
// parallel.
//
//	func TestQueue(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T) pipeline.Queue {
//			return newQueueWithFreshQueues(t, queuetest.Names)
//		}, queuetest.Ordered()) // only if the backend promises order
//	}
//
// Run this way against moto 5's SQS FIFO queues (one message group, or one per message)
// through a minimal adapter, the suite passes but for DedupAfterAck: see
// [SkipDedupAfterAck]. That adapter checked its arguments with pipeline.CheckSend and
// CheckReceive, mapped each name to a fresh "<prefix><name>.fifo" queue, sent with
// MessageDeduplicationId = dedupID, rounded visibility up to whole seconds, long-polled
// for at most 1 s and read Receives from the ApproximateReceiveCount attribute.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// Names lists every queue name the suite uses.
var Names = []string{"evx-accepted", "cp-a", "cp-b"}

const (
	qA = "cp-a"
	qB = "cp-b"
	qE = "evx-accepted"
)

// Option changes what Run checks.
type Option func(*config)

type config struct {
	ordered                bool
	skipDedupAfterAck      string
	skipConcurrentReceives string
}

// Ordered also checks that one queue hands messages out in the order they were sent, for a
// backend that promises it (the port does not).
func Ordered() Option { return func(c *config) { c.ordered = true } }

// SkipDedupAfterAck skips the check that a dedup id stays spent after its message was
// acknowledged, for a backend tested on an emulator that forgets it (moto 5 keeps dedup ids
// only of messages still in the queue; SQS keeps them for five minutes). reason says which.
func SkipDedupAfterAck(reason string) Option {
	return func(c *config) { c.skipDedupAfterAck = reason }
}

// SkipConcurrentReceivers skips the check that receivers racing on one queue never get the
// same message while it is invisible, for a backend tested on an emulator that does not
// serialise receives (moto 5's ReceiveMessage picks and hides messages without a lock, so two
// threads of its server can hand out the same one; SQS does not). reason says which.
func SkipConcurrentReceivers(reason string) Option {
	return func(c *config) { c.skipConcurrentReceives = reason }
}

// Run checks the Queue contract. newQueue returns a Queue whose queues in [Names] are all
// empty, for each subtest; it registers its own cleanup with t.Cleanup.
func Run(t *testing.T, newQueue func(t *testing.T) pipeline.Queue, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	t.Run("SendReceiveAck", func(t *testing.T) { t.Parallel(); testSendReceiveAck(t, newQueue(t)) })
	t.Run("Empty", func(t *testing.T) { t.Parallel(); testEmpty(t, newQueue(t)) })
	t.Run("Dedup", func(t *testing.T) { t.Parallel(); testDedup(t, newQueue(t)) })
	t.Run("DedupAfterAck", func(t *testing.T) {
		if cfg.skipDedupAfterAck != "" {
			t.Skip(cfg.skipDedupAfterAck)
		}
		t.Parallel()
		testDedupAfterAck(t, newQueue(t))
	})
	t.Run("Visibility", func(t *testing.T) { t.Parallel(); testVisibility(t, newQueue(t)) })
	t.Run("Isolation", func(t *testing.T) { t.Parallel(); testIsolation(t, newQueue(t)) })
	t.Run("Max", func(t *testing.T) { t.Parallel(); testMax(t, newQueue(t)) })
	t.Run("InvalidArguments", func(t *testing.T) { t.Parallel(); testInvalid(t, newQueue(t)) })
	t.Run("StaleHandle", func(t *testing.T) { t.Parallel(); testStaleHandle(t, newQueue(t)) })
	t.Run("UnknownHandle", func(t *testing.T) { t.Parallel(); testUnknownHandle(t, newQueue(t)) })
	t.Run("ConcurrentReceivers", func(t *testing.T) {
		if cfg.skipConcurrentReceives != "" {
			t.Skip(cfg.skipConcurrentReceives)
		}
		t.Parallel()
		testConcurrent(t, newQueue(t))
	})
	t.Run("Canceled", func(t *testing.T) { t.Parallel(); testCanceled(t, newQueue(t)) })
	if cfg.ordered {
		t.Run("Ordered", func(t *testing.T) { t.Parallel(); testOrdered(t, newQueue(t)) })
	}
}

// emptyWait is the longest a Receive on an empty queue may take.
const emptyWait = 3 * time.Second

func send(t *testing.T, q pipeline.Queue, queue, dedupID, body string) {
	t.Helper()
	if err := q.Send(context.Background(), queue, dedupID, []byte(body)); err != nil {
		t.Fatalf("Send(%s, %s) = %v, want nil", queue, dedupID, err)
	}
}

func ack(t *testing.T, q pipeline.Queue, queue string, m pipeline.Message) {
	t.Helper()
	if err := q.Ack(context.Background(), queue, m.Handle); err != nil {
		t.Fatalf("Ack(%s, message %s) = %v, want nil", queue, m.ID, err)
	}
}

// receive calls Receive once and checks what every call must satisfy.
func receive(t *testing.T, q pipeline.Queue, queue string, max int, vis time.Duration) []pipeline.Message {
	t.Helper()
	ms, err := q.Receive(context.Background(), queue, max, vis)
	if err != nil {
		t.Fatalf("Receive(%s, %d, %v) = %v, want nil", queue, max, vis, err)
	}
	if len(ms) > max {
		t.Fatalf("Receive(%s, %d, %v) returned %d messages, want at most %d", queue, max, vis, len(ms), max)
	}
	for _, m := range ms {
		if m.ID == "" || m.Handle == "" || m.Receives < 1 {
			t.Fatalf("Receive(%s) returned message {ID: %q, Handle: %q, Receives: %d}, want an ID, a Handle and Receives >= 1",
				queue, m.ID, m.Handle, m.Receives)
		}
	}
	return ms
}

// collect receives until n messages have arrived (failing after a deadline), and fails if
// one is handed out again before its visibility timeout can have ended. A message handed
// out again after that (a slow machine) is not counted twice.
func collect(t *testing.T, q pipeline.Queue, queue string, n int, vis time.Duration) []pipeline.Message {
	t.Helper()
	var got []pipeline.Message
	hiddenAt := map[string]time.Time{} // no later than the message was hidden
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d messages from %s within 15 s", len(got), n, queue)
		}
		start := time.Now()
		ms := receive(t, q, queue, pipeline.MaxReceive, vis)
		for _, m := range ms {
			if at, ok := hiddenAt[m.ID]; ok {
				if time.Now().Before(at.Add(vis)) {
					t.Fatalf("message %s from %s handed out twice within its visibility timeout", m.ID, queue)
				}
				continue
			}
			hiddenAt[m.ID] = start
			got = append(got, m)
		}
	}
	if len(got) > n {
		t.Fatalf("received %d messages from %s, want %d", len(got), queue, n)
	}
	return got
}

// wantHidden checks that queue hands out nothing while messages hidden no earlier than
// since for vis are still hidden. On a machine so slow that the timeout ended before the
// check, the test cannot tell and is skipped.
func wantHidden(t *testing.T, q pipeline.Queue, queue string, since time.Time, vis time.Duration) {
	t.Helper()
	ms := receive(t, q, queue, pipeline.MaxReceive, vis)
	if len(ms) == 0 {
		return
	}
	if time.Now().Before(since.Add(vis)) {
		t.Fatalf("Receive(%s) handed out %s within its visibility timeout", queue, ms[0].ID)
	}
	t.Skipf("the %v visibility timeout ended before the check could run: machine too slow", vis)
}

// wantEmpty checks that queue hands out nothing now, promptly.
func wantEmpty(t *testing.T, q pipeline.Queue, queue string) {
	t.Helper()
	start := time.Now()
	ms := receive(t, q, queue, pipeline.MaxReceive, 30*time.Second)
	if took := time.Since(start); took > emptyWait {
		t.Errorf("Receive(%s) took %v with nothing to hand out, want at most %v", queue, took, emptyWait)
	}
	if len(ms) != 0 {
		t.Fatalf("Receive(%s) returned %d messages (first: %q), want none", queue, len(ms), ms[0].Body)
	}
}

func bodies(ms []pipeline.Message) []string {
	var b []string
	for _, m := range ms {
		b = append(b, string(m.Body))
	}
	slices.Sort(b)
	return b
}

func testSendReceiveAck(t *testing.T, q pipeline.Queue) {
	want := []string{
		`{"bundle":"b-1","counterpart":"nl-om"}`,
		`{"bundle":"b-2","note":"Fiscalía General de la Nación — Bogotá"}`,
		strings.Repeat("x", pipeline.MaxBody),
	}
	for i, b := range want {
		send(t, q, qA, fmt.Sprintf("b-%d:nl-om", i), b)
	}
	const vis = time.Second
	got := collect(t, q, qA, len(want), vis)
	if g, w := bodies(got), slices.Sorted(slices.Values(want)); !slices.Equal(g, w) {
		t.Fatalf("received bodies %.80q, want %.80q", g, w)
	}
	for _, m := range got {
		if m.Receives != 1 {
			t.Errorf("first receive of %s: Receives = %d, want 1", m.ID, m.Receives)
		}
	}
	for _, m := range got {
		ack(t, q, qA, m)
	}
	wantEmpty(t, q, qA)
	// Acknowledged messages do not come back after their visibility timeout either.
	time.Sleep(vis + 500*time.Millisecond)
	wantEmpty(t, q, qA)
}

func testEmpty(t *testing.T, q pipeline.Queue) {
	for _, name := range Names {
		wantEmpty(t, q, name)
	}
}

func testDedup(t *testing.T, q pipeline.Queue) {
	send(t, q, qA, "bundle-7:nl-om", `{"try":1}`)
	send(t, q, qA, "bundle-7:nl-om", `{"try":2}`) // a retried step
	send(t, q, qB, "bundle-7:nl-om", `{"try":3}`) // the same id on another queue
	send(t, q, qA, "bundle-8:nl-om", `{"try":4}`)

	gotA := collect(t, q, qA, 2, 30*time.Second)
	if g, w := bodies(gotA), []string{`{"try":1}`, `{"try":4}`}; !slices.Equal(g, w) {
		t.Fatalf("%s handed out %q, want %q", qA, g, w)
	}
	gotB := collect(t, q, qB, 1, 30*time.Second)
	if g := string(gotB[0].Body); g != `{"try":3}` {
		t.Fatalf("%s handed out %q, want %q", qB, g, `{"try":3}`)
	}
	wantEmpty(t, q, qA)
}

func testDedupAfterAck(t *testing.T, q pipeline.Queue) {
	send(t, q, qA, "bundle-7:nl-om", `{"try":1}`)
	for _, m := range collect(t, q, qA, 1, 30*time.Second) {
		ack(t, q, qA, m)
	}
	// Received and acknowledged: sending again is still a no-op.
	send(t, q, qA, "bundle-7:nl-om", `{"try":2}`)
	wantEmpty(t, q, qA)
}

func testVisibility(t *testing.T, q pipeline.Queue) {
	const vis = 2 * time.Second
	send(t, q, qA, "v-1", `{"v":1}`)
	received := time.Now()
	first := collect(t, q, qA, 1, vis)[0]
	// Hidden while its visibility timeout runs.
	wantHidden(t, q, qA, received, vis)

	again := waitFor(t, q, qA, vis)
	if waited := time.Since(received); waited < vis-100*time.Millisecond {
		t.Errorf("message handed out again after %v, want no sooner than its visibility timeout %v", waited, vis)
	}
	if again.ID != first.ID || string(again.Body) != string(first.Body) {
		t.Errorf("second receive: {ID: %s, Body: %s}, want {ID: %s, Body: %s}", again.ID, again.Body, first.ID, first.Body)
	}
	if again.Receives != 2 {
		t.Errorf("second receive: Receives = %d, want 2", again.Receives)
	}
	if again.Handle == first.Handle {
		t.Errorf("second receive kept the handle %q, want a new one", first.Handle)
	}
	third := waitFor(t, q, qA, vis)
	if third.Receives != 3 {
		t.Errorf("third receive: Receives = %d, want 3", third.Receives)
	}
	ack(t, q, qA, third)
	time.Sleep(vis + 500*time.Millisecond)
	wantEmpty(t, q, qA)
}

// waitFor receives until one message arrives, for at most 10 s.
func waitFor(t *testing.T, q pipeline.Queue, queue string, vis time.Duration) pipeline.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ms := receive(t, q, queue, 1, vis)
		if len(ms) == 1 {
			return ms[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message from %s within 10 s", queue)
	return pipeline.Message{}
}

func testIsolation(t *testing.T, q pipeline.Queue) {
	const vis = time.Second
	send(t, q, qA, "iso-1", `{"for":"a"}`)
	wantEmpty(t, q, qB)
	wantEmpty(t, q, qE)
	m := collect(t, q, qA, 1, vis)[0]
	// A handle from one queue acknowledges nothing on another.
	_ = q.Ack(context.Background(), qB, m.Handle)
	again := waitFor(t, q, qA, vis)
	if again.ID != m.ID {
		t.Fatalf("after Ack on %s with %s's handle, %s handed out %s, want %s", qB, qA, qA, again.ID, m.ID)
	}
	ack(t, q, qA, again)
}

func testMax(t *testing.T, q pipeline.Queue) {
	const n = 7
	for i := range n {
		send(t, q, qE, fmt.Sprintf("max-%d", i), fmt.Sprintf(`{"n":%d}`, i))
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(15 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		// receive fails the test if more than 3 come back.
		for _, m := range receive(t, q, qE, 3, 30*time.Second) {
			if seen[m.ID] {
				t.Fatalf("message %s handed out twice within its visibility timeout", m.ID)
			}
			seen[m.ID] = true
			// Acknowledged at once: a FIFO backend holds back a message group while
			// some of it is in flight.
			ack(t, q, qE, m)
		}
	}
	if len(seen) != n {
		t.Fatalf("received %d of %d messages with max 3 within 15 s", len(seen), n)
	}
	wantEmpty(t, q, qE)
}

func testInvalid(t *testing.T, q pipeline.Queue) {
	ctx := context.Background()
	long := strings.Repeat("d", pipeline.MaxDedupID+1)
	sends := []struct {
		name, queue, dedup string
		body               []byte
	}{
		{"empty-body", qA, "i-1", nil},
		{"body-too-long", qA, "i-2", []byte(strings.Repeat("x", pipeline.MaxBody+1))},
		{"empty-dedup", qA, "", []byte("{}")},
		{"dedup-too-long", qA, long, []byte("{}")},
		{"empty-queue-name", "", "i-3", []byte("{}")},
		{"queue-name-traversal", "../cp-a", "i-4", []byte("{}")},
		{"queue-name-space", "cp a", "i-5", []byte("{}")},
		{"queue-name-too-long", strings.Repeat("q", pipeline.MaxQueueName+1), "i-6", []byte("{}")},
	}
	for _, tc := range sends {
		if err := q.Send(ctx, tc.queue, tc.dedup, tc.body); err == nil {
			t.Errorf("Send(%s) = nil, want an error", tc.name)
		}
	}
	receives := []struct {
		name  string
		max   int
		vis   time.Duration
		queue string
	}{
		{"max-0", 0, time.Second, qA},
		{"max-negative", -1, time.Second, qA},
		{"max-over", pipeline.MaxReceive + 1, time.Second, qA},
		{"visibility-0", 1, 0, qA},
		{"visibility-negative", 1, -time.Second, qA},
		{"visibility-over", 1, pipeline.MaxVisibility + time.Second, qA},
		{"queue-name-traversal", 1, time.Second, "../cp-a"},
	}
	for _, tc := range receives {
		if ms, err := q.Receive(ctx, tc.queue, tc.max, tc.vis); err == nil {
			t.Errorf("Receive(%s) = %d messages, nil; want an error", tc.name, len(ms))
		}
	}
	// None of the refused sends left a message behind.
	wantEmpty(t, q, qA)
}

func testStaleHandle(t *testing.T, q pipeline.Queue) {
	const vis = time.Second
	send(t, q, qA, "stale-1", `{"s":1}`)
	old := collect(t, q, qA, 1, vis)[0]
	cur := waitFor(t, q, qA, vis)
	if cur.ID != old.ID {
		t.Fatalf("handed out %s, want %s again", cur.ID, old.ID)
	}
	// The old handle is stale: nil or ErrStaleHandle, never another error.
	if err := q.Ack(context.Background(), qA, old.Handle); err != nil && !errors.Is(err, pipeline.ErrStaleHandle) {
		t.Errorf("Ack(stale handle) = %v, want nil or an error wrapping ErrStaleHandle", err)
	}
	// The current receiver can still acknowledge, twice.
	ack(t, q, qA, cur)
	ack(t, q, qA, cur)
	time.Sleep(vis + 500*time.Millisecond)
	wantEmpty(t, q, qA)
}

func testUnknownHandle(t *testing.T, q pipeline.Queue) {
	const vis = time.Second
	send(t, q, qA, "unk-1", `{"u":1}`)
	m := collect(t, q, qA, 1, vis)[0]
	for _, h := range []string{"", "not-a-handle", m.Handle + "x"} {
		if err := q.Ack(context.Background(), qA, h); err == nil {
			t.Errorf("Ack(%q) = nil, want an error", h)
		}
	}
	again := waitFor(t, q, qA, vis)
	if again.ID != m.ID {
		t.Fatalf("handed out %s, want %s again", again.ID, m.ID)
	}
	ack(t, q, qA, again)
}

func testConcurrent(t *testing.T, q pipeline.Queue) {
	const n, receivers = 24, 4
	for i := range n {
		send(t, q, qA, fmt.Sprintf("c-%d", i), fmt.Sprintf(`{"c":%d}`, i))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	total := 0
	var wg sync.WaitGroup
	errs := make(chan error, receivers)
	deadline := time.Now().Add(20 * time.Second)
	for range receivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				done := total >= n
				mu.Unlock()
				if done {
					return
				}
				ms, err := q.Receive(context.Background(), qA, 3, 30*time.Second)
				if err != nil {
					errs <- fmt.Errorf("Receive: %w", err)
					return
				}
				for _, m := range ms {
					mu.Lock()
					seen[m.ID]++
					total++
					mu.Unlock()
					if err := q.Ack(context.Background(), qA, m.Handle); err != nil {
						errs <- fmt.Errorf("Ack: %w", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for id, c := range seen {
		if c > 1 {
			t.Errorf("message %s handed out %d times to concurrent receivers, want once", id, c)
		}
	}
	if len(seen) != n {
		t.Errorf("concurrent receivers got %d distinct messages, want %d", len(seen), n)
	}
}

func testCanceled(t *testing.T, q pipeline.Queue) {
	send(t, q, qA, "cx-1", `{"x":1}`)
	m := collect(t, q, qA, 1, 30*time.Second)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Send(ctx, qA, "cx-2", []byte(`{"x":2}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send(canceled context) = %v, want an error wrapping context.Canceled", err)
	}
	if _, err := q.Receive(ctx, qA, 1, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive(canceled context) = %v, want an error wrapping context.Canceled", err)
	}
	if err := q.Ack(ctx, qA, m.Handle); !errors.Is(err, context.Canceled) {
		t.Errorf("Ack(canceled context) = %v, want an error wrapping context.Canceled", err)
	}
	// Acknowledge it for real: a FIFO backend holds back its message group meanwhile.
	ack(t, q, qA, m)
	// The canceled Send left nothing, so a real one with its dedup id still goes through.
	send(t, q, qA, "cx-2", `{"x":2}`)
	if got := collect(t, q, qA, 1, 30*time.Second); string(got[0].Body) != `{"x":2}` {
		t.Errorf("received %s, want {\"x\":2}", got[0].Body)
	}
}

func testOrdered(t *testing.T, q pipeline.Queue) {
	const n = 6
	for i := range n {
		send(t, q, qB, fmt.Sprintf("o-%d", i), fmt.Sprintf(`{"o":%d}`, i))
	}
	for i := range n {
		m := waitFor(t, q, qB, 30*time.Second)
		if want := fmt.Sprintf(`{"o":%d}`, i); string(m.Body) != want {
			t.Fatalf("message %d: %s, want %s", i, m.Body, want)
		}
		ack(t, q, qB, m)
	}
}
