// Command evx is the command line of the evx evidence exchange: it builds and checks
// evidence bundles, extracts document text, verifies custody trails and runs the
// embedded single-machine pipeline.
//
// Exit codes, for every subcommand:
//
//	0  success (for validate and verify: the input is valid)
//	1  the input was checked and found invalid, or the work failed
//	2  usage error, or an input could not be read
//	130 interrupted by SIGINT (Ctrl-C) or SIGTERM
//
// evx extract is the one exception: a file it cannot read or make sense of exits 1.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// command is one subcommand. Run gets the process's context (canceled on SIGINT or SIGTERM),
// the arguments after the subcommand's name, and returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand, in the order 'evx help' prints them; each is built in a
// file of its own (bag.go, extract.go, ...).
func commands() []command {
	return []command{
		{"bag", "create or validate an evidence bundle (a BagIt bag)", runBag},
		{"upload", "bag files or folders and send them to counterparts; prints the bundle id", runUpload},
		{"pull", "as a counterpart: fetch new deliveries, check every hash, post the receipts", runPull},
		{"receipt", "as a counterpart: accept or reject a delivery fetched with pull --review, with reason codes", runReceipt},
		{"trail", "export a bundle's custody trail (and evx's public key) for offline verification", runTrail},
		{"verify", "verify a custody trail offline: chain, signatures, log proofs, documents", runVerify},
		{"search", "find bundles by the words of their documents, case reference, counterpart, state, dates", runSearch},
		{"witness", "witness evx's custody log: check its checkpoint extends the one held, cosign it (a fork is an alert)", runWitness},
		{"report", "write the court report of a bundle or an exported custody trail: PDF, JSON trail, CASE/UCO JSON-LD", runReport},
		{"extract", "print the text and metadata of a document (PDF, text, HTML, office, e-mail)", runExtract},
		{"identify", "list the identifiers in a document (containers, vessels, accounts, phones, wallets, ...)", runIdentify},
		{"request", "create, show, list and act on requests (MLA, EIO, EPOC, EPOC-PR, JIT) and their legal clocks", runRequest},
		{"consent", "ask for or grant consent to a use a bundle's handling code restricts (H1 judicial, H2 dissemination)", runConsent},
		{"retention", "a bundle's retention: review date, preservation orders, legal staff's review, disposal of documents", runRetention},
		{"match", "ask whether any agency holds an identifier (hit or no hit, never the evidence)", runMatch},
		{"serve", "run the embedded pipeline and its HTTP API on this machine", runServe},
		{"audit", "re-hash every stored document against its recorded SHA-256 and record FixityCheck events", runAudit},
		{"key", "rotate the data folder's signing key: the old key signs a statement introducing the new one", runKey},
		{"demo", "run the whole exchange on this machine with sample evidence and show the result", runDemo},
		{"version", "print evx's version, the commit it was built from and the Go version", runVersion},
	}
}

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
	// exitInterrupted: SIGINT or SIGTERM ended the work before it was done (128 + SIGINT, as
	// shells report a process killed by Ctrl-C).
	exitInterrupted = 130
)

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs a command under mainContext and turns an interrupted run into exit 130.
func runMain(args []string, stdout, stderr io.Writer) int {
	ctx, stop := mainContext()
	defer stop()
	code := run(ctx, args, stdout, stderr)
	if ctx.Err() != nil && code != exitOK {
		fmt.Fprintf(stderr, "evx: %v\n", context.Cause(ctx))
		code = exitInterrupted
	}
	return code
}

// interruptible runs f, which cannot be canceled, and returns its result, or ok false as soon
// as ctx ends (f then runs on until the process exits, which it does next).
func interruptible[T any](ctx context.Context, f func() T) (res T, ok bool) {
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r, true
	case <-ctx.Done():
		return res, false
	}
}

// mainContext is the one context every command runs under: canceled on the first SIGINT
// (Ctrl-C) or SIGTERM, with a *signalError as its cause (context.Cause), so that work stops
// cleanly wherever it is and can say why. The signal handling ends there, so a second
// Ctrl-C kills evx at once.
func mainContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&signalError{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(context.Canceled) }
}

// signalError is the cause of mainContext's end: the signal received.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	switch e.sig {
	case os.Interrupt:
		return "interrupted by SIGINT"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by " + e.sig.String()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 2 && args[0] == "help" {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	msg := fmt.Sprintf("evx: unknown command %q", args[0])
	if near := nearest(args[0], commandNames(), 2); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	fmt.Fprintln(stderr, msg+" Run 'evx help' for the list.")
	return exitUsage
}

func commandNames() []string {
	var ns []string
	for _, c := range commands() {
		ns = append(ns, c.name)
	}
	return ns
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("evx moves evidence bundles between agencies and keeps a verifiable chain of custody.\n\n")
	b.WriteString("Usage: evx COMMAND [options]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-14s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'evx COMMAND -h' (or 'evx help COMMAND') for a command's options.\n\n")
	b.WriteString("Environment: EVX_SERVER, EVX_TOKEN, EVX_TOKEN_FILE, EVX_DATA, EVX_DIRECTORY, EVX_PROFILE;\n")
	b.WriteString("  configuration file: $XDG_CONFIG_HOME/evx/config (docs/cli-config.md).\n")
	b.WriteString("  Flags override the environment, which overrides the file.\n\n")
	b.WriteString("Exit codes:\n  0  success; for validate and verify, the input is valid\n")
	b.WriteString("  1  the input was checked and is invalid, or the work failed\n")
	b.WriteString("  2  usage error, or an input could not be read\n")
	b.WriteString("  130 interrupted (Ctrl-C, SIGTERM)\n")
	b.WriteString("  (evx extract: a file it cannot read or make sense of exits 1)\n")
	io.WriteString(w, b.String())
}
