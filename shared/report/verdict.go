package report

import (
	"crypto"
	"fmt"
	"strconv"

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
	// err is custody's error behind Failure, kept so that a report in another language can
	// describe it again (DescribeIn).
	err error
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
		v.Failure, v.err = Describe(err), err
		return v, nil
	}
	v.Verified, v.Summary = true, rep
	return v, nil
}

// Describe explains a verification error from custody in plain words, in English; the kind,
// the event and the values compared are custody's (custody.FailureOf).
func Describe(err error) *Failure { return DescribeIn(err, English) }

// DescribeIn is Describe in language l.
func DescribeIn(err error, l Lang) *Failure {
	f := &Failure{Kind: fmt.Sprintf("%T", err), Detail: err.Error()}
	cf, ok := custody.FailureOf(err)
	if !ok {
		f.Summary = l.tr("f.generic", err.Error())
		return f
	}
	f.Kind, f.Seq = cf.Kind, cf.Seq
	want, got := text(cf.Want), text(cf.Got)
	f.Expected, f.Computed = orNone(want, l), orNone(got, l)
	switch cf.Kind {
	case "FormatError":
		f.Summary = l.tr("f.format")
		f.Expected, f.Computed = "", ""
	case "BundleError":
		f.Summary = l.tr("f.bundle", cf.Position+1)
		f.Expected, f.Computed = l.tr("f.bundle.val", want), l.tr("f.bundle.val", got)
	case "BreakError":
		f.Summary = l.tr("f.break", cf.Seq)
	case "SequenceError":
		f.Summary = l.tr("f.sequence", cf.Position+1)
		f.Expected, f.Computed = l.tr("f.sequence.val", want), l.tr("f.sequence.val", got)
	case "EventHashError":
		f.Summary = l.tr("f.eventhash", cf.Seq)
	case "SignatureError":
		if want != got {
			f.Summary = l.tr("f.sig.otherkey", cf.Seq)
		} else {
			f.Summary = l.tr("f.sig.bad", cf.Seq)
			f.Expected, f.Computed = l.tr("f.sig.want", want), l.tr("f.sig.got")
		}
	case "TimeOrderError":
		f.Summary = l.tr("f.timeorder", cf.Seq)
	case "FutureEventError":
		if text(cf.Fact("bound")) == "clock" {
			f.Summary = l.tr("f.future.clock", cf.Seq, text(cf.Fact("tolerance")))
		} else {
			f.Summary = l.tr("f.future.export", cf.Seq)
		}
	case "CheckpointError":
		f.Summary = l.tr("f.checkpoint")
		f.Expected, f.Computed = l.tr("f.checkpoint.want"), text(cf.Fact("reason"))
	case "KeyRotationError":
		f.Summary = l.tr("f.rotation", text(cf.Fact("reason")))
		f.Expected, f.Computed = "", ""
	case "InclusionError":
		f.Summary = l.tr("f.inclusion", cf.Seq)
	case "DocumentHashError":
		f.Summary = l.tr("f.dochash", text(cf.Fact("document")))
		f.Expected = want
	case "DocumentManifestError":
		switch r := text(cf.Fact("reason")); r {
		case "missing", "hash", "size", "count":
			f.Summary = l.tr("f.manifest."+r, cf.Seq)
		default:
			f.Summary = l.tr("f.manifest.malformed", cf.Seq)
			f.Expected, f.Computed = "", ""
		}
		if r := text(cf.Fact("reason")); r == "missing" {
			f.Expected, f.Computed = text(cf.Fact("manifest")), l.tr("none")
		}
	case "ConsistencyError":
		f.Summary = l.tr("f.consistency", cf.Fact("size"), cf.Fact("older_size"))
	case "SealError":
		f.Summary = l.tr("f.seal", text(cf.Fact("agency")), cf.Seq, text(cf.Fact("reason")))
	case "KeyHistoryError":
		f.Summary = l.tr("f.keyhistory", text(cf.Fact("agency")), cf.Seq, text(cf.Fact("reason")))
		f.Expected, f.Computed = "", ""
	case "KeyValidityError":
		f.Summary = l.tr("f.keyvalidity", cf.Seq, text(cf.Fact("agency")), text(cf.Fact("key_id")), want)
	case "SealMismatchError":
		f.Summary = l.tr("f.sealmismatch", cf.Seq, text(cf.Fact("field")))
		f.Expected = want
	case "VersionError":
		f.Summary = l.tr("f.version", cf.Seq, got)
	case "TruncatedError":
		f.Summary = l.tr("f.truncated", checkpointName(cf.Fact("checkpoint"), l), cf.Fact("log_size"), want, got)
		f.Expected, f.Computed = l.tr("f.truncated.want", want), l.tr("f.truncated.got", got)
	case "HeadError":
		f.Summary = l.tr("f.head", checkpointName(cf.Fact("checkpoint"), l), cf.Fact("reason"))
	case "QuorumError":
		f.Summary = l.tr("f.quorum", want, got)
		f.Expected, f.Computed = l.trn("f.quorum.val", count(want), want), l.trn("f.quorum.val", count(got), got)
	default:
		f.Summary = l.tr("f.generic", err.Error())
	}
	return f
}

// checkpointName names the checkpoint a completeness failure concerns ("trail checkpoint" or
// "witnessed checkpoint", as custody states it) in language l; anything else as it is.
func checkpointName(v any, l Lang) string {
	switch at := text(v); at {
	case "trail checkpoint":
		return l.tr("cp.trail")
	case "witnessed checkpoint":
		return l.tr("cp.witnessed")
	default:
		return at
	}
}

// text is a value of a custody.Failure as text, "" for nil.
func text(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func orNone(s string, l Lang) string {
	if s == "" {
		return l.tr("none")
	}
	return s
}

// In returns v with its failure described in language l (DescribeIn); a verdict made by
// Check or CheckFile keeps custody's error for that.
func (v Verdict) In(l Lang) Verdict {
	if v.err != nil {
		v.Failure = DescribeIn(v.err, l)
	}
	return v
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
		return nil, Verdict{TrustedKeyID: id, Failure: Describe(err), err: err}, nil
	}
	v, err := Check(t, pub, opt)
	return t, v, err
}

// count is the number a fact's text gives, 0 when it gives none.
func count(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
