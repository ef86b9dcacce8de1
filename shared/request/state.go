package request

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// Status is where a request stands.
type Status string

const (
	Issued          Status = "issued"
	Received        Status = "received"
	Accepted        Status = "accepted"
	Refused         Status = "refused"
	Fulfilled       Status = "fulfilled"
	PartlyFulfilled Status = "partly-fulfilled"
	Withdrawn       Status = "withdrawn"
)

// Open reports whether the request can still move: not refused, fulfilled or withdrawn.
func (s Status) Open() bool { return s == Issued || s == Received || s == Accepted }

// Clock statuses.
const (
	ClockPending    = "pending"    // its start event has not happened
	ClockOpen       = "open"       // running
	ClockSuspended  = "suspended"  // stopped while the request is suspended
	ClockMet        = "met"        // met in time
	ClockLate       = "late"       // met after its due time
	ClockMissed     = "missed"     // due time passed unmet (DeadlineMissed recorded)
	ClockClosed     = "closed"     // ended unmet by a refusal or a withdrawal
	ClockEnded      = "ended"      // a period that ran out (PeriodEnded recorded) or ended early
	ClockContinuing = "continuing" // a preservation the issuing authority confirmed (no end)
)

// Deadline is one clock of a request as its events have moved it.
type Deadline struct {
	Rule
	Status string    `json:"status"`
	Start  time.Time `json:"start,omitzero"`
	// Due is when the clock runs out, extensions and suspensions included; zero while pending
	// or continuing. While suspended it is the due time as of the suspension.
	Due        time.Time     `json:"due,omitzero"`
	Done       time.Time     `json:"done,omitzero"` // when it was met, closed or ended
	Extended   time.Duration `json:"extended,omitempty"`
	Extensions int           `json:"extensions,omitempty"`
	Suspended  time.Duration `json:"suspended_for,omitempty"` // total time stopped
	// Reminders are the reminder stages sent.
	Reminders []string `json:"reminders,omitempty"`
}

// Running reports whether the clock is running (open, or suspended).
func (d *Deadline) Running() bool { return d.Status == ClockOpen || d.Status == ClockSuspended }

// State is a request as its events leave it.
type State struct {
	Request
	Status Status `json:"status"`
	// Suspended: the clocks that suspend are stopped since SuspendedAt.
	Suspended   bool      `json:"suspended,omitempty"`
	SuspendedAt time.Time `json:"suspended_at,omitzero"`
	// Grounds of the refusal, or of the last suspension.
	Grounds []string `json:"grounds,omitempty"`
	// RefusedBy is the party that refused (addressee or enforcing); an enforcing authority's
	// refusal restricts the data already delivered: Restricted.
	RefusedBy  Party      `json:"refused_by,omitempty"`
	Restricted bool       `json:"restricted,omitempty"`
	Notified   bool       `json:"notified,omitempty"`
	Confirmed  bool       `json:"confirmed,omitempty"`
	Bundles    []string   `json:"bundles,omitempty"`
	Deadlines  []Deadline `json:"deadlines"`
	IssuedAt   time.Time  `json:"issued_at"`
	Updated    time.Time  `json:"updated"`
	Events     int        `json:"events"`
}

// Deadline returns the clock named name, or nil.
func (s *State) Deadline(name string) *Deadline {
	for i := range s.Deadlines {
		if s.Deadlines[i].Name == name {
			return &s.Deadlines[i]
		}
	}
	return nil
}

// PartyOf says which party agency is in the request ("" for none). An agency that is both
// issuer and addressee (a request within one agency) is the issuer.
func (s *State) PartyOf(agency string) Party {
	switch agency {
	case "":
		return ""
	case s.Issuer:
		return IssuerParty
	case s.Addressee:
		return AddresseeParty
	case s.Enforcing:
		return EnforcingParty
	}
	if s.Type == JIT && slices.Contains(s.MemberList(), agency) {
		return MemberParty
	}
	return ""
}

// MemberList is a JIT's member agencies (Members, comma-separated), issuer and addressee
// aside.
func (s *State) MemberList() []string {
	var out []string
	for _, m := range strings.Split(s.Members, ",") {
		if m = strings.TrimSpace(m); m != "" && m != s.Issuer && m != s.Addressee {
			out = append(out, m)
		}
	}
	return out
}

// Parties are the request's agencies: issuer, addressee and, if any, enforcing authority.
func (s *State) Parties() []string {
	p := []string{s.Issuer, s.Addressee}
	if s.Enforcing != "" {
		p = append(p, s.Enforcing)
	}
	return append(p, s.MemberList()...)
}

// TransitionError: an event that cannot follow the request's events so far (a request
// accepted before it was received, a party acting for another). Fold returns it for a trail
// that is not a consistent request; Desk refuses the action with it.
type TransitionError struct {
	ID     string
	Event  custody.EventType
	Status Status
	Reason string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("request %s (%s): %s: %s", e.ID, e.Status, e.Event, e.Reason)
}

// Fold rebuilds a request's state from its events, in sequence order. The first must be
// RequestIssued; every later one must be allowed by the state before it (Apply).
func Fold(events []custody.Event) (*State, error) {
	if len(events) == 0 {
		return nil, &InvalidError{Reason: "no events"}
	}
	var s *State
	for i, e := range events {
		if i == 0 {
			var err error
			if s, err = issued(e); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.Apply(e); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// FoldEntries is Fold over ledger entries.
func FoldEntries(es []custody.Entry) (*State, error) {
	return Fold(custody.EntryEvents(es))
}

// FoldTrail is Fold over an exported trail: the request's state as a verifier rebuilds it.
func FoldTrail(t *custody.Trail) (*State, error) {
	return Fold(t.EventList())
}

// FromLegal is the Request a RequestIssued event's details describe.
func FromLegal(l *custody.LegalRequest) Request {
	return Request{ID: l.ID, Type: Type(l.Type), Issuer: l.Issuer, IssuerPerson: l.IssuerPerson,
		IssuingState: l.IssuingState, Addressee: l.Addressee, Enforcing: l.Enforcing, LegalBasis: l.LegalBasis,
		CaseReference: l.CaseReference, Urgency: l.Urgency, HandlingCode: l.HandlingCode,
		DataCategory: l.DataCategory, Residence: l.Residence, Subject: l.Subject, Members: l.Members, Due: l.Due, Hit: l.Hit}
}

// Legal is the LegalRequest a RequestIssued event records for r.
func (r Request) Legal() *custody.LegalRequest {
	return &custody.LegalRequest{ID: r.ID, Type: string(r.Type), Issuer: r.Issuer, IssuerPerson: r.IssuerPerson,
		IssuingState: r.IssuingState, Addressee: r.Addressee, Enforcing: r.Enforcing, LegalBasis: r.LegalBasis,
		CaseReference: r.CaseReference, Urgency: r.Urgency, HandlingCode: r.HandlingCode,
		DataCategory: r.DataCategory, Residence: r.Residence, Subject: r.Subject, Members: r.Members, Due: r.Due,
		Agency: r.Issuer, Person: r.IssuerPerson, Hit: r.Hit}
}

func issued(e custody.Event) (*State, error) {
	l := e.Details.LegalRequest
	if e.Type != custody.RequestIssued || l == nil {
		return nil, &TransitionError{Event: e.Type, Reason: "a request's first event must be RequestIssued"}
	}
	r := FromLegal(l)
	if err := r.Check(); err != nil {
		return nil, err
	}
	if e.BundleID != custody.RequestSubject(r.ID) {
		return nil, &TransitionError{ID: r.ID, Event: e.Type, Reason: fmt.Sprintf("recorded under %q, want %q", e.BundleID, custody.RequestSubject(r.ID))}
	}
	if l.Agency != r.Issuer {
		return nil, &TransitionError{ID: r.ID, Event: e.Type, Reason: fmt.Sprintf("issued by %q, not the issuing agency %q", l.Agency, r.Issuer)}
	}
	s := &State{Request: r, Status: Issued, IssuedAt: e.Time, Updated: e.Time, Events: 1}
	for _, rule := range Rules(r.Type, r.Urgency, false, r.Due != "") {
		s.Deadlines = append(s.Deadlines, Deadline{Rule: rule, Status: ClockPending})
	}
	s.startClocks(e)
	return s, nil
}

// Check refuses a request whose fields are missing or malformed, with an *InvalidError.
func (r Request) Check() error {
	bad := func(field, reason string) error { return &InvalidError{ID: r.ID, Field: field, Reason: reason} }
	if !ValidID(r.ID) {
		return bad("id", "want 1-100 of [A-Za-z0-9._-], the first a letter or a digit")
	}
	for name, v := range map[string]string{"issuer": r.Issuer, "issuer_person": r.IssuerPerson,
		"addressee": r.Addressee, "legal_basis": r.LegalBasis} {
		if v == "" {
			return bad(name, "required")
		}
	}
	for _, v := range r.Legal().Strings() {
		if len(v) > MaxField {
			return bad("", fmt.Sprintf("a field is longer than %d bytes", MaxField))
		}
	}
	if !r.Type.Valid() {
		return bad("type", fmt.Sprintf("%q: want one of %v", r.Type, Types))
	}
	if r.Addressee == r.Issuer {
		return bad("addressee", "the addressee is the issuing agency")
	}
	if r.Enforcing != "" && (r.Enforcing == r.Issuer || r.Enforcing == r.Addressee) {
		return bad("enforcing", "the enforcing authority must be another agency")
	}
	if r.Enforcing != "" && r.Type != EPOC {
		return bad("enforcing", "only an EPOC is notified to an enforcing authority (Regulation (EU) 2023/1543 art. 8)")
	}
	switch {
	case r.Urgency == Normal:
	case r.Urgency == Urgent && r.Type == EIO:
	case r.Urgency == Emergency && (r.Type == EPOC || r.Type == EPOCPR):
	default:
		return bad("urgency", fmt.Sprintf("%q is not an urgency of an %s (EIO: urgent; EPOC, EPOC-PR: emergency)", r.Urgency, r.Type))
	}
	if r.Type == EIO && r.Urgency == Urgent && r.Due == "" {
		return bad("due", "an urgent EIO states its shorter deadline (Directive 2014/41/EU art. 12(2))")
	}
	if r.Type == JIT && r.Due == "" {
		return bad("due", "a JIT agreement states the end of its period (Framework Decision 2002/465/JHA art. 1(1))")
	}
	if r.Due != "" {
		if _, err := time.Parse(custody.TimeFormat, r.Due); err != nil {
			return bad("due", "want UTC as "+custody.TimeFormat)
		}
	}
	if r.Hit != "" && !validHit(r.Hit) {
		return bad("hit", "want a match reference: evx-hit- and 20 lowercase hex digits")
	}
	if r.HandlingCode != "" && !slices.Contains(HandlingCodes, r.HandlingCode) {
		return bad("handling_code", "want one of H0-H3")
	}
	if r.DataCategory != "" && !slices.Contains(DataCategories, r.DataCategory) {
		return bad("data_category", fmt.Sprintf("want one of %v", DataCategories))
	}
	if (r.Type == EPOC || r.Type == EPOCPR) && r.DataCategory == "" {
		return bad("data_category", "an order names the category of data (Regulation (EU) 2023/1543 art. 3)")
	}
	return nil
}

// NeedsNotification reports whether an EPOC must be notified to the enforcing state's
// authority: it concerns traffic or content data and the person does not reside in the
// issuing state (Regulation (EU) 2023/1543 art. 8(1)).
func (r Request) NeedsNotification() bool {
	return r.Type == EPOC && (r.DataCategory == "traffic" || r.DataCategory == "content") &&
		r.Residence != "" && r.IssuingState != "" && r.Residence != r.IssuingState
}

// startClocks starts the pending clocks whose start event e is; a clock without a length
// runs to the due time the issuer stated (Request.Due).
func (s *State) startClocks(e custody.Event) {
	stated, _ := time.Parse(custody.TimeFormat, s.Due)
	for i := range s.Deadlines {
		d := &s.Deadlines[i]
		if d.Status != ClockPending || d.StartEvent != e.Type {
			continue
		}
		d.Status, d.Start = ClockOpen, e.Time
		if d.Length > 0 {
			d.Due = e.Time.Add(d.Length)
		} else {
			d.Due = stated
		}
	}
}

func (s *State) deny(e custody.Event, format string, a ...any) error {
	return &TransitionError{ID: s.ID, Event: e.Type, Status: s.Status, Reason: fmt.Sprintf(format, a...)}
}

// Apply moves s by e, or returns a *TransitionError (s unchanged) when e cannot follow.
func (s *State) Apply(e custody.Event) error {
	l := e.Details.LegalRequest
	if l == nil || l.ID != s.ID {
		return s.deny(e, "the event does not name this request")
	}
	if e.Time.Before(s.Updated) {
		return s.deny(e, "time %s is before the previous event's", e.Time.Format(custody.TimeFormat))
	}
	party := s.PartyOf(l.Agency)
	system := e.Actor.Kind == custody.ActorSystem
	want := func(ps ...Party) error {
		if slices.Contains(ps, party) {
			return nil
		}
		return s.deny(e, "agency %q is the %s, want the %v", l.Agency, orNone(party), ps)
	}
	open := func() error {
		if !s.Status.Open() {
			return s.deny(e, "the request is closed")
		}
		return nil
	}
	next := *s
	next.Deadlines = slices.Clone(s.Deadlines)
	for i := range next.Deadlines {
		next.Deadlines[i].Reminders = slices.Clone(s.Deadlines[i].Reminders)
	}
	next.Bundles = slices.Clone(s.Bundles)
	var err error
	switch e.Type {
	case custody.RequestReceived:
		if err = want(AddresseeParty); err == nil && s.Status != Issued {
			err = s.deny(e, "received twice")
		}
		next.Status = Received
	case custody.RequestNotified:
		switch {
		case s.Type != EPOC:
			err = s.deny(e, "only an EPOC is notified to an enforcing authority")
		case s.Enforcing == "":
			err = s.deny(e, "the EPOC names no enforcing authority")
		case s.Notified:
			err = s.deny(e, "notified twice")
		default:
			if err = want(IssuerParty); err == nil {
				err = open()
			}
		}
		next.Notified = true
		if err == nil {
			rules := Rules(s.Type, s.Urgency, true, s.Due != "")
			next.Deadlines = append(next.Deadlines, Deadline{Rule: rules[len(rules)-1], Status: ClockPending})
		}
	case custody.RequestAccepted:
		if err = want(AddresseeParty); err == nil && s.Status != Received {
			err = s.deny(e, "accept follows receipt, once")
		}
		next.Status = Accepted
	case custody.RequestRefused:
		if err = want(AddresseeParty, EnforcingParty); err == nil {
			err = open()
		}
		if err == nil && party == AddresseeParty && s.Status == Issued {
			err = s.deny(e, "refusal follows receipt")
		}
		if err == nil && party == EnforcingParty {
			w := s.Deadline("refusal-window")
			if w == nil || w.Status != ClockOpen || !e.Time.Before(w.Due) {
				err = s.deny(e, "the enforcing authority's window to refuse is not open")
			}
		}
		if err == nil && len(e.Details.Reasons) == 0 {
			err = s.deny(e, "a refusal states its grounds")
		}
		next.Status, next.Grounds, next.RefusedBy = Refused, e.Details.Reasons, party
		next.Restricted = party == EnforcingParty
	case custody.RequestSuspended:
		if err = want(AddresseeParty); err == nil {
			err = open()
		}
		if err == nil && (s.Suspended || s.Status == Issued) {
			err = s.deny(e, "suspend a received request that is not suspended")
		}
		if err == nil && len(e.Details.Reasons) == 0 {
			err = s.deny(e, "a suspension states its grounds")
		}
		next.Suspended, next.SuspendedAt, next.Grounds = true, e.Time, e.Details.Reasons
		for i := range next.Deadlines {
			if d := &next.Deadlines[i]; d.Suspends && d.Status == ClockOpen {
				d.Status = ClockSuspended
			}
		}
	case custody.RequestResumed:
		if err = want(AddresseeParty); err == nil && !s.Suspended {
			err = s.deny(e, "the request is not suspended")
		}
		stopped := e.Time.Sub(s.SuspendedAt)
		next.Suspended, next.SuspendedAt = false, time.Time{}
		for i := range next.Deadlines {
			if d := &next.Deadlines[i]; d.Status == ClockSuspended {
				d.Status, d.Due, d.Suspended = ClockOpen, d.Due.Add(stopped), d.Suspended+stopped
			}
		}
	case custody.RequestExtended:
		err = next.extend(e, party)
	case custody.RequestConfirmed:
		d := next.Deadline("preservation")
		if err = want(IssuerParty); err == nil && (d == nil || !d.Running()) {
			err = s.deny(e, "no preservation period is running")
		}
		if err == nil {
			next.Confirmed = true
			d.Status, d.Due = ClockContinuing, time.Time{}
		}
	case custody.RequestAnswered:
		if err = want(IssuerParty, AddresseeParty, EnforcingParty, MemberParty); err == nil && s.Status != Received && s.Status != Accepted {
			err = s.deny(e, "only a received or accepted request is answered")
		}
		if err == nil && (l.Bundle == "" || slices.Contains(s.Bundles, l.Bundle)) {
			err = s.deny(e, "bundle %q is empty or answers the request already", l.Bundle)
		}
		next.Bundles = append(next.Bundles, l.Bundle)
	case custody.RequestFulfilled, custody.RequestPartlyFulfilled:
		if err = want(AddresseeParty); err == nil && s.Status != Received && s.Status != Accepted {
			err = s.deny(e, "only a received or accepted request is fulfilled")
		}
		if err == nil && s.Type == EIO && s.Status != Accepted {
			err = s.deny(e, "an EIO is executed once recognised (accepted)")
		}
		next.Status = Fulfilled
		if e.Type == custody.RequestPartlyFulfilled {
			next.Status = PartlyFulfilled
		}
	case custody.RequestWithdrawn:
		if err = want(IssuerParty); err == nil {
			err = open()
		}
		next.Status = Withdrawn
	case custody.DeadlineMissed, custody.PeriodEnded:
		kind := Duty
		if e.Type == custody.PeriodEnded {
			kind = Period
		}
		d := next.Deadline(l.Deadline)
		switch {
		case !system:
			err = s.deny(e, "recorded by evx's scheduler only")
		case d == nil || d.Kind != kind || d.Status != ClockOpen:
			err = s.deny(e, "no running %s %q", kind, l.Deadline)
		case e.Time.Before(d.Due):
			err = s.deny(e, "%q is due %s, after the event", l.Deadline, d.Due.Format(custody.TimeFormat))
		case l.Due != d.Due.Format(custody.TimeFormat):
			err = s.deny(e, "due %s recorded, want %s", l.Due, d.Due.Format(custody.TimeFormat))
		default:
			if kind == Duty {
				d.Status = ClockMissed
			} else {
				d.Status, d.Done = ClockEnded, e.Time
			}
		}
	case custody.RequestReminder:
		d := next.Deadline(l.Deadline)
		switch {
		case !system:
			err = s.deny(e, "recorded by evx's scheduler only")
		case d == nil || l.Stage == "" || slices.Contains(d.Reminders, l.Stage):
			err = s.deny(e, "reminder %q of %q: unknown or sent already", l.Stage, l.Deadline)
		default:
			d.Reminders = append(d.Reminders, l.Stage)
		}
	default:
		err = s.deny(e, "not a request event")
	}
	if err != nil {
		return err
	}
	next.settle(e)
	next.startClocks(e)
	next.Updated = e.Time
	next.Events++
	*s = next
	return nil
}

func orNone(p Party) string {
	if p == "" {
		return "no party"
	}
	return string(p)
}

// settle meets, closes or ends the running clocks e concerns.
func (s *State) settle(e custody.Event) {
	for i := range s.Deadlines {
		d := &s.Deadlines[i]
		if !d.Running() && d.Status != ClockMissed {
			continue
		}
		switch {
		case slices.Contains(d.MetBy, e.Type):
			if e.Type == custody.RequestRefused && d.Name == "refusal-window" && s.RefusedBy != EnforcingParty {
				// The addressee's refusal closes the window rather than using it.
				d.Status, d.Done = ClockClosed, e.Time
				continue
			}
			switch {
			case d.Kind == Period:
				d.Status = ClockEnded
			case d.Status == ClockMissed || e.Time.After(d.Due):
				d.Status = ClockLate
			default:
				d.Status = ClockMet
			}
			d.Done = e.Time
		case slices.Contains(d.ClosedBy, e.Type) && d.Status != ClockMissed:
			d.Status, d.Done = ClockClosed, e.Time
		}
	}
}

func (s *State) extend(e custody.Event, party Party) error {
	l := e.Details.LegalRequest
	d := s.Deadline(l.Deadline)
	if d == nil || !d.Running() {
		return s.deny(e, "no running clock %q", l.Deadline)
	}
	if d.MaxExtension == 0 {
		return s.deny(e, "%q cannot be extended (%s)", d.Name, d.Citation)
	}
	by, err := time.ParseDuration(l.Extension)
	if err != nil || by <= 0 || by > d.MaxExtension {
		return s.deny(e, "extension %q: want a duration up to %s", l.Extension, d.MaxExtension)
	}
	if d.MaxExtensions >= 0 && d.Extensions >= d.MaxExtensions {
		return s.deny(e, "%q was extended %d times already, the most its rule allows", d.Name, d.Extensions)
	}
	switch d.ExtendedBy {
	case EitherParty:
		if party != IssuerParty && party != AddresseeParty {
			return s.deny(e, "agency %q is not a party", l.Agency)
		}
	default:
		if party != d.ExtendedBy {
			return s.deny(e, "%q is extended by the %s, not the %s", d.Name, d.ExtendedBy, orNone(party))
		}
	}
	if !s.Status.Open() {
		return s.deny(e, "the request is closed")
	}
	d.Due, d.Extended, d.Extensions = d.Due.Add(by), d.Extended+by, d.Extensions+1
	return nil
}

// validHit reports whether s has the form of a match reference (pipeline.Matcher's
// reference): "evx-hit-" and 20 lowercase hex digits.
func validHit(s string) bool {
	h, ok := strings.CutPrefix(s, "evx-hit-")
	if !ok || len(h) != 20 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
