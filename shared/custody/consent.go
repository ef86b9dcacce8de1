package custody

import "strings"

// Handling codes (EVX-Handling-Code), with the meaning Europol's SIENA gives them, and how
// evx enforces each:
//
//   - H0: for preventing and combating crime only. Every access to the bundle's documents
//     records the code (Details.Request.HandlingCode of ContentAccessTracking and LegalAccess).
//   - H1: not for judicial proceedings without the provider's permission. No court report of
//     the bundle until the sending agency records ConsentGranted with UseJudicial.
//   - H2: no further dissemination without permission. A document received under H2 is not
//     consigned to a third agency until the original sender records ConsentGranted with
//     UseDissemination naming that agency.
//   - H3: other restrictions, stated as free text (EVX-Handling-Restriction), printed on every
//     page of the court report.
const (
	HandlingH0 = "H0"
	HandlingH1 = "H1"
	HandlingH2 = "H2"
	HandlingH3 = "H3"
)

// Consent events, on a bundle's own chain (docs/trail-format.md: new types, no new member,
// rule 2 of the addition rule). Both are version 2 events naming the acting agency and person.
//
// ConsentRequested: an agency asks the bundle's sender for consent to a use the handling code
// restricts. Details.Counterpart is the agency asking; Details.Reasons holds "use=USE" and,
// for dissemination, "to=AGENCY".
//
// ConsentGranted: the sending agency (Actor.Agency is the agency of event 1's actor) grants
// it, with the same Details.
const (
	ConsentRequested EventType = "ConsentRequested"
	ConsentGranted   EventType = "ConsentGranted"
)

// Uses a consent is for.
const (
	UseJudicial      = "judicial"      // H1: the bundle in judicial proceedings (a court report)
	UseDissemination = "dissemination" // H2: the documents to a third agency ("to=AGENCY")
)

// ConsentReasons are the reasons of a consent event for use (and, for dissemination, the
// agency the documents go to).
func ConsentReasons(use, to string) []string {
	r := []string{"use=" + use}
	if to != "" {
		r = append(r, "to="+to)
	}
	return r
}

// ConsentOf reads the use and the agency of a consent event's reasons.
func ConsentOf(d Details) (use, to string) {
	for _, r := range d.Reasons {
		if v, ok := strings.CutPrefix(r, "use="); ok && use == "" {
			use = v
		} else if v, ok := strings.CutPrefix(r, "to="); ok && to == "" {
			to = v
		}
	}
	return use, to
}

// BundleHandlingCode is the handling code event 1 of a bundle's chain records ("" when none).
func BundleHandlingCode(events []Event) string {
	if len(events) == 0 || events[0].Details.Request == nil {
		return ""
	}
	return events[0].Details.Request.HandlingCode
}

// BundleRestriction is H3's restriction the bundle's chain records in event 1
// (details.request.handling_restriction), "" when none.
func BundleRestriction(events []Event) string {
	if len(events) == 0 || events[0].Details.Request == nil {
		return ""
	}
	return events[0].Details.Request.HandlingRestriction
}

// Sender is the agency of the actor of event 1 of a bundle's chain ("" when it names none).
func Sender(events []Event) string {
	if len(events) == 0 {
		return ""
	}
	return events[0].Actor.Agency
}

// Consented reports whether the chain records a ConsentGranted by the bundle's sending agency
// for use (and, with to set, to that agency; a grant naming no agency does not cover one).
// A bundle whose event 1 names no agency cannot have consent: nobody is its sender.
func Consented(events []Event, use, to string) bool {
	sender := Sender(events)
	if sender == "" {
		return false
	}
	for _, e := range events[1:] {
		if e.Type != ConsentGranted || e.Actor.Agency != sender {
			continue
		}
		u, t := ConsentOf(e.Details)
		if u == use && t == to {
			return true
		}
	}
	return false
}
