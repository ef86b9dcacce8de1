package main

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

func runTrail(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx trail", stderr,
		"Usage: evx trail [--server URL --token-file F | --data DIR] [--out TRAIL.json] [--key-out KEY.pem]\n"+
			"                 [--checkpoint OLDER.txt | --consistency-from N] [--size N] [--reads] [--json] BUNDLE\n"+
			"Exports every custody event of the bundle with its log proofs and a signed checkpoint;\n"+
			"check it anywhere with: evx verify --key KEY.pem TRAIL.json\n"+
			"With --checkpoint (a checkpoint you kept, e.g. from a receipt) or --consistency-from N (its\n"+
			"log size), the trail also carries the consistency proof from that checkpoint, which\n"+
			"evx verify --checkpoint OLDER.txt checks: the log was extended, never rewritten.\n"+
			"With --reads, the trail of the reads of the bundle by legal staff (reads:BUNDLE), which\n"+
			"the server records before serving each; with --size N, the trail at log size N (a report's\n"+
			"X-Evx-Log-Size: the trail that report rendered).\n"+
			"Exit status: 0 exported and verified with evx's key, 1 not found or does not verify, 2 usage.\n")
	var ex exchangeFlags
	ex.register(fs, "legal")
	out := fs.String("out", "", "file to write the trail to (default: standard output)")
	keyOut := fs.String("key-out", "", "also write evx's public key (PEM) to this file")
	older := fs.String("checkpoint", "", "an older signed checkpoint (OLDER.txt): export the consistency proof from it")
	from := fs.Uint64("consistency-from", 0, "export the consistency proof from the log of this size (a checkpoint's size)")
	asJSON := fs.Bool("json", false, "with --out, print a JSON summary instead of text")
	reads := fs.Bool("reads", false, "export the record of legal staff's reads of the bundle (reads:BUNDLE)")
	size := fs.Uint64("size", 0, "export the trail at this log size (a report's X-Evx-Log-Size)")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) == 0:
		fmt.Fprintln(stderr, "evx trail: missing argument BUNDLE: the bundle id (evx upload prints it)")
		return exitUsage
	case len(pos) > 1:
		fmt.Fprintf(stderr, "evx trail: one BUNDLE at a time; got %d arguments\n", len(pos))
		return exitUsage
	case *older != "" && *from != 0:
		fmt.Fprintln(stderr, "evx trail: give --checkpoint or --consistency-from, not both")
		return exitUsage
	}
	var olderNote []byte
	if *older != "" {
		var err error
		if olderNote, err = readLimited(*older, 1<<20); err != nil {
			fmt.Fprintln(stderr, "evx trail:", err)
			return exitUsage
		}
		size, err := checkpointSize(olderNote)
		if err != nil {
			fmt.Fprintf(stderr, "evx trail: --checkpoint %s: %v\n", *older, err)
			return exitUsage
		}
		*from = size
	}
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx trail:", err)
		return exitUsage
	}
	defer x.close()
	bundle := pos[0]
	if *reads {
		bundle = pipeline.ReadsSubject(bundle)
	}
	recordReads(x, pipeline.ReadTrail)
	exp, err := exportTrail(ctx, x, bundle, custody.ExportOptions{ConsistencyFrom: *from, Size: *size})
	if err != nil {
		fmt.Fprintln(stderr, "evx trail:", err)
		return exitInvalid
	}
	raw, key, pub := exp.raw, exp.keyPEM, exp.pub
	// Check what is handed out, with the key it will be checked with (and the older
	// checkpoint, when one was given).
	rep, verr := custody.VerifyTrail(raw, pub, custody.VerifyOptions{Older: olderNote})
	if *keyOut != "" {
		if err := os.WriteFile(*keyOut, key, 0o644); err != nil {
			fmt.Fprintln(stderr, "evx trail:", err)
			return exitUsage
		}
	}
	if *out == "" {
		stdout.Write(raw)
	} else {
		if err := os.WriteFile(*out, raw, 0o644); err != nil {
			fmt.Fprintln(stderr, "evx trail:", err)
			return exitUsage
		}
		if *asJSON {
			res := map[string]any{"trail": *out, "verified": verr == nil}
			if *keyOut != "" {
				res["key"] = *keyOut
			}
			if *from != 0 {
				res["consistency_from"] = *from
			}
			if verr != nil {
				res["failure"] = describeFailure(verr)
			} else {
				res["report"] = rep
			}
			writeJSON(stdout, res)
		} else if verr == nil {
			fmt.Fprintf(stdout, "wrote %s: bundle %s, %s, verified with key %s\n", *out, rep.BundleID, count(int64(rep.Events), "event"), rep.KeyID)
			if *from != 0 {
				fmt.Fprintf(stdout, "  with the consistency proof from log size %d to %d: check it with evx verify --checkpoint %s\n", *from, rep.LogSize, or(*older, "OLDER.txt"))
			}
		}
	}
	if verr != nil {
		fmt.Fprintln(stderr, "evx trail: the exported trail does not verify:", verr)
		return exitInvalid
	}
	return exitOK
}

// checkpointSize reads the log size of a checkpoint note (origin line, then size line)
// without checking its signature: the verifier checks that, with the key it trusts.
func checkpointSize(note []byte) (uint64, error) {
	lines := strings.SplitN(string(note), "\n", 3)
	if len(lines) < 3 {
		return 0, errors.New("not a signed checkpoint (want an origin line, a size line, a root line and signatures)")
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a signed checkpoint: second line %q is not a log size", lines[1])
	}
	return n, nil
}

// exportedTrail is a bundle's custody trail as evx exports it, with evx's public key.
type exportedTrail struct {
	raw    []byte           // the trail file: evx-custody-trail/1 JSON ending in one newline
	keyPEM []byte           // evx's public key, PEM
	pub    crypto.PublicKey // keyPEM parsed
}

// exportTrail fetches bundle's trail and evx's public key from x, for evx trail and for
// evx report BUNDLE. The trail's bytes end in exactly one newline whichever the exchange, so
// that a server's and a data folder's export of the same trail are the same file.
func exportTrail(ctx context.Context, x exchange, bundle string, opt custody.ExportOptions) (*exportedTrail, error) {
	raw, err := x.trail(ctx, bundle, opt)
	if err != nil {
		return nil, err
	}
	key, err := x.publicKey(ctx)
	if err != nil {
		return nil, err
	}
	pub, err := custody.ParsePublicKeyPEM(key)
	if err != nil {
		return nil, err
	}
	raw = append(bytes.TrimRight(raw, "\n"), '\n')
	return &exportedTrail{raw: raw, keyPEM: key, pub: pub}, nil
}
