package sqlitequeue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/queuetest"
)

func openTestDB(t testing.TB) *sql.DB {
	t.Helper()
	return openDBAt(t, filepath.Join(t.TempDir(), "evx.db"))
}

func openDBAt(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestQueue(t testing.TB, clock pipeline.Clock) *Queue {
	t.Helper()
	q, err := New(context.Background(), openTestDB(t), clock)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQueueConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) pipeline.Queue { return newTestQueue(t, nil) }, queuetest.Ordered())
}

func TestQueueConformanceWithDeadLetter(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) pipeline.Queue { return newTestQueue(t, nil).WithDeadLetter(5) })
}

func TestQueueDeadLetter(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	q := newTestQueue(t, clk.now).WithDeadLetter(2)
	ctx := context.Background()
	for i, body := range []string{`{"poison":true}`, `{"fine":true}`} {
		if err := q.Send(ctx, "cp-a", fmt.Sprint("d", i), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	var first pipeline.Message
	for round := 1; round <= 2; round++ {
		ms, err := q.Receive(ctx, "cp-a", 1, time.Minute)
		if err != nil || len(ms) != 1 || ms[0].Receives != round {
			t.Fatalf("round %d: Receive = %+v, %v; want the poisoned message, receive %d", round, ms, err, round)
		}
		first = ms[0]
		clk.advance(time.Minute) // not acknowledged: handed out again
	}
	ms, err := q.Receive(ctx, "cp-a", 10, time.Minute)
	if err != nil || len(ms) != 1 || string(ms[0].Body) != `{"fine":true}` {
		t.Fatalf("third Receive = %+v, %v; want only the fine message", ms, err)
	}
	dead, err := q.Receive(ctx, "cp-a"+DeadLetterSuffix, 10, time.Minute)
	if err != nil || len(dead) != 1 || string(dead[0].Body) != `{"poison":true}` || dead[0].Receives != 1 || dead[0].ID != first.ID {
		t.Fatalf("Receive(dead letters) = %+v, %v; want the poisoned message, receive 1, same id", dead, err)
	}
	if err := q.Ack(ctx, "cp-a", first.Handle); !errors.Is(err, pipeline.ErrStaleHandle) {
		t.Errorf("Ack(handle from before the move) = %v, want ErrStaleHandle", err)
	}
	// The dead-letter queue itself never dead-letters.
	for range 3 {
		clk.advance(time.Minute)
		if again, err := q.Receive(ctx, "cp-a"+DeadLetterSuffix, 10, time.Minute); err != nil || len(again) != 1 {
			t.Fatalf("Receive(dead letters) again = %+v, %v; want the message", again, err)
		}
	}
	// A retried send of the poisoned message is still a no-op.
	if err := q.Send(ctx, "cp-a", "d0", []byte(`{"poison":true}`)); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Hour)
	if ms, _ := q.Receive(ctx, "cp-a", 10, time.Minute); len(ms) != 1 || string(ms[0].Body) != `{"fine":true}` {
		t.Errorf("after resending the poisoned message: Receive = %+v, want only the fine message", ms)
	}
}

// fakeClock is a settable clock for tests that must not sleep.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestQueueVisibilityClock(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	q := newTestQueue(t, clk.now)
	ctx := context.Background()
	if err := q.Send(ctx, "cp-a", "d1", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	ms, err := q.Receive(ctx, "cp-a", 1, time.Hour)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Receive = %d messages, %v; want 1, nil", len(ms), err)
	}
	clk.advance(time.Hour - time.Nanosecond)
	if ms, _ := q.Receive(ctx, "cp-a", 1, time.Hour); len(ms) != 0 {
		t.Fatalf("Receive 1 ns before the timeout = %d messages, want 0", len(ms))
	}
	clk.advance(time.Nanosecond)
	again, err := q.Receive(ctx, "cp-a", 1, time.Hour)
	if err != nil || len(again) != 1 || again[0].Receives != 2 {
		t.Fatalf("Receive at the timeout = %+v, %v; want the message with Receives 2", again, err)
	}
	// The first handle is stale now, and the local queue says so.
	if err := q.Ack(ctx, "cp-a", ms[0].Handle); !errors.Is(err, pipeline.ErrStaleHandle) {
		t.Errorf("Ack(stale) = %v, want ErrStaleHandle", err)
	}
	if err := q.Ack(ctx, "cp-a", again[0].Handle); err != nil {
		t.Errorf("Ack(current) = %v", err)
	}
}

// TestQueueSharesDatabase checks that the queue creates only queue_ tables and reopens
// over an existing database with its messages intact.
func TestQueueSharesDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evx.db")
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE other_things (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	q, err := New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, "cp-a", "d1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if got, want := fmt.Sprint(tables), "[other_things queue_dedup queue_messages]"; got != want {
		t.Errorf("tables = %s, want %s", got, want)
	}
	db.Close()

	db, err = sqlitedb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err = New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, "cp-a", "d1", []byte(`{"again":true}`)); err != nil {
		t.Fatal(err)
	}
	ms, err := q.Receive(ctx, "cp-a", 10, time.Minute)
	if err != nil || len(ms) != 1 || string(ms[0].Body) != "{}" {
		t.Fatalf("after reopening: Receive = %+v, %v; want the one message sent before", ms, err)
	}
}

func TestQueueHandles(t *testing.T) {
	q := newTestQueue(t, nil)
	ctx := context.Background()
	for _, q2 := range []string{"cp-a", "cp-b"} {
		if err := q.Send(ctx, q2, "d", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := q.Receive(ctx, "cp-a", 1, time.Minute)
	if len(a) != 1 {
		t.Fatal("no message")
	}
	// Change the token's last digit to another one (the same digit would leave the handle
	// valid, and acknowledging it would spend the message the later cases need).
	last := a[0].Handle[len(a[0].Handle)-1]
	other := "0"
	if last == '0' {
		other = "1"
	}
	tests := []struct {
		name, queue, handle string
		wantErr             bool
	}{
		{"other-queue", "cp-b", a[0].Handle, true},
		{"zero-id", "cp-a", "0.1." + a[0].Handle[len(a[0].Handle)-32:], true},
		{"wrong-token", "cp-a", a[0].Handle[:len(a[0].Handle)-1] + other, true},
		{"upper-token", "cp-a", a[0].Handle[:len(a[0].Handle)-32] + "ABCDEF0123456789ABCDEF0123456789", true},
		{"future-receive", "cp-a", a[0].ID + ".9." + a[0].Handle[len(a[0].Handle)-32:], true},
		// A well-formed handle of a message that is gone: acknowledged before.
		{"unknown-id", "cp-a", "999999.1.0123456789abcdef0123456789abcdef", false},
	}
	for _, tc := range tests {
		err := q.Ack(ctx, tc.queue, tc.handle)
		if (err != nil) != tc.wantErr {
			t.Errorf("Ack(%s) = %v, want error: %v", tc.name, err, tc.wantErr)
		}
	}
	if err := q.Ack(ctx, "cp-a", a[0].Handle); err != nil {
		t.Errorf("Ack(current handle) after the refused ones = %v", err)
	}
}

// BenchmarkQueue sends 100 messages, receives them ten at a time and acknowledges each,
// per op, and reports msgs/s, and commits-per-msg: the time per message over the time of
// one bare committed transaction (an INSERT) in the same database, the fsync floor with
// synchronous=FULL. Send, a tenth of a Receive and Ack commit once each; WAL commits
// that share an fsync bring the figure below that count.
func BenchmarkQueue(b *testing.B) {
	db := openTestDB(b)
	q, err := New(context.Background(), db, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.Exec(`CREATE TABLE bench_commit (x INTEGER)`); err != nil {
		b.Fatal(err)
	}
	var commitTime time.Duration
	commits := 0
	body := []byte(`{"bundle":"b-0001","counterpart":"nl-om","documents":12}`)
	const perOp = 100
	n := 0
	for b.Loop() {
		for range perOp {
			n++
			if err := q.Send(ctx, "cp-a", fmt.Sprintf("m-%d", n), body); err != nil {
				b.Fatal(err)
			}
		}
		for got := 0; got < perOp; {
			ms, err := q.Receive(ctx, "cp-a", pipeline.MaxReceive, time.Minute)
			if err != nil || len(ms) == 0 {
				b.Fatalf("Receive = %d, %v", len(ms), err)
			}
			for _, m := range ms {
				if err := q.Ack(ctx, "cp-a", m.Handle); err != nil {
					b.Fatal(err)
				}
			}
			got += len(ms)
		}
		b.StopTimer()
		for range 10 {
			start := time.Now()
			if _, err := db.Exec(`INSERT INTO bench_commit (x) VALUES (1)`); err != nil {
				b.Fatal(err)
			}
			commitTime += time.Since(start)
			commits++
		}
		b.StartTimer()
	}
	msgs := float64(b.N * perOp)
	b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
	perMsg := float64(b.Elapsed()) / msgs
	b.ReportMetric(perMsg/(float64(commitTime)/float64(commits)), "commits-per-msg")
}

// TestQueueTwoHandles runs receivers over two database handles on one file, as evx serve
// and a command on the same data folder do: no message goes to both.
func TestQueueTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evx.db")
	ctx := context.Background()
	var qs []*Queue
	for range 2 {
		q, err := New(ctx, openDBAt(t, path), nil)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	const n = 60
	for i := range n {
		if err := qs[i%2].Send(ctx, "cp-a", fmt.Sprint("m-", i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := qs[w%2]
			for {
				ms, err := q.Receive(ctx, "cp-a", 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("received %d distinct messages, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s received %d times", id, c)
		}
	}
}

// TestQueueReceivePlan guards the index Receive relies on: it walks one queue in id order
// and stops after max ready messages, never sorting the whole backlog.
func TestQueueReceivePlan(t *testing.T) {
	q := newTestQueue(t, nil)
	rows, err := q.db.Query(`EXPLAIN QUERY PLAN
		SELECT id FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY id LIMIT ?`, "cp-a", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused any
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := fmt.Sprint(plan)
	if !strings.Contains(got, "queue_messages_order") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("query plan %s, want a search of queue_messages_order with no temporary sort", got)
	}
}
