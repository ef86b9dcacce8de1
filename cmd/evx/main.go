// Command evx is the command line of the evx evidence exchange: it builds and checks
// evidence bundles, extracts document text, verifies custody trails and runs the
// embedded single-machine pipeline.
//
// Exit codes, for every subcommand:
//
//	0  success (for validate and verify: the input is valid)
//	1  the input was checked and found invalid, or the work failed
//	2  usage error, or an input could not be read
//
// evx extract is the one exception: a file it cannot read or make sense of exits 1.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. Run gets the arguments after the subcommand's name and
// returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands; each lives in a file of its own (bag.go, extract.go, ...).
var commands = []command{}

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "evx: unknown command %q; run 'evx help' for the list\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	cs := append([]command(nil), commands...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	var b strings.Builder
	b.WriteString("evx moves evidence bundles between agencies and keeps a verifiable chain of custody.\n\n")
	b.WriteString("Usage: evx COMMAND [options]\n\nCommands:\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "  %-14s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'evx COMMAND -h' for a command's options.\n\n")
	b.WriteString("Exit codes:\n  0  success; for validate and verify, the input is valid\n")
	b.WriteString("  1  the input was checked and is invalid, or the work failed\n")
	b.WriteString("  2  usage error, or an input could not be read\n")
	b.WriteString("  (evx extract: a file it cannot read or make sense of exits 1)\n")
	io.WriteString(w, b.String())
}
