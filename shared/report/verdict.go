package report

import (
	"crypto"
	"encoding/hex"
	"errors"
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

// Describe explains a verification error from custody in plain words.
func Describe(err error) *Failure {
	f := &Failure{Kind: fmt.Sprintf("%T", err), Detail: err.Error()}
	var (
		fe  *custody.FormatError
		be  *custody.BundleError
		bre *custody.BreakError
		se  *custody.SequenceError
		he  *custody.EventHashError
		sge *custody.SignatureError
		te  *custody.TimeOrderError
		ce  *custody.CheckpointError
		ie  *custody.InclusionError
		de  *custody.DocumentHashError
		cse *custody.ConsistencyError
	)
	switch {
	case errors.As(err, &fe):
		f.Kind = "FormatError"
		f.Summary = "The trail file is not a well-formed evx custody trail, so nothing in it could be checked."
	case errors.As(err, &be):
		f.Kind = "BundleError"
		f.Summary = fmt.Sprintf("The event at position %d belongs to another bundle: events of different bundles were mixed.", be.Position+1)
		f.Expected, f.Computed = "bundle "+be.Want, "bundle "+be.Got
	case errors.As(err, &bre):
		f.Kind, f.Seq = "BreakError", bre.Seq
		f.Summary = fmt.Sprintf("The chain of events is broken at event %d: it does not point to the event before it, so an event was removed, inserted, reordered or altered.", bre.Seq)
		f.Expected, f.Computed = orNone(bre.Want), orNone(bre.Got)
	case errors.As(err, &se):
		f.Kind = "SequenceError"
		f.Summary = fmt.Sprintf("The event at position %d carries the wrong sequence number: events are missing or out of order.", se.Position+1)
		f.Expected, f.Computed = fmt.Sprintf("sequence %d", se.Want), fmt.Sprintf("sequence %d", se.Got)
	case errors.As(err, &he):
		f.Kind, f.Seq = "EventHashError", he.Seq
		f.Summary = fmt.Sprintf("Event %d was altered after it was recorded: its content no longer matches its recorded fingerprint (hash).", he.Seq)
		f.Expected, f.Computed = orNone(he.Want), he.Got
	case errors.As(err, &sge):
		f.Kind, f.Seq = "SignatureError", sge.Seq
		if sge.WantKeyID != sge.GotKeyID {
			f.Summary = fmt.Sprintf("Event %d is signed by a key other than the trusted one.", sge.Seq)
			f.Expected, f.Computed = sge.WantKeyID, orNone(sge.GotKeyID)
		} else {
			f.Summary = fmt.Sprintf("The signature of event %d does not verify with the trusted key: the event or its signature was altered.", sge.Seq)
			f.Expected, f.Computed = "a valid signature by "+sge.WantKeyID, "signature does not verify"
		}
	case errors.As(err, &te):
		f.Kind, f.Seq = "TimeOrderError", te.Seq
		f.Summary = fmt.Sprintf("Event %d is dated before the event that precedes it.", te.Seq)
		f.Expected, f.Computed = "not before "+te.Previous, te.Got
	case errors.As(err, &ce):
		f.Kind = "CheckpointError"
		f.Summary = "The log checkpoint is not signed by the trusted key (or is malformed), so the log state the trail claims cannot be trusted."
		f.Expected, f.Computed = "a checkpoint signed by the trusted key", ce.Reason
	case errors.As(err, &ie):
		f.Kind, f.Seq = "InclusionError", ie.Seq
		f.Summary = fmt.Sprintf("Event %d cannot be proven to be in the signed log: its inclusion proof leads to another root hash.", ie.Seq)
		f.Expected, f.Computed = hexOrNone(ie.Want), hexOrNone(ie.Got)
	case errors.As(err, &de):
		f.Kind = "DocumentHashError"
		f.Summary = fmt.Sprintf("The document %s differs from the one recorded: its SHA-256 does not match.", de.Name)
		f.Expected, f.Computed = de.Want, orNone(de.Got)
	case errors.As(err, &cse):
		f.Kind = "ConsistencyError"
		f.Summary = fmt.Sprintf("The log of size %d does not extend the older checkpoint of size %d: history was rewritten, or the proof is missing.", cse.NewSize, cse.OldSize)
		f.Expected, f.Computed = hexOrNone(cse.Want), hexOrNone(cse.Got)
	default:
		f.Summary = "Verification failed: " + err.Error()
	}
	return f
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func hexOrNone(b []byte) string {
	if len(b) == 0 {
		return "(none)"
	}
	return hex.EncodeToString(b)
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
