package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// requestExplanations say what each request lifecycle event records (Explain reads them too).
var requestExplanations = map[custody.EventType]string{
	custody.RequestIssued:          "Request: the issuing agency issued the request; its type, parties, legal basis and subject are listed.",
	custody.RequestReceived:        "Request: the addressee acknowledged receipt; most legal clocks start here.",
	custody.RequestNotified:        "Request: a copy of the order went to the enforcing state's authority (Regulation (EU) 2023/1543 art. 8); its window to raise grounds for refusal starts.",
	custody.RequestAccepted:        "Request: the addressee recognised the request and will execute it.",
	custody.RequestRefused:         "Request: the addressee or the enforcing authority refused the request; the grounds are listed.",
	custody.RequestSuspended:       "Request: the addressee stopped the request's deadlines; the grounds are listed.",
	custody.RequestResumed:         "Request: the addressee restarted the request's deadlines.",
	custody.RequestExtended:        "Request: a deadline of the request was extended; which and by how much are listed.",
	custody.RequestConfirmed:       "Request: the issuing authority confirmed that a production request followed the preservation order; preservation continues.",
	custody.RequestAnswered:        "Request: a bundle answering the request was accepted by evx; its id is listed.",
	custody.RequestFulfilled:       "Request: the addressee declared the request executed.",
	custody.RequestPartlyFulfilled: "Request: the addressee declared the request executed in part.",
	custody.RequestWithdrawn:       "Request: the issuing agency withdrew the request.",
	custody.DeadlineMissed:         "Request: evx's scheduler found a deadline of the request past, unmet; the deadline and its due time are listed.",
	custody.PeriodEnded:            "Request: a period of the request (preservation, a window to refuse, an agreement) ended.",
	custody.RequestReminder:        "Request: evx's scheduler sent a reminder about a deadline to the agency named.",
}

// requestBlock is the section on the request the bundle answers (Options.Request): its type
// and legal sources, parties, status, and every deadline with the rule that set it and
// whether it was met.
func (d *doc) requestBlock() {
	s := d.opt.Request
	if s == nil {
		return
	}
	d.heading("The request this bundle answers", 60)
	d.kv("Request", s.ID+" ("+string(s.Type)+"), "+string(s.Status), false)
	var src []string
	for _, x := range s.Type.Sources() {
		src = append(src, x.String())
	}
	d.kv("Legal source", strings.Join(src, "; "), false)
	d.kv("Legal basis stated", or(s.LegalBasis, notRecorded), false)
	d.kv("Issued by", fmt.Sprintf("%s (%s), %s", s.Issuer, s.IssuerPerson, formatTime(s.IssuedAt)), false)
	d.kv("Addressed to", s.Addressee, false)
	if s.Enforcing != "" {
		d.kv("Enforcing authority", fmt.Sprintf("%s (notified: %v)", s.Enforcing, s.Notified), false)
	}
	if s.Urgency != "" {
		d.kv("Urgency", s.Urgency, false)
	}
	if s.Status == request.Refused {
		d.kv("Refused", fmt.Sprintf("by the %s: %s", s.RefusedBy, strings.Join(s.Grounds, "; ")), false)
	}
	if s.Restricted {
		d.kv("Restriction", "the enforcing authority refused: the data already delivered is restricted, no further access", false)
	}
	d.kv("Answered by", or(strings.Join(s.Bundles, ", "), "no bundle yet"), true)
	for _, dl := range s.Deadlines {
		due := "no due time"
		if !dl.Due.IsZero() {
			due = "due " + formatTime(dl.Due)
		}
		verdict := dl.Status
		switch dl.Status {
		case request.ClockMet:
			verdict = "met on " + formatTime(dl.Done)
		case request.ClockLate:
			verdict = "met late, on " + formatTime(dl.Done)
		case request.ClockMissed:
			verdict = "MISSED (DeadlineMissed recorded)"
		}
		d.kv(strings.ToUpper(dl.Name[:1])+dl.Name[1:], fmt.Sprintf("%s, %s: %s. Rule: %s", dl.Kind, due, verdict, dl.Citation), false)
	}
	d.kv("Request state", "as its own custody trail gives it (request:"+s.ID+"), "+s.Updated.Format(time.RFC3339), false)
}
