package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/bagit"
)

const bagUsage = `Usage:
  evx bag create [--counterpart ID]... [--field Label=Value]... [--date YYYY-MM-DD|none] [--seal-key FILE --agency ID --person NAME] -o OUT SRC...
  evx bag validate [--spec] [--json] PATH

create   puts the files and folders SRC... into a new bag OUT: a folder, or an archive
         chosen by OUT's extension (.zip, .tar, .tar.gz). SHA-256 and SHA-512 manifests,
         tag manifests and bag-info.txt (with Payload-Oxum and your evx fields) are written;
         the same input gives the same bytes. With --seal-key, the sending agency seals the
         bag: evx-seal.json, a signature over bag-info.txt and the manifests (docs/seals.md).
validate checks the bag in PATH (a folder, zip, tar or tar.gz) against RFC 8493 and, unless
         --spec is given, evx's intake policy (what ingest accepts).

Exit codes: 0 valid (warnings printed), 1 invalid (one reason a line), 2 usage or I/O error.
`

func runBag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, bagUsage)
		return exitUsage
	}
	switch args[0] {
	case "create":
		return runBagCreate(ctx, args[1:], stdout, stderr)
	case "validate":
		return runBagValidate(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, bagUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "evx bag: unknown subcommand %q\n\n%s", args[0], bagUsage)
	return exitUsage
}

func runBagCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("evx bag create", stderr, bagUsage+"\nOptions of create:\n")
	var counterparts, fields repeated
	out := fset.String("o", "", "output: a folder, or an archive `OUT`.zip, .tar or .tar.gz")
	date := fset.String("date", time.Now().UTC().Format("2006-01-02"), "Bagging-Date `YYYY-MM-DD`, or none to leave it out")
	fset.Var(&counterparts, "counterpart", "EVX-Counterpart `ID` of an agency to receive the bundle (repeatable)")
	fset.Var(&fields, "field", "a bag-info.txt field `Label=Value` (repeatable), e.g. EVX-Handling-Code=H2")
	asJSON := fset.Bool("json", false, "print the result as JSON")
	var seal sealFlags
	seal.register(fset)
	srcs, code, ok := parseArgs(fset, args)
	if !ok {
		return code
	}
	if *out == "" || len(srcs) == 0 {
		fmt.Fprintln(stderr, "evx bag create: give the output with -o OUT and at least one file or folder to put in the bag")
		return exitUsage
	}
	opts := bagit.CreateOptions{}
	hook, err := seal.hook(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "evx bag create:", err)
		return exitUsage
	}
	opts.Seal = hook
	if *date != "none" {
		d, err := time.Parse("2006-01-02", *date)
		if err != nil {
			fmt.Fprintf(stderr, "evx bag create: --date %q is not YYYY-MM-DD (or none)\n", *date)
			return exitUsage
		}
		opts.BaggingDate = d
	}
	info, err := bagInfo(counterparts, fields)
	if err != nil {
		fmt.Fprintln(stderr, "evx bag create:", err)
		return exitUsage
	}
	opts.Info = info
	if len(opts.Info.Get(bagit.LabelCounterpart)) == 0 {
		fmt.Fprintln(stderr, "evx bag create: warning: no --counterpart given; evx intake refuses a bag without EVX-Counterpart")
	}
	if _, errs := bagit.ParseFields(opts.Info); len(errs) > 0 {
		for _, e := range errs {
			var pe *bagit.PolicyError
			if errors.As(e, &pe) && !strings.Contains(pe.Reason, "names no") {
				fmt.Fprintf(stderr, "evx bag create: %v\n", e)
				return exitUsage
			}
		}
	}
	total := sourceBytes(srcs)
	p := newMeter(stderr, *asJSON, "hashing", total)

	opts.Reading = func(stage, path string, n int) {
		p.stage(stage, total)
		p.file(path)
		p.add(int64(n))
	}
	type result struct {
		c   *bagit.Created
		err error
	}
	r, done := interruptible(ctx, func() result {
		c, err := bagit.Create(*out, srcs, opts)
		return result{c, err}
	})
	p.finish()
	if !done {
		// Create writes beside OUT and renames when complete: remove what it began.
		os.RemoveAll(filepath.Join(filepath.Dir(*out), "."+filepath.Base(*out)+".partial"))
		return exitInterrupted
	}
	c, err := r.c, r.err
	if err != nil {
		fmt.Fprintf(stderr, "evx bag create: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return exitUsage
		}
		return exitInvalid
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"path": c.Path, "kind": c.Kind, "files": c.Files, "octets": c.Octets,
			"manifests": []string{"sha256", "sha512"}})
		return exitOK
	}
	fmt.Fprintf(stdout, "created %s (%s): %s, %s, sha256 and sha512 manifests\n", c.Path, c.Kind, count(int64(c.Files), "payload file"), humanBytes(c.Octets))
	return exitOK
}

// jsonReport is the --json form of a validation.
type jsonReport struct {
	Path       string          `json:"path"`
	Mode       string          `json:"mode"`
	Valid      bool            `json:"valid"`
	Kind       string          `json:"kind,omitempty"`
	Version    string          `json:"version,omitempty"`
	Algorithms []string        `json:"algorithms,omitempty"`
	Files      int64           `json:"files"`
	Octets     int64           `json:"octets"`
	Fields     *bagit.Fields   `json:"fields,omitempty"`
	Info       bagit.Info      `json:"info,omitempty"`
	Errors     []jsonError     `json:"errors"`
	Warnings   []bagit.Warning `json:"warnings"`
}

type jsonError struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"`
	Limit   string `json:"limit,omitempty"`
	Want    string `json:"want,omitempty"` // checksum listed in the manifest
	Got     string `json:"got,omitempty"`  // checksum computed from the content
	Message string `json:"message"`
}

func describe(err error) jsonError {
	p, ok := bagit.ProblemOf(err)
	if !ok {
		return jsonError{Message: err.Error(), Kind: "error"}
	}
	return jsonError{Kind: p.Kind, Path: p.Path, Limit: p.Limit, Want: p.Want, Got: p.Got, Message: err.Error()}
}

// isBagError reports whether err is bagit's verdict on the bag rather than a failure to read it.
func isBagError(err error) bool {
	_, ok := bagit.ProblemOf(err)
	return ok
}

func runBagValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("evx bag validate", stderr, bagUsage+"\nOptions of validate:\n")
	spec := fset.Bool("spec", false, "check RFC 8493 alone, not evx's intake policy")
	asJSON := fset.Bool("json", false, "print the result as JSON")
	pos, code, ok := parseArgs(fset, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "evx bag validate: give exactly one PATH: a bag folder, or a zip, tar or tar.gz file")
		return exitUsage
	}
	path := pos[0]
	mode, modeName := bagit.ModeEVX, "evx"
	if *spec {
		mode, modeName = bagit.ModeSpec, "spec"
	}
	j := jsonReport{Path: path, Mode: modeName, Errors: []jsonError{}, Warnings: []bagit.Warning{}}
	var errs []error
	b, err := bagit.Open(path, bagit.DefaultLimits())
	if err != nil {
		if !isBagError(err) {
			fmt.Fprintf(stderr, "evx bag validate: cannot read %s: %v\n", path, unwrapPathErr(err))
			return exitUsage
		}
		errs = append(errs, err)
	} else {
		defer b.Close()
		p := newMeter(stderr, *asJSON, "validating", 0)
		rep, err := b.Validate(bagit.Options{Mode: mode, Consume: func(f bagit.File, r io.Reader) error {
			// Read here, through the meter, so that progress moves within a file too.
			p.file(f.Path)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_, err := io.Copy(io.Discard, countingReader{r, p})
			return err
		}})
		p.finish()
		if err != nil {
			fmt.Fprintf(stderr, "evx bag validate: %s: %v\n", path, err)
			return exitUsage
		}
		for _, e := range rep.Errors {
			if !isBagError(e) {
				fmt.Fprintf(stderr, "evx bag validate: cannot read %s: %v\n", path, e)
				return exitUsage
			}
		}
		errs = rep.Errors
		j.Kind, j.Version, j.Algorithms = rep.Kind, rep.Version, rep.Algorithms
		j.Files, j.Octets, j.Fields, j.Info = rep.Streams, rep.Octets, rep.Fields, rep.Info
		j.Warnings = append(j.Warnings, rep.Warnings...)
	}
	for _, e := range errs {
		j.Errors = append(j.Errors, describe(e))
	}
	j.Valid = len(errs) == 0
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(j)
	} else {
		printReport(stdout, j)
	}
	if !j.Valid {
		return exitInvalid
	}
	return exitOK
}

func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// maxPrinted caps the reasons printed as text; a bag of 100,000 altered files need not
// print 100,000 lines to say so.
const maxPrinted = 50

func printReport(w io.Writer, j jsonReport) {
	what := "evx intake policy and RFC 8493"
	if j.Mode == "spec" {
		what = "RFC 8493"
	}
	if j.Valid {
		fmt.Fprintf(w, "valid: %s (%s, BagIt %s) under %s: %s, %s, verified with %s\n",
			j.Path, j.Kind, j.Version, what, count(j.Files, "payload file"), humanBytes(j.Octets), strings.Join(j.Algorithms, ", "))
		if f := j.Fields; f != nil && len(f.Counterparts) > 0 {
			fmt.Fprintf(w, "for: %s", strings.Join(f.Counterparts, ", "))
			if f.HandlingCode != "" {
				fmt.Fprintf(w, "; handling %s", f.HandlingCode)
			}
			if f.ExternalIdentifier != "" {
				fmt.Fprintf(w, "; case %s", f.ExternalIdentifier)
			}
			fmt.Fprintln(w)
		}
	} else {
		fmt.Fprintf(w, "invalid: %s under %s, %s:\n", j.Path, what, count(int64(len(j.Errors)), "problem"))
		for i, e := range j.Errors {
			if i == maxPrinted {
				fmt.Fprintf(w, "  ... and %d more; --json lists them all\n", len(j.Errors)-maxPrinted)
				break
			}
			fmt.Fprintf(w, "  %s\n", e.Message)
		}
	}
	for _, wn := range j.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
}

// sourceBytes is the size of the regular files under srcs, for the progress of bag create
// (0 when it cannot tell: the progress then shows no total).
func sourceBytes(srcs []string) int64 {
	var n int64
	for _, s := range srcs {
		filepath.WalkDir(s, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, err := d.Info(); err == nil {
					n += fi.Size()
				}
			}
			return nil
		})
	}
	return n
}
