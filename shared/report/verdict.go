package report

import (
	"crypto"
	"fmt"

	"github.com/evx-project/evx/shared/custody"
)

// Verdict is the outcome of verifying a trail with a trusted public key.
type Verdict struct {
	Verified bool
	// TrustedKeyID is the key id of the public key the trail was checked with.
	TrustedKeyID string
	// Summary is custody's account of a successful verification (nil when it failed).
	Summary *custody.Report
	// Failure is the first failure (nil when verified).
	Failure *Failure
}

// Failure is a verification failure described for a person: what went wrong in plain
// words, and the expected and the computed value where the check compared two.
type Failure struct {
	Kind     string `json:"type"`               // the custody error type, e.g. "BreakError"
	Seq      uint64 `json:"seq,omitempty"`      // the event concerned, 0 when none
	Summary  string `json:"summary"`            // plain words
	Expected string `json:"expected,omitempty"` // what the trail or the trusted input states
	Computed string `json:"computed,omitempty"` // what the verifier computed
	Detail   string `json:"detail"`             // the error text as custody reports it
}

// Check verifies t with the trusted key pub (custody.Verify) and returns the verdict.
// Verification failures are part of the verdict, not an error; the error is non-nil only
// when pub is not a key custody can use.
func Check(t *custody.Trail, pub crypto.PublicKey, opt custody.VerifyOptions) (Verdict, error) {
	id, err := custody.KeyIDOf(pub)
	if err != nil {
		return Verdict{}, fmt.Errorf("trusted key: %w", err)
	}
	v := Verdict{TrustedKeyID: id}
	rep, err := custody.Verify(t, pub, opt)
	if err != nil {
		v.Failure = Describe(err)
		return v, nil
	}
	v.Verified, v.Summary = true, rep
	return v, nil
}

// Describe explains a verification error from custody in plain words; the kind, the event
// and the values compared are custody's (custody.FailureOf).
func Describe(err error) *Failure {
	f := &Failure{Kind: fmt.Sprintf("%T", err), Detail: err.Error()}
	cf, ok := custody.FailureOf(err)
	if !ok {
		f.Summary = "Verification failed: " + err.Error()
		return f
	}
	f.Kind, f.Seq = cf.Kind, cf.Seq
	want, got := text(cf.Want), text(cf.Got)
	f.Expected, f.Computed = orNone(want), orNone(got)
	switch cf.Kind {
	case "FormatError":
		f.Summary = "The trail file is not a well-formed evx custody trail, so nothing in it could be checked."
		f.Expected, f.Computed = "", ""
	case "BundleError":
		f.Summary = fmt.Sprintf("The event at position %d belongs to another bundle: events of different bundles were mixed.", cf.Position+1)
		f.Expected, f.Computed = "bundle "+want, "bundle "+got
	case "BreakError":
		f.Summary = fmt.Sprintf("The chain of events is broken at event %d: it does not point to the event before it, so an event was removed, inserted, reordered or altered.", cf.Seq)
	case "SequenceError":
		f.Summary = fmt.Sprintf("The event at position %d carries the wrong sequence number: events are missing or out of order.", cf.Position+1)
		f.Expected, f.Computed = "sequence "+want, "sequence "+got
	case "EventHashError":
		f.Summary = fmt.Sprintf("Event %d was altered after it was recorded: its content no longer matches its recorded fingerprint (hash).", cf.Seq)
	case "SignatureError":
		if want != got {
			f.Summary = fmt.Sprintf("Event %d is signed by a key other than the trusted one.", cf.Seq)
		} else {
			f.Summary = fmt.Sprintf("The signature of event %d does not verify with the trusted key: the event or its signature was altered.", cf.Seq)
			f.Expected, f.Computed = "a valid signature by "+want, "signature does not verify"
		}
	case "TimeOrderError":
		f.Summary = fmt.Sprintf("Event %d is dated before the event that precedes it.", cf.Seq)
	case "FutureEventError":
		if text(cf.Fact("bound")) == "clock" {
			f.Summary = fmt.Sprintf("Event %d is dated in the future: later than the checking computer's clock allows (tolerance %s).", cf.Seq, text(cf.Fact("tolerance")))
		} else {
			f.Summary = fmt.Sprintf("Event %d is dated after the trail was exported: a trail cannot hold an event from after its export, so the event's date is wrong or forged.", cf.Seq)
		}
	case "CheckpointError":
		f.Summary = "The log checkpoint is not signed by the trusted key (or is malformed), so the log state the trail claims cannot be trusted."
		f.Expected, f.Computed = "a checkpoint signed by the trusted key", text(cf.Fact("reason"))
	case "KeyRotationError":
		f.Summary = "The trail's key rotations do not form an unbroken chain of statements, each signed by the key before it, from the trusted key to the key that signs the log: " + text(cf.Fact("reason")) + "."
		f.Expected, f.Computed = "", ""
	case "InclusionError":
		f.Summary = fmt.Sprintf("Event %d cannot be proven to be in the signed log: its inclusion proof leads to another root hash.", cf.Seq)
	case "DocumentHashError":
		f.Summary = fmt.Sprintf("The document %s differs from the one recorded: its SHA-256 does not match.", text(cf.Fact("document")))
		f.Expected = want
	case "ConsistencyError":
		f.Summary = fmt.Sprintf("The log of size %v does not extend the older checkpoint of size %v: history was rewritten, or the proof is missing.", cf.Fact("size"), cf.Fact("older_size"))
	case "SealError":
		f.Summary = fmt.Sprintf("The seal of agency %s on event %d does not hold: %s. That agency's own act cannot be proven.", text(cf.Fact("agency")), cf.Seq, text(cf.Fact("reason")))
	case "KeyValidityError":
		f.Summary = fmt.Sprintf("Event %d carries a seal of agency %s made with key %s when that key could no longer seal (%s): the seal is not valid.", cf.Seq, text(cf.Fact("agency")), text(cf.Fact("key_id")), want)
	case "SealMismatchError":
		f.Summary = fmt.Sprintf("Event %d does not agree with the statement the party sealed: its %s differs. The event was rewritten after the party sealed its act (by someone holding evx's key).", cf.Seq, text(cf.Fact("field")))
		f.Expected = want
	case "VersionError":
		f.Summary = fmt.Sprintf("Event %d is written in a version of the trail format this program does not know (%s): use a newer evx to check it.", cf.Seq, got)
	case "TruncatedError":
		f.Summary = fmt.Sprintf("The trail is incomplete: the %v (log size %v) shows that the bundle's history goes on to event %s, but the trail ends at event %s. Events were removed from its end.", cf.Fact("checkpoint"), cf.Fact("log_size"), want, got)
		f.Expected, f.Computed = "events up to "+want, "trail ends at "+got
	case "HeadError":
		f.Summary = fmt.Sprintf("The %v's record of the bundle's last event does not match the trail: %v.", cf.Fact("checkpoint"), cf.Fact("reason"))
	case "QuorumError":
		f.Summary = fmt.Sprintf("Too few of the trusted witnesses cosigned the log checkpoint: %s asked, %s found.", want, got)
		f.Expected, f.Computed = want+" cosignatures", got+" cosignatures"
	default:
		f.Summary = "Verification failed: " + err.Error()
	}
	return f
}

// text is a value of a custody.Failure as text, "" for nil.
func text(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// CheckFile parses a trail file and verifies it with pub. A file that is not a well-formed
// trail is a failed verification, not an error: the verdict's Failure says so and the trail
// is nil (PDF and JSONLD accept a nil trail). The error is non-nil only when pub is not a
// key custody can use.
func CheckFile(raw []byte, pub crypto.PublicKey, opt custody.VerifyOptions) (*custody.Trail, Verdict, error) {
	id, err := custody.KeyIDOf(pub)
	if err != nil {
		return nil, Verdict{}, fmt.Errorf("trusted key: %w", err)
	}
	t, err := custody.ParseTrail(raw)
	if err != nil {
		return nil, Verdict{TrustedKeyID: id, Failure: Describe(err)}, nil
	}
	v, err := Check(t, pub, opt)
	return t, v, err
}
