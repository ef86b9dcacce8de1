package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/evx-project/evx/shared/custody"
)

func runTrail(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx trail", stderr,
		"Usage: evx trail [--server URL --token T | --data DIR] [--out TRAIL.json] [--key-out KEY.pem] [--json] BUNDLE\n"+
			"Exports every custody event of the bundle with its log proofs and a signed checkpoint;\n"+
			"check it anywhere with: evx verify --key KEY.pem TRAIL.json\n"+
			"Exit status: 0 exported and verified with evx's key, 1 not found or does not verify, 2 usage.\n")
	var ex exchangeFlags
	ex.register(fs, "legal")
	out := fs.String("out", "", "file to write the trail to (default: standard output)")
	keyOut := fs.String("key-out", "", "also write evx's public key (PEM) to this file")
	asJSON := fs.Bool("json", false, "with --out, print a JSON summary instead of text")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	x, err := ex.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "evx trail:", err)
		return exitUsage
	}
	defer x.close()
	exp, err := exportTrail(ctx, x, pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "evx trail:", err)
		return exitInvalid
	}
	raw, key, pub := exp.raw, exp.keyPEM, exp.pub
	// Check what is handed out, with the key it will be checked with.
	rep, verr := custody.VerifyTrail(raw, pub, custody.VerifyOptions{})
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
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			res := map[string]any{"trail": *out, "verified": verr == nil, "report": rep}
			if verr != nil {
				res["error"] = verr.Error()
			}
			enc.Encode(res)
		} else if verr == nil {
			fmt.Fprintf(stdout, "wrote %s: bundle %s, %d events, verified with key %s\n", *out, rep.BundleID, rep.Events, rep.KeyID)
		}
	}
	if verr != nil {
		fmt.Fprintln(stderr, "evx trail: the exported trail does not verify:", verr)
		return exitInvalid
	}
	return exitOK
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
func exportTrail(ctx context.Context, x exchange, bundle string) (*exportedTrail, error) {
	raw, err := x.trail(ctx, bundle)
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
