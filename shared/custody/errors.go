package custody

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Verification failures. Each names the event (by its sequence) or the document it concerns
// and carries both sides: Want is what the trail or the trusted input states, Got what the
// verifier computed from the data in hand.

// FormatError: the trail is not a well-formed evx trail (bad JSON, unknown fields, trailing
// data, a malformed field, a limit exceeded).
type FormatError struct {
	Err error
}

func (e *FormatError) Error() string { return "trail format: " + e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }

// BundleError: an event of another bundle sits in the trail.
type BundleError struct {
	Position  int // 0-based position in the trail
	Want, Got string
}

func (e *BundleError) Error() string {
	return fmt.Sprintf("event at position %d belongs to bundle %q, want %q", e.Position, e.Got, e.Want)
}

// BreakError: the chain is broken at Seq: its prev field (Got) is not the hash of the event
// before it in the trail (Want). Dropped, reordered and duplicated events end up here.
type BreakError struct {
	Seq       uint64
	Want, Got string
}

func (e *BreakError) Error() string {
	return fmt.Sprintf("chain broken at seq %d: prev is %s, want %s (hash of the preceding event)", e.Seq, orNone(e.Got), orNone(e.Want))
}

// SequenceError: the event at Position carries sequence Got, want Want.
type SequenceError struct {
	Position  int
	Want, Got uint64
}

func (e *SequenceError) Error() string {
	return fmt.Sprintf("event at position %d has seq %d, want %d", e.Position, e.Got, e.Want)
}

// EventHashError: the event's content does not hash to its stated hash. Want is the stated
// hash, Got the hash of the content.
type EventHashError struct {
	Seq       uint64
	Want, Got string
}

func (e *EventHashError) Error() string {
	return fmt.Sprintf("event seq %d: content hashes to %s, event states %s", e.Seq, e.Got, orNone(e.Want))
}

// SignatureError: the event at Seq is not signed by the trusted key: either it names another
// key (WantKeyID is the trusted key's id, GotKeyID the event's) or its signature does not verify.
type SignatureError struct {
	Seq                 uint64
	WantKeyID, GotKeyID string
	Err                 error
}

func (e *SignatureError) Error() string {
	if e.WantKeyID != e.GotKeyID {
		return fmt.Sprintf("event seq %d is signed by key %s, want key %s (the trusted key, or the key of its rotation chain that signs at that place in the log)", e.Seq, orNone(e.GotKeyID), e.WantKeyID)
	}
	return fmt.Sprintf("event seq %d: signature by key %s: %v", e.Seq, e.WantKeyID, e.Err)
}
func (e *SignatureError) Unwrap() error { return e.Err }

// TimeOrderError: the event at Seq is stamped before its predecessor.
type TimeOrderError struct {
	Seq      uint64
	Previous string // time of the preceding event
	Got      string // time of this event
}

func (e *TimeOrderError) Error() string {
	return fmt.Sprintf("event seq %d is stamped %s, before its predecessor's %s", e.Seq, e.Got, e.Previous)
}

// FutureEventError: the event at Seq is stamped after a time it cannot follow: the time the
// trail was exported (Bound "export"), or the verifier's clock plus the tolerance it stated
// (Bound "clock"; Tolerance says how much). A trail holds only what had happened when it was
// exported, so an event dated later was stamped wrongly or forged by the signer.
type FutureEventError struct {
	Seq       uint64
	Bound     string        // "export" or "clock"
	Limit     string        // the latest time allowed: the export time, or the clock plus Tolerance
	Got       string        // time of the event
	Tolerance time.Duration // for Bound "clock"
}

func (e *FutureEventError) Error() string {
	if e.Bound == "clock" {
		return fmt.Sprintf("event seq %d is stamped %s, later than this computer's clock allows (%s, with a tolerance of %s): it lies in the future", e.Seq, e.Got, e.Limit, e.Tolerance)
	}
	return fmt.Sprintf("event seq %d is stamped %s, after the trail was exported (%s): a trail cannot hold an event from after its export", e.Seq, e.Got, e.Limit)
}

// CheckpointError: the checkpoint is not a checkpoint signed by the trusted key. Want names
// the trusted key as a note key ("<origin>+<key hash>"), Got the keys whose signatures the
// note carries.
type CheckpointError struct {
	Reason    string
	Want, Got string
	Err       error
}

func (e *CheckpointError) Error() string {
	msg := "checkpoint: " + e.Reason
	if e.Want != "" {
		msg += fmt.Sprintf(": want a valid signature by %s, note is signed by %s", e.Want, orNone(e.Got))
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}
func (e *CheckpointError) Unwrap() error { return e.Err }

// InclusionError: the event's inclusion proof does not lead to the checkpoint's root. Want is
// the checkpoint root, Got the root computed from the event hash and the proof.
type InclusionError struct {
	Seq       uint64
	Leaf      uint64
	Size      uint64
	Want, Got []byte
	Err       error
}

func (e *InclusionError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("event seq %d (leaf %d) not proven in the log of size %d: %v", e.Seq, e.Leaf, e.Size, e.Err)
	}
	return fmt.Sprintf("event seq %d (leaf %d): inclusion proof gives root %x, checkpoint (size %d) has %x", e.Seq, e.Leaf, e.Got, e.Size, e.Want)
}
func (e *InclusionError) Unwrap() error { return e.Err }

// DocumentHashError: a document's SHA-256 differs from the one the trail records (Got is
// empty and Err set when the file could not be read).
type DocumentHashError struct {
	Name      string // name in the trail
	Path      string // file checked
	Want, Got string
	Err       error
}

func (e *DocumentHashError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("document %s: %v (want sha256 %s)", e.Name, e.Err, e.Want)
	}
	return fmt.Sprintf("document %s (%s): sha256 %s, trail records %s", e.Name, e.Path, e.Got, e.Want)
}
func (e *DocumentHashError) Unwrap() error { return e.Err }

// ConsistencyError: the log of the trail's checkpoint is not an extension of the older
// checkpoint's log: history was rewritten, or the proof is missing or wrong. Want is the older
// checkpoint's root; Got, when a proof was checked, the root the proof yields for OldSize.
type ConsistencyError struct {
	OldSize, NewSize uint64
	Want, Got        []byte
	Err              error
}

func (e *ConsistencyError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("log of size %d is not consistent with the older checkpoint of size %d (root %x): %v", e.NewSize, e.OldSize, e.Want, e.Err)
	}
	return fmt.Sprintf("log of size %d rewrites history: at size %d its root is %x, older checkpoint has %x", e.NewSize, e.OldSize, e.Got, e.Want)
}
func (e *ConsistencyError) Unwrap() error { return e.Err }

// Failure is a verification error taken apart, for reports and machine-readable output:
// which check failed, the event it concerns and both sides of the comparison.
type Failure struct {
	// Kind names the check by the error's type: "BreakError", "InclusionError", ...
	Kind string
	// Seq is the sequence number of the event concerned; HasSeq says whether there is one.
	Seq    uint64
	HasSeq bool
	// Position is the 0-based position in the trail of the event concerned; HasPosition says
	// whether there is one.
	Position    int
	HasPosition bool
	// Want is what the trail or the trusted input states, Got what the verifier computed, as
	// the error holds them: a string (hashes and roots in hex, "" when the error has none) or,
	// for sequence numbers, a uint64. Both are nil when the check compares no two values.
	Want, Got any
	// Facts are further values the check involved, in a fixed order for each Kind:
	// "reason" (CheckpointError), "leaf_index" and "log_size" (InclusionError), "document"
	// (DocumentHashError), "older_size" and "size" (ConsistencyError).
	Facts []Fact
}

// Fact is one named value of a Failure.
type Fact struct {
	Name  string
	Value any
}

// Fact returns the value of the fact called name, nil when f has none.
func (f Failure) Fact(name string) any {
	for _, x := range f.Facts {
		if x.Name == name {
			return x.Value
		}
	}
	return nil
}

// VerifyError is implemented by every typed verification error of this package.
type VerifyError interface {
	error
	Failure() Failure
}

// FailureOf describes the verification error err is or wraps; ok is false when err is nil
// or no verification error of this package.
func FailureOf(err error) (f Failure, ok bool) {
	var ve VerifyError
	if !errors.As(err, &ve) {
		return Failure{}, false
	}
	return ve.Failure(), true
}

func (e *FormatError) Failure() Failure { return Failure{Kind: "FormatError"} }

func (e *BundleError) Failure() Failure {
	return Failure{Kind: "BundleError", Position: e.Position, HasPosition: true, Want: e.Want, Got: e.Got}
}

func (e *BreakError) Failure() Failure {
	return Failure{Kind: "BreakError", Seq: e.Seq, HasSeq: true, Want: e.Want, Got: e.Got}
}

func (e *SequenceError) Failure() Failure {
	return Failure{Kind: "SequenceError", Position: e.Position, HasPosition: true, Want: e.Want, Got: e.Got}
}

func (e *EventHashError) Failure() Failure {
	return Failure{Kind: "EventHashError", Seq: e.Seq, HasSeq: true, Want: e.Want, Got: e.Got}
}

// Failure of a SignatureError compares key ids: equal ids mean the signature by the trusted
// key does not verify.
func (e *SignatureError) Failure() Failure {
	return Failure{Kind: "SignatureError", Seq: e.Seq, HasSeq: true, Want: e.WantKeyID, Got: e.GotKeyID}
}

func (e *TimeOrderError) Failure() Failure {
	return Failure{Kind: "TimeOrderError", Seq: e.Seq, HasSeq: true, Want: "not before " + e.Previous, Got: e.Got}
}

func (e *FutureEventError) Failure() Failure {
	f := Failure{Kind: "FutureEventError", Seq: e.Seq, HasSeq: true, Want: "not after " + e.Limit, Got: e.Got,
		Facts: []Fact{{"bound", e.Bound}}}
	if e.Bound == "clock" {
		f.Facts = append(f.Facts, Fact{"tolerance", e.Tolerance.String()})
	}
	return f
}

func (e *CheckpointError) Failure() Failure {
	return Failure{Kind: "CheckpointError", Want: e.Want, Got: e.Got, Facts: []Fact{{"reason", e.Reason}}}
}

func (e *InclusionError) Failure() Failure {
	return Failure{Kind: "InclusionError", Seq: e.Seq, HasSeq: true,
		Want: hex.EncodeToString(e.Want), Got: hex.EncodeToString(e.Got),
		Facts: []Fact{{"leaf_index", e.Leaf}, {"log_size", e.Size}}}
}

func (e *DocumentHashError) Failure() Failure {
	return Failure{Kind: "DocumentHashError", Want: e.Want, Got: e.Got, Facts: []Fact{{"document", e.Name}}}
}

func (e *ConsistencyError) Failure() Failure {
	return Failure{Kind: "ConsistencyError",
		Want: hex.EncodeToString(e.Want), Got: hex.EncodeToString(e.Got),
		Facts: []Fact{{"older_size", e.OldSize}, {"size", e.NewSize}}}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
