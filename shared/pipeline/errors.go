package pipeline

import (
	"fmt"
	"strings"

	"github.com/evx-project/evx/shared/custody"
)

// DeliveryNotFoundError: the counterpart has no delivery of that id. It is also what another
// counterpart's delivery looks like, so that no caller learns that it exists. Wraps ErrNotFound.
type DeliveryNotFoundError struct {
	Counterpart string
	Delivery    string
}

func (e *DeliveryNotFoundError) Error() string {
	return fmt.Sprintf("counterpart %s has no delivery %s", e.Counterpart, e.Delivery)
}

func (e *DeliveryNotFoundError) Unwrap() error { return ErrNotFound }

// DocumentNotFoundError: the delivery holds no document of that name. Wraps ErrNotFound.
type DocumentNotFoundError struct {
	Delivery string
	Name     string
}

func (e *DocumentNotFoundError) Error() string {
	return fmt.Sprintf("delivery %s has no document %q", e.Delivery, e.Name)
}

func (e *DocumentNotFoundError) Unwrap() error { return ErrNotFound }

// BundleNotFoundError: no custody event exists for the bundle (or no accepted bundle where one
// was needed). Wraps ErrNotFound.
type BundleNotFoundError struct {
	BundleID string
	Reason   string
}

func (e *BundleNotFoundError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("bundle %s: %s", e.BundleID, e.Reason)
	}
	return fmt.Sprintf("bundle %s has no custody trail", e.BundleID)
}

func (e *BundleNotFoundError) Unwrap() error { return ErrNotFound }

// ReceiptConflictError: the delivery already has its outcome (a receipt or an expiry); a
// second receipt records nothing.
type ReceiptConflictError struct {
	Delivery string
	Recorded custody.EventType // the outcome already recorded
}

func (e *ReceiptConflictError) Error() string {
	return fmt.Sprintf("delivery %s already has its outcome (%s); a second receipt is not recorded", e.Delivery, e.Recorded)
}

// NoReceiptError: the delivery has no receipt to serve: none was posted yet, or it expired
// (Recorded is then AcceptanceRejectionExpiry).
type NoReceiptError struct {
	Delivery string
	Recorded custody.EventType
}

func (e *NoReceiptError) Error() string {
	if e.Recorded != "" {
		return fmt.Sprintf("delivery %s has no receipt: its outcome is %s", e.Delivery, e.Recorded)
	}
	return fmt.Sprintf("delivery %s has no receipt yet: post one to /v1/deliveries/%s/receipt", e.Delivery, e.Delivery)
}
func (e *NoReceiptError) Unwrap() error { return ErrNotFound }

// HashMismatch is one document whose hash the counterpart reported differs from the record.
type HashMismatch struct {
	Name string `json:"name"`
	Want string `json:"want"` // recorded at ingest
	Got  string `json:"got"`  // computed by the counterpart; "" when it reported none
}

func (m HashMismatch) String() string {
	if m.Got == "" {
		return fmt.Sprintf("%s: no sha256 reported, recorded %s", m.Name, m.Want)
	}
	return fmt.Sprintf("%s: counterpart computed sha256 %s, recorded %s", m.Name, m.Got, m.Want)
}

// ReceiptMismatchError: a counterpart accepted a delivery but the hashes it computed differ
// from the recorded ones; nothing is recorded. It should reject the delivery instead.
type ReceiptMismatchError struct {
	Delivery   string
	Mismatches []HashMismatch
}

func (e *ReceiptMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "delivery %s cannot be accepted: %d document hash(es) differ from the record", e.Delivery, len(e.Mismatches))
	for i, m := range e.Mismatches {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Mismatches)-5)
			break
		}
		b.WriteString("; ")
		b.WriteString(m.String())
	}
	return b.String()
}

// InvalidReceiptError: a receipt that cannot be recorded as posted.
type InvalidReceiptError struct {
	Reason string
}

func (e *InvalidReceiptError) Error() string { return "invalid receipt: " + e.Reason }

// RestrictedError: the bundle answers a request whose data may no longer be accessed (an
// enforcing authority refused the order after the data was delivered). The refusal is on the
// request's trail; no document is served.
type RestrictedError struct {
	BundleID, Request, Reason string
}

func (e *RestrictedError) Error() string {
	return fmt.Sprintf("bundle %s answers request %s, whose data is restricted: %s", e.BundleID, e.Request, e.Reason)
}
