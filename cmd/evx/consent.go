package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

const consentUsage = `Usage: evx consent SUBCOMMAND [flags] BUNDLE
Consent to a use a bundle's handling code restricts (docs/trail.md, handling codes):
H1, judicial use (a court report); H2, dissemination of its documents to a third agency.

  request   as an agency that received the bundle: ask its sender, --use judicial, or
            --use dissemination --to AGENCY
  grant     as the sending agency: grant it, --asker AGENCY --use ... [--to AGENCY]
  list      the consent events of the bundle

Consent requests and grants are custody events on the bundle's trail (ConsentRequested,
ConsentGranted). Works on a data folder (--data DIR; --agency and --person say who acts).
Exit status: 0 done, 1 refused (the reason is printed), 2 usage or unreadable input.
`

func runConsent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, consentUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		io.WriteString(stderr, consentUsage)
		return exitOK
	case "request", "grant", "list":
	default:
		fmt.Fprintf(stderr, "evx consent: unknown subcommand %q\n\n%s", sub, consentUsage)
		return exitUsage
	}
	name := "evx consent " + sub
	fs := newFlagSet(name, stderr, consentUsage+"\nOptions of "+sub+":\n")
	var ex exchangeFlags
	ex.register(fs, "")
	agency := fs.String("agency", defaultAgency, "the agency you act for, with --data")
	person := fs.String("person", "", "the person you are, with --data (default $USER)")
	asJSON := fs.Bool("json", false, "print JSON")
	var use, to, asker string
	if sub != "list" {
		fs.StringVar(&use, "use", "", "judicial (H1) or dissemination (H2) (required)")
		fs.StringVar(&to, "to", "", "dissemination: the agency the documents are to go to")
	}
	if sub == "grant" {
		fs.StringVar(&asker, "asker", "", "the agency that asked for consent (required)")
	}
	pos, code, ok := parseArgs(fs, rest)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	ex.agency = *agency
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return exitUsage
	}
	defer x.close()
	lx, isLocal := x.(*localExchange)
	if !isLocal {
		fmt.Fprintln(stderr, name+": works on a data folder (--data DIR)")
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
	var en custody.Entry
	switch sub {
	case "list":
		l, err := svc.Consents(pipeline.ActingAs(ctx, pipeline.Party{Person: p.Person}), pos[0])
		if err != nil {
			return consentFailed(stderr, name, err)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(l)
			return exitOK
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tEVENT\tUSE\tTO\tASKER\tBY")
		for _, c := range l {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s/%s\n", c.Seq, c.Type, c.Use, or(c.To, "-"), c.Asker, c.Agency, c.Person)
		}
		tw.Flush()
		return exitOK
	case "request":
		en, err = svc.RequestConsent(cx, pos[0], use, to)
	case "grant":
		en, err = svc.GrantConsent(cx, pos[0], asker, use, to)
	}
	if err != nil {
		return consentFailed(stderr, name, err)
	}
	out := map[string]any{"bundle": pos[0], "recorded": en.Event.Seq != 0}
	if en.Event.Seq != 0 {
		out["seq"], out["type"] = en.Event.Seq, en.Event.Type
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(out)
	} else if en.Event.Seq != 0 {
		fmt.Fprintf(stdout, "%s recorded on %s (seq %d)\n", en.Event.Type, pos[0], en.Event.Seq)
	} else {
		fmt.Fprintf(stdout, "already recorded on %s; nothing new\n", pos[0])
	}
	return exitOK
}

func consentFailed(stderr io.Writer, name string, err error) int {
	fmt.Fprintln(stderr, name+":", err)
	return exitInvalid
}
