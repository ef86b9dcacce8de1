package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/evx-project/evx/shared/report"
)

func init() {
	commands = append(commands, command{
		name:    "report",
		summary: "write the court report of a custody trail: PDF, JSON trail, CASE/UCO JSON-LD",
		run:     runReport,
	})
}

const reportUsage = `Usage: evx report [--out DIR] [--json] --key PUBKEY TRAIL.json [--documents DIR] [--checkpoint OLDER.txt]

Verifies a bundle's exported custody trail with the public key alone (as evx verify does) and
writes, into DIR:
  report.pdf    the report for legal staff: bundle, request, documents with SHA-256, every
                custody event, the verdict (VERIFIED or FAILED), checkpoint and key ids
  trail.json    the trail exactly as given: the evidence of record
  trail.jsonld  the trail as CASE/UCO JSON-LD
A trail that fails verification still gets its report, marked FAILED with the first failure.

Exit codes: 0 verified, report written; 1 verification failed (report written, marked FAILED)
or the report could not be written; 2 usage error or unreadable input.

Options:
`

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", stderr, reportUsage)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	out := fs.String("out", "", "folder to write the report into (default: report-BUNDLE in the current folder)")
	var in checkInputs
	in.register(fs)
	generated := fs.String("generated", "", "generation time to print, RFC 3339 (default: now); for reproducible reports")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || in.key == "" {
		fs.Usage()
		return exitUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "evx report: "+format+"\n", a...)
		return code
	}
	opt := report.Options{Generated: time.Now().UTC()}
	if *generated != "" {
		t, err := time.Parse(time.RFC3339, *generated)
		if err != nil {
			return fail(exitUsage, "--generated %q: want an RFC 3339 time such as 2026-03-20T10:30:00Z", *generated)
		}
		opt.Generated = t.UTC()
	}
	pub, raw, vopt, err := in.load(pos[0])
	if err != nil {
		return fail(exitUsage, "%v", err)
	}

	// A trail that does not parse is a failed verification: its report says so.
	tr, v, err := report.CheckFile(raw, pub, vopt)
	if err != nil {
		return fail(exitUsage, "%s: %v", in.key, err)
	}
	dir := *out
	if dir == "" {
		dir = "report-unreadable-trail"
		if tr != nil && safeName.MatchString(tr.BundleID) {
			dir = "report-" + tr.BundleID
		}
	}
	files, err := report.Write(dir, raw, tr, v, opt)
	if err != nil {
		return fail(exitInvalid, "%v", err)
	}

	bundle := ""
	if tr != nil {
		bundle = tr.BundleID
	}
	if *asJSON {
		res := map[string]any{"verified": v.Verified, "bundle": bundle, "trail": pos[0], "files": files,
			"trusted_key_id": v.TrustedKeyID}
		if v.Verified {
			res["summary"] = v.Summary
		} else {
			res["failure"] = v.Failure
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		if v.Verified {
			fmt.Fprintf(stdout, "VERIFIED: bundle %s, %d events, signed by %s\n", bundle, v.Summary.Events, v.TrustedKeyID)
		} else {
			fmt.Fprintf(stdout, "FAILED: %s\n", v.Failure.Summary)
			if v.Failure.Expected != "" || v.Failure.Computed != "" {
				fmt.Fprintf(stdout, "  expected: %s\n  computed: %s\n", v.Failure.Expected, v.Failure.Computed)
			}
		}
		fmt.Fprintf(stdout, "Report written to %s:\n", dir)
		fmt.Fprintf(stdout, "  %-40s the report for legal staff (a rendering of the trail)\n", files.PDF)
		fmt.Fprintf(stdout, "  %-40s the custody trail as given: the evidence of record\n", files.Trail)
		fmt.Fprintf(stdout, "  %-40s the trail as CASE/UCO JSON-LD\n", files.JSONLD)
	}
	if !v.Verified {
		return exitInvalid
	}
	return exitOK
}

// safeName: bundle ids that may name a folder as they are.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
