package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

const retentionUsage = `Usage: evx retention SUBCOMMAND [flags] [BUNDLE]
The retention of the bundles an agency sent (docs/requests.md, retention and disposal): a
review date from the agency's review_after_days (three years when unset), the preservation
orders (EPOC-PR) that forbid deletion, legal staff's review and the disposal of documents.

  show      where BUNDLE stands: review date, preservation holds, decision, disposal
  list      every bundle's retention; --due-within D: those due for review within D, or
            whose disposal is authorised
  review    legal staff decide: --decision extend --until DATE (the next review), or
            --decision dispose (authorise disposal); --note TEXT
  dispose   delete BUNDLE's documents, once disposal is authorised and no preservation
            order forbids it; the custody trail stays

Reviews and disposals are custody events on the bundle's trail (RetentionReviewed,
DocumentsDisposed); preservation periods are recorded by evx serve's scheduler
(RetentionSet). Works on a data folder (--data DIR; --agency and --person say who acts), and
show, review and dispose on a server (--server URL --token-file F: a legal token of the
sending agency; on AWS disposal is not deployed).
Exit status: 0 done, 1 refused (the reason is printed), 2 usage or unreadable input.
`

func runRetention(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, retentionUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		io.WriteString(stderr, retentionUsage)
		return exitOK
	case "show", "list", "review", "dispose":
	default:
		fmt.Fprintf(stderr, "evx retention: unknown subcommand %q\n\n%s", sub, retentionUsage)
		return exitUsage
	}
	name := "evx retention " + sub
	fs := newFlagSet(name, stderr, retentionUsage+"\nOptions of "+sub+":\n")
	var ex exchangeFlags
	ex.register(fs, "")
	agency := fs.String("agency", defaultAgency, "the agency you act for, with --data")
	person := fs.String("person", "", "the person you are, with --data (default $USER)")
	asJSON := fs.Bool("json", false, "print JSON")
	var decision, until, note string
	var within time.Duration
	switch sub {
	case "review":
		fs.StringVar(&decision, "decision", "", "extend or dispose (required)")
		fs.StringVar(&until, "until", "", "extend: the next review date (YYYY-MM-DD or RFC 3339)")
		fs.StringVar(&note, "note", "", "the reason for the decision, on one line")
	case "list":
		fs.DurationVar(&within, "due-within", 0, "only bundles whose review falls due within this time (e.g. 720h), or whose disposal is authorised")
	}
	pos, code, ok := parseArgs(fs, rest)
	if !ok {
		return code
	}
	if (sub == "list") != (len(pos) == 0) || len(pos) > 1 {
		fs.Usage()
		return exitUsage
	}
	var next time.Time
	if until != "" {
		t, err := parseDate(until)
		if err != nil {
			fmt.Fprintf(stderr, "%s: --until: %v\n", name, err)
			return exitUsage
		}
		next = t
	}
	ex.agency = *agency
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return exitUsage
	}
	defer x.close()
	lx, isLocal := x.(*localExchange)
	if rx, remote := x.(*remoteExchange); remote {
		if sub == "list" {
			fmt.Fprintln(stderr, name+": list works on a data folder (--data DIR); on a server, show one bundle")
			return exitUsage
		}
		return retentionRemote(ctx, rx, sub, pos[0], decision, next, note, *asJSON, stdout, stderr)
	}
	if !isLocal {
		fmt.Fprintln(stderr, name+": works on a data folder (--data DIR) or a server (--server URL)")
		return exitUsage
	}
	p := pipeline.Party{Agency: *agency, Person: *person}
	if p.Person == "" {
		p.Person = pipeline.UploaderParty(lx.uploader).Person
	}
	if p.Person == "" {
		p.Person = "operator"
	}
	cx := pipeline.ActingAs(ctx, p)
	svc := lx.n.Service
	printJSON := func(v any) {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	}
	switch sub {
	case "list":
		var dueBy time.Time
		if within > 0 {
			dueBy = time.Now().Add(within)
		}
		l, err := svc.Retentions(cx, dueBy)
		if err != nil {
			return retentionFailed(stderr, name, err)
		}
		if *asJSON {
			printJSON(l)
			return exitOK
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "BUNDLE\tSENDER\tREVIEW DUE\tDECISION\tPRESERVED\tDISPOSED")
		for _, r := range l {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.BundleID[:min(16, len(r.BundleID))], or(r.Sender, "-"), day(r.ReviewDue), or(r.Decision, "-"), holdsText(r.ForbiddenBy(time.Now())), day(r.DisposedAt))
		}
		tw.Flush()
		return exitOK
	case "show":
		r, err := svc.Retention(cx, pos[0])
		if err != nil {
			return retentionFailed(stderr, name, err)
		}
		if *asJSON {
			printJSON(r)
			return exitOK
		}
		writeRetention(stdout, r)
		return exitOK
	}
	var en custody.Entry
	if sub == "review" {
		en, err = svc.ReviewRetention(cx, pos[0], decision, next, note)
	} else {
		en, err = svc.Dispose(cx, pos[0])
	}
	if err != nil {
		return retentionFailed(stderr, name, err)
	}
	out := map[string]any{"bundle": pos[0], "recorded": en.Event.Seq != 0}
	if en.Event.Seq != 0 {
		out["seq"], out["type"] = en.Event.Seq, en.Event.Type
		if sub == "dispose" {
			out["deleted"], out["kept"] = en.Event.Details.DocumentCount(), len(en.Event.Details.Reasons)
		}
	}
	switch {
	case *asJSON:
		json.NewEncoder(stdout).Encode(out)
	case en.Event.Seq != 0 && sub == "dispose":
		fmt.Fprintf(stdout, "%s recorded on %s (seq %d): %d documents deleted, %d kept (another bundle holds them)\n", en.Event.Type, pos[0], en.Event.Seq, en.Event.Details.DocumentCount(), len(en.Event.Details.Reasons))
	case en.Event.Seq != 0:
		fmt.Fprintf(stdout, "%s recorded on %s (seq %d)\n", en.Event.Type, pos[0], en.Event.Seq)
	default:
		fmt.Fprintf(stdout, "already recorded on %s; nothing new\n", pos[0])
	}
	return exitOK
}

// parseDate reads YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

func holdsText(hs []pipeline.Hold) string {
	var out []string
	for _, h := range hs {
		if h.Until.IsZero() {
			out = append(out, h.Request+" (no end)")
		} else {
			out = append(out, h.Request+" until "+day(h.Until))
		}
	}
	return or(strings.Join(out, ", "), "-")
}

func retentionFailed(stderr io.Writer, name string, err error) int {
	fmt.Fprintln(stderr, name+":", err)
	return exitInvalid
}

func writeRetention(w io.Writer, r pipeline.Retention) {
	fmt.Fprintf(w, "bundle       %s\nsender       %s\naccepted     %s\nreview due   %s (every %d days)\n", r.BundleID, or(r.Sender, "-"), day(r.Accepted), day(r.ReviewDue), int(r.ReviewAfter.Hours()/24))
	for _, h := range r.Holds {
		fmt.Fprintf(w, "preservation %s: %s%s\n", h.Request, h.State, map[bool]string{true: " until " + day(h.Until), false: ""}[!h.Until.IsZero()])
	}
	if r.Decision != "" {
		fmt.Fprintf(w, "decision     %s by %s on %s%s\n", r.Decision, r.DecidedBy, day(r.DecidedAt), map[bool]string{true: ": " + r.Note, false: ""}[r.Note != ""])
	}
	if r.Disposed {
		fmt.Fprintf(w, "disposed     %s (%d documents kept: another bundle holds them)\n", day(r.DisposedAt), len(r.Kept))
	}
}

// retentionRemote runs show, review and dispose through the server's API, as the token's
// legal staff.
func retentionRemote(ctx context.Context, rx *remoteExchange, sub, bundle, decision string, next time.Time, note string, asJSON bool, stdout, stderr io.Writer) int {
	name := "evx retention " + sub
	var act *client.RetentionAct
	var err error
	switch sub {
	case "show":
		r, err := rx.c.Retention(ctx, bundle)
		if err != nil {
			return retentionFailed(stderr, name, err)
		}
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(r)
		} else {
			writeRetention(stdout, *r)
		}
		return exitOK
	case "review":
		rv := client.RetentionReview{Decision: decision, Note: note}
		if !next.IsZero() {
			rv.NextReview = next.UTC().Format(time.RFC3339)
		}
		act, err = rx.c.ReviewRetention(ctx, bundle, rv)
	default:
		act, err = rx.c.Dispose(ctx, bundle)
	}
	if err != nil {
		return retentionFailed(stderr, name, err)
	}
	switch {
	case asJSON:
		json.NewEncoder(stdout).Encode(act)
	case act.Recorded && act.Event != nil:
		fmt.Fprintf(stdout, "%s recorded on %s (seq %d)\n", act.Event.Type, bundle, act.Event.Seq)
	default:
		fmt.Fprintf(stdout, "already recorded on %s; nothing new\n", bundle)
	}
	return exitOK
}
