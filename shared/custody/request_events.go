package custody

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Request lifecycle events. A request (MLA, EIO, EPOC, EPOC-PR, JIT; package request) is a
// custody subject like a bundle: its events form a chain of their own, under the subject id
// RequestSubject(id), signed and logged like every other event. Each carries
// Details.LegalRequest; grounds (refusal, suspension) are in Details.Reasons.
const (
	// RequestIssued: the issuing agency issued the request; LegalRequest holds all its fields.
	RequestIssued EventType = "RequestIssued"
	// RequestReceived: the addressee acknowledged receipt. Most legal clocks start here.
	RequestReceived EventType = "RequestReceived"
	// RequestNotified: a copy went to the enforcing state's authority (Regulation (EU)
	// 2023/1543 art. 8); its window to raise grounds for refusal starts.
	RequestNotified EventType = "RequestNotified"
	// RequestAccepted: the addressee recognised the request (decided to execute it).
	RequestAccepted EventType = "RequestAccepted"
	// RequestRefused: the addressee, or the enforcing authority, refused; Reasons are the grounds.
	RequestRefused EventType = "RequestRefused"
	// RequestSuspended and RequestResumed stop and restart the request's deadlines.
	RequestSuspended EventType = "RequestSuspended"
	RequestResumed   EventType = "RequestResumed"
	// RequestExtended: LegalRequest.Deadline was extended by LegalRequest.Extension.
	RequestExtended EventType = "RequestExtended"
	// RequestConfirmed: for a preservation order, the issuing authority confirmed that a
	// production request followed; preservation continues (Regulation (EU) 2023/1543 art. 11).
	RequestConfirmed EventType = "RequestConfirmed"
	// RequestAnswered: bundle LegalRequest.Bundle answers the request.
	RequestAnswered EventType = "RequestAnswered"
	// RequestFulfilled and RequestPartlyFulfilled: the addressee declared the request executed.
	RequestFulfilled       EventType = "RequestFulfilled"
	RequestPartlyFulfilled EventType = "RequestPartlyFulfilled"
	// RequestWithdrawn: the issuing agency withdrew the request.
	RequestWithdrawn EventType = "RequestWithdrawn"
	// DeadlineMissed: LegalRequest.Deadline passed (at LegalRequest.Due) without the event
	// that meets it.
	DeadlineMissed EventType = "DeadlineMissed"
	// PeriodEnded: a period that is not anyone's duty (a preservation period, the enforcing
	// authority's window, a JIT agreement) ended at LegalRequest.Due.
	PeriodEnded EventType = "PeriodEnded"
	// RequestReminder: a reminder (LegalRequest.Stage) about LegalRequest.Deadline went to
	// the addressee's queue.
	RequestReminder EventType = "RequestReminder"
)

// RequestEventTypes lists the request lifecycle events; EventTypes includes them.
var RequestEventTypes = []EventType{
	RequestIssued, RequestReceived, RequestNotified, RequestAccepted, RequestRefused,
	RequestSuspended, RequestResumed, RequestExtended, RequestConfirmed, RequestAnswered,
	RequestFulfilled, RequestPartlyFulfilled, RequestWithdrawn, DeadlineMissed, PeriodEnded,
	RequestReminder,
}

// RequestSubjectPrefix starts the subject id of every request's chain, so that a request id
// never names a bundle.
const RequestSubjectPrefix = "request:"

// RequestSubject is the subject id (Event.BundleID) of the chain of request id.
func RequestSubject(id string) string { return RequestSubjectPrefix + id }

// LegalRequest is what a request lifecycle event records. Only strings: every JSON reader
// agrees on their canonical form. Fields not set are omitted. RequestIssued sets the request's
// own fields (Type to Subject); later events set ID, the acting party and what they concern.
type LegalRequest struct {
	ID            string `json:"id"`
	Type          string `json:"type,omitempty"`           // MLA, EIO, EPOC, EPOC-PR, JIT
	Issuer        string `json:"issuer,omitempty"`         // issuing agency
	IssuerPerson  string `json:"issuer_person,omitempty"`  // the person of the issuing agency
	IssuingState  string `json:"issuing_state,omitempty"`  // ISO 3166-1 alpha-2
	Addressee     string `json:"addressee,omitempty"`      // executing authority or service provider
	Enforcing     string `json:"enforcing,omitempty"`      // enforcing authority notified (EPOC art. 8)
	LegalBasis    string `json:"legal_basis,omitempty"`    // instrument and article
	CaseReference string `json:"case_reference,omitempty"` // the issuing agency's case
	Urgency       string `json:"urgency,omitempty"`        // "", "urgent" (EIO), "emergency" (EPOC)
	HandlingCode  string `json:"handling_code,omitempty"`  // H0-H3
	DataCategory  string `json:"data_category,omitempty"`  // EPOC: subscriber, ip, traffic, content
	Residence     string `json:"residence,omitempty"`      // EPOC: the person's state of residence
	Subject       string `json:"subject,omitempty"`        // free text
	Members       string `json:"members,omitempty"`        // JIT: member agencies, comma-separated
	// Due is a time (TimeFormat) the issuer states (an urgent EIO's shorter deadline, an MLA's
	// requested date, the end of a JIT agreement), or, on DeadlineMissed, PeriodEnded and
	// RequestReminder, the due time concerned.
	Due string `json:"due,omitempty"`
	// Agency and Person are who acted: a party's agency and one of its people. On
	// RequestReminder, Agency is the agency reminded.
	Agency    string `json:"agency,omitempty"`
	Person    string `json:"person,omitempty"`
	Deadline  string `json:"deadline,omitempty"`  // the deadline concerned, by name
	Extension string `json:"extension,omitempty"` // on RequestExtended: a Go duration, e.g. "720h0m0s"
	Bundle    string `json:"bundle,omitempty"`    // on RequestAnswered
	Stage     string `json:"stage,omitempty"`     // on RequestReminder: halfway, day-before, overdue
	// Hit, on RequestIssued, is the match reference (evx-hit-...) of the identifier hit the
	// request follows up: the addressee held the identifier the issuer asked about.
	Hit string `json:"hit,omitempty"`
}

// Strings returns every field of r, for checks that apply to all.
func (r *LegalRequest) Strings() []string {
	return []string{r.ID, r.Type, r.Issuer, r.IssuerPerson, r.IssuingState, r.Addressee, r.Enforcing,
		r.LegalBasis, r.CaseReference, r.Urgency, r.HandlingCode, r.DataCategory, r.Residence,
		r.Subject, r.Members, r.Due, r.Agency, r.Person, r.Deadline, r.Extension, r.Bundle, r.Stage, r.Hit}
}

// appendLegalRequest appends the RFC 8785 form of r. Its members are strings only, so
// encoding/json's output, canonicalized, is the canonical form; checkFields has made sure
// every string is valid UTF-8 (encoding/json would replace invalid bytes silently).
func appendLegalRequest(b []byte, r *LegalRequest) ([]byte, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	c, err := Canonicalize(raw)
	if err != nil {
		return nil, fmt.Errorf("canonical legal_request: %w", err)
	}
	return append(b, c...), nil
}

// checkLegalRequest refuses a LegalRequest whose strings are not valid UTF-8.
func checkLegalRequest(r *LegalRequest) error {
	if r == nil {
		return nil
	}
	for _, s := range r.Strings() {
		if !utf8.ValidString(s) {
			return fmt.Errorf("legal_request %q holds a string that is not valid UTF-8", r.ID)
		}
	}
	return nil
}
