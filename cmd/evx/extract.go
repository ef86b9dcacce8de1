package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/evx-project/evx/shared/extract"
)

// runExtract is `evx extract [--json [--region CC,...]] [--ocr [--ocr-lang LANGS]] FILE`. Exit codes: 0 text extracted, 1 the file cannot
// be read or evx reads no text of its type (reason on stderr; --json still prints the
// result with its "unsupported" outcome), 2 usage error.
func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("extract", stderr,
		"Usage: evx extract [--json [--region CC,...]] [--ocr [--ocr-lang LANGS]] FILE\n"+
			"Prints the text of FILE; with --json also its media type, metadata, limits reached and the\n"+
			"identifiers found in it (findings), as evx records them for each document of a bundle.\n"+
			"With --ocr, images and scanned PDF pages are read by tesseract when it is installed.\n"+
			"Exit codes: 0 extracted, 1 the file cannot be read or evx reads no text of its type, 2 usage error.\n")
	asJSON := fs.Bool("json", false, "print JSON: media type, metadata, text, the limit that stopped extraction if any, and the findings")
	region := fs.String("region", "", "with --json: ISO 3166 country codes, comma-separated, for phone numbers in national form (a bundle's requesting and requested states)")
	useOCR := fs.Bool("ocr", false, "read images and PDF pages without a text layer with tesseract (and pdftoppm for PDFs)")
	ocrLang := fs.String("ocr-lang", "", "tesseract languages, joined by + (e.g. deu+fra); default: tesseract's")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		if len(pos) == 0 {
			fmt.Fprintln(stderr, "evx extract: missing argument FILE: the document to read")
		} else {
			fmt.Fprintf(stderr, "evx extract: one FILE at a time; got %d arguments\n", len(pos))
		}
		return exitUsage
	}
	states, err := parseRegions(*region)
	if err != nil {
		fmt.Fprintln(stderr, "evx extract:", err)
		return exitUsage
	}
	name := pos[0]
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stderr, "evx extract: %v\n", err)
		return exitInvalid
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		fmt.Fprintf(stderr, "evx extract: %s: not a regular file\n", name)
		return exitInvalid
	}
	lim := extract.DefaultLimits()
	res, err := extract.Extract(ctx, f, fi.Size(), name, lim)
	if err != nil {
		fmt.Fprintf(stderr, "evx extract: %s: %v\n", name, err)
		return exitInvalid
	}
	if *useOCR && res.NeedsOCR {
		if err := ocrEngine(*ocrLang).Apply(ctx, f, fi.Size(), res, lim); err != nil {
			fmt.Fprintf(stderr, "evx extract: %s: OCR: %v\n", name, err)
			return exitInvalid
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(extract.Document{Result: res, Findings: extract.Findings(res, states...)}); err != nil {
			fmt.Fprintf(stderr, "evx extract: %v\n", err)
			return exitInvalid
		}
	} else {
		io.WriteString(stdout, res.Text)
	}
	if res.Partial {
		fmt.Fprintf(stderr, "evx extract: %s: partial text: %s\n", name, res.StopReason)
	}
	if u := res.Unsupported; u != nil {
		fmt.Fprintf(stderr, "evx extract: %s: %s: %v\n", name, u.MediaType, u)
		return exitInvalid
	}
	if res.NeedsOCR {
		fmt.Fprintf(stderr, "evx extract: %s: pages %v have no text layer, only images: they need OCR (--ocr)\n", name, res.ImagePages)
		if strings.TrimSpace(res.Text) == "" {
			return exitInvalid
		}
	}
	return exitOK
}

// ocrEngine is the tesseract engine --ocr-lang asks for: its languages joined by "+" (e.g.
// "deu+fra"), tesseract's default when empty. evx extract and evx serve both read it so.
func ocrEngine(langs string) *extract.OCR {
	ocr := &extract.OCR{}
	if langs != "" {
		ocr.Languages = strings.Split(langs, "+")
	}
	return ocr
}
