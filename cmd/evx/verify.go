package main

import (
	"encoding/json"
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
	fs := newFlagSet("verify", stderr, verifyUsage)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	keyPath := fs.String("key", "", "trusted public key: PEM PKIX file (Ed25519 or ECDSA P-256)")
	docs := fs.String("documents", "", "folder with the bundle's documents, to check their SHA-256")
	older := fs.String("checkpoint", "", "an older signed checkpoint the log must be consistent with")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
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
