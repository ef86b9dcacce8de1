package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/witness"
)

const witnessUsage = `Usage: evx witness [--server URL --token-file F | --data DIR] --key FILE [--new-key NAME] [--audit] [--state DIR] [--log-key EVX-PUBLIC.pem] [--json]

Witnesses evx's custody log: asks evx for its latest checkpoint with the consistency proof
from the checkpoint this witness holds, checks the proof, cosigns the checkpoint (C2SP
tlog-cosignature) and gives the cosignature back to evx, which serves it with the checkpoint
and puts it in the trails it exports. The checkpoint cosigned is kept in the state folder.

With --audit the witness also replays every leaf of the log (each one's bundle key, seq and
event hash, GET /v1/log/leaves), checks they make the checkpoint's root, and cosigns only if
the checkpoint's heads line commits to the last event of every bundle as the leaves show.

A checkpoint that does not extend the one held is a fork: evx showed two histories. Nothing
is cosigned, both checkpoints and the proof are kept in the state folder as evidence, and the
command ends with an ALERT and exit status 1.

--key is the witness's Ed25519 signer key (a C2SP note signer key, kept mode 0600); with
--new-key NAME a missing FILE is created, with FILE.vkey beside it: the verifier key to hand
to whoever verifies trails (evx verify --witness FILE.vkey).

Exit status: 0 cosigned; 1 not cosigned (fork, a smaller checkpoint, a refusal by evx); 2 usage
or unreadable input.

Options:
`

// witnessFlags are the flags a witness round needs, shared by evx witness and evx pull.
type witnessFlags struct {
	key, newKey, state, logKey string
	audit                      bool
}

func (f *witnessFlags) register(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&f.key, prefix+"key", "", "the witness's signer key file (C2SP note signer key, Ed25519)")
	fs.BoolVar(&f.audit, prefix+"audit", false, "also replay every leaf of the log (its bundle key and seq) and cosign only if the checkpoint's heads line is true (docs/witnesses.md)")
	fs.StringVar(&f.state, prefix+"state", "", "folder keeping the checkpoint last cosigned and any fork evidence (default: the user's configuration folder, evx/witness)")
	if prefix == "" {
		fs.StringVar(&f.newKey, "new-key", "", "create --key FILE (and FILE.vkey) under this witness name if it does not exist, e.g. nl-om.example/witness")
		fs.StringVar(&f.logKey, "log-key", "", "evx's public key (PEM) you trust to sign its checkpoints (default: the key the server gives, with a note)")
	}
}

func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx witness", stderr, witnessUsage)
	var ex exchangeFlags
	ex.register(fs, "witness")
	var wf witnessFlags
	wf.register(fs, "")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if pos, code, ok := parseArgs(fs, args); !ok {
		return code
	} else if len(pos) != 0 {
		fmt.Fprintf(stderr, "evx witness: unexpected argument %q: witness takes only options\n", pos[0])
		return exitUsage
	}
	if wf.key == "" {
		fmt.Fprintln(stderr, "evx witness: --key FILE is required: the witness's signer key (create one with --new-key NAME)")
		return exitUsage
	}
	if wf.newKey != "" {
		if created, vkey, err := createWitnessKey(wf.key, wf.newKey); err != nil {
			fmt.Fprintln(stderr, "evx witness:", err)
			return exitUsage
		} else if created {
			fmt.Fprintf(stderr, "evx witness: created witness key %s; its verifier key, for evx verify --witness, is in %s.vkey:\n  %s\n", wf.key, wf.key, vkey)
		}
	}
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx witness:", err)
		return exitUsage
	}
	defer x.close()
	var logPub crypto.PublicKey
	if wf.logKey != "" {
		b, err := os.ReadFile(wf.logKey)
		if err == nil {
			logPub, err = custody.ParsePublicKeyPEM(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "evx witness: --log-key %s: %v\n", wf.logKey, err)
			return exitUsage
		}
	}
	return witnessRound(ctx, x, wf, logPub, "evx witness", *asJSON, stdout, stderr)
}

// witnessRound does one round for the witness of wf against x: offer, check, cosign, give
// back. logPub nil means the key x gives, with a note. It prints the outcome and returns the
// exit status: 0 cosigned, 1 not cosigned, 2 unreadable key or state.
func witnessRound(ctx context.Context, x exchange, wf witnessFlags, logPub crypto.PublicKey, cmd string, asJSON bool, stdout, stderr io.Writer) int {
	wx, ok := x.(witnessExchange)
	if !ok {
		fmt.Fprintf(stderr, "%s: this exchange cannot be witnessed\n", cmd)
		return exitUsage
	}
	skey, err := readWitnessKey(wf.key)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitUsage
	}
	if logPub == nil {
		pemBytes, err := x.publicKey(ctx)
		if err == nil {
			logPub, err = custody.ParsePublicKeyPEM(pemBytes)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: evx's public key: %v\n", cmd, err)
			return exitInvalid
		}
		id, _ := custody.KeyIDOf(logPub)
		fmt.Fprintf(stderr, "%s: note: checkpoints are checked with the public key evx itself gave (key id %s); pass --log-key FILE with a copy obtained otherwise\n", cmd, id)
	}
	state := wf.state
	if state == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			fmt.Fprintf(stderr, "%s: no state folder: name one with --state DIR\n", cmd)
			return exitUsage
		}
		state = filepath.Join(d, "evx", "witness")
	}
	w, err := witness.New(skey, state, logPub)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitUsage
	}
	if wf.audit {
		w.Feed = wx.leaves
	}
	// The size held decides the proof asked for.
	var from uint64
	offer, err := wx.witnessOffer(ctx, 0)
	if err == nil {
		origin, _, _ := strings.Cut(offer.Checkpoint, "\n")
		var held bool
		if from, held, err = w.HeldSize(origin); err == nil && held && from != 0 && from != offer.Size {
			offer, err = wx.witnessOffer(ctx, from)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitInvalid
	}
	res, err := w.CosignContext(ctx, witness.Offer{Checkpoint: []byte(offer.Checkpoint), FromSize: offer.FromSize, Proof: offer.Proof, Rotations: offer.Rotations})
	if err != nil {
		var fe *witness.ForkError
		var ae *witness.AuditError
		out := map[string]any{"cosigned": false, "witness": w.Name(), "error": err.Error()}
		if errors.As(err, &fe) {
			out["fork"] = true
			out["evidence"] = fe.Evidence
		}
		if errors.As(err, &ae) {
			out["audit_failed"] = true
			out["evidence"] = ae.Evidence
		}
		if asJSON {
			writeJSON(stdout, out)
		}
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitInvalid
	}
	if err := wx.postCosignature(ctx, res.Size, w.VerifierKey(), string(res.Cosignature)); err != nil {
		fmt.Fprintf(stderr, "%s: checkpoint of size %d cosigned and kept, but evx did not take the cosignature: %v\n", cmd, res.Size, err)
		return exitInvalid
	}
	if res.NewKeys > 0 {
		fmt.Fprintf(stderr, "%s: note: evx's log key was rotated; this witness now follows the new key, introduced by a statement signed by the key it held\n", cmd)
	}
	if asJSON {
		writeJSON(stdout, map[string]any{"cosigned": true, "witness": w.Name(), "size": res.Size, "held_size": res.HeldSize, "first": res.First})
		return exitOK
	}
	switch {
	case wf.audit:
		fmt.Fprintf(stdout, "witness %s: cosigned evx's log at size %d after replaying its leaves: consistent with size %d held before, and its bundle heads are true\n", w.Name(), res.Size, res.HeldSize)
	case res.First:
		fmt.Fprintf(stdout, "witness %s: cosigned evx's log at size %d (the first checkpoint this witness holds: trusted on first use)\n", w.Name(), res.Size)
	case res.HeldSize == res.Size:
		fmt.Fprintf(stdout, "witness %s: cosigned evx's log at size %d (unchanged since the last round)\n", w.Name(), res.Size)
	default:
		fmt.Fprintf(stdout, "witness %s: cosigned evx's log at size %d: consistent with size %d held before, no history rewritten\n", w.Name(), res.Size, res.HeldSize)
	}
	return exitOK
}

// readWitnessKey reads a witness signer key file, refusing one others may read.
func readWitnessKey(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("witness key %s not found: create one with evx witness --key %s --new-key NAME", path, path)
	}
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("witness key %s has permissions %04o: make it readable by its owner alone (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := readLimited(path, 4<<10)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// createWitnessKey creates the key file at path (mode 0600) and path.vkey under name, unless
// path exists. It reports whether it created them, and the verifier key.
func createWitnessKey(path, name string) (bool, string, error) {
	if _, err := os.Stat(path); err == nil {
		return false, "", nil
	}
	skey, vkey, err := witness.GenerateKey(name)
	if err != nil {
		return false, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, "", err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false, "", err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return false, "", err
	}
	if err := f.Close(); err != nil {
		return false, "", err
	}
	if err := os.WriteFile(path+".vkey", []byte(vkey+"\n"), 0o644); err != nil {
		return false, "", err
	}
	return true, vkey, nil
}
