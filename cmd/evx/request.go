package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

const requestUsage = `Usage: evx request SUBCOMMAND [flags] [ID]
Requests (MLA, EIO, EPOC, EPOC-PR, JIT) with their legal clocks (docs/requests.md).

  create    issue a request: --id ID --type TYPE --to AGENCY --legal-basis TEXT [...];
            --from-hit REF follows up an identifier hit (evx match) held by AGENCY
  show      a request's state: its parties, status, bundles and each deadline with its rule
  list      the requests, with --overdue, --due-within 24h, --open
  ack       as the addressee: acknowledge receipt (most clocks start here)
  notify    as the issuer of an EPOC: record the copy sent to the enforcing authority (art. 8)
  accept    as the addressee: recognise the request
  refuse    as the addressee or the enforcing authority: refuse, with --grounds
  suspend   as the addressee: stop the deadlines, with --grounds
  resume    as the addressee: restart them
  extend    extend one clock: --deadline NAME --by DURATION
  confirm   as the issuer of an EPOC-PR: a production request followed (art. 11)
  fulfil    as the addressee: the request is executed (--partly: in part)
  withdraw  as the issuer: withdraw the request

Every subcommand works on a server (--server URL --token-file F; the token says who acts) or a
data folder (--data DIR; --agency and --person say who acts) and prints JSON with --json.
Exit status: 0 done, 1 refused (the reason is printed), 2 usage or unreadable input.
`

func runRequest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, requestUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		io.WriteString(stderr, requestUsage) // as the flag package prints every command's usage
		return exitOK
	case "create", "show", "list", "ack", "notify", "accept", "refuse", "suspend", "resume", "extend", "confirm", "fulfil", "withdraw":
		return runRequestSub(ctx, sub, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "evx request: unknown subcommand %q\n\n%s", sub, requestUsage)
	return exitUsage
}

// requestDesk is what evx request needs: a server through package client, or a data folder's
// request desk in-process.
type requestDesk interface {
	issue(ctx context.Context, r request.Request) (*request.State, error)
	state(ctx context.Context, id string) (*request.State, error)
	list(ctx context.Context, f request.Filter) ([]*request.State, error)
	act(ctx context.Context, id, action string, a request.Action) (*request.State, error)
}

type localDesk struct {
	d     *request.Desk
	actor request.Actor
}

func (l localDesk) issue(ctx context.Context, r request.Request) (*request.State, error) {
	r.Issuer, r.IssuerPerson = l.actor.Agency, l.actor.Person
	return l.d.Issue(ctx, r)
}
func (l localDesk) state(ctx context.Context, id string) (*request.State, error) {
	return l.d.State(ctx, id)
}
func (l localDesk) list(ctx context.Context, f request.Filter) ([]*request.State, error) {
	return l.d.List(ctx, f)
}
func (l localDesk) act(ctx context.Context, id, _ string, a request.Action) (*request.State, error) {
	return l.d.Act(ctx, id, l.actor, a)
}

type remoteDesk struct{ c *client.Client }

func (r remoteDesk) issue(ctx context.Context, q request.Request) (*request.State, error) {
	return r.c.IssueRequest(ctx, q)
}
func (r remoteDesk) state(ctx context.Context, id string) (*request.State, error) {
	return r.c.Request(ctx, id)
}
func (r remoteDesk) list(ctx context.Context, f request.Filter) ([]*request.State, error) {
	return r.c.Requests(ctx, client.RequestFilter{Overdue: f.Overdue, Open: f.Open, DueWithin: f.DueWithin})
}
func (r remoteDesk) act(ctx context.Context, id, action string, a request.Action) (*request.State, error) {
	body := client.RequestAction{Grounds: a.Grounds, Deadline: a.Deadline}
	if a.Extension != 0 {
		body.Extension = a.Extension.String()
	}
	return r.c.ActOnRequest(ctx, id, action, body)
}

// openDesk opens the server or the data folder the exchange flags name.
func openDesk(ctx context.Context, ex *exchangeFlags, agency, person string, stderr io.Writer) (requestDesk, func(), error) {
	x, err := ex.open(ctx, stderr)
	if err != nil {
		return nil, nil, err
	}
	switch v := x.(type) {
	case *remoteExchange:
		return remoteDesk{v.c}, func() { x.close() }, nil
	case *localExchange:
		if person == "" {
			person = v.uploader
		}
		return localDesk{d: v.n.Requests, actor: request.Actor{Agency: agency, Person: person}}, func() { x.close() }, nil
	}
	x.close()
	return nil, nil, errors.New("no request desk in this exchange")
}

func runRequestSub(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) int {
	name := "evx request " + sub
	fs := newFlagSet(name, stderr, requestUsage+"\nOptions of "+sub+":\n")
	var ex exchangeFlags
	ex.register(fs, "")
	agency := fs.String("agency", defaultAgency, "the agency you act for, with --data (a server takes it from the token)")
	person := fs.String("person", "", "the person you are, with --data (default $USER)")
	asJSON := fs.Bool("json", false, "print JSON")
	var q request.Request
	var typ, due string
	var grounds repeated
	var deadline string
	var by time.Duration
	var overdue, open, partly bool
	var within time.Duration
	switch sub {
	case "create":
		fs.StringVar(&q.ID, "id", "", "the request's id: 1-100 of [A-Za-z0-9._-] (required)")
		fs.StringVar(&typ, "type", "", "MLA, EIO, EPOC, EPOC-PR or JIT (required)")
		fs.StringVar(&q.Addressee, "to", "", "the addressee: executing authority, or a service provider's establishment or legal representative (required)")
		fs.StringVar(&q.LegalBasis, "legal-basis", "", "the instrument and article (required)")
		fs.StringVar(&q.CaseReference, "case", "", "the issuing agency's case reference")
		fs.StringVar(&q.IssuingState, "issuing-state", "", "ISO 3166-1 alpha-2 of the issuing state")
		fs.StringVar(&q.Enforcing, "enforcing", "", "EPOC: the enforcing state's authority notified (art. 8)")
		fs.StringVar(&q.Urgency, "urgency", "", "urgent (EIO) or emergency (EPOC, EPOC-PR)")
		fs.StringVar(&q.HandlingCode, "handling-code", "", "H0-H3")
		fs.StringVar(&q.DataCategory, "data-category", "", "EPOC, EPOC-PR: subscriber, ip, traffic or content")
		fs.StringVar(&q.Residence, "residence", "", "EPOC: the person's state of residence (ISO 3166-1 alpha-2)")
		fs.StringVar(&q.Subject, "subject", "", "what is asked for, in words")
		fs.StringVar(&q.Members, "members", "", "JIT: the member agencies, comma-separated")
		fs.StringVar(&q.Hit, "from-hit", "", "the match reference (evx-hit-...) of an identifier hit this request follows up; --to is the holding agency")
		fs.StringVar(&due, "due", "", "a due time the issuer states, RFC 3339 (urgent EIO, MLA, the end of a JIT agreement)")
	case "list":
		fs.BoolVar(&overdue, "overdue", false, "only requests with a deadline past, unmet")
		fs.DurationVar(&within, "due-within", 0, "only requests with a clock due within this time, e.g. 24h")
		fs.BoolVar(&open, "open", false, "only requests not refused, fulfilled or withdrawn")
	case "refuse", "suspend":
		fs.Var(&grounds, "grounds", "the grounds, with the article (repeatable; at least one)")
	case "extend":
		fs.StringVar(&deadline, "deadline", "", "the clock to extend, e.g. recognition, preservation (required)")
		fs.DurationVar(&by, "by", 0, "by how much, e.g. 720h (required)")
	case "fulfil":
		fs.BoolVar(&partly, "partly", false, "the request is executed in part")
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	wantID := sub != "create" && sub != "list"
	if wantID && len(pos) != 1 || !wantID && len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	if sub == "create" {
		q.Type = request.Type(strings.ToUpper(typ))
		if due != "" {
			t, err := time.Parse(time.RFC3339, due)
			if err != nil {
				fmt.Fprintf(stderr, "%s: --due %q: want RFC 3339, e.g. 2026-04-01T12:00:00Z\n", name, due)
				return exitUsage
			}
			q.Due = t.UTC().Format(custody.TimeFormat)
		}
	}
	ex.agency = *agency
	desk, closeDesk, err := openDesk(ctx, &ex, *agency, *person, stderr)
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return exitUsage
	}
	defer closeDesk()
	output := func(v any, text func(w io.Writer)) int {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(v)
		} else {
			text(stdout)
		}
		return exitOK
	}
	var s *request.State
	switch sub {
	case "list":
		f := request.Filter{Overdue: overdue, DueWithin: within, Open: open}
		if _, local := desk.(localDesk); local && flagGiven(fs, "agency") {
			f.Agency = *agency
		}
		l, err := desk.list(ctx, f)
		if err != nil {
			return requestFailed(stderr, name, err)
		}
		if l == nil {
			l = []*request.State{}
		}
		return output(l, func(w io.Writer) { writeRequestList(w, l) })
	case "create":
		s, err = desk.issue(ctx, q)
	case "show":
		s, err = desk.state(ctx, pos[0])
	default:
		action := sub
		if sub == "fulfil" && partly {
			action = "partly-fulfil"
		}
		a := request.Action{Type: request.Actions[action], Grounds: grounds, Deadline: deadline, Extension: by}
		s, err = desk.act(ctx, pos[0], action, a)
	}
	if err != nil {
		return requestFailed(stderr, name, err)
	}
	return output(s, func(w io.Writer) { writeRequest(w, s, time.Now()) })
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// requestFailed prints why and returns 1 for a refusal (the request or the action is not
// allowed, or there is no such request), 2 for anything else (an unreachable server, a
// folder that cannot be read).
func requestFailed(stderr io.Writer, name string, err error) int {
	fmt.Fprintln(stderr, name+":", err)
	var (
		nf *request.NotFoundError
		iv *request.InvalidError
		tr *request.TransitionError
		ee *request.ExistsError
		ae *client.APIError
	)
	if errors.As(err, &nf) || errors.As(err, &iv) || errors.As(err, &tr) || errors.As(err, &ee) ||
		errors.As(err, &ae) && ae.StatusCode < 500 && ae.StatusCode != 401 {
		return exitInvalid
	}
	return exitUsage
}

func writeRequest(w io.Writer, s *request.State, now time.Time) {
	fmt.Fprintf(w, "request %s: %s, %s\n", s.ID, s.Type, s.Status)
	if s.Suspended {
		fmt.Fprintf(w, "  suspended since %s: %s\n", s.SuspendedAt.Format(time.RFC3339), strings.Join(s.Grounds, "; "))
	}
	fmt.Fprintf(w, "  issued by %s (%s) on %s to %s\n", s.Issuer, s.IssuerPerson, s.IssuedAt.Format(time.RFC3339), s.Addressee)
	if s.Enforcing != "" {
		fmt.Fprintf(w, "  enforcing authority %s (notified: %v)\n", s.Enforcing, s.Notified)
	}
	fmt.Fprintf(w, "  legal basis %s\n", s.LegalBasis)
	for _, src := range s.Type.Sources() {
		fmt.Fprintf(w, "  source: %s\n", src)
	}
	for _, f := range [][2]string{{"case", s.CaseReference}, {"urgency", s.Urgency}, {"handling code", s.HandlingCode},
		{"data category", s.DataCategory}, {"residence", s.Residence}, {"subject", s.Subject}, {"members", s.Members},
		{"follows the identifier hit", s.Hit}} {
		if f[1] != "" {
			fmt.Fprintf(w, "  %s: %s\n", f[0], f[1])
		}
	}
	if s.Status == request.Refused {
		fmt.Fprintf(w, "  refused by the %s: %s\n", s.RefusedBy, strings.Join(s.Grounds, "; "))
	}
	if s.Restricted {
		fmt.Fprintln(w, "  the data already delivered is restricted: no further access")
	}
	for _, b := range s.Bundles {
		fmt.Fprintf(w, "  answered by bundle %s\n", b)
	}
	for _, d := range s.Deadlines {
		due := "-"
		if !d.Due.IsZero() {
			due = d.Due.Format(time.RFC3339)
		}
		status := d.Status
		if d.Status == request.ClockOpen && !now.Before(d.Due) {
			status = "overdue"
		}
		fmt.Fprintf(w, "  %s %s: %s, due %s\n    rule: %s\n", d.Kind, d.Name, status, due, d.Citation)
	}
}

func writeRequestList(w io.Writer, l []*request.State) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no requests")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tFROM\tTO\tNEXT DUE")
	for _, s := range l {
		next := nextDue(s)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Type, s.Status, s.Issuer, s.Addressee, next)
	}
	tw.Flush()
}

// nextDue names the earliest running clock: "production 2026-03-12T09:00:00Z".
func nextDue(s *request.State) string {
	var ds []request.Deadline
	for _, d := range s.Deadlines {
		if d.Status == request.ClockOpen || d.Status == request.ClockMissed {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return "-"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Due.Before(ds[j].Due) })
	out := ds[0].Name + " " + ds[0].Due.Format(time.RFC3339)
	if ds[0].Status == request.ClockMissed {
		out += " (missed)"
	}
	return out
}
