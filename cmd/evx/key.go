package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/evx-project/evx/shared/backend/local"
)

const keyUsage = `Usage:
  evx key rotate [--data DIR] [--directory FILE] [--reason TEXT] [--key-out NEW.pem] [--json]

rotate   replaces the data folder's signing key by a new one. The current key signs a
         KeyRotation statement introducing the new key, recorded in the custody log itself
         (subject log:keys, no bundle's trail); from then on only the new key signs. Trails
         exported afterwards carry the rotation, so evx verify accepts them with the old key
         or the new one and shows which key signed which events. The retired private key is
         deleted. Stop evx serve first: the data folder must not be in use.

Exit codes: 0 rotated; 2 usage error, data folder in use or unreadable.
`

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, keyUsage)
		return exitUsage
	}
	switch args[0] {
	case "rotate":
		return runKeyRotate(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stderr, keyUsage) // as every command's -h does
		return exitOK
	}
	fmt.Fprintf(stderr, "evx key: unknown subcommand %q\n\n%s", args[0], keyUsage)
	return exitUsage
}

func runKeyRotate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx key rotate", stderr, keyUsage+"\nOptions of rotate:\n")
	data := fs.String("data", "", "data folder (default $EVX_DATA, else ./.evx)")
	dir := fs.String("directory", defaultDirectory, "counterpart directory (YAML)")
	reason := fs.String("reason", "", "why the key is replaced, recorded in the statement")
	keyOut := fs.String("key-out", "", "also write the new public key (PEM) to this file")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	dataDir := local.DataDir(*data)
	if _, err := os.Stat(dataDir); err != nil {
		fmt.Fprintln(stderr, "evx key rotate:", err)
		return exitUsage
	}
	// The counterpart directory is resolved as every data-folder command does.
	opt := local.NodeOptions{Directory: resolveDirectory(*dir, dataDir)}
	rot, err := local.RotateKey(ctx, dataDir, opt, *reason)
	if err != nil {
		fmt.Fprintln(stderr, "evx key rotate:", err)
		return exitUsage
	}
	if *keyOut != "" {
		if err := os.WriteFile(*keyOut, rot.PublicKeyPEM, 0o644); err != nil {
			fmt.Fprintln(stderr, "evx key rotate: the key was rotated, but:", err)
			return exitUsage
		}
	}
	if *asJSON {
		writeJSON(stdout, map[string]any{"retired": rot.Retired, "introduced": rot.Introduced,
			"subject": rot.Event.Event.BundleID, "seq": rot.Event.Event.Seq, "leaf_index": rot.Event.Leaf})
		return exitOK
	}
	fmt.Fprintf(stdout, "rotated: key %s retired\n  key %s signs from now on\n", rot.Retired, rot.Introduced)
	fmt.Fprintf(stdout, "  statement: %s seq %d (log leaf %d), signed by the retired key\n", rot.Event.Event.BundleID, rot.Event.Event.Seq, rot.Event.Leaf)
	return exitOK
}
