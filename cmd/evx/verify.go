package main

import (
	"crypto"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

func init() {
	commands = append(commands, command{
		name:    "verify",
		summary: "verify a custody trail offline: chain, signatures, log proofs, documents",
		run:     runVerify,
	})
}

const verifyUsage = `Usage: evx verify [--json] --key PUBKEY TRAIL.json [--documents DIR] [--checkpoint OLDER.txt] [--clock-tolerance 5m]

Checks a bundle's exported custody trail with the public key alone: the hash chain of its
events, every signature, every inclusion proof against the signed checkpoint, and, when asked,
every document's SHA-256 and the consistency of the log with a checkpoint you kept earlier.
No event may be dated after the export time the trail's checkpoint states, nor after this
computer's clock by more than --clock-tolerance.

Exit codes: 0 valid; 1 invalid (the first failure is named, with expected and computed
values); 2 usage error or unreadable input.

Options:
`

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", stderr, verifyUsage)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var in checkInputs
	in.register(fs)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || in.key == "" {
		if len(pos) == 1 {
			fmt.Fprintln(stderr, "evx verify: --key is required: the public key you trust to have signed the trail (evx trail --key-out writes evx's)")
		}
		fs.Usage()
		return exitUsage
	}
	pub, data, opt, err := in.load(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "evx verify:", err)
		return exitUsage
	}
	if len(data) > 8<<20 && !*asJSON {
		fmt.Fprintf(stderr, "evx verify: checking %s (%d MiB)...\n", pos[0], len(data)>>20)
	}
	rep, verr := custody.VerifyTrail(data, pub, opt)
	if *asJSON {
		out := map[string]any{"valid": verr == nil, "trail": pos[0]}
		if verr == nil {
			out["report"] = rep
		} else {
			out["failure"] = describeFailure(verr)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else if verr == nil {
		fmt.Fprintf(stdout, "valid: bundle %s, %d events, signed by %s\n", rep.BundleID, rep.Events, rep.KeyID)
		fmt.Fprintf(stdout, "  every event is in log %s of size %d, root %s\n", rep.Origin, rep.LogSize, rep.Root)
		if in.documents != "" {
			fmt.Fprintf(stdout, "  %d documents match their recorded SHA-256\n", rep.DocumentsCheck)
		}
		if in.checkpoint != "" {
			fmt.Fprintf(stdout, "  the log extends the older checkpoint of size %d: no history was rewritten\n", rep.OlderSize)
		}
	} else {
		fmt.Fprintf(stdout, "INVALID: %v\n", verr)
	}
	if verr != nil {
		return exitInvalid
	}
	return exitOK
}

// checkInputs are the inputs of an offline check of a trail, given by the same flags to
// verify and report: the trusted public key and, optionally, the bundle's documents and an
// older checkpoint.
type checkInputs struct {
	key, documents, checkpoint string
	tolerance                  time.Duration
}

func (in *checkInputs) register(fs *flag.FlagSet) {
	fs.StringVar(&in.key, "key", "", "trusted public key: PEM PKIX file (Ed25519 or ECDSA P-256)")
	fs.StringVar(&in.documents, "documents", "", "folder with the bundle's documents, to check their SHA-256")
	fs.StringVar(&in.checkpoint, "checkpoint", "", "an older signed checkpoint the log must be consistent with")
	fs.DurationVar(&in.tolerance, "clock-tolerance", custody.DefaultClockTolerance, "how far ahead of this computer's clock an event may be dated")
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
	return opt, nil
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
