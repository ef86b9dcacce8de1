package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

const verifyUsage = `Usage: evx verify [--json] --key PUBKEY TRAIL.json [--documents DIR] [--checkpoint OLDER.txt] [--agency-key ID=FILE]... [--witness VKEY... --quorum N] [--clock-tolerance 5m]

Checks a bundle's exported custody trail with the public key alone: the hash chain of its
events, every signature, every inclusion proof against the signed checkpoint, and, when asked,
every document's SHA-256 and the consistency of the log with a checkpoint you kept earlier.
Every party's seal the trail carries (the sender's on the bag, a counterpart's on its receipt)
is checked, with the agency key you pin with --agency-key, else with the agency's key history
the trail carries (its key changes in evx's log: a seal recorded after its key's revocation or
expiry fails), else with the key record the seal carries; each seal's key and validity window
are listed, and every event must agree with the sealed statement it carries (docs/seals.md).
No event may be dated after the export time the trail's checkpoint states, nor after this
computer's clock by more than --clock-tolerance.
The trail must hold every event of its bundle that its checkpoint commits to; with
--witness keys it must carry a checkpoint cosigned by --quorum of them, and is then stated
complete as of that checkpoint (docs/witnesses.md).

Exit codes: 0 verified; 1 invalid (the first failure is named, with expected and computed
values); 2 usage error, unreadable input, a file that is not a trail, or a trail that lacks
the consistency proof --checkpoint needs (export it with evx trail --checkpoint OLDER.txt).

Options:
`

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", stderr, verifyUsage)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var in checkInputs
	in.register(fs)
	var wi witnessInputs
	wi.register(fs)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) == 0:
		fmt.Fprintln(stderr, "evx verify: missing argument TRAIL.json: the trail file to check (evx trail --out writes one)")
		return exitUsage
	case len(pos) > 1:
		fmt.Fprintf(stderr, "evx verify: one TRAIL.json at a time; got %d arguments\n", len(pos))
		return exitUsage
	case in.key == "":
		fmt.Fprintln(stderr, "evx verify: --key is required: the public key you trust to have signed the trail (evx trail --key-out writes evx's)")
		return exitUsage
	}
	trailPath := pos[0]
	pub, data, opt, err := in.load(trailPath)
	if err == nil {
		err = wi.apply(&opt)
	}
	if err != nil {
		fmt.Fprintln(stderr, "evx verify:", err)
		return exitUsage
	}
	stopTicker := verifyTicker(stderr, *asJSON, trailPath, int64(len(data)))
	type result struct {
		rep *custody.Report
		err error
	}
	r, ok := interruptible(ctx, func() result {
		rep, err := custody.VerifyTrail(data, pub, opt)
		return result{rep, err}
	})
	stopTicker()
	if !ok {
		return exitInterrupted
	}
	rep, verr := r.rep, r.err
	var fe *custody.FormatError
	if errors.As(verr, &fe) && !looksLikeTrail(data) {
		fmt.Fprintf(stderr, "evx verify: %s is not a trail file: want the evx-custody-trail/1 JSON that evx trail exports\n", trailPath)
		return exitUsage
	}
	missing := missingConsistency(verr, data, opt.Older)
	out := map[string]any{"verified": verr == nil, "trail": trailPath}
	switch {
	case verr == nil:
		out["report"] = rep
	case missing != nil:
		missing.export = fmt.Sprintf("evx trail --checkpoint %s --out %s %s", in.checkpoint, trailPath, missing.bundle)
		out["failure"] = map[string]any{"type": "MissingConsistencyProof", "message": missing.message(in.checkpoint),
			"older_size": missing.olderSize, "size": missing.size, "export": missing.export}
	default:
		out["failure"] = describeFailure(verr)
	}
	if *asJSON {
		// "valid" is the key evx verify used before "verified" (the word trail and report
		// use): kept, with the same value, for scripts written against it.
		out["valid"] = verr == nil
		writeJSON(stdout, out)
	} else if verr == nil {
		if rep.Rotation == nil {
			fmt.Fprintf(stdout, "verified: bundle %s, %s, signed by %s\n", rep.BundleID, count(int64(rep.Events), "event"), rep.KeyID)
		} else {
			fmt.Fprintf(stdout, "verified: bundle %s, %s, signed by %d keys in turn (key rotations), trusted key %s\n", rep.BundleID, count(int64(rep.Events), "event"), len(rep.Rotation.Keys), rep.KeyID)
			printKeyChain(stdout, rep.Rotation.Keys)
		}
		fmt.Fprintf(stdout, "  every event is in log %s of size %d, root %s\n", rep.Origin, rep.LogSize, rep.Root)
		if in.documents != "" {
			fmt.Fprintf(stdout, "  %s match their recorded SHA-256\n", count(int64(rep.DocumentsCheck), "document"))
		}
		if in.checkpoint != "" {
			fmt.Fprintf(stdout, "  the log extends the older checkpoint of size %d: no history was rewritten\n", rep.OlderSize)
		}
		printSeals(stdout, rep.Seals)
		printCompleteness(stdout, rep)
	} else if missing != nil {
		fmt.Fprintf(stdout, "NOT CHECKED: %s\n  every other check passed; export the trail with the proof and verify again:\n    %s\n", missing.message(in.checkpoint), missing.export)
	} else {
		fmt.Fprintf(stdout, "INVALID: %v\n", verr)
	}
	switch {
	case verr == nil:
		return exitOK
	case missing != nil:
		return exitUsage
	}
	return exitInvalid
}

// noProof: the trail verified in every respect but the consistency with an older checkpoint,
// because it carries no proof from that checkpoint's size (it was exported without one).
type noProof struct {
	bundle          string
	olderSize, size uint64
	export          string
}

func (m *noProof) message(checkpoint string) string {
	return fmt.Sprintf("the trail carries no consistency proof from log size %d (the size of %s) to its own size %d, so its consistency with %s cannot be checked", m.olderSize, checkpoint, m.size, checkpoint)
}

// missingConsistency tells a consistency failure that is only a missing proof from one that
// shows rewritten history. Consistency is the last check, so a *ConsistencyError means
// everything else verified.
func missingConsistency(verr error, data, older []byte) *noProof {
	var ce *custody.ConsistencyError
	if !errors.As(verr, &ce) || ce.Err == nil || older == nil {
		return nil
	}
	t, err := custody.ParseTrail(data)
	if err != nil {
		return nil
	}
	oldOrigin, _, _ := strings.Cut(string(older), "\n")
	origin, _, _ := strings.Cut(t.Checkpoint, "\n")
	size, err := checkpointSize([]byte(t.Checkpoint))
	if err != nil || oldOrigin != origin || ce.OldSize == 0 || ce.OldSize >= size {
		return nil
	}
	if t.Consistency != nil && t.Consistency.FromSize == ce.OldSize {
		return nil // a proof is there, and it is wrong
	}
	return &noProof{bundle: t.BundleID, olderSize: ce.OldSize, size: size}
}

// looksLikeTrail reports whether data starts as a trail file does: a JSON object whose
// "format" member names evx-custody-trail. A damaged trail still does; a key, a PDF or any
// other JSON does not.
func looksLikeTrail(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for i := 0; i < 8 && dec.More(); i++ {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == "format" {
			var v string
			return dec.Decode(&v) == nil && strings.HasPrefix(v, "evx-custody-trail/")
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// verifyTicker shows, on a terminal, how long the verification of a big trail has run (the
// check itself reports no progress); elsewhere one plain line says it started. It returns
// the function that stops it.
func verifyTicker(w io.Writer, off bool, path string, size int64) func() {
	if off || size < 8<<20 {
		return func() {}
	}
	if !isTerminal(w) {
		fmt.Fprintf(w, "evx verify: checking %s (%s)...\n", path, humanBytes(size))
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case now := <-t.C:
				fmt.Fprintf(w, "\rverifying %s (%s): %s", path, humanBytes(size), humanDuration(now.Sub(start)))
			}
		}
	}()
	return func() { close(done); <-finished }
}

// checkInputs are the inputs of an offline check of a trail, given by the same flags to
// verify and report: the trusted public key and, optionally, the bundle's documents and an
// older checkpoint.
type checkInputs struct {
	key, documents, checkpoint string
	tolerance                  time.Duration
	agencyKeys                 repeated // ID=FILE
}

func (in *checkInputs) register(fs *flag.FlagSet) {
	fs.StringVar(&in.key, "key", "", "trusted public key: PEM PKIX file (Ed25519 or ECDSA P-256)")
	fs.StringVar(&in.documents, "documents", "", "folder with the bundle's documents, to check their SHA-256")
	fs.StringVar(&in.checkpoint, "checkpoint", "", "an older signed checkpoint the log must be consistent with")
	fs.DurationVar(&in.tolerance, "clock-tolerance", custody.DefaultClockTolerance, "how far ahead of this computer's clock an event may be dated")
	fs.Var(&in.agencyKeys, "agency-key", "pin an agency's seal key obtained from it: `ID=FILE` (PEM public key; repeatable); its seals must be made with it, and its acts sealed")
}

// load reads the trusted key, the trail file and the optional inputs. Its errors are
// unreadable input (exit 2).
func (in *checkInputs) load(trailPath string) (pub crypto.PublicKey, trail []byte, opt custody.VerifyOptions, err error) {
	keyPEM, err := os.ReadFile(in.key)
	if err != nil {
		return nil, nil, opt, err
	}
	if pub, err = custody.ParsePublicKeyPEM(keyPEM); err != nil {
		return nil, nil, opt, fmt.Errorf("%s: %w", in.key, err)
	}
	if trail, err = readLimited(trailPath, custody.MaxTrailBytes); err != nil {
		return nil, nil, opt, err
	}
	if opt, err = in.options(); err != nil {
		return nil, nil, opt, err
	}
	return pub, trail, opt, nil
}

// options reads the optional inputs, --documents and --checkpoint. Its errors are unreadable
// input (exit 2).
func (in *checkInputs) options() (opt custody.VerifyOptions, err error) {
	if in.tolerance <= 0 {
		return opt, fmt.Errorf("--clock-tolerance %s: want a positive duration such as 5m", in.tolerance)
	}
	opt.Now, opt.Tolerance = time.Now(), in.tolerance
	if in.documents != "" {
		if st, err := os.Stat(in.documents); err != nil || !st.IsDir() {
			return opt, fmt.Errorf("--documents %s: not a readable folder", in.documents)
		}
		opt.Documents = in.documents
	}
	if in.checkpoint != "" {
		if opt.Older, err = readLimited(in.checkpoint, 1<<20); err != nil {
			return opt, err
		}
	}
	for _, ak := range in.agencyKeys {
		id, file, ok := strings.Cut(ak, "=")
		if !ok || id == "" || file == "" {
			return opt, fmt.Errorf("--agency-key %q: want ID=FILE, e.g. nl-om=nl-om-seal.pem", ak)
		}
		b, err := readLimited(file, 1<<16)
		if err != nil {
			return opt, err
		}
		pub, err := custody.ParsePublicKeyPEM(b)
		if err != nil {
			return opt, fmt.Errorf("--agency-key %s: %w", ak, err)
		}
		if opt.AgencyKeys == nil {
			opt.AgencyKeys = map[string][]crypto.PublicKey{}
		}
		opt.AgencyKeys[id] = append(opt.AgencyKeys[id], pub)
	}
	return opt, nil
}

// printSeals says which parties' seals were checked, and with which key.
func printSeals(w io.Writer, seals []custody.SealCheck) {
	for _, s := range seals {
		what := "sender's seal"
		if s.Kind == "receipt" {
			what = "receipt sealed (" + s.Outcome + ")"
		}
		var src string
		switch s.KeySource {
		case "pinned":
			src = "with the agency's key you pinned (--agency-key)"
		case "log":
			src = "with the agency's key history the trail carries (its key changes in evx's log): only as trustworthy as evx's own log; pin the agency's key with --agency-key " + s.Agency + "=FILE"
		default:
			src = "with the key record the trail carries: only as trustworthy as evx's own log; pin the agency's key with --agency-key " + s.Agency + "=FILE"
		}
		fmt.Fprintf(w, "  event %d: %s by %s of %s, key %s (%s), recorded %s, verified %s\n", s.Seq, what, s.Person, s.Agency, s.KeyID, keyWindow(s), s.Time, src)
	}
}

// keyWindow says when the key of a checked seal could seal.
func keyWindow(s custody.SealCheck) string {
	from, until := "valid", ""
	if s.ValidFrom != "" {
		from = "valid from " + s.ValidFrom
	}
	switch {
	case s.ValidUntil != "" && s.Revoked:
		until = ", revoked " + s.ValidUntil + ", after this seal"
	case s.ValidUntil != "":
		until = " until " + s.ValidUntil
	case s.ValidFrom == "":
		until = ", unbounded"
	}
	return from + until
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s exceeds %d bytes", path, limit)
	}
	return data, nil
}

// describeFailure turns a verification error into JSON fields: its type, its message and,
// where it has them, the event, the expected and computed values and the further facts
// custody names (custody.FailureOf).
func describeFailure(err error) map[string]any {
	d := map[string]any{"message": err.Error()}
	f, ok := custody.FailureOf(err)
	if !ok {
		d["type"] = strings.TrimPrefix(fmt.Sprintf("%T", err), "*")
		return d
	}
	d["type"] = f.Kind
	if f.HasSeq {
		d["seq"] = f.Seq
	}
	if f.HasPosition {
		d["position"] = f.Position
	}
	if f.Want != nil || f.Got != nil {
		d["want"], d["got"] = f.Want, f.Got
	}
	for _, x := range f.Facts {
		d[x.Name] = x.Value
	}
	return d
}

// printKeyChain lists the keys of a trail that spans key rotations, oldest first, with the
// events each signed.
func printKeyChain(w io.Writer, keys []custody.KeyUse) {
	for i, k := range keys {
		signed := "signed no event of this trail"
		if k.Events > 0 {
			signed = fmt.Sprintf("signed %s, seq %d-%d", count(int64(k.Events), "event"), k.FirstSeq, k.LastSeq)
		}
		var when []string
		if k.Introduced != "" {
			when = append(when, "introduced "+k.Introduced)
		}
		if k.Retired != "" {
			when = append(when, "retired "+k.Retired)
		} else if i == len(keys)-1 {
			when = append(when, "current: signs the checkpoint")
		}
		fmt.Fprintf(w, "  key %d %s: %s (%s)\n", i+1, k.KeyID, signed, strings.Join(when, ", "))
	}
}
