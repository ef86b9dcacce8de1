package request_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// TestSweep: the scheduled sweep records DeadlineMissed once a duty passes, PeriodEnded once a
// period ends, and sends the reminders of the documented schedule (halfway, a day before,
// overdue) to the owner's queue, each once however often it runs.
func TestSweep(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if _, err := r.desk.Issue(ctx, epoc("P20", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.desk.Issue(ctx, preservation("R20")); err != nil {
		t.Fatal(err)
	}
	act(t, r, "P20", provider, request.Action{Type: custody.RequestReceived})
	act(t, r, "R20", provider, request.Action{Type: custody.RequestReceived})
	sweep := func() request.SweepResult {
		t.Helper()
		res, err := r.desk.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		again, err := r.desk.Sweep(ctx)
		if err != nil || again.Missed+again.Ended+again.Reminders != 0 {
			t.Fatalf("second sweep at once = %+v, %v: want nothing recorded", again, err)
		}
		return res
	}
	for _, tc := range []struct {
		advance                  time.Duration
		missed, ended, reminders int
		stages                   []string // of P20's production clock
	}{
		{time.Hour, 0, 0, 0, nil},
		{5*24*time.Hour - time.Hour, 0, 0, 1, []string{"halfway"}},
		{4 * 24 * time.Hour, 0, 0, 1, []string{"halfway", "day-before"}},
		{24*time.Hour - time.Second, 0, 0, 0, []string{"halfway", "day-before"}},
		{time.Second, 1, 0, 1, []string{"halfway", "day-before", "overdue"}},
		{20 * 24 * time.Hour, 0, 0, 1, nil}, // R20's halfway, at 30 days
		{40 * 24 * time.Hour, 0, 1, 0, nil}, // R20's preservation ends at 60 days: a day-before due too, but the period is over
	} {
		r.clock.Advance(tc.advance)
		res := sweep()
		if res.Missed != tc.missed || res.Ended != tc.ended || res.Reminders != tc.reminders {
			t.Errorf("at %v: sweep %+v, want missed %d ended %d reminders %d", r.clock.Now().Sub(t0), res, tc.missed, tc.ended, tc.reminders)
		}
		if tc.stages != nil {
			s, _ := r.desk.State(ctx, "P20")
			if got := s.Deadline("production").Reminders; !slices.Equal(got, tc.stages) {
				t.Errorf("at %v: reminders %v, want %v", r.clock.Now().Sub(t0), got, tc.stages)
			}
		}
	}
	s, _ := r.desk.State(ctx, "P20")
	if d := s.Deadline("production"); d.Status != request.ClockMissed || !s.Overdue(r.clock.Now()) {
		t.Errorf("production = %s, overdue %v; want missed and overdue", d.Status, s.Overdue(r.clock.Now()))
	}
	// The reminders went to the service provider's queue; a late answer is recorded as late.
	if got := len(r.queue.sent["cp-nl-telco-lr"]); got != 4 {
		t.Errorf("reminders on cp-nl-telco-lr = %d, want 4 (3 for P20, R20's halfway)", got)
	}
	if p, _ := r.desk.State(ctx, "R20"); p.Deadline("preservation").Status != request.ClockEnded {
		t.Errorf("preservation = %s, want ended", p.Deadline("preservation").Status)
	}
	// List filters.
	for _, tc := range []struct {
		f    request.Filter
		want []string
	}{
		{request.Filter{}, []string{"P20", "R20"}},
		{request.Filter{Overdue: true}, []string{"P20"}},
		{request.Filter{Agency: "be-fed"}, nil},
		{request.Filter{Agency: "nl-telco-lr"}, []string{"P20", "R20"}},
	} {
		l, err := r.desk.List(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range l {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("List(%+v) = %v, want %v", tc.f, ids, tc.want)
		}
	}
	s = act(t, r, "P20", provider, request.Action{Type: custody.RequestAnswered, Bundle: "b-late"})
	if d := s.Deadline("production"); d.Status != request.ClockLate || s.Overdue(r.clock.Now()) {
		t.Errorf("production after the late answer = %s (overdue %v), want late, no longer overdue", d.Status, s.Overdue(r.clock.Now()))
	}
}

// TestDueWithin: --due-within keeps the requests with a running clock due in the window.
func TestDueWithin(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	for _, id := range []string{"P30", "P31"} {
		if _, err := r.desk.Issue(ctx, epoc(id, "")); err != nil {
			t.Fatal(err)
		}
	}
	act(t, r, "P30", provider, request.Action{Type: custody.RequestReceived})
	r.clock.Advance(2 * 24 * time.Hour)
	act(t, r, "P31", provider, request.Action{Type: custody.RequestReceived})
	r.clock.Advance(7*24*time.Hour + time.Hour) // P30 due in 23 h, P31 in 47 h
	l, err := r.desk.List(ctx, request.Filter{DueWithin: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[0].ID != "P30" {
		t.Errorf("List(due within 24h) = %d requests, want P30 only", len(l))
	}
}

var errInjected = errors.New("injected failure")

// faults fails port call number at, before it takes effect or (after) once it has.
type faults struct {
	n, at int
	after bool
}

func (f *faults) call(do func() error) error {
	f.n++
	if f.n != f.at {
		return do()
	}
	if f.after {
		do()
	}
	return errInjected
}

type faultyLedger struct {
	*custody.MemLedger
	f *faults
}

func (l faultyLedger) Events(ctx context.Context, id string) (es []custody.Entry, err error) {
	err = l.f.call(func() error { es, err = l.MemLedger.Events(ctx, id); return err })
	return es, err
}

func (l faultyLedger) Append(ctx context.Context, e custody.Event) (leaf uint64, err error) {
	err = l.f.call(func() error { leaf, err = l.MemLedger.Append(ctx, e); return err })
	return leaf, err
}

func (l faultyLedger) Subjects(ctx context.Context, p string) (ids []string, err error) {
	err = l.f.call(func() error { ids, err = l.MemLedger.Subjects(ctx, p); return err })
	return ids, err
}

type faultySigner struct {
	custody.Signer
	f *faults
}

func (s faultySigner) Sign(ctx context.Context, m []byte) (sig []byte, err error) {
	err = s.f.call(func() error { sig, err = s.Signer.Sign(ctx, m); return err })
	return sig, err
}

type faultyQueue struct {
	q *memQueue
	f *faults
}

func (q faultyQueue) Send(ctx context.Context, queue, dedup string, body []byte) error {
	return q.f.call(func() error { return q.q.Send(ctx, queue, dedup, body) })
}

// TestFaults runs an EPOC's life with each port call failing in turn, before and after it
// takes effect, retrying each failed step as a restarted process would: whatever failed, the
// request ends with exactly one event of each kind and each reminder sent once.
func TestFaults(t *testing.T) {
	calls := -1
	for _, after := range []bool{false, true} {
		for at := 1; calls < 0 || at <= calls; at++ {
			t.Run(fmt.Sprintf("call%d/after=%v", at, after), func(t *testing.T) {
				r := newRig(t)
				f := &faults{at: at, after: after}
				if calls < 0 {
					f.at = 0 // the first run counts the calls
				}
				r.desk.Ledger = faultyLedger{r.ledger, f}
				r.desk.Lister = faultyLedger{r.ledger, f}
				r.desk.Signer = faultySigner{r.signer, f}
				r.desk.Queue = faultyQueue{r.queue, f}
				ctx := t.Context()
				step := func(name string, do func() error) {
					for try := 0; ; try++ {
						err := do()
						if err == nil {
							return
						}
						if !errors.Is(err, errInjected) || try > 2 {
							t.Fatalf("%s: %v", name, err)
						}
					}
				}
				sweep := func() error { _, err := r.desk.Sweep(ctx); return err }
				actOn := func(typ custody.EventType, bundle string) func() error {
					return func() error {
						_, err := r.desk.Act(ctx, "P40", provider, request.Action{Type: typ, Bundle: bundle})
						return err
					}
				}
				step("issue", func() error { _, err := r.desk.Issue(ctx, epoc("P40", "")); return err })
				step("receive", actOn(custody.RequestReceived, ""))
				r.clock.Advance(5 * 24 * time.Hour)
				step("sweep halfway", sweep)
				r.clock.Advance(5*24*time.Hour + time.Minute)
				step("sweep overdue", sweep)
				step("answer", actOn(custody.RequestAnswered, "b-1"))
				step("fulfil", actOn(custody.RequestFulfilled, ""))
				if calls < 0 {
					calls = f.n
					t.Logf("%d port calls", calls)
				}
				es, err := r.ledger.Events(ctx, custody.RequestSubject("P40"))
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range es {
					name := string(e.Event.Type)
					if l := e.Event.Details.LegalRequest; l.Stage != "" {
						name += "/" + l.Stage
					}
					got = append(got, name)
				}
				want := []string{"RequestIssued", "RequestReceived", "RequestReminder/halfway", "DeadlineMissed",
					"RequestReminder/overdue", "RequestAnswered", "RequestFulfilled"}
				if !slices.Equal(got, want) {
					t.Errorf("events %v, want %v", got, want)
				}
				if n := len(r.queue.sent["cp-nl-telco-lr"]); n != 2 {
					t.Errorf("reminders sent = %d, want 2", n)
				}
				if _, err := request.FoldEntries(es); err != nil {
					t.Errorf("Fold = %v", err)
				}
			})
		}
	}
}
