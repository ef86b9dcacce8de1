package main

import (
	"context"
	"crypto"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/report/fonts"
	"github.com/evx-project/evx/shared/request"
)

const reportUsage = `Usage: evx report [--out DIR] [--json] [--lang en|es] --key PUBKEY [--directory FILE] TRAIL.json [--documents DIR] [--checkpoint OLDER.txt] [--witness VKEY... --quorum N]
       evx report [--out DIR] [--json] [--lang en|es] [--server URL --token T | --data DIR] BUNDLE [--documents DIR] [--checkpoint OLDER.txt]

Verifies a bundle's custody trail and writes, into DIR:
  report.pdf      the report for legal staff: bundle, request, documents with SHA-256, the
                  identifiers found in them, every custody event, the verdict (VERIFIED or
                  FAILED), checkpoint and key ids
  trail.json      the trail exactly as given or exported: the evidence of record
  trail.jsonld    the trail as CASE/UCO JSON-LD
A trail that fails verification still gets its report, marked FAILED with the first failure.
With --witness, the trail's cosigned checkpoint must carry a quorum of those witnesses'
cosignatures (as evx verify checks), and the report's first page names the witnesses verified.
The PDF is written in the language of the court that receives it (--lang: en, the default,
or es); trail.json and trail.jsonld are the same in every language.

With --key, the argument is an exported trail file, checked offline with that public key
alone (as evx verify does). Without --key, the argument is a bundle id: its trail and evx's
public key are exported from the server (--server, --token) or the data folder (--data), as
evx trail does, the trail is checked with that key, and the key is written beside the report
as evx-public.pem, so that anyone can repeat the check with evx verify.
The identifiers (containers, vessels, accounts, phones, wallets) are read from evx's stored
extraction records with a bundle id, and from the documents themselves with --key and
--documents once each matched its recorded SHA-256; without either there are none to list.
With --directory (either way), the report names the sender's and each counterpart's agency in
full from that agency directory; the directory names them, it is not part of the check.

Exit codes: 0 verified, report written; 1 verification failed (report written, marked FAILED),
the bundle has no trail, or the report could not be written; 2 usage error or unreadable input.

Options:
`

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", stderr, reportUsage)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	out := fs.String("out", "", "folder to write the report into (default: report-BUNDLE in the current folder)")
	var in checkInputs
	in.register(fs)
	var wi witnessInputs
	wi.register(fs)
	var ex exchangeFlags
	ex.register(fs, "legal")
	generated := fs.String("generated", "", "generation time to print, RFC 3339 (default: now); for reproducible reports")
	lang := fs.String("lang", "en", "language of report.pdf, that of the court receiving it: en or es")
	requestTrail := fs.String("request-trail", "", "with --key: the exported trail of the request the bundle answers (request:ID), verified with the same key; the report shows the request, its legal basis and each deadline (with a bundle id it is fetched)")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		if len(pos) == 0 {
			fmt.Fprintln(stderr, "evx report: missing argument: a TRAIL.json file (with --key) or a BUNDLE id")
		} else {
			fmt.Fprintf(stderr, "evx report: one TRAIL.json or BUNDLE at a time; got %d arguments\n", len(pos))
		}
		return exitUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "evx report: "+format+"\n", a...)
		return code
	}
	exchangeSet := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "server", "token", "token-file", "data", "profile":
			exchangeSet = true
		}
	})
	fromBundle := in.key == ""
	switch {
	case !fromBundle && exchangeSet:
		return fail(exitUsage, "--key reads a trail file offline; --server, --token and --data export a bundle's trail with evx's own key: give one or the other")
	case fromBundle && isFile(pos[0]):
		return fail(exitUsage, "%s is a file: to report on an exported trail, give the trusted public key with --key; to report on a bundle, give its id", pos[0])
	}
	fnt, ferr := embeddedFonts()
	if ferr != nil {
		return fail(exitInvalid, "%v", ferr)
	}
	opt := report.Options{Generated: time.Now().UTC(), Fonts: fnt}
	if ex.directory != "" {
		// With --directory, the report names the agencies in full.
		d, err := directory.Load(ex.directory)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		opt.AgencyName = func(id string) string {
			if a, err := d.Counterpart(ctx, id); err == nil {
				return a.Name
			}
			return ""
		}
	}
	l, lerr := report.ParseLang(*lang)
	if lerr != nil {
		return fail(exitUsage, "--lang: %v", lerr)
	}
	opt.Lang = l
	if *generated != "" {
		t, err := time.Parse(time.RFC3339, *generated)
		if err != nil {
			return fail(exitUsage, "--generated %q: want an RFC 3339 time such as 2026-03-20T10:30:00Z", *generated)
		}
		opt.Generated = t.UTC()
	}

	var (
		pub        crypto.PublicKey
		raw        []byte
		requestRaw []byte // the trail of the request the bundle answers, if any
		keyPEM     []byte // with a bundle: evx's key, written beside the report
		vopt       custody.VerifyOptions
		err        error
	)
	if fromBundle {
		if vopt, err = in.options(); err != nil {
			return fail(exitUsage, "%v", err)
		}
		x, err := ex.open(ctx, stderr)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		recordReads(x, pipeline.ReadReport)
		exp, err := exportTrail(ctx, x, pos[0], custody.ExportOptions{})
		recordReads(x, "")
		if err != nil {
			x.close()
			return fail(exitInvalid, "%v", err)
		}
		pub, raw, keyPEM = exp.pub, exp.raw, exp.keyPEM
		if src, ok := x.(identifierSource); ok {
			// The identifiers evx found in the documents, from their stored extraction records.
			if ids, err := src.identifiers(ctx, pos[0]); err == nil {
				opt.Identifiers, opt.IdentifiersFrom = report.IdentifiersOf(ids), report.IdentifiersFromRecords
			} else {
				fmt.Fprintf(stderr, "evx report: the report lists no identifiers: %v\n", err)
			}
		}
		if ref := answeredRequest(raw); ref != "" && *requestTrail == "" {
			// The request's own trail, when the exchange has it (a free-text reference has none).
			if rexp, err := exportTrail(ctx, x, custody.RequestSubject(ref), custody.ExportOptions{}); err == nil {
				requestRaw = rexp.raw
			}
		}
		x.close()
	} else if pub, raw, vopt, err = in.load(pos[0]); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := wi.apply(&vopt); err != nil {
		return fail(exitUsage, "%v", err)
	}

	if *requestTrail != "" {
		if requestRaw, err = os.ReadFile(*requestTrail); err != nil {
			return fail(exitUsage, "--request-trail: %v", err)
		}
	}
	if requestRaw != nil {
		st, err := requestState(requestRaw, pub)
		if err != nil {
			return fail(exitInvalid, "the request's trail: %v", err)
		}
		opt.Request = st
	}
	// A trail that does not parse is a failed verification: its report says so.
	tr, v, err := report.CheckFile(raw, pub, vopt)
	if err != nil {
		return fail(exitUsage, "%s: %v", or(in.key, "evx's public key"), err)
	}
	if !fromBundle && vopt.Documents != "" && v.Verified {
		// Offline with the documents: read the identifiers from the documents themselves,
		// now that each matched its recorded SHA-256.
		if opt.Identifiers, err = identifyDocuments(ctx, tr, vopt.Documents); err != nil {
			return fail(exitInvalid, "identifiers of the documents: %v", err)
		}
		opt.IdentifiersFrom = report.IdentifiersFromDocuments
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
	keyFile := ""
	if keyPEM != nil {
		keyFile = filepath.Join(dir, reportKeyFile)
		if err := os.WriteFile(keyFile, keyPEM, 0o644); err != nil {
			return fail(exitInvalid, "%v", err)
		}
	}

	bundle := ""
	if tr != nil {
		bundle = tr.BundleID
	}
	if *asJSON {
		res := map[string]any{"verified": v.Verified, "bundle": bundle, "files": files,
			"trusted_key_id": v.TrustedKeyID}
		if fromBundle {
			res["key"] = keyFile // the trail is files.trail
		} else {
			res["trail"] = pos[0] // the file checked; files.trail is its copy
		}
		if v.Verified {
			res["summary"] = v.Summary
		} else {
			res["failure"] = v.Failure
		}
		writeJSON(stdout, res)
	} else {
		if v.Verified {
			fmt.Fprintf(stdout, "VERIFIED: bundle %s, %d events, signed by %s\n", bundle, v.Summary.Events, v.TrustedKeyID)
		} else {
			fmt.Fprintf(stdout, "FAILED: %s\n", v.Failure.Summary)
			if v.Failure.Expected != "" || v.Failure.Computed != "" {
				fmt.Fprintf(stdout, "  expected: %s\n  computed: %s\n", v.Failure.Expected, v.Failure.Computed)
			}
		}
		// The folder once, then the files in it.
		fmt.Fprintf(stdout, "Report written to %s%c\n", dir, filepath.Separator)
		fmt.Fprintf(stdout, "  %-16s the report for legal staff (a rendering of the trail)\n", filepath.Base(files.PDF))
		fmt.Fprintf(stdout, "  %-16s the custody trail as given: the evidence of record\n", filepath.Base(files.Trail))
		fmt.Fprintf(stdout, "  %-16s the trail as CASE/UCO JSON-LD\n", filepath.Base(files.JSONLD))
		if keyFile != "" {
			fmt.Fprintf(stdout, "  %-16s evx's public key, to check the trail with evx verify\n", filepath.Base(keyFile))
		}
	}
	if !v.Verified {
		return exitInvalid
	}
	return exitOK
}

// reportKeyFile names evx's public key beside a report made from a bundle id, as the report's
// "how to check" section names it.
const reportKeyFile = "evx-public.pem"

// isFile reports whether path names an existing regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// or returns s, or alt when s is empty.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// safeName: bundle ids that may name a folder as they are.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// embeddedFonts are the report fonts compiled into evx (package report/fonts), read once.
var embeddedFonts = sync.OnceValues(func() (*report.Fonts, error) { return report.LoadFonts(fonts.FS) })

// answeredRequest is the request reference the bundle's acceptance records, or "".
func answeredRequest(raw []byte) string {
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		return ""
	}
	for _, te := range tr.Events {
		if e := te.Event; e.Type == custody.SubmissionAcceptance && e.Details.Request != nil && request.ValidID(e.Details.Request.RequestReference) {
			return e.Details.Request.RequestReference
		}
	}
	return ""
}

// requestState verifies a request's trail with pub and folds it into the request's state.
func requestState(raw []byte, pub crypto.PublicKey) (*request.State, error) {
	if _, err := custody.VerifyTrail(raw, pub, custody.VerifyOptions{}); err != nil {
		return nil, err
	}
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		return nil, err
	}
	return request.FoldTrail(tr)
}

// identifierSource is an exchange that serves the identifiers evx found in a bundle's
// documents (GET /v1/bundles/{id}/identifiers; a data folder's own extraction records).
type identifierSource interface {
	identifiers(ctx context.Context, bundle string) ([]pipeline.DocumentIdentifiers, error)
}

// identifiers, on a data folder, are part of the report read recorded with the trail's export
// (as GET /v1/bundles/{id}/report includes them in its own read).
func (l *localExchange) identifiers(ctx context.Context, bundle string) ([]pipeline.DocumentIdentifiers, error) {
	return l.n.Service.DocumentIdentifiers(ctx, bundle)
}

func (r *remoteExchange) identifiers(ctx context.Context, bundle string) ([]pipeline.DocumentIdentifiers, error) {
	ids, err := r.c.Identifiers(ctx, bundle)
	return ids, r.explain(err)
}

// identifyDocuments extracts each document the trail's acceptance records from dir (where
// verification found it, dir/NAME) as ingest extracts it, and scans the text as the index
// does, phone regions from the requesting and requested states.
func identifyDocuments(ctx context.Context, tr *custody.Trail, dir string) ([]report.DocumentIdentifiers, error) {
	tr = tr.WithDocuments() // verified: its manifests match
	var acc *custody.Event
	for i := range tr.Events {
		if tr.Events[i].Event.Type == custody.SubmissionAcceptance {
			acc = &tr.Events[i].Event
			break
		}
	}
	if acc == nil {
		return nil, nil
	}
	var regions []string
	if r := acc.Details.Request; r != nil {
		for _, s := range []string{r.RequestingState, r.RequestedState} {
			if len(s) == 2 {
				regions = append(regions, strings.ToUpper(s))
			}
		}
	}
	lim := extract.DefaultLimits()
	var out []pipeline.DocumentIdentifiers
	for _, d := range acc.Details.Documents {
		di := pipeline.DocumentIdentifiers{Name: d.Name, SHA256: d.SHA256}
		p, err := custody.DocumentPath(dir, d.Name)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		_, rec, err := extract.Record(lim)(ctx, f, fi.Size(), d.Name)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		res, err := identify.FromRecord(rec, identify.Options{Regions: regions, MaxInput: lim.MaxTextBytes})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		di.Identifiers = res.Identifiers
		out = append(out, di)
	}
	return report.IdentifiersOf(out), nil
}
