package report

import (
	"fmt"

	"github.com/evx-project/evx/shared/custody"
)

// ConsentRequiredError: the trail's bundle carries handling code H1 (not for judicial
// proceedings without the provider's permission) and no ConsentGranted of its sending agency
// for judicial use: no court report is written.
type ConsentRequiredError struct {
	BundleID string
	Sender   string
}

func (e *ConsentRequiredError) Error() string {
	return fmt.Sprintf("bundle %s has handling code H1: no court report until its sending agency %s grants consent to judicial use (evx consent request, then evx consent grant)", e.BundleID, or(e.Sender, "(unnamed)"))
}

// CourtUse returns a *ConsentRequiredError when t's bundle may not go into a court report:
// handling code H1 without the sending agency's recorded consent (custody.Consented,
// custody.UseJudicial). A trail that does not parse (nil) has nothing to refuse.
func CourtUse(t *custody.Trail) error {
	if t == nil || len(t.Events) == 0 {
		return nil
	}
	evs := t.EventList()
	if custody.BundleHandlingCode(evs) != custody.HandlingH1 || custody.Consented(evs, custody.UseJudicial, "") {
		return nil
	}
	return &ConsentRequiredError{BundleID: t.BundleID, Sender: custody.Sender(evs)}
}
