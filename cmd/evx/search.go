package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
)

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx search", stderr,
		"Usage: evx search [--server URL --token-file F | --data DIR] [--case REF] [--counterpart ID]\n"+
			"                  [--state accepted|delivered|answered] [--from DATE] [--to DATE] [--limit N] [--json] [WORDS...]\n"+
			"Finds bundles, newest first, by the words of their documents' extracted text and of their\n"+
			"names and references (all the words; a word ending in * matches as a prefix), by case\n"+
			"reference, counterpart, state and the dates they arrived (2026-10-02, or an RFC 3339 time;\n"+
			"--to includes its whole day). Against a server, each role finds only what it may: an\n"+
			"uploader its own bundles, a counterpart those delivered to it, legal staff all; --data\n"+
			"searches the data folder in-process, as its operator, and finds all.\n"+
			"Exit status: 0 something matched, 1 nothing matched or the search failed, 2 usage.\n")
	var ex exchangeFlags
	ex.register(fs, "legal")
	caseRef := fs.String("case", "", "case reference (External-Identifier), exactly")
	cp := fs.String("counterpart", "", "counterpart directory id the bundle was sent to")
	state := fs.String("state", "", "where the bundle stands: "+strings.Join(pipeline.SearchStates, ", "))
	from := fs.String("from", "", "arrived on or after this date or time")
	to := fs.String("to", "", "arrived on or before this date (the whole day) or before this time")
	limit := fs.Int("limit", 0, fmt.Sprintf("most bundles to list, 1..%d (default %d)", pipeline.MaxSearchLimit, pipeline.DefaultSearchLimit))
	asJSON := fs.Bool("json", false, "print the bundles found as JSON")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	q := pipeline.SearchQuery{Text: strings.Join(pos, " "), Case: *caseRef, Counterpart: *cp, State: *state, Limit: *limit}
	var err error
	if q.From, err = searchTime(*from, false); err != nil {
		fmt.Fprintf(stderr, "evx search: --from %s: %v\n", *from, err)
		return exitUsage
	}
	if q.To, err = searchTime(*to, true); err != nil {
		fmt.Fprintf(stderr, "evx search: --to %s: %v\n", *to, err)
		return exitUsage
	}
	if *limit < 0 || *limit > pipeline.MaxSearchLimit {
		fmt.Fprintf(stderr, "evx search: --limit %d: want 1..%d\n", *limit, pipeline.MaxSearchLimit)
		return exitUsage
	}
	s, err := ex.resolve()
	if err != nil {
		fmt.Fprintln(stderr, "evx search:", err)
		return exitUsage
	}
	var found []client.SearchBundle
	if s.server != "" {
		c, err := client.New(s.server, client.WithToken(s.token))
		if err != nil {
			fmt.Fprintln(stderr, "evx search: --server:", err)
			return exitUsage
		}
		if c.Insecure() {
			fmt.Fprintf(stderr, "evx: warning: the token is sent to %s over plain HTTP: anyone on the network path can read and reuse it; use https:// (a loopback address is exempt)\n", c.URL())
		}
		r := &remoteExchange{c: c}
		found, err = c.Search(ctx, q)
		if err = r.explain(err); err != nil {
			fmt.Fprintln(stderr, "evx search:", err)
			return exitInvalid
		}
	} else {
		found, err = searchData(ctx, s, q)
		var qe *pipeline.SearchQueryError
		switch {
		case errors.As(err, &qe):
			fmt.Fprintln(stderr, "evx search:", err)
			return exitUsage
		case err != nil:
			fmt.Fprintln(stderr, "evx search:", err)
			return exitInvalid
		}
	}
	if *asJSON {
		if found == nil {
			found = []client.SearchBundle{}
		}
		writeJSON(stdout, map[string]any{"query": q, "bundles": found})
	} else {
		printSearch(stdout, found)
	}
	if len(found) == 0 {
		if !*asJSON {
			fmt.Fprintln(stderr, "evx search: no bundle matches")
		}
		return exitInvalid
	}
	return exitOK
}

// searchData searches a data folder in-process, with no role's scope.
func searchData(ctx context.Context, s *exchangeSettings, q pipeline.SearchQuery) ([]client.SearchBundle, error) {
	n, err := openNode(ctx, s.data, local.NodeOptions{Directory: s.directory})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if _, err := n.Reindex(ctx); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	hits, err := n.Service.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]client.SearchBundle, len(hits))
	for i, h := range hits {
		out[i] = client.SearchBundle{SearchHit: h}
	}
	return out, nil
}

// searchTime reads a date (for an end, to the end of that day) or an RFC 3339 time; "" is
// no bound.
func searchTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("want a date (2026-10-02) or a time (RFC 3339, 2026-10-02T14:00:00Z)")
	}
	return t, nil
}

// printSearch lists the bundles found in columns, one line each, with where the words were
// found on the line below.
func printSearch(w io.Writer, found []client.SearchBundle) {
	rows := [][]string{{"BUNDLE", "RECEIVED (UTC)", "CASE", "REQUEST", "COUNTERPARTS", "STATE"}}
	for _, b := range found {
		rows = append(rows, []string{oneLine(b.BundleID), b.Received.UTC().Format("2006-01-02 15:04"), or(oneLine(b.CaseReference), "-"),
			or(oneLine(b.RequestReference), "-"), or(oneLine(strings.Join(b.Counterparts, ",")), "-"), or(b.State, "-")})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for i, r := range rows {
		var line strings.Builder
		for j, c := range r {
			line.WriteString(c)
			if j < len(r)-1 {
				line.WriteString(strings.Repeat(" ", width[j]-utf8.RuneCountInString(c)+2))
			}
		}
		fmt.Fprintln(w, line.String())
		if i == 0 {
			continue
		}
		if b := found[i-1]; len(b.Documents) > 0 || b.Snippet != "" {
			fmt.Fprintf(w, "    found in %s: %s\n", oneLine(strings.Join(b.Documents, ", ")), oneLine(b.Snippet))
		}
	}
}

// oneLine folds a snippet's line breaks and control characters into spaces, so that text
// from the documents cannot move the terminal's cursor or forge lines of the listing.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == ' ' }), " ")
}
