package report_test

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/request"
)

// valuesTrail is a bundle whose parties answered in every way the report words: a refusal
// with every reason code (alone and after a document's name), evx's own findings and a
// counterpart's free text, an expiry, and a delivery still pending.
func valuesTrail(t *testing.T) (*custody.Trail, report.Verdict) {
	t.Helper()
	ctx := context.Background()
	k, s := tickingKeeper(t)
	docs := []custody.Document{{Name: "data/acta.pdf", Size: 10, SHA256: strings.Repeat("ab", 32), MediaType: "application/pdf"}}
	rec := func(typ custody.EventType, a custody.Actor, d custody.Details) {
		t.Helper()
		if _, err := k.Record(ctx, "B-V", typ, a, d); err != nil {
			t.Fatal(err)
		}
	}
	route := custody.Actor{Kind: custody.ActorSystem, ID: "route"}
	rec(custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"},
		custody.Details{Documents: docs, Request: &custody.Request{CaseReference: "RTM-1", RequestReference: "EIO-1"}})
	for _, c := range []string{"es-fge", "be-fpp", "pt-pgr", "fr-pnf"} {
		rec(custody.ContentConsignment, route, custody.Details{Counterpart: c})
	}
	var reasons []string
	for _, c := range custody.ReasonCodes {
		reasons = append(reasons, c, "data/acta.pdf: "+c)
	}
	reasons = append(reasons, "remitido por error")
	rec(custody.ConsignmentRejection, custody.Actor{Kind: custody.ActorCounterpart, ID: "es-fge", Agency: "es-fge", Person: "m.garcia"}, custody.Details{
		Counterpart: "es-fge", Reasons: reasons, Findings: []string{
			"data/acta.pdf: counterpart computed sha256 " + strings.Repeat("cd", 32) + ", recorded " + strings.Repeat("ab", 32),
			"data/acta.pdf: no sha256 reported, recorded " + strings.Repeat("ab", 32),
		}})
	rec(custody.ConsignmentAcceptance, custody.Actor{Kind: custody.ActorCounterpart, ID: "fr-pnf", Agency: "fr-pnf", Person: "a.martin"}, custody.Details{Counterpart: "fr-pnf"})
	rec(custody.AcceptanceRejectionExpiry, custody.Actor{Kind: custody.ActorSystem, ID: "expire"}, custody.Details{Counterpart: "be-fpp"})
	tr, err := k.Export(ctx, "B-V", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, verdictOf(t, tr, s)
}

// valuesRequests are request states that between them hold every status, deadline, clock
// state, urgency and refusing party shared/request records.
func valuesRequests() []*request.State {
	clocks := []string{request.ClockPending, request.ClockOpen, request.ClockSuspended, request.ClockMet, request.ClockLate,
		request.ClockMissed, request.ClockClosed, request.ClockEnded, request.ClockContinuing}
	names := []string{"recognition", "execution", "production", "refusal-window", "preservation", "agreement", "requested"}
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var deadlines []request.Deadline
	for i, c := range clocks {
		kind := request.Duty
		if i%2 == 1 {
			kind = request.Period
		}
		deadlines = append(deadlines, request.Deadline{Rule: request.Rule{Name: names[i%len(names)], Kind: kind, Citation: "Directive 2014/41/EU art. 12"},
			Status: c, Due: at.Add(240 * time.Hour), Done: at.Add(48 * time.Hour)})
	}
	base := func(st request.Status, urgency string, by request.Party) *request.State {
		return &request.State{Request: request.Request{ID: "EIO-1", Type: request.EIO, Issuer: "es-fge", IssuerPerson: "m.garcia",
			Addressee: "nl-om", Enforcing: "nl-om", LegalBasis: "EU-EIO", Urgency: urgency},
			Status: st, RefusedBy: by, Grounds: []string{"art. 11(1)(a)"}, Deadlines: deadlines, IssuedAt: at, Updated: at}
	}
	statuses := []request.Status{request.Issued, request.Received, request.Accepted, request.Refused, request.Fulfilled, request.PartlyFulfilled, request.Withdrawn}
	urgencies := []string{request.Urgent, request.Emergency}
	var out []*request.State
	for i, st := range statuses {
		out = append(out, base(st, urgencies[i%2], request.AddresseeParty))
	}
	for _, p := range []request.Party{request.IssuerParty, request.EnforcingParty} {
		out = append(out, base(request.Refused, request.Urgent, p))
	}
	return out
}

// TestSpanishShowsNoEnglishValue: the report for a Spanish court puts every recorded value it
// shows (reason codes, request statuses, deadlines, clock states, urgencies, parties, outcomes,
// evx's findings) in Spanish words from the language table. The English words looked for are
// taken from the table itself, with the values as recorded; the English report of the same
// trails must show each of them, so the search cannot pass by finding nothing to look for.
func TestSpanishShowsNoEnglishValue(t *testing.T) {
	tr, v := valuesTrail(t)
	render := func(l report.Lang, st *request.State) string {
		var b bytes.Buffer
		if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime, Lang: l, Request: st, Identifiers: allIdentifierTypes()}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(pdfText(t, b.Bytes()).Text), " ")
	}
	// Reason codes are shown, in brackets, beside their words in either language: the code is
	// the identifier the trail records and docs/seals.md lists.
	codes := regexp.MustCompile(`\[(` + strings.Join(regexpQuote(custody.ReasonCodes), "|") + `)\]`)
	var en, es []string
	for _, st := range valuesRequests() {
		en = append(en, render(report.English, st))
		es = append(es, codes.ReplaceAllString(render(report.Spanish, st), ""))
	}
	english := strings.Join(en, "\n")
	spanish := strings.Join(es, "\n")

	type word struct{ key, text string }
	var words []word
	for k, p := range report.ValuePhrases() {
		if p[0] == p[1] {
			continue
		}
		words = append(words, word{k, p[0]})
		for _, pre := range report.ValuePrefixes {
			if raw, ok := strings.CutPrefix(k, pre); ok && raw != "" && !strings.Contains(strings.ToLower(p[1]), strings.ToLower(raw)) {
				// (A raw value the Spanish phrase itself holds is a name, the same in both
				// languages: "dirección IPv4".)
				words = append(words, word{k, strings.ReplaceAll(raw, "-", " ")}, word{k, raw})
			}
		}
	}
	sort.Slice(words, func(i, j int) bool { return words[i].text < words[j].text })
	found := func(text, w string) bool {
		return regexp.MustCompile(`(?i)(^|[^\pL\pN-])` + regexp.QuoteMeta(w) + `($|[^\pL\pN-])`).MatchString(text)
	}
	for _, w := range words {
		if strings.HasPrefix(w.key, "reason.") && w.text == strings.TrimPrefix(w.key, "reason.") {
			continue // the code itself: shown in brackets (above)
		}
		if !found(english, w.text) && w.text == report.ValuePhrases()[w.key][0] {
			t.Errorf("the English reports do not show %q (%s): the fixture misses a value", w.text, w.key)
		}
		if found(spanish, w.text) {
			t.Errorf("the Spanish report shows the English %q (%s)", w.text, w.key)
		}
	}
	// evx's own findings and the outcomes, in Spanish; the counterpart's free text marked as
	// quoted as recorded.
	for _, want := range []string{"la contraparte calculó el SHA-256", "la contraparte no indicó SHA-256", "rechazado por m.garcia",
		"caducado: sin respuesta antes del plazo", "pendiente: aún no consta respuesta", "«remitido por error» (texto tal como consta)",
		"ilegible: el documento no puede abrirse ni leerse", "data/acta.pdf: ilegible"} {
		if !strings.Contains(spanish, want) {
			t.Errorf("the Spanish report lacks %q", want)
		}
	}
	for _, english := range []string{"counterpart computed sha256", "no sha256 reported", "refused by", "expired", "pending"} {
		if found(spanish, english) {
			t.Errorf("the Spanish report says %q in English", english)
		}
	}
}

func regexpQuote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

// allIdentifierTypes is one identifier of each type the report names in words.
func allIdentifierTypes() []report.DocumentIdentifiers {
	var ids []report.Identifier
	for k := range report.ValuePhrases() {
		if t, ok := strings.CutPrefix(k, "idtype."); ok {
			ids = append(ids, report.Identifier{Type: t, Value: "V-" + t, Page: 2})
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Type < ids[j].Type })
	return []report.DocumentIdentifiers{{Name: "data/seizure-report.pdf", Identifiers: ids}}
}
