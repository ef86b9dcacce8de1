package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/evx-project/evx/shared/custody"
)

func init() {
	commands = append(commands, command{
		name:    "verify",
		summary: "verify a custody trail offline: chain, signatures, log proofs, documents",
		run:     runVerify,
	})
}

const verifyUsage = `Usage: evx verify [--json] --key PUBKEY TRAIL.json [--documents DIR] [--checkpoint OLDER.txt]

Checks a bundle's exported custody trail with the public key alone: the hash chain of its
events, every signature, every inclusion proof against the signed checkpoint, and, when asked,
every document's SHA-256 and the consistency of the log with a checkpoint you kept earlier.

Exit codes: 0 valid; 1 invalid (the first failure is named, with expected and computed
values); 2 usage error or unreadable input.

Options:
`

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	asJSON := fs.Bool("json", false, "print the result as JSON")
	keyPath := fs.String("key", "", "trusted public key: PEM PKIX file (Ed25519 or ECDSA P-256)")
	docs := fs.String("documents", "", "folder with the bundle's documents, to check their SHA-256")
	older := fs.String("checkpoint", "", "an older signed checkpoint the log must be consistent with")
	// Flags may follow the trail file: parse again after each positional argument.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 || *keyPath == "" {
		fs.Usage()
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "evx verify: "+format+"\n", a...)
		return exitUsage
	}
	keyPEM, err := os.ReadFile(*keyPath)
	if err != nil {
		return fail("%v", err)
	}
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		return fail("%s: %v", *keyPath, err)
	}
	data, err := readLimited(pos[0], custody.MaxTrailBytes)
	if err != nil {
		return fail("%v", err)
	}
	if len(data) > 8<<20 && !*asJSON {
		fmt.Fprintf(stderr, "evx verify: checking %s (%d MiB)...\n", pos[0], len(data)>>20)
	}
	opt := custody.VerifyOptions{Documents: *docs}
	if *docs != "" {
		if st, err := os.Stat(*docs); err != nil || !st.IsDir() {
			return fail("--documents %s: not a readable folder", *docs)
		}
	}
	if *older != "" {
		if opt.Older, err = readLimited(*older, 1<<20); err != nil {
			return fail("%v", err)
		}
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
		if *docs != "" {
			fmt.Fprintf(stdout, "  %d documents match their recorded SHA-256\n", rep.DocumentsCheck)
		}
		if *older != "" {
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
// where it has them, the expected and computed values.
func describeFailure(err error) map[string]any {
	d := map[string]any{"message": err.Error()}
	set := func(typ string, kv ...any) {
		d["type"] = typ
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
	}
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
		set("FormatError")
	case errors.As(err, &be):
		set("BundleError", "position", be.Position, "want", be.Want, "got", be.Got)
	case errors.As(err, &bre):
		set("BreakError", "seq", bre.Seq, "want", bre.Want, "got", bre.Got)
	case errors.As(err, &se):
		set("SequenceError", "position", se.Position, "want", se.Want, "got", se.Got)
	case errors.As(err, &he):
		set("EventHashError", "seq", he.Seq, "want", he.Want, "got", he.Got)
	case errors.As(err, &sge):
		set("SignatureError", "seq", sge.Seq, "want", sge.WantKeyID, "got", sge.GotKeyID)
	case errors.As(err, &te):
		set("TimeOrderError", "seq", te.Seq, "want", "not before "+te.Previous, "got", te.Got)
	case errors.As(err, &ce):
		set("CheckpointError", "want", ce.Want, "got", ce.Got)
	case errors.As(err, &ie):
		set("InclusionError", "seq", ie.Seq, "leaf_index", ie.Leaf, "log_size", ie.Size, "want", hex.EncodeToString(ie.Want), "got", hex.EncodeToString(ie.Got))
	case errors.As(err, &de):
		set("DocumentHashError", "document", de.Name, "want", de.Want, "got", de.Got)
	case errors.As(err, &cse):
		set("ConsistencyError", "older_size", cse.OldSize, "size", cse.NewSize, "want", hex.EncodeToString(cse.Want), "got", hex.EncodeToString(cse.Got))
	default:
		set(strings.TrimPrefix(fmt.Sprintf("%T", err), "*"))
	}
	return d
}
