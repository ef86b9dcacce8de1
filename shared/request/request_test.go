package request_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// fakeClock is the Clock port of the tests: time moves only when the test says.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// memQueue records what reminders were sent, dropping repeated dedup ids as the queue port does.
type memQueue struct {
	mu   sync.Mutex
	seen map[string]bool
	sent map[string][]request.Reminder
}

func (q *memQueue) Send(_ context.Context, queue, dedup string, body []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.seen == nil {
		q.seen, q.sent = map[string]bool{}, map[string][]request.Reminder{}
	}
	if q.seen[queue+"\x00"+dedup] {
		return nil
	}
	q.seen[queue+"\x00"+dedup] = true
	var r request.Reminder
	if err := json.Unmarshal(body, &r); err != nil {
		return err
	}
	q.sent[queue] = append(q.sent[queue], r)
	return nil
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type rig struct {
	desk   *request.Desk
	clock  *fakeClock
	queue  *memQueue
	ledger *custody.MemLedger
	signer custody.Signer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{t: t0}
	l := custody.NewMemLedger()
	q := &memQueue{}
	return &rig{desk: &request.Desk{Ledger: l, Signer: s, Lister: l, Queue: q, Home: "es-fiscalia", Clock: c.Now},
		clock: c, queue: q, ledger: l, signer: s}
}

func eio(id string) request.Request {
	return request.Request{ID: id, Type: request.EIO, Issuer: "es-fiscalia", IssuerPerson: "ana.garcia",
		IssuingState: "ES", Addressee: "nl-om", LegalBasis: "Directive 2014/41/EU", CaseReference: "DIL-2026-7",
		HandlingCode: "H1", Subject: "bank records of account NL91ABNA0417164300"}
}

var (
	issuer    = request.Actor{Agency: "es-fiscalia", Person: "ana.garcia"}
	addressee = request.Actor{Agency: "nl-om", Person: "jan.devries"}
	provider  = request.Actor{Agency: "nl-telco-lr", Person: "legal.rep"}
)

func act(t *testing.T, r *rig, id string, a request.Actor, action request.Action) *request.State {
	t.Helper()
	s, err := r.desk.Act(t.Context(), id, a, action)
	if err != nil {
		t.Fatalf("Act(%s, %s) = %v", id, action.Type, err)
	}
	return s
}

// TestDeadlines: each rule's due time from the event that starts it, per type, with the
// article that sets it.
func TestDeadlines(t *testing.T) {
	cases := []struct {
		name     string
		req      request.Request
		steps    []custody.EventType // by the addressee after issue, one hour apart
		deadline string
		after    custody.EventType // the event the clock starts at
		length   time.Duration
		article  string
	}{
		{"EIO recognition: 30 days of receipt", eio("E1"), []custody.EventType{custody.RequestReceived},
			"recognition", custody.RequestReceived, 30 * 24 * time.Hour, "Directive 2014/41/EU art. 12(3)"},
		{"EIO execution: 90 days of recognition", eio("E2"), []custody.EventType{custody.RequestReceived, custody.RequestAccepted},
			"execution", custody.RequestAccepted, 90 * 24 * time.Hour, "Directive 2014/41/EU art. 12(4)"},
		{"EPOC production: 10 days of receipt", epoc("P1", ""), []custody.EventType{custody.RequestReceived},
			"production", custody.RequestReceived, 10 * 24 * time.Hour, "Regulation (EU) 2023/1543 art. 10(2)"},
		{"EPOC emergency: 8 hours of receipt", epoc("P2", request.Emergency), []custody.EventType{custody.RequestReceived},
			"production", custody.RequestReceived, 8 * time.Hour, "Regulation (EU) 2023/1543 art. 10(4)"},
		{"EPOC-PR preservation: 60 days of receipt", preservation("R1"), []custody.EventType{custody.RequestReceived},
			"preservation", custody.RequestReceived, 60 * 24 * time.Hour, "Regulation (EU) 2023/1543 art. 11(1)"},
		// Issued at t0, received an hour later: the stated due is t0 + 5 days, 5 days less an hour after receipt.
		{"EIO urgent: the shorter deadline stated", urgentEIO("E8", t0.Add(5*24*time.Hour)), []custody.EventType{custody.RequestReceived},
			"recognition", custody.RequestReceived, 5*24*time.Hour - time.Hour, "Directive 2014/41/EU art. 12(2)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if _, err := r.desk.Issue(t.Context(), tc.req); err != nil {
				t.Fatal(err)
			}
			var started time.Time
			var s *request.State
			for _, typ := range tc.steps {
				r.clock.Advance(time.Hour)
				s = act(t, r, tc.req.ID, request.Actor{Agency: tc.req.Addressee, Person: "p"}, request.Action{Type: typ})
				if typ == tc.after {
					started = r.clock.Now()
				}
			}
			d := s.Deadline(tc.deadline)
			if d == nil {
				t.Fatalf("no deadline %q in %+v", tc.deadline, s.Deadlines)
			}
			if want := started.Add(tc.length); !d.Due.Equal(want) || d.Status != request.ClockOpen {
				t.Errorf("%s due = %v (%s), want %v (open)", tc.deadline, d.Due, d.Status, want)
			}
			if !strings.Contains(d.Citation, tc.article) {
				t.Errorf("%s rule = %q, want it to cite %s", tc.deadline, d.Citation, tc.article)
			}
		})
	}
}

func urgentEIO(id string, due time.Time) request.Request {
	r := eio(id)
	r.Urgency, r.Due = request.Urgent, due.Format(custody.TimeFormat)
	return r
}

func epoc(id, urgency string) request.Request {
	return request.Request{ID: id, Type: request.EPOC, Issuer: "es-fiscalia", IssuerPerson: "ana.garcia", IssuingState: "ES",
		Addressee: "nl-telco-lr", LegalBasis: "Regulation (EU) 2023/1543 art. 5", Urgency: urgency, DataCategory: "subscriber",
		Subject: "subscriber of +34 600 000 001"}
}

func preservation(id string) request.Request {
	r := epoc(id, "")
	r.Type, r.LegalBasis = request.EPOCPR, "Regulation (EU) 2023/1543 art. 6"
	return r
}

// TestRefusalWindow: an EPOC for content data of a person residing elsewhere is notified to
// the enforcing authority, whose window to refuse is 10 days, 96 hours in an emergency
// (Regulation (EU) 2023/1543 arts. 10 and 12), and whose refusal restricts the data.
func TestRefusalWindow(t *testing.T) {
	for _, tc := range []struct {
		urgency string
		window  time.Duration
	}{{"", 10 * 24 * time.Hour}, {request.Emergency, 96 * time.Hour}} {
		t.Run("urgency="+tc.urgency, func(t *testing.T) {
			r := newRig(t)
			q := epoc("P9", tc.urgency)
			q.DataCategory, q.Residence = "content", "NL"
			if _, err := r.desk.Issue(t.Context(), q); !isInvalid(err, "enforcing") {
				t.Fatalf("Issue without the enforcing authority = %v, want an *InvalidError on enforcing (art. 8)", err)
			}
			q.Enforcing = "nl-om"
			if _, err := r.desk.Issue(t.Context(), q); err != nil {
				t.Fatal(err)
			}
			s := act(t, r, q.ID, issuer, request.Action{Type: custody.RequestNotified})
			if d := s.Deadline("refusal-window"); d == nil || !d.Due.Equal(t0.Add(tc.window)) || d.Kind != request.Period {
				t.Fatalf("refusal window = %+v, want a period due %v", d, t0.Add(tc.window))
			}
			r.clock.Advance(time.Hour)
			act(t, r, q.ID, provider, request.Action{Type: custody.RequestReceived})
			enforcing := request.Actor{Agency: "nl-om", Person: "officer"}
			s = act(t, r, q.ID, enforcing, request.Action{Type: custody.RequestRefused, Grounds: []string{"art. 12(1)(a): immunity"}})
			if s.Status != request.Refused || !s.Restricted || s.RefusedBy != request.EnforcingParty {
				t.Fatalf("after the enforcing authority's refusal: %s restricted=%v by %s, want refused, restricted, by enforcing", s.Status, s.Restricted, s.RefusedBy)
			}
			if d := s.Deadline("production"); d.Status != request.ClockClosed {
				t.Errorf("production after refusal = %s, want closed", d.Status)
			}
		})
	}
	// After the window, the enforcing authority can no longer refuse.
	r := newRig(t)
	q := epoc("P10", "")
	q.DataCategory, q.Residence, q.Enforcing = "traffic", "NL", "nl-om"
	if _, err := r.desk.Issue(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	act(t, r, q.ID, issuer, request.Action{Type: custody.RequestNotified})
	r.clock.Advance(10*24*time.Hour + time.Second)
	_, err := r.desk.Act(t.Context(), q.ID, request.Actor{Agency: "nl-om", Person: "x"}, request.Action{Type: custody.RequestRefused, Grounds: []string{"late"}})
	var te *request.TransitionError
	if !errors.As(err, &te) {
		t.Fatalf("refusal after the window = %v, want a *TransitionError", err)
	}
}

func isInvalid(err error, field string) bool {
	var ie *request.InvalidError
	return errors.As(err, &ie) && ie.Field == field
}

// TestExtensions: EIO recognition once by at most 30 days (art. 12(5)); EPOC-PR preservation
// once by 30 days, by the issuing authority (art. 11(1)); EPOC production not at all.
func TestExtensions(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if _, err := r.desk.Issue(ctx, eio("E3")); err != nil {
		t.Fatal(err)
	}
	act(t, r, "E3", addressee, request.Action{Type: custody.RequestReceived})
	month := 30 * 24 * time.Hour
	for _, tc := range []struct {
		by   request.Actor
		ext  time.Duration
		fail bool
	}{
		{issuer, month, true},                  // the executing authority postpones, not the issuer
		{addressee, month + time.Second, true}, // more than 30 days
		{addressee, month, false},
		{addressee, time.Hour, true}, // once only
	} {
		_, err := r.desk.Act(ctx, "E3", tc.by, request.Action{Type: custody.RequestExtended, Deadline: "recognition", Extension: tc.ext})
		if (err != nil) != tc.fail {
			t.Errorf("extend recognition by %s as %s = %v, want failure %v", tc.ext, tc.by.Agency, err, tc.fail)
		}
	}
	s, _ := r.desk.State(ctx, "E3")
	if d := s.Deadline("recognition"); !d.Due.Equal(t0.Add(2*month)) || d.Extensions != 1 {
		t.Errorf("recognition due %v after %d extensions, want %v after 1", d.Due, d.Extensions, t0.Add(2*month))
	}

	if _, err := r.desk.Issue(ctx, preservation("R2")); err != nil {
		t.Fatal(err)
	}
	act(t, r, "R2", provider, request.Action{Type: custody.RequestReceived})
	if _, err := r.desk.Act(ctx, "R2", provider, request.Action{Type: custody.RequestExtended, Deadline: "preservation", Extension: month}); err == nil {
		t.Error("the service provider extended the preservation, want only the issuing authority (art. 11(1))")
	}
	s = act(t, r, "R2", issuer, request.Action{Type: custody.RequestExtended, Deadline: "preservation", Extension: month})
	if d := s.Deadline("preservation"); !d.Due.Equal(t0.Add(90 * 24 * time.Hour)) {
		t.Errorf("preservation due %v, want 60+30 days: %v", d.Due, t0.Add(90*24*time.Hour))
	}
	s = act(t, r, "R2", issuer, request.Action{Type: custody.RequestConfirmed})
	if d := s.Deadline("preservation"); d.Status != request.ClockContinuing || !d.Due.IsZero() {
		t.Errorf("preservation after confirmation = %s due %v, want continuing without an end", d.Status, d.Due)
	}

	if _, err := r.desk.Issue(ctx, epoc("P3", "")); err != nil {
		t.Fatal(err)
	}
	act(t, r, "P3", provider, request.Action{Type: custody.RequestReceived})
	if _, err := r.desk.Act(ctx, "P3", provider, request.Action{Type: custody.RequestExtended, Deadline: "production", Extension: time.Hour}); err == nil {
		t.Error("EPOC production extended, want refused (art. 10 has no extension)")
	}
}

// TestSuspension: a suspended clock stops, and resumes with the time it was stopped added.
func TestSuspension(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if _, err := r.desk.Issue(ctx, eio("E4")); err != nil {
		t.Fatal(err)
	}
	act(t, r, "E4", addressee, request.Action{Type: custody.RequestReceived})
	r.clock.Advance(24 * time.Hour)
	if _, err := r.desk.Act(ctx, "E4", addressee, request.Action{Type: custody.RequestSuspended}); err == nil {
		t.Error("suspension without grounds recorded, want refused")
	}
	s := act(t, r, "E4", addressee, request.Action{Type: custody.RequestSuspended, Grounds: []string{"art. 15(1)(a): would harm an ongoing investigation"}})
	if d := s.Deadline("recognition"); d.Status != request.ClockSuspended {
		t.Fatalf("recognition = %s, want suspended", d.Status)
	}
	r.clock.Advance(5 * 24 * time.Hour)
	s = act(t, r, "E4", addressee, request.Action{Type: custody.RequestResumed})
	d := s.Deadline("recognition")
	if want := t0.Add(35 * 24 * time.Hour); !d.Due.Equal(want) || d.Suspended != 5*24*time.Hour || d.Status != request.ClockOpen {
		t.Errorf("recognition after resuming = due %v, stopped %v, %s; want %v, 120h, open", d.Due, d.Suspended, d.Status, want)
	}
}

// TestTransitions: what the state refuses, with a *TransitionError.
func TestTransitions(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if _, err := r.desk.Issue(ctx, eio("E5")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		by   request.Actor
		a    request.Action
	}{
		{"accepted before receipt", addressee, request.Action{Type: custody.RequestAccepted}},
		{"received by the issuer", issuer, request.Action{Type: custody.RequestReceived}},
		{"received by a stranger", request.Actor{Agency: "be-fed", Person: "x"}, request.Action{Type: custody.RequestReceived}},
		{"withdrawn by the addressee", addressee, request.Action{Type: custody.RequestWithdrawn}},
		{"fulfilled before receipt", addressee, request.Action{Type: custody.RequestFulfilled}},
		{"an EIO notified", issuer, request.Action{Type: custody.RequestNotified}},
		{"answered without a bundle", addressee, request.Action{Type: custody.RequestAnswered}},
	} {
		_, err := r.desk.Act(ctx, "E5", tc.by, tc.a)
		var te *request.TransitionError
		if !errors.As(err, &te) {
			t.Errorf("%s: Act = %v, want a *TransitionError", tc.name, err)
		}
	}
	if _, err := r.desk.Act(ctx, "E5", addressee, request.Action{Type: custody.DeadlineMissed}); !isInvalid(err, "action") {
		t.Errorf("DeadlineMissed through Act = %v, want an *InvalidError: only the scheduler records it", err)
	}
	// A retry of the last action is not a second event.
	act(t, r, "E5", addressee, request.Action{Type: custody.RequestReceived})
	act(t, r, "E5", addressee, request.Action{Type: custody.RequestReceived})
	if es, _ := r.desk.Events(ctx, "E5"); len(es) != 2 {
		t.Errorf("events after a retried receipt = %d, want 2", len(es))
	}
	// Another request under the same id.
	other := eio("E5")
	other.Subject = "something else"
	var ee *request.ExistsError
	if _, err := r.desk.Issue(ctx, other); !errors.As(err, &ee) {
		t.Errorf("Issue of another request under E5 = %v, want an *ExistsError", err)
	}
	if _, err := r.desk.Issue(ctx, eio("E5")); err != nil {
		t.Errorf("Issue of the same request again = %v, want its state", err)
	}
}

// TestIssueChecks: requests refused as given, field by field.
func TestIssueChecks(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		field string
		edit  func(*request.Request)
	}{
		{"id", func(q *request.Request) { q.ID = "../x" }},
		{"type", func(q *request.Request) { q.Type = "LETTER" }},
		{"legal_basis", func(q *request.Request) { q.LegalBasis = "" }},
		{"addressee", func(q *request.Request) { q.Addressee = q.Issuer }},
		{"due", func(q *request.Request) { q.Urgency = request.Urgent }},
		{"urgency", func(q *request.Request) { q.Urgency = request.Emergency }},
		{"handling_code", func(q *request.Request) { q.HandlingCode = "H9" }},
		{"due", func(q *request.Request) { q.Type = request.JIT }},
		{"data_category", func(q *request.Request) { q.Type = request.EPOC }},
		{"", func(q *request.Request) { q.Subject = strings.Repeat("x", request.MaxField+1) }},
	} {
		q := eio("E6")
		tc.edit(&q)
		if _, err := r.desk.Issue(t.Context(), q); !isInvalid(err, tc.field) {
			t.Errorf("Issue(%+v) = %v, want an *InvalidError on %q", q, err, tc.field)
		}
	}
}

// TestStateFromTrail: a request's state is a function of its events alone: the state the
// desk reads equals the state folded from the exported, verified trail.
func TestStateFromTrail(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if _, err := r.desk.Issue(ctx, eio("E7")); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Hour)
	act(t, r, "E7", addressee, request.Action{Type: custody.RequestReceived})
	r.clock.Advance(29 * 24 * time.Hour)
	act(t, r, "E7", addressee, request.Action{Type: custody.RequestAccepted})
	act(t, r, "E7", addressee, request.Action{Type: custody.RequestAnswered, Bundle: "b-0001"})
	r.clock.Advance(91 * 24 * time.Hour)
	if _, err := r.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	want, err := r.desk.State(ctx, "E7")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.Export(ctx, r.ledger, r.signer, "evx.test/custody", custody.RequestSubject("E7"), custody.ExportOptions{Time: r.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(back, r.signer.Public(), custody.VerifyOptions{Now: r.clock.Now()}); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	got, err := request.FoldTrail(back)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatalf("state from the trail = %s\nwant %s", gj, wj)
	}
	// Request events are version 2 (details.legal_request is a version 2 member) and name the
	// acting agency and person in the actor; the scheduler's name neither.
	for _, te := range back.Events {
		e := te.Event
		if e.FormatVersion() != custody.Version2 {
			t.Errorf("%s: version %d, want 2", e.Type, e.FormatVersion())
		}
		if sys := e.Actor.Kind == custody.ActorSystem; sys != (e.Actor.Agency == "") || e.Actor.Agency != e.Details.LegalRequest.Agency && !sys {
			t.Errorf("%s: actor %+v, legal_request agency %q; want the acting agency in both (none for the scheduler)", e.Type, e.Actor, e.Details.LegalRequest.Agency)
		}
	}
	if d := got.Deadline("recognition"); d.Status != request.ClockMet {
		t.Errorf("recognition = %s, want met", d.Status)
	}
	if d := got.Deadline("execution"); d.Status != request.ClockMissed {
		t.Errorf("execution = %s, want missed", d.Status)
	}
	// Tampering with an event changes the state no verifier accepts.
	back.Events[2].Event.Time = back.Events[2].Event.Time.Add(-48 * time.Hour)
	if _, err := custody.Verify(back, r.signer.Public(), custody.VerifyOptions{Now: r.clock.Now()}); err == nil {
		t.Error("Verify of a trail with an accept backdated = nil, want an error")
	}
}

// TestActionFields: an action records only what it concerns; anything else is refused.
func TestActionFields(t *testing.T) {
	r := newRig(t)
	if _, err := r.desk.Issue(t.Context(), eio("E9")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a     request.Action
		field string
	}{
		{request.Action{Type: custody.RequestReceived, Deadline: "recognition"}, "deadline"},
		{request.Action{Type: custody.RequestReceived, Bundle: "b"}, "bundle"},
		{request.Action{Type: custody.RequestReceived, Grounds: []string{"x"}}, "grounds"},
		{request.Action{Type: custody.RequestExtended, Deadline: strings.Repeat("d", 65), Extension: time.Hour}, "deadline"},
		{request.Action{Type: custody.RequestRefused, Grounds: make([]string, 33)}, "grounds"},
	} {
		if _, err := r.desk.Act(t.Context(), "E9", addressee, tc.a); !isInvalid(err, tc.field) {
			t.Errorf("Act(%+v) = %v, want an *InvalidError on %s", tc.a.Type, err, tc.field)
		}
	}
	if es, _ := r.desk.Events(t.Context(), "E9"); len(es) != 1 {
		t.Errorf("events = %d, want only the issue", len(es))
	}
}
