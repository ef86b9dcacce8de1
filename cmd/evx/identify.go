package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/identify"
)

// runIdentify is `evx identify [--json] [--region CC,...] FILE`: the document is extracted
// as the pipeline extracts it, and the record is scanned as the pipeline scans it
// (identify.FromRecord). Exit codes: 0 scanned (whatever was found), 1 the file cannot be
// read, 2 usage error.
func runIdentify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("identify", stderr,
		"Usage: evx identify [--json] [--region CC,...] FILE\n"+
			"Lists the identifiers in FILE's text and e-mail headers with their check digits, and apart\n"+
			"from them the look-alikes whose check fails.\n"+
			"Exit codes: 0 scanned, 1 the file cannot be read, 2 usage error.\n")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	regions := fs.String("region", "", "ISO 3166 country codes, comma-separated, for phone numbers in national form (a bundle's requesting and requested states)")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	regs, err := parseRegions(*regions)
	if err != nil {
		fmt.Fprintln(stderr, "evx identify:", err)
		return exitUsage
	}
	name := pos[0]
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stderr, "evx identify: %v\n", err)
		return exitInvalid
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		fmt.Fprintf(stderr, "evx identify: %s: not a regular file\n", name)
		return exitInvalid
	}
	lim := extract.DefaultLimits()
	_, rec, err := extract.Record(lim)(ctx, f, fi.Size(), name)
	if err != nil {
		fmt.Fprintf(stderr, "evx identify: %s: %v\n", name, err)
		return exitInvalid
	}
	var unreadable struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(rec, &unreadable) == nil && unreadable.Error != "" {
		fmt.Fprintf(stderr, "evx identify: %s: %s\n", name, unreadable.Error)
		return exitInvalid
	}
	res, err := identify.FromRecord(rec, identify.Options{Regions: regs, MaxInput: lim.MaxTextBytes})
	if err != nil {
		fmt.Fprintf(stderr, "evx identify: %s: %v\n", name, err)
		return exitInvalid
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "evx identify: %v\n", err)
			return exitInvalid
		}
		return exitOK
	}
	printFindings(stdout, res)
	if res.Partial {
		fmt.Fprintf(stderr, "evx identify: %s: partial: %s\n", name, res.Stop)
	}
	return exitOK
}

func printFindings(w io.Writer, res *identify.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	where := func(f identify.Finding) string {
		if f.Page > 0 {
			return fmt.Sprintf("%s p.%d @%d", f.Part, f.Page, f.Offset)
		}
		return fmt.Sprintf("%s @%d", f.Part, f.Offset)
	}
	fmt.Fprintf(tw, "%d identifiers\n", len(res.Identifiers))
	if len(res.Identifiers) > 0 {
		fmt.Fprintln(tw, "TYPE\tVALUE\tCHECK\tWHERE\tAS WRITTEN")
	}
	for _, f := range res.Identifiers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%q\n", f.Type, f.Value, f.Check, where(f), f.Text)
	}
	if len(res.LookAlikes) > 0 {
		fmt.Fprintf(tw, "\n%d look-alikes (not identifiers, never matched)\n", len(res.LookAlikes))
		fmt.Fprintln(tw, "TYPE\tAS WRITTEN\tWHERE\tWHY")
		for _, f := range res.LookAlikes {
			fmt.Fprintf(tw, "%s\t%q\t%s\t%s\n", f.Type, f.Text, where(f), f.Reason)
		}
	}
	tw.Flush()
}

// parseRegions reads --region: ISO 3166 country codes, comma-separated, in capitals.
func parseRegions(s string) ([]string, error) {
	var regs []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.ToUpper(strings.TrimSpace(r)); r != "" {
			if len(r) != 2 {
				return nil, fmt.Errorf("--region %q is not a two-letter country code", r)
			}
			regs = append(regs, r)
		}
	}
	return regs, nil
}
