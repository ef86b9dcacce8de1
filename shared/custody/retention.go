package custody

import "strings"

// Retention events, on a bundle's own chain (docs/trail-format.md: new types, no new member,
// rule 2 of the addition rule).
//
// RetentionSet: a preservation order forbids deleting the bundle's documents. Recorded by evx
// (actor system/retention) when a bundle answers a European Preservation Order (Regulation
// (EU) 2023/1543 art. 11) and each time the order's preservation period changes: extended,
// continued without an end once a production order followed, or ended. Details.Reference is
// the request id; Details.Deadline the end of the period (TimeFormat), empty while it
// continues without an end; Details.Reasons holds "state=running", "state=continuing" or
// "state=ended", then the rule that set the period.
//
// RetentionReviewed: at the bundle's review date, legal staff of the sending agency decide
// (Directive (EU) 2016/680 art. 5: time limits and periodic review). Details.Reasons holds
// "decision=extend" with Details.Deadline the next review date, or "decision=dispose"
// (disposal authorised), then the note, if any, as "note=...".
//
// DocumentsDisposed: evx deleted the bundle's stored documents after an authorised disposal,
// no preservation period forbidding it. Details.Documents are the documents deleted;
// Details.Reasons names each document kept because another bundle still holds the same bytes
// ("kept=SHA256 held by BUNDLE"). The trail, which holds only hashes, stays.
const (
	RetentionSet      EventType = "RetentionSet"
	RetentionReviewed EventType = "RetentionReviewed"
	DocumentsDisposed EventType = "DocumentsDisposed"
)

// Retention decisions (RetentionReviewed) and preservation states (RetentionSet).
const (
	DecisionExtend  = "extend"
	DecisionDispose = "dispose"

	PreservationRunning    = "running"
	PreservationContinuing = "continuing"
	PreservationEnded      = "ended"
)

// TaggedReason reads the value of the first reason "key=value" of d ("" when none).
func TaggedReason(d Details, key string) string {
	for _, r := range d.Reasons {
		if v, ok := strings.CutPrefix(r, key+"="); ok {
			return v
		}
	}
	return ""
}
