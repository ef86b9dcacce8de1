package request

import (
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// Kind says what passing a due time means.
type Kind string

const (
	// Duty: a party must act by the due time; passing it records DeadlineMissed.
	Duty Kind = "deadline"
	// Period: a time that runs out without anyone failing (a preservation period, the
	// enforcing authority's window to refuse, a JIT agreement); its end records PeriodEnded.
	Period Kind = "period"
)

// Party names a role in a request.
type Party string

const (
	IssuerParty    Party = "issuer"
	AddresseeParty Party = "addressee"
	EnforcingParty Party = "enforcing"
	EitherParty    Party = "issuer or addressee"
	// MemberParty: another member agency of a JIT agreement (Request.Members).
	MemberParty Party = "member"
)

// Rule is one legal clock: what starts it, how long it runs, what meets it, and the article
// that sets it.
type Rule struct {
	Name string `json:"name"` // recognition, execution, production, refusal-window, preservation, agreement, requested
	Kind Kind   `json:"kind"`
	// StartEvent is the event that starts the clock.
	StartEvent custody.EventType `json:"start_event"`
	// Length is how long it runs from Start; zero when the issuer states the due time
	// (Request.Due).
	Length time.Duration `json:"length,omitempty"`
	// MetBy are the events that meet a duty or end a period early.
	MetBy []custody.EventType `json:"met_by"`
	// ClosedBy are events that end the clock without meeting it (a refusal, a withdrawal).
	ClosedBy []custody.EventType `json:"closed_by,omitempty"`
	// MaxExtension bounds one extension, MaxExtensions their number; zero MaxExtension: no
	// extension; MaxExtensions -1: as many as the parties agree.
	MaxExtension  time.Duration `json:"max_extension,omitempty"`
	MaxExtensions int           `json:"max_extensions,omitempty"`
	ExtendedBy    Party         `json:"extended_by,omitempty"`
	// Owner is the party whose duty it is, or who is told of the period's end: reminders go
	// to its queue.
	Owner Party `json:"owner"`
	// Suspends: the clock stops while the request is suspended.
	Suspends bool `json:"suspends"`
	// Citation is the rule in words, with its article.
	Citation string `json:"rule"`
}

const day = 24 * time.Hour

// refusal and withdrawal end every clock; fulfilment ends the duties it does not meet.
var closers = []custody.EventType{custody.RequestRefused, custody.RequestWithdrawn}

// Rules returns the clocks of a request of type t with the given urgency; notified says an
// EPOC was notified to the enforcing authority (art. 8); stated says the issuer stated a due
// time (Request.Due), which an urgent EIO, an MLA's requested date and a JIT need.
func Rules(t Type, urgency string, notified, stated bool) []Rule {
	done := []custody.EventType{custody.RequestFulfilled, custody.RequestPartlyFulfilled}
	switch t {
	case EIO:
		rec := Rule{Name: "recognition", Kind: Duty, StartEvent: custody.RequestReceived, Length: 30 * day,
			MetBy: []custody.EventType{custody.RequestAccepted}, ClosedBy: closers,
			MaxExtension: 30 * day, MaxExtensions: 1, ExtendedBy: AddresseeParty, Owner: AddresseeParty, Suspends: true,
			Citation: "Directive 2014/41/EU art. 12(3): decision on recognition within 30 days of receipt; art. 12(5): postponed by at most 30 days"}
		if urgency == Urgent && stated {
			rec.Length = 0
			rec.Citation = "Directive 2014/41/EU art. 12(2): the shorter deadline the issuing authority stated for an urgent EIO; art. 12(5): postponed by at most 30 days"
		}
		return []Rule{rec, {Name: "execution", Kind: Duty, StartEvent: custody.RequestAccepted, Length: 90 * day,
			MetBy: done, ClosedBy: closers, MaxExtension: 365 * day, MaxExtensions: -1, ExtendedBy: AddresseeParty,
			Owner: AddresseeParty, Suspends: true,
			Citation: "Directive 2014/41/EU art. 12(4): investigative measure carried out within 90 days of the decision on recognition; art. 12(6): a later time agreed with the issuing authority"}}
	case EPOC:
		prod := Rule{Name: "production", Kind: Duty, StartEvent: custody.RequestReceived, Length: 10 * day,
			MetBy: append([]custody.EventType{custody.RequestAnswered}, done...), ClosedBy: closers,
			Owner: AddresseeParty, Suspends: true,
			Citation: "Regulation (EU) 2023/1543 art. 10(2): data transmitted at the latest within 10 days of receipt of the EPOC"}
		window := Rule{Name: "refusal-window", Kind: Period, StartEvent: custody.RequestNotified, Length: 10 * day,
			MetBy: []custody.EventType{custody.RequestRefused}, ClosedBy: []custody.EventType{custody.RequestWithdrawn},
			Owner:    EnforcingParty,
			Citation: "Regulation (EU) 2023/1543 arts. 10(2) and 12(1): the enforcing authority may raise grounds for refusal within 10 days of the notification"}
		if urgency == Emergency {
			prod.Length = 8 * time.Hour
			prod.Citation = "Regulation (EU) 2023/1543 art. 10(4): in an emergency, data transmitted without undue delay, at the latest within 8 hours of receipt"
			window.Length = 96 * time.Hour
			window.Citation = "Regulation (EU) 2023/1543 arts. 10(4) and 12(1): in an emergency the enforcing authority may raise grounds for refusal within 96 hours of the notification"
		}
		if notified {
			return []Rule{prod, window}
		}
		return []Rule{prod}
	case EPOCPR:
		return []Rule{{Name: "preservation", Kind: Period, StartEvent: custody.RequestReceived, Length: 60 * day,
			MetBy: nil, ClosedBy: []custody.EventType{custody.RequestWithdrawn},
			MaxExtension: 30 * day, MaxExtensions: 1, ExtendedBy: IssuerParty, Owner: AddresseeParty,
			Citation: "Regulation (EU) 2023/1543 art. 11(1): data preserved for 60 days, extended by 30 days where the issuing authority asks; preserved as long as necessary once the issuing authority confirms that a request for production followed"}}
	case JIT:
		if !stated {
			return nil
		}
		return []Rule{{Name: "agreement", Kind: Period, StartEvent: custody.RequestIssued,
			ClosedBy: []custody.EventType{custody.RequestWithdrawn}, MaxExtension: 5 * 365 * day, MaxExtensions: -1,
			ExtendedBy: EitherParty, Owner: AddresseeParty,
			Citation: "Council Framework Decision 2002/465/JHA art. 1(1): a team set up for a limited period stated in the agreement, which the parties may extend by mutual consent"}}
	case MLA:
		if !stated {
			return nil
		}
		return []Rule{{Name: "requested", Kind: Duty, StartEvent: custody.RequestIssued,
			MetBy: []custody.EventType{custody.RequestFulfilled, custody.RequestPartlyFulfilled}, ClosedBy: closers,
			MaxExtension: 365 * day, MaxExtensions: -1, ExtendedBy: EitherParty, Owner: AddresseeParty, Suspends: true,
			Citation: "the date the requesting authority asked for (European Convention on Mutual Assistance 1959 and UN Convention 1988 art. 7 set no time limit)"}}
	}
	return nil
}

// ReminderStage is when a reminder about a clock goes to its owner's queue.
type ReminderStage struct {
	Name string
	// At returns when the stage falls for a clock that started at start and is due at due;
	// ok is false when the stage does not apply to it.
	At func(start, due time.Time) (at time.Time, ok bool)
}

// ReminderStages is the documented reminder schedule (docs/requests.md): halfway through the
// clock; a day before it is due, for clocks longer than two days; and overdue, when a duty's
// due time passed unmet (sent with DeadlineMissed).
var ReminderStages = []ReminderStage{
	{"halfway", func(s, d time.Time) (time.Time, bool) { return s.Add(d.Sub(s) / 2), d.After(s) }},
	{"day-before", func(s, d time.Time) (time.Time, bool) { return d.Add(-day), d.Sub(s) > 2*day }},
	{"overdue", func(s, d time.Time) (time.Time, bool) { return d, true }},
}
