package request

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Lister lists the subjects of the ledger that start with prefix (sqliteledger.Ledger and
// custody.MemLedger have it); the Desk finds its requests with it.
type Lister interface {
	Subjects(ctx context.Context, prefix string) ([]string, error)
}

// Registry records the subjects of requests, for a Lister that does not find them in the
// ledger itself (on AWS, dynamostate's "#subject" partition: the custody table can only be
// scanned). AddSubject is idempotent.
type Registry interface {
	AddSubject(ctx context.Context, subject string) error
}

// Sender sends a message to a queue, once per dedup id (pipeline.Queue's Send).
type Sender interface {
	Send(ctx context.Context, queue, dedupID string, body []byte) error
}

// Desk records requests and their lifecycle in the custody ledger and runs their clocks.
// Every action reads the request's events, checks the action against the state they give
// (Apply) and appends its event conditionally on the chain's last sequence; an action
// retried after a failure whose event was recorded returns that event and records nothing.
type Desk struct {
	Ledger custody.Ledger
	Signer custody.Signer
	Lister Lister
	// Queue receives the reminders; Home is the deployment's own agency, whose reminders go
	// to the queue HomeQueue, every other agency's to its counterpart queue.
	Queue Sender
	Home  string
	// Clock stamps events and decides what is due; time.Now when nil.
	Clock func() time.Time
	// Directory, when set, holds the agencies other than Home: a request's parties must be
	// Home or in it (the counterpart directory, until the directory of agencies replaces it).
	Directory pipeline.Directory
	// Registry, when set, is told of every request issued (then Lister is the registry's):
	// Issue adds the request's subject after its RequestIssued is recorded, and again on an
	// identical retry, so a crash in between is repaired by the retry or by Reconcile.
	Registry Registry
}

// Reconcile adds to reg every request subject from (a Lister over the ledger itself) that
// reg does not hold (a crash between an issue's event and its registration, or requests
// issued before the registry existed), and returns how many subjects it added or confirmed.
func Reconcile(ctx context.Context, from Lister, reg interface {
	Registry
	Lister
}) (int, error) {
	subjects, err := from.Subjects(ctx, custody.RequestSubjectPrefix)
	if err != nil {
		return 0, err
	}
	list, err := reg.Subjects(ctx, custody.RequestSubjectPrefix)
	if err != nil {
		return 0, err
	}
	held := map[string]bool{}
	for _, s := range list {
		held[s] = true
	}
	for i, s := range subjects {
		if held[s] {
			continue
		}
		if err := reg.AddSubject(ctx, s); err != nil {
			return i, fmt.Errorf("register %s: %w", s, err)
		}
	}
	return len(subjects), nil
}

// HomeQueue is the queue of reminders to the deployment's own agency.
const HomeQueue = "request-reminders"

// NotFoundError: no request has the id.
type NotFoundError struct{ ID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("request %s: no such request", e.ID) }

// ExistsError: a different request was issued under the id already.
type ExistsError struct{ ID string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("request %s: another request has this id already", e.ID)
}

func (d *Desk) now() time.Time {
	if d.Clock == nil {
		return time.Now().UTC()
	}
	return d.Clock().UTC()
}

// Actor is who performs an action: a person of an agency. System is set for evx's own
// scheduler.
type Actor struct {
	Agency, Person string
	System         string // an evx component ("scheduler"); Agency and Person empty then
}

func (a Actor) custody() custody.Actor {
	if a.System != "" {
		return custody.Actor{Kind: custody.ActorSystem, ID: a.System}
	}
	return custody.Actor{Kind: custody.ActorUser, ID: a.Agency + "/" + a.Person, Agency: a.Agency, Person: a.Person}
}

// Action is one lifecycle step to record.
type Action struct {
	Type      custody.EventType
	Grounds   []string      // refusal, suspension
	Deadline  string        // extension: which clock
	Extension time.Duration // extension: by how much
	Bundle    string        // answered: the bundle
}

// Issue records a new request (RequestIssued) and returns its state. Issuing again exactly
// the same request returns its state; another request under the same id is an *ExistsError.
func (d *Desk) Issue(ctx context.Context, r Request) (*State, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	if r.Enforcing == "" && r.NeedsNotification() {
		return nil, &InvalidError{ID: r.ID, Field: "enforcing", Reason: "an EPOC for traffic or content data of a person who does not reside in the issuing state is notified to the enforcing state's authority (Regulation (EU) 2023/1543 art. 8): name it"}
	}
	if d.Directory != nil {
		for field, id := range map[string]string{"issuer": r.Issuer, "addressee": r.Addressee, "enforcing": r.Enforcing} {
			if id == "" || id == d.Home {
				continue
			}
			cp, err := d.Directory.Counterpart(ctx, id)
			if errors.Is(err, pipeline.ErrNotFound) {
				return nil, &InvalidError{ID: r.ID, Field: field, Reason: fmt.Sprintf("agency %q is neither this deployment's (%s) nor in the directory", id, d.Home)}
			}
			if err != nil {
				return nil, fmt.Errorf("look up %s %q: %w", field, id, err)
			}
			order := r.Type == EPOC || r.Type == EPOCPR
			switch {
			case field == "addressee" && order && cp.ServiceProvider == "":
				return nil, &InvalidError{ID: r.ID, Field: field, Reason: fmt.Sprintf("an %s is addressed to a service provider's designated establishment or legal representative (Regulation (EU) 2023/1543 art. 7); %s is not one in the directory", r.Type, id)}
			case field == "addressee" && !order && cp.ServiceProvider != "":
				return nil, &InvalidError{ID: r.ID, Field: field, Reason: fmt.Sprintf("%s represents the service provider %s: it receives EPOCs and EPOC-PRs, not an %s", id, cp.ServiceProvider, r.Type)}
			case field != "addressee" && cp.ServiceProvider != "":
				return nil, &InvalidError{ID: r.ID, Field: field, Reason: fmt.Sprintf("%s represents a service provider and cannot be the %s", id, field)}
			}
		}
	}
	if r.Hit != "" {
		if err := d.checkHit(ctx, r); err != nil {
			return nil, err
		}
	}
	subject := custody.RequestSubject(r.ID)
	actor := Actor{Agency: r.Issuer, Person: r.IssuerPerson}
	for range maxAttempts {
		es, err := d.Ledger.Events(ctx, subject)
		if err != nil {
			return nil, fmt.Errorf("read request %s: %w", r.ID, err)
		}
		if len(es) > 0 {
			if l := es[0].Event.Details.LegalRequest; l == nil || *FromLegal(l).Legal() != *r.Legal() {
				return nil, &ExistsError{ID: r.ID}
			}
			if err := d.register(ctx, subject); err != nil {
				return nil, err
			}
			return FoldEntries(es)
		}
		e := custody.Event{BundleID: subject, Seq: 1, Type: custody.RequestIssued, Time: d.now(), Actor: actor.custody(),
			Details: custody.Details{LegalRequest: r.Legal()}}
		if _, err := issued(e); err != nil {
			return nil, err
		}
		err = d.append(ctx, &e)
		var ce *custody.ConflictError
		if errors.As(err, &ce) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := d.register(ctx, subject); err != nil {
			return nil, err
		}
		return d.State(ctx, r.ID)
	}
	return nil, fmt.Errorf("issue request %s: lost the race %d times", r.ID, maxAttempts)
}

func (d *Desk) register(ctx context.Context, subject string) error {
	if d.Registry == nil {
		return nil
	}
	if err := d.Registry.AddSubject(ctx, subject); err != nil {
		return fmt.Errorf("register %s: %w", subject, err)
	}
	return nil
}

const maxAttempts = 16

func (d *Desk) append(ctx context.Context, e *custody.Event) error {
	if err := custody.Seal(ctx, d.Signer, e); err != nil {
		return err
	}
	if _, err := d.Ledger.Append(ctx, *e); err != nil {
		return fmt.Errorf("record %s for %s: %w", e.Type, e.BundleID, err)
	}
	return nil
}

// State reads the request's events and folds them; an unknown id is a *NotFoundError.
func (d *Desk) State(ctx context.Context, id string) (*State, error) {
	_, s, err := d.read(ctx, id)
	return s, err
}

// Events returns the request's custody events.
func (d *Desk) Events(ctx context.Context, id string) ([]custody.Entry, error) {
	es, _, err := d.read(ctx, id)
	return es, err
}

func (d *Desk) read(ctx context.Context, id string) ([]custody.Entry, *State, error) {
	if !ValidID(id) {
		return nil, nil, &NotFoundError{ID: id}
	}
	es, err := d.Ledger.Events(ctx, custody.RequestSubject(id))
	if err != nil {
		return nil, nil, fmt.Errorf("read request %s: %w", id, err)
	}
	if len(es) == 0 {
		return nil, nil, &NotFoundError{ID: id}
	}
	s, err := FoldEntries(es)
	if err != nil {
		return nil, nil, err
	}
	return es, s, nil
}

// Act records action a on request id by actor and returns the new state. An action the state
// does not allow is a *TransitionError; the same action by the same actor already recorded as
// the request's last event is returned as is (a retry).
func (d *Desk) Act(ctx context.Context, id string, actor Actor, a Action) (*State, error) {
	if !slices.Contains(actionTypes, a.Type) {
		return nil, &InvalidError{ID: id, Field: "action", Reason: fmt.Sprintf("%s is not a request action", a.Type)}
	}
	for _, g := range a.Grounds {
		if len(g) > MaxField {
			return nil, &InvalidError{ID: id, Field: "grounds", Reason: fmt.Sprintf("longer than %d bytes", MaxField)}
		}
	}
	if len(a.Grounds) > 32 {
		return nil, &InvalidError{ID: id, Field: "grounds", Reason: "more than 32"}
	}
	// Each action records only what it concerns, so nothing else rides along into the log.
	switch {
	case a.Type != custody.RequestExtended && (a.Deadline != "" || a.Extension != 0):
		return nil, &InvalidError{ID: id, Field: "deadline", Reason: "only an extension names a deadline"}
	case a.Type != custody.RequestAnswered && a.Bundle != "":
		return nil, &InvalidError{ID: id, Field: "bundle", Reason: "only an answer names a bundle"}
	case len(a.Grounds) > 0 && !slices.Contains([]custody.EventType{custody.RequestRefused, custody.RequestSuspended,
		custody.RequestWithdrawn, custody.RequestPartlyFulfilled, custody.RequestExtended}, a.Type):
		return nil, &InvalidError{ID: id, Field: "grounds", Reason: "this action states no grounds"}
	case len(a.Deadline) > 64 || len(a.Bundle) > 128:
		return nil, &InvalidError{ID: id, Field: "deadline", Reason: "too long"}
	}
	l := &custody.LegalRequest{ID: id, Agency: actor.Agency, Person: actor.Person, Deadline: a.Deadline, Bundle: a.Bundle}
	if a.Extension != 0 {
		l.Extension = a.Extension.String()
	}
	s, _, err := d.record(ctx, id, actor, a.Type, l, a.Grounds)
	return s, err
}

// actionTypes are the events a party records through Act.
var actionTypes = []custody.EventType{custody.RequestReceived, custody.RequestNotified, custody.RequestAccepted,
	custody.RequestRefused, custody.RequestSuspended, custody.RequestResumed, custody.RequestExtended,
	custody.RequestConfirmed, custody.RequestAnswered, custody.RequestFulfilled, custody.RequestPartlyFulfilled,
	custody.RequestWithdrawn}

// record appends the event after checking it against the state; recorded is false when an
// identical last event made it a retry.
func (d *Desk) record(ctx context.Context, id string, actor Actor, typ custody.EventType, l *custody.LegalRequest, reasons []string) (*State, bool, error) {
	for range maxAttempts {
		es, s, err := d.read(ctx, id)
		if err != nil {
			return nil, false, err
		}
		last := es[len(es)-1].Event
		e := custody.Event{BundleID: custody.RequestSubject(id), Seq: last.Seq + 1, Prev: last.Hash, Type: typ,
			Time: d.now(), Actor: actor.custody(), Details: custody.Details{LegalRequest: l, Reasons: reasons}}
		if e.Time.Before(last.Time) {
			e.Time = last.Time
		}
		next := *s
		if err := next.Apply(e); err != nil {
			if same(last, e) {
				return s, false, nil
			}
			return nil, false, err
		}
		err = d.append(ctx, &e)
		var ce *custody.ConflictError
		if errors.As(err, &ce) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return &next, true, nil
	}
	return nil, false, fmt.Errorf("request %s: lost the race for the next event %d times", id, maxAttempts)
}

// same reports whether b repeats a: type, actor and details alike, time aside.
func same(a, b custody.Event) bool {
	if a.Type != b.Type || a.Actor != b.Actor || !slices.Equal(a.Details.Reasons, b.Details.Reasons) ||
		a.Details.LegalRequest == nil || b.Details.LegalRequest == nil {
		return false
	}
	return *a.Details.LegalRequest == *b.Details.LegalRequest
}

// Filter selects requests for List.
type Filter struct {
	// Agency, when set, keeps the requests it is a party to.
	Agency string
	// Overdue keeps requests with a duty past its due time (missed or not yet recorded).
	Overdue bool
	// DueWithin, when not zero, keeps requests with a running clock due within it from now.
	DueWithin time.Duration
	// Open keeps requests that are not refused, fulfilled or withdrawn.
	Open bool
}

// List returns the states of the requests f selects, in id order.
func (d *Desk) List(ctx context.Context, f Filter) ([]*State, error) {
	subjects, err := d.Lister.Subjects(ctx, custody.RequestSubjectPrefix)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	slices.Sort(subjects)
	now := d.now()
	var out []*State
	for _, sub := range subjects {
		s, err := d.State(ctx, strings.TrimPrefix(sub, custody.RequestSubjectPrefix))
		if err != nil {
			return nil, err
		}
		if f.Agency != "" && s.PartyOf(f.Agency) == "" {
			continue
		}
		if f.Open && !s.Status.Open() {
			continue
		}
		if f.Overdue && !s.Overdue(now) {
			continue
		}
		if f.DueWithin > 0 && !s.DueWithin(now, f.DueWithin) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// Overdue reports whether a duty of s is past its due time at now, unmet.
func (s *State) Overdue(now time.Time) bool {
	for _, d := range s.Deadlines {
		if d.Kind == Duty && (d.Status == ClockMissed || d.Status == ClockOpen && !now.Before(d.Due)) {
			return true
		}
	}
	return false
}

// DueWithin reports whether a running clock of s falls due between now and now+within.
func (s *State) DueWithin(now time.Time, within time.Duration) bool {
	for _, d := range s.Deadlines {
		if d.Status == ClockOpen && !d.Due.Before(now) && !d.Due.After(now.Add(within)) {
			return true
		}
	}
	return false
}

// Reminder is the message a reminder puts on a party's queue.
type Reminder struct {
	Type     string `json:"type"` // "request-reminder"
	Request  string `json:"request"`
	Kind     Type   `json:"request_type"`
	Deadline string `json:"deadline"`
	Stage    string `json:"stage"`
	Due      string `json:"due"`
	Rule     string `json:"rule"`
}

// SweepResult counts what a sweep recorded.
type SweepResult struct {
	Requests, Missed, Ended, Reminders int
}

// Sweep is the scheduled task of the clocks: for every open request it records DeadlineMissed
// for each duty past its due time, PeriodEnded for each period past its end, and sends the
// reminder of the latest stage due (ReminderStages) to the queue of the clock's owner,
// recording RequestReminder. Each is recorded once: a sweep run again, or resumed after a
// failure, records only what is still missing (a reminder is sent before its event is
// recorded, with a dedup id, so a retry sends it at most once more, and the queue drops it).
func (d *Desk) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	subjects, err := d.Lister.Subjects(ctx, custody.RequestSubjectPrefix)
	if err != nil {
		return res, fmt.Errorf("sweep requests: %w", err)
	}
	slices.Sort(subjects)
	var errs []error
	for _, sub := range subjects {
		id := strings.TrimPrefix(sub, custody.RequestSubjectPrefix)
		if err := d.sweepOne(ctx, id, &res); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		res.Requests++
	}
	return res, errors.Join(errs...)
}

var scheduler = Actor{System: "scheduler"}

func (d *Desk) sweepOne(ctx context.Context, id string, res *SweepResult) error {
	s, err := d.State(ctx, id)
	if err != nil {
		return err
	}
	now := d.now()
	for _, dl := range s.Deadlines {
		// A missed duty stays here for its overdue reminder, should a failure have come
		// between recording DeadlineMissed and sending it.
		if dl.Status != ClockOpen && dl.Status != ClockMissed {
			continue
		}
		due := dl.Due.Format(custody.TimeFormat)
		if dl.Status == ClockOpen && !now.Before(dl.Due) {
			typ := custody.DeadlineMissed
			if dl.Kind == Period {
				typ = custody.PeriodEnded
			}
			_, rec, err := d.record(ctx, id, scheduler, typ, &custody.LegalRequest{ID: id, Deadline: dl.Name, Due: due}, nil)
			if err != nil {
				return err
			}
			if rec && typ == custody.DeadlineMissed {
				res.Missed++
			} else if rec {
				res.Ended++
			}
			if dl.Kind == Period {
				continue // nothing to remind of once a period is over
			}
		}
		stage := ""
		for _, st := range ReminderStages {
			if st.Name == "overdue" && dl.Kind != Duty {
				continue
			}
			if at, ok := st.At(dl.Start, dl.Due); ok && !now.Before(at) {
				stage = st.Name
			}
		}
		if stage == "" || slices.Contains(dl.Reminders, stage) {
			continue
		}
		owner := map[Party]string{IssuerParty: s.Issuer, AddresseeParty: s.Addressee, EnforcingParty: s.Enforcing}[dl.Owner]
		if owner == "" {
			owner = s.Addressee
		}
		body, err := json.Marshal(Reminder{Type: "request-reminder", Request: id, Kind: s.Type, Deadline: dl.Name,
			Stage: stage, Due: due, Rule: dl.Citation})
		if err != nil {
			return err
		}
		queue := pipeline.QueueName(owner)
		if owner == d.Home {
			queue = HomeQueue
		}
		sum := sha256.Sum256([]byte("evx request reminder\x00" + id + "\x00" + dl.Name + "\x00" + stage + "\x00" + due))
		if err := d.Queue.Send(ctx, queue, hex.EncodeToString(sum[:]), body); err != nil {
			return fmt.Errorf("remind %s of request %s: %w", owner, id, err)
		}
		_, rec, err := d.record(ctx, id, scheduler, custody.RequestReminder,
			&custody.LegalRequest{ID: id, Deadline: dl.Name, Stage: stage, Due: due, Agency: owner}, nil)
		if err != nil {
			return err
		}
		if rec {
			res.Reminders++
		}
	}
	return nil
}

// HitWindow is how far back Issue looks for the hit a follow-up request names: the
// IdentifierMatched events of the addressee's matching subjects of the last 90 UTC days.
const HitWindow = 90

// checkHit makes sure the hit r follows up was recorded: an IdentifierMatched event on the
// addressee's matching subject of one of the last HitWindow days (pipeline.MatchSubject), with
// r's reference, for a query of r's issuer. Otherwise the request is refused naming the hit.
func (d *Desk) checkHit(ctx context.Context, r Request) error {
	day := d.now().Truncate(24 * time.Hour)
	for range HitWindow {
		es, err := d.Ledger.Events(ctx, pipeline.MatchSubject(r.Addressee, day))
		if err != nil {
			return fmt.Errorf("look up hit %s: %w", r.Hit, err)
		}
		for _, e := range es {
			if e.Event.Type == pipeline.IdentifierMatched && e.Event.Details.Reference == r.Hit && e.Event.Details.Counterpart == r.Issuer {
				return nil
			}
		}
		day = day.Add(-24 * time.Hour)
	}
	return &InvalidError{ID: r.ID, Field: "hit", Reason: fmt.Sprintf("no hit %s of a query by %s on identifiers %s holds in the last %d days (the reference a hit names, with the holding agency as the addressee)", r.Hit, r.Issuer, r.Addressee, HitWindow)}
}
