package report

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// Limits on what the PDF renders; the JSON trail beside it always holds everything.
// Variables only so that tests can lower them.
var (
	maxEvents    = 5000 // events listed; more are counted, not listed
	maxDocuments = 2000 // documents listed
)

const maxText = 600 // runes of any one text field

// Options tune the report.
type Options struct {
	// Generated is the time printed as the report's generation time and stored as the PDF's
	// creation date; time.Now when zero. Fix it for reproducible output.
	Generated time.Time
	// TrailName is the file name of the JSON trail the report refers to as the evidence of
	// record; "trail.json" when empty.
	TrailName string
	// TrailSHA256 is the SHA-256 (lowercase hex) of the trail file's bytes; when set, the
	// report prints it, tying the rendering to the exact file of record. Write sets it.
	TrailSHA256 string
	// Fonts the PDF is set in (LoadFonts); required by PDF and Write, unused by JSONLD.
	Fonts *Fonts
	// Request, when set, is the state of the request the bundle answers, folded from the
	// request's own verified trail; the PDF shows it with each deadline and whether it was met.
	Request *request.State
	// AgencyName, when set, gives an agency's name in full from its directory id ("" when
	// unknown), for the parties the report names; without it the report gives ids alone.
	AgencyName func(id string) string
	// Lang is the language the report is written in (English when empty).
	Lang Lang
	// Identifiers, when set, are the identifiers found in each document (containers, vessels,
	// accounts, phones, wallets: shared/identify), listed after the documents. They are not
	// part of the trail's check: IdentifiersFrom says where they were read.
	Identifiers []DocumentIdentifiers
	// IdentifiersFrom is IdentifiersFromRecords or IdentifiersFromDocuments.
	IdentifiersFrom string
}

// Where the identifiers of a report were read.
const (
	// IdentifiersFromRecords: from the extraction records evx stored, whose SHA-256 the
	// acceptance records (extraction_sha256).
	IdentifiersFromRecords = "records"
	// IdentifiersFromDocuments: from the documents themselves, extracted by the verifier
	// after their SHA-256 matched the trail.
	IdentifiersFromDocuments = "documents"
)

// DocumentIdentifiers are the valid identifiers found in one document (look-alikes whose
// check digit fails are not listed: they are no identifiers).
type DocumentIdentifiers struct {
	Name string `json:"name"`
	// SHA256 is the document's, as the acceptance records it: the CASE/UCO export links each
	// identifier to the file of that name and hash.
	SHA256      string       `json:"sha256,omitempty"`
	Identifiers []Identifier `json:"identifiers"`
}

// Identifier is one identifier as the report prints it.
type Identifier struct {
	Type  string `json:"type"`  // identify.Type: container, imo, iban, phone, ...
	Value string `json:"value"` // normalised
	Page  int    `json:"page,omitempty"`
	Part  string `json:"part,omitempty"`
}

// party is a counterpart's line in the parties section: its id as the label (short, so that
// the value is not pushed down by a wrapped label), and its full name, when known, before
// what it did.
func (o Options) party(id, what string) (label, value string) {
	if o.AgencyName != nil {
		if n := o.AgencyName(id); n != "" {
			return id, n + ": " + what
		}
	}
	return id, what
}

// agency is an agency as the report names it: its full name and id, or its id alone.
func (o Options) agency(id string) string {
	if o.AgencyName != nil {
		if n := o.AgencyName(id); n != "" {
			return n + " (" + id + ")"
		}
	}
	return id
}

func (o Options) generated() time.Time {
	if o.Generated.IsZero() {
		return time.Now().UTC()
	}
	return o.Generated.UTC()
}

func (o Options) trailName() string {
	if o.TrailName == "" {
		return "trail.json"
	}
	return o.TrailName
}

// Page geometry, in millimetres (A4 portrait).
const (
	margin    = 18.0
	pageW     = 210.0
	pageH     = 297.0
	contentW  = pageW - 2*margin
	bottomGap = 22.0 // room for the footer
	labelW    = 46.0 // label column of key-value blocks
)

// Colours.
var (
	colText   = [3]int{20, 20, 20}
	colMuted  = [3]int{85, 85, 85}
	colRule   = [3]int{170, 170, 170}
	colShade  = [3]int{238, 238, 238}
	colOK     = [3]int{18, 110, 40}
	colOKBg   = [3]int{226, 243, 229}
	colFail   = [3]int{170, 20, 20}
	colFailBg = [3]int{250, 228, 228}
)

// PDF writes the report of trail t with verdict v to w.
func PDF(w io.Writer, t *custody.Trail, v Verdict, opt Options) (err error) {
	if opt.Fonts == nil {
		return errors.New("render report: no fonts (Options.Fonts: report.LoadFonts)")
	}
	if err := CourtUse(t); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render report: %v", r)
		}
	}()
	d := newDoc(t, v, opt)
	d.render()
	if err := d.f.Error(); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return d.f.Output(w)
}

type doc struct {
	f   *fpdf.Fpdf
	t   *custody.Trail
	v   Verdict
	opt Options
	gen time.Time
}

func newDoc(t *custody.Trail, v Verdict, opt Options) *doc {
	if t == nil {
		t = &custody.Trail{}
	}
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, bottomGap)
	// fpdf patches glyph data in the buffer it is given while subsetting: hand it copies,
	// or the shared fonts change from one report to the next.
	f.AddUTF8FontFromBytes("sans", "", bytes.Clone(opt.Fonts.sans))
	f.AddUTF8FontFromBytes("sans", "B", bytes.Clone(opt.Fonts.bold))
	f.AddUTF8FontFromBytes("mono", "", bytes.Clone(opt.Fonts.mono))
	gen := opt.generated()
	f.SetCreationDate(gen)
	f.SetModificationDate(gen)
	f.SetCatalogSort(true)
	f.SetTitle(clean(opt.Lang.tr("pdf.title", t.BundleID)), true)
	f.SetSubject(opt.Lang.tr("pdf.subject"), true)
	f.SetCreator("evx report", true)
	f.SetProducer("evx", true)
	f.AliasNbPages("{nb}")
	d := &doc{f: f, t: t.WithDocuments(), v: v, opt: opt, gen: gen}
	f.SetFooterFunc(d.footer)
	f.SetHeaderFunc(d.header)
	return d
}

// caseReference is the case reference the submission records, "" when none.
func (d *doc) caseReference() string {
	if acc := d.acceptance(); acc != nil && acc.Details.Request != nil {
		return acc.Details.Request.CaseReference
	}
	return ""
}

// header puts on every page the bundle, the case reference and the verdict, so that a loose
// page can be placed.
func (d *doc) header() {
	f := d.f
	verdict := d.tr("failed")
	if d.v.Verified {
		verdict = d.tr("verified")
	}
	line := d.tr("hdr.bundle", d.orUnknown(d.t.BundleID))
	if c := d.caseReference(); c != "" {
		line += "  ·  " + d.tr("hdr.case", c)
	}
	line += "  ·  " + verdict
	d.font("sans", "", 7.5, colMuted)
	f.SetXY(margin, margin-7)
	f.CellFormat(contentW, 3.4, clean(line), "", 0, "R", false, 0, "")
	f.SetXY(margin, margin)
	if r := custody.BundleRestriction(d.t.EventList()); r != "" {
		// H3: the sender's restriction on every page, above the page's content.
		d.font("sans", "B", 8, colFail)
		f.SetFillColor(colFailBg[0], colFailBg[1], colFailBg[2])
		f.MultiCell(contentW, 3.8, clean(d.tr("hdr.h3", r)), "", "L", true)
		f.Ln(2)
		d.font("sans", "", 9, colText)
	}
}

func (d *doc) footer() {
	f := d.f
	f.SetY(-bottomGap + 6)
	d.color(colRule)
	f.SetDrawColor(colRule[0], colRule[1], colRule[2])
	f.Line(margin, f.GetY(), pageW-margin, f.GetY())
	f.Ln(1.5)
	d.font("sans", "", 7.5, colMuted)
	note := d.tr("footer", d.gen.Format("2006-01-02 15:04:05 UTC"), clean(d.opt.trailName()))
	y := f.GetY()
	f.MultiCell(contentW-30, 3.4, note, "", "L", false)
	f.SetXY(pageW-margin-30, y)
	f.CellFormat(30, 3.4, d.tr("footer.page", f.PageNo()), "", 0, "R", false, 0, "")
}

func (d *doc) render() {
	d.f.AddPage()
	d.title()
	d.verdict()
	d.parties()
	d.caseBlock()
	d.requestBlock()
	d.documents()
	d.identifiers()
	d.events()
	d.checkpoint()
	d.howToCheck()
}

// --- primitives -------------------------------------------------------------------------

// tr is the phrase key in the report's language (lang.go).
func (d *doc) tr(key string, a ...any) string { return d.opt.Lang.tr(key, a...) }

// trn is the phrase key for a count of n things, singular for one (lang.go).
func (d *doc) trn(key string, n int64, a ...any) string { return d.opt.Lang.trn(key, n, a...) }

func (d *doc) orUnknown(s string) string { return or(s, d.tr("unknown")) }

func (d *doc) color(c [3]int) { d.f.SetTextColor(c[0], c[1], c[2]) }

func (d *doc) font(family, style string, size float64, c [3]int) {
	d.f.SetFont(family, style, size)
	d.color(c)
}

// room starts a new page unless h millimetres fit above the footer.
func (d *doc) room(h float64) {
	if d.f.GetY()+h > pageH-bottomGap {
		d.f.AddPage()
	}
}

// heading starts a section, on a new page unless keep millimetres (the heading and what
// must stay with it) fit.
func (d *doc) heading(s string, keep float64) {
	d.room(keep)
	d.f.Bookmark(s, 0, -1)
	d.f.Ln(4)
	d.font("sans", "B", 12.5, colText)
	d.f.CellFormat(contentW, 7, s, "", 1, "L", false, 0, "")
	d.f.SetDrawColor(colRule[0], colRule[1], colRule[2])
	d.f.Line(margin, d.f.GetY(), pageW-margin, d.f.GetY())
	d.f.Ln(2)
}

func (d *doc) para(s string, size float64, c [3]int) {
	d.font("sans", "", size, c)
	d.f.MultiCell(contentW, size*0.5, clean(s), "", "L", false)
}

// lines wraps s into lines of at most width millimetres in the current font: at spaces
// where it can, inside a word where one word is wider than the line.
func (d *doc) lines(s string, width float64) []string {
	width -= 2 * d.f.GetCellMargin()
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Split(para, " ") {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if d.f.GetStringWidth(try) <= width {
				line = try
				continue
			}
			if line != "" {
				out = append(out, line)
				line = ""
			}
			// The word alone: break it where it runs over.
			for d.f.GetStringWidth(word) > width {
				r := []rune(word)
				n := 1
				for n < len(r) && d.f.GetStringWidth(string(r[:n+1])) <= width {
					n++
				}
				out = append(out, string(r[:n]))
				word = string(r[n:])
			}
			line = word
		}
		out = append(out, line)
	}
	return out
}

// monoLines splits a long token (a hash, a key id) into lines of width millimetres in the
// mono font at size, breaking anywhere: such values have no spaces to break at.
func (d *doc) monoLines(s string, size, width float64) []string {
	d.f.SetFont("mono", "", size)
	per := int((width - 2*d.f.GetCellMargin()) / d.f.GetStringWidth("0"))
	if per < 8 {
		per = 8
	}
	var out []string
	for _, part := range strings.Split(s, "\n") {
		r := []rune(part)
		for len(r) > per {
			out = append(out, string(r[:per]))
			r = r[per:]
		}
		out = append(out, string(r))
	}
	return out
}

// kv prints a label and its value, wrapping the value; mono values break anywhere.
func (d *doc) kv(label, value string, mono bool) {
	value = clean(value)
	const size, lh = 9.0, 4.6
	var vl []string
	if mono {
		vl = d.monoLines(value, 8, contentW-labelW)
	} else {
		d.f.SetFont("sans", "", size)
		vl = d.lines(value, contentW-labelW)
	}
	d.f.SetFont("sans", "B", size)
	ll := d.lines(label, labelW)
	n := max(len(vl), len(ll))
	d.room(float64(n) * lh)
	y := d.f.GetY()
	d.font("sans", "B", size, colMuted)
	for i, l := range ll {
		d.f.SetXY(margin, y+float64(i)*lh)
		d.f.CellFormat(labelW, lh, l, "", 0, "L", false, 0, "")
	}
	if mono {
		d.font("mono", "", 8, colText)
	} else {
		d.font("sans", "", size, colText)
	}
	for i, l := range vl {
		d.f.SetXY(margin+labelW, y+float64(i)*lh)
		d.f.CellFormat(contentW-labelW, lh, l, "", 0, "L", false, 0, "")
	}
	d.f.SetXY(margin, y+float64(n)*lh+0.6)
}

// --- sections ---------------------------------------------------------------------------

func (d *doc) title() {
	d.f.Bookmark(d.tr("bm.verdict"), 0, -1)
	d.font("sans", "B", 19, colText)
	if c := d.caseReference(); c != "" {
		d.f.MultiCell(contentW, 10, clean(d.tr("hdr.case", c)), "", "L", false)
		d.font("sans", "B", 12, colText)
		d.f.CellFormat(contentW, 7, d.tr("title"), "", 1, "L", false, 0, "")
	} else {
		d.f.CellFormat(contentW, 10, d.tr("title"), "", 1, "L", false, 0, "")
	}
	d.font("sans", "", 10.5, colMuted)
	d.f.MultiCell(contentW, 5.2, clean(d.tr("title.bundle", d.orUnknown(d.t.BundleID))), "", "L", false)
	d.f.Ln(3)
}

func (d *doc) verdict() {
	type line struct {
		family, style string
		size, h       float64
		c             [3]int
		text          string
		indent        float64
	}
	var ls []line
	inner := contentW - 8
	add := func(family, style string, size float64, c [3]int, text string, indent float64) {
		d.f.SetFont(family, style, size)
		var parts []string
		if family == "mono" {
			parts = d.monoLines(clean(text), size, inner-indent)
		} else {
			parts = d.lines(clean(text), inner-indent)
		}
		for _, p := range parts {
			ls = append(ls, line{family, style, size, size * 0.48, c, p, indent})
		}
	}
	fg, bg := colOK, colOKBg
	n := len(d.t.Events)
	if d.v.Verified {
		add("sans", "B", 22, fg, d.tr("verified"), 0)
		s := d.trn("v.ok", int64(n), n)
		if d.v.Summary != nil && d.v.Summary.DocumentsCheck > 0 {
			s += d.trn("v.docs", int64(d.v.Summary.DocumentsCheck), d.v.Summary.DocumentsCheck)
		} else {
			s += d.tr("v.nodocs")
		}
		if d.v.Summary != nil && d.v.Summary.OlderSize > 0 {
			s += d.tr("v.older", d.v.Summary.OlderSize)
		}
		add("sans", "", 9.5, colText, s, 0)
		for _, w := range d.witnessLines() {
			add("sans", "", 9, colText, w, 0)
		}
	} else {
		fg, bg = colFail, colFailBg
		add("sans", "B", 22, fg, d.tr("failed"), 0)
		fl := d.v.In(d.opt.Lang).Failure
		if fl == nil {
			fl = &Failure{Summary: d.tr("v.notverified")}
		}
		add("sans", "B", 10, colText, fl.Summary, 0)
		if fl.Expected != "" || fl.Computed != "" {
			add("sans", "B", 8.5, colMuted, d.tr("v.expected"), 0)
			add("mono", "", 8, colText, fl.Expected, 4)
			add("sans", "B", 8.5, colMuted, d.tr("v.computed"), 0)
			add("mono", "", 8, colText, fl.Computed, 4)
		}
		switch {
		case fl.Kind != "" && fl.Expected == "" && fl.Computed == "":
			add("sans", "", 8, colMuted, d.tr("v.kinddetail", fl.Kind, fl.Detail), 0)
		case fl.Kind != "":
			add("sans", "", 8, colMuted, d.tr("v.kind", fl.Kind), 0)
		}
		add("sans", "", 9, colText, d.tr("v.unreliable"), 0)
		if d.t.Witnessed != nil {
			add("sans", "", 9, colText, d.tr("v.witnessunchecked"), 0)
		}
	}
	if d.v.TrustedKeyID != "" {
		add("sans", "", 8, colMuted, d.tr("v.trustedkey"), 0)
		add("mono", "", 8, colText, d.v.TrustedKeyID, 4)
	}
	h := 6.0
	for _, l := range ls {
		h += l.h
	}
	d.room(h)
	x, y := margin, d.f.GetY()
	d.f.SetFillColor(bg[0], bg[1], bg[2])
	d.f.SetDrawColor(fg[0], fg[1], fg[2])
	d.f.SetLineWidth(0.8)
	d.f.Rect(x, y, contentW, h, "DF")
	d.f.SetLineWidth(0.2)
	y += 3
	for _, l := range ls {
		d.font(l.family, l.style, l.size, l.c)
		d.f.SetXY(x+4+l.indent, y)
		d.f.CellFormat(inner-l.indent, l.h, l.text, "", 0, "L", false, 0, "")
		y += l.h
	}
	d.f.SetXY(margin, y+4)
}

// acceptance returns the bundle's first SubmissionAcceptance event, or nil.
func (d *doc) acceptance() *custody.Event {
	for i := range d.t.Events {
		if d.t.Events[i].Event.Type == custody.SubmissionAcceptance {
			return &d.t.Events[i].Event
		}
	}
	return nil
}

func (d *doc) caseBlock() {
	d.heading(d.tr("c.heading"), 60)
	notRecorded := d.tr("notrecorded")
	acc := d.acceptance()
	var req custody.Request
	reference := ""
	if acc != nil {
		reference = acc.Details.Reference
		if acc.Details.Request != nil {
			req = *acc.Details.Request
		}
	}
	if req.RequestReference == "" {
		req.RequestReference = reference
	}
	d.kv(d.tr("c.bundle"), d.orUnknown(d.t.BundleID), false)
	d.kv(d.tr("c.case"), or(req.CaseReference, notRecorded), false)
	d.kv(d.tr("c.request"), or(req.RequestReference, notRecorded), false)
	d.kv(d.tr("c.legal"), or(req.LegalBasis, notRecorded), false)
	d.kv(d.tr("c.requesting"), or(req.RequestingState, notRecorded), false)
	d.kv(d.tr("c.requested"), or(req.RequestedState, notRecorded), false)
	d.kv(d.tr("c.handling"), or(req.HandlingCode, notRecorded), false)
	if acc != nil {
		d.kv(d.tr("c.accepted"), d.formatTime(acc.Time), false)
	} else {
		d.kv(d.tr("c.accepted"), d.tr("c.noaccept"), false)
	}
	var to []string
	seen := map[string]bool{}
	for _, te := range d.t.Events {
		if c := te.Event.Details.Counterpart; te.Event.Type == custody.ContentConsignment && c != "" && !seen[c] {
			seen[c] = true
			to = append(to, d.opt.agency(c))
		}
	}
	if len(to) > 0 {
		d.kv(d.tr("c.delivered"), strings.Join(to, ", "), false)
	}
	d.kv(d.tr("c.events"), strconv.Itoa(len(d.t.Events)), false)
	if d.opt.TrailSHA256 != "" {
		d.kv(d.tr("c.trailfile"), d.tr("c.trailrecord", d.opt.trailName()), false)
		d.kv("", d.opt.TrailSHA256, true)
	}
}

// parties names who sent the bundle and how each counterpart answered, document by document
// where its sealed receipt says, and which of those acts are sealed by the party itself (and
// checked, when the trail verified).
func (d *doc) parties() {
	acc := d.acceptance()
	if acc == nil {
		return
	}
	seals := map[uint64]custody.SealCheck{}
	if d.v.Summary != nil {
		for _, s := range d.v.Summary.Seals {
			seals[s.Seq] = s
		}
	}
	sealNote := func(e *custody.Event, sealed bool) string {
		s, ok := seals[e.Seq]
		switch {
		case ok && s.KeySource == "pinned":
			return d.tr("p.seal.pinned", s.KeyID)
		case ok && s.KeySource == "log":
			return d.tr("p.seal.history", s.KeyID, keyWindow(d, s))
		case ok:
			return d.tr("p.seal.log", s.KeyID)
		case sealed:
			return d.tr("p.seal.unchecked")
		}
		return d.tr("p.seal.none")
	}
	d.heading(d.tr("p.heading"), 40)
	sender := acc.Actor.Person
	if acc.Actor.Agency != "" {
		sender = d.tr("p.of", sender, d.opt.agency(acc.Actor.Agency))
	}
	if acc.Actor.Person == "" {
		sender = d.actorText(acc.Actor)
	}
	d.kv(d.tr("p.sentby"), clean(sender), false)
	d.kv("", clean(sealNote(acc, acc.Details.Seal != nil)), false)
	var order []string
	outcome := map[string]*custody.Event{}
	for i := range d.t.Events {
		e := &d.t.Events[i].Event
		c := e.Details.Counterpart
		switch e.Type {
		case custody.ContentConsignment:
			if _, ok := outcome[c]; !ok {
				order = append(order, c)
				outcome[c] = nil
			}
		case custody.ConsignmentAcceptance, custody.ConsignmentRejection, custody.AcceptanceRejectionExpiry:
			outcome[c] = e
		}
	}
	for _, c := range order {
		e := outcome[c]
		if e == nil {
			l, v := d.opt.party(c, d.tr("p.pending"))
			d.kv(clean(l), clean(v), false)
			continue
		}
		text := d.tr(map[custody.EventType]string{custody.ConsignmentAcceptance: "p.accepted", custody.ConsignmentRejection: "p.refused",
			custody.AcceptanceRejectionExpiry: "p.expired"}[e.Type])
		if e.Actor.Person != "" {
			text = d.tr("p.by", text, e.Actor.Person)
		}
		text += ", " + d.formatTime(e.Time)
		if rs := d.reasons(e.Details.Reasons, receiptNote(e)); len(rs) > 0 {
			text += d.tr("p.reasons", strings.Join(rs, "; "))
		}
		l, v := d.opt.party(c, text)
		d.kv(clean(l), clean(v), false)
		if e.Type != custody.AcceptanceRejectionExpiry {
			d.kv("", clean(sealNote(e, e.Details.Receipt != nil)), false)
		}
		if r := e.Details.Receipt; r != nil {
			_, checked := seals[e.Seq]
			d.receipt(r, checked)
		}
		if len(e.Details.Findings) > 0 {
			d.kv("", clean(d.tr("p.findings", strings.Join(d.findings(e.Details.Findings), "; "))), false)
		}
	}
}

// reasons gives an event's reasons in the report's language, leaving out the counterpart's
// note (shown apart as its note, in its own words).
func (d *doc) reasons(rs []string, note string) []string {
	var out []string
	for _, r := range rs {
		if note != "" && r == note {
			continue
		}
		out = append(out, d.reason(r))
	}
	return out
}

// reason gives a reason code (custody.ReasonCodes) in plain words with the code, also after
// a document's name ("NAME: CODE", as evx receipt records a refusal per document); any other
// text as it is recorded, marked so in a language it may not be written in.
func (d *doc) reason(r string) string {
	if _, ok := phrases["reason."+r]; ok {
		return d.tr("reason."+r) + " [" + r + "]"
	}
	if i := strings.LastIndex(r, ": "); i > 0 {
		if c := r[i+2:]; slices.Contains(custody.ReasonCodes, c) {
			return r[:i] + ": " + d.reason(c)
		}
	}
	return d.tr("text.asrecorded", r)
}

// Findings as shared/pipeline's HashMismatch words them.
var (
	findingComputed = regexp.MustCompile(`^(.+): counterpart computed sha256 ([0-9a-f]{64}), recorded ([0-9a-f]{64})$`)
	findingNoHash   = regexp.MustCompile(`^(.+): no sha256 reported, recorded ([0-9a-f]{64})$`)
)

// findings gives evx's own findings in the report's language.
func (d *doc) findings(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		if m := findingComputed.FindStringSubmatch(f); m != nil {
			out[i] = d.tr("finding.computed", m[1], m[2], m[3])
		} else if m := findingNoHash.FindStringSubmatch(f); m != nil {
			out[i] = d.tr("finding.nohash", m[1], m[2])
		} else {
			out[i] = d.tr("text.asrecorded", f)
		}
	}
	return out
}

// receiptNote is the note of the counterpart's receipt statement an event carries, "" when
// none.
func receiptNote(e *custody.Event) string {
	if e.Details.Receipt == nil {
		return ""
	}
	st, err := readStatement(e.Details.Receipt.Statement)
	if err != nil {
		return ""
	}
	return st.Note
}

// receipt lists each document as the counterpart's sealed statement judged it, and its
// note. The statement is read as the trail carries it; whether its seal holds is the seal
// line's and the verdict's to say (checked).
func (d *doc) receipt(r *custody.ReceiptRecord, checked bool) {
	st, err := readStatement(r.Statement)
	if err != nil {
		d.kv("", clean(d.tr("p.receipt.bad", err.Error())), false)
		return
	}
	if len(st.Documents) > 0 {
		if checked {
			d.kv("", d.tr("p.receipt"), false)
		} else {
			d.kv("", d.tr("p.receipt.unsealed"), false)
		}
	}
	for i, doc := range st.Documents {
		if i == maxDocuments {
			d.kv("", d.trn("d.more", int64(len(st.Documents)-maxDocuments), len(st.Documents)-maxDocuments), false)
			break
		}
		line := d.tr("p.doc.accepted", doc.Name)
		if doc.Outcome != custody.OutcomeAccepted {
			line = d.tr("p.doc.refused", doc.Name, d.reason(doc.Reason))
		}
		d.kv("", clean("• "+line), false)
		if doc.SHA256 != "" {
			d.kv("", d.tr("p.doc.hash", doc.SHA256), true)
		} else {
			d.kv("", "   "+d.tr("p.doc.nohash"), false)
		}
	}
	if st.Note != "" {
		d.kv("", clean(d.tr("p.note", st.Note)), false)
	}
}

// readStatement decodes a receipt statement as a trail carries it (base64 of its JSON), bounded
// like custody's own reading of it; it does not check the seal.
func readStatement(b64 string) (*custody.ReceiptStatement, error) {
	if len(b64) > 96<<10 {
		return nil, errors.New("longer than 64 KiB")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	var st custody.ReceiptStatement
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return &st, nil
}

// witnessLines say, for the first page, whether the trail was proven complete and which
// witnesses' cosignatures on the checkpoint were verified.
func (d *doc) witnessLines() []string {
	var out []string
	c := d.v.Summary.Complete
	if c == nil {
		if d.t.Witnessed != nil {
			out = append(out, d.tr("v.nowitness"))
		}
		return out
	}
	out = append(out, d.tr("v.complete", c.Size))
	switch {
	case len(c.Cosigners) > 0:
		out = append(out, d.trn("v.cosigned", int64(len(c.Cosigners)), len(c.Cosigners), strings.Join(c.Cosigners, ", ")))
	case d.t.Witnessed != nil:
		out = append(out, d.tr("v.nowitness"))
	default:
		out = append(out, d.tr("v.unwitnessed"))
	}
	return out
}

// documentsOf returns the documents the acceptance records, or those of the first event
// that records any.
func (d *doc) documentsOf() (docs []custody.Document, from string) {
	if acc := d.acceptance(); acc != nil && len(acc.Details.Documents) > 0 {
		return acc.Details.Documents, d.tr("d.from.acc", acc.Seq)
	}
	for _, te := range d.t.Events {
		if len(te.Event.Details.Documents) > 0 {
			return te.Event.Details.Documents, d.tr("d.from", te.Event.Seq, clean(string(te.Event.Type)))
		}
	}
	return nil, ""
}

func (d *doc) documents() {
	d.heading(d.tr("d.heading"), 45)
	docs, from := d.documentsOf()
	if len(docs) == 0 {
		d.para(d.tr("d.none"), 9, colMuted)
		return
	}
	d.para(d.trn("d.intro", int64(len(docs)), len(docs), from), 8.5, colMuted)
	d.f.Ln(2)
	cols := []float64{9, 68, 27, contentW - 9 - 68 - 27}
	header := func() {
		d.font("sans", "B", 8.5, colText)
		d.f.SetFillColor(colShade[0], colShade[1], colShade[2])
		for i, h := range []string{"#", d.tr("d.col.name"), d.tr("d.col.size"), "SHA-256"} {
			align := "L"
			if i == 2 {
				align = "R"
			}
			d.f.CellFormat(cols[i], 6, h, "B", 0, align, true, 0, "")
		}
		d.f.Ln(-1)
	}
	header()
	const lh = 4.0
	for i, doc := range docs {
		if i == maxDocuments {
			d.para(d.trn("d.more", int64(len(docs)-maxDocuments), len(docs)-maxDocuments), 8.5, colMuted)
			break
		}
		d.f.SetFont("sans", "", 8.5)
		name := d.lines(clean(doc.Name), cols[1])
		// The media type detected at ingest, under the name in small muted type.
		var mt []string
		if doc.MediaType != "" {
			d.f.SetFont("sans", "", 7.5)
			mt = d.lines(clean(doc.MediaType), cols[1])
		}
		hash := groupedHash(doc.SHA256)
		n := max(len(name)+len(mt), len(hash))
		h := float64(n)*lh + 1.6
		if d.f.GetY()+h > pageH-bottomGap {
			d.f.AddPage()
			header()
		}
		y := d.f.GetY() + 0.8
		d.font("sans", "", 8.5, colText)
		d.f.SetXY(margin, y)
		d.f.CellFormat(cols[0], lh, strconv.Itoa(i+1), "", 0, "L", false, 0, "")
		for j, l := range name {
			d.f.SetXY(margin+cols[0], y+float64(j)*lh)
			d.f.CellFormat(cols[1], lh, l, "", 0, "L", false, 0, "")
		}
		d.font("sans", "", 7.5, colMuted)
		for j, l := range mt {
			d.f.SetXY(margin+cols[0], y+float64(len(name)+j)*lh)
			d.f.CellFormat(cols[1], lh, l, "", 0, "L", false, 0, "")
		}
		d.font("sans", "", 8.5, colText)
		d.f.SetXY(margin+cols[0]+cols[1], y)
		size := d.thousands(doc.Size)
		for fs := 8.5; d.f.GetStringWidth(size) > cols[2]-2 && fs > 5; fs -= 0.5 {
			d.f.SetFont("sans", "", fs)
		}
		d.f.CellFormat(cols[2], lh, size, "", 0, "R", false, 0, "")
		d.font("mono", "", 8, colText)
		for j, l := range hash {
			d.f.SetXY(margin+cols[0]+cols[1]+cols[2]+2, y+float64(j)*lh)
			d.f.CellFormat(cols[3]-2, lh, l, "", 0, "L", false, 0, "")
		}
		d.f.SetY(y - 0.8 + h)
		d.f.SetDrawColor(colShade[0]-20, colShade[1]-20, colShade[2]-20)
		d.f.Line(margin, d.f.GetY(), pageW-margin, d.f.GetY())
	}
}

// maxIdentifiers bounds the identifiers listed; the rest are counted.
const maxIdentifiers = 500

// identifiers lists the identifiers found in the documents, one row each: document, type,
// value, where. Nothing is printed when the host gave none.
func (d *doc) identifiers() {
	if d.opt.Identifiers == nil {
		return
	}
	d.heading(d.tr("i.heading"), 40)
	total := 0
	for _, di := range d.opt.Identifiers {
		total += len(di.Identifiers)
	}
	from := d.tr("i.from.records")
	if d.opt.IdentifiersFrom == IdentifiersFromDocuments {
		from = d.tr("i.from.documents")
	}
	if total == 0 {
		d.para(d.tr("i.none", from), 8.5, colMuted)
		return
	}
	d.para(d.trn("i.intro", int64(total), total, from), 8.5, colMuted)
	d.f.Ln(2)
	cols := []float64{64, 34, 56, contentW - 64 - 34 - 56}
	header := func() {
		d.font("sans", "B", 8.5, colText)
		d.f.SetFillColor(colShade[0], colShade[1], colShade[2])
		for i, h := range []string{d.tr("i.col.doc"), d.tr("i.col.type"), d.tr("i.col.value"), d.tr("i.col.where")} {
			d.f.CellFormat(cols[i], 6, h, "B", 0, "L", true, 0, "")
		}
		d.f.Ln(-1)
	}
	header()
	const lh = 4.0
	n := 0
	for _, di := range d.opt.Identifiers {
		for _, id := range di.Identifiers {
			if n == maxIdentifiers {
				d.para(d.trn("i.more", int64(total-n), total-n), 8.5, colMuted)
				return
			}
			n++
			d.f.SetFont("sans", "", 8.5)
			name := d.lines(clean(di.Name), cols[0]-1)
			typ := d.lines(clean(d.opt.Lang.value("idtype.", id.Type)), cols[1]-1)
			d.f.SetFont("mono", "", 8)
			value := d.lines(clean(id.Value), cols[2]-1)
			rows := max(len(name), len(typ), len(value))
			h := float64(rows)*lh + 1.6
			if d.f.GetY()+h > pageH-bottomGap {
				d.f.AddPage()
				header()
			}
			y := d.f.GetY() + 0.8
			d.font("sans", "", 8.5, colText)
			for j, l := range name {
				d.f.SetXY(margin, y+float64(j)*lh)
				d.f.CellFormat(cols[0], lh, l, "", 0, "L", false, 0, "")
			}
			for j, l := range typ {
				d.f.SetXY(margin+cols[0], y+float64(j)*lh)
				d.f.CellFormat(cols[1], lh, l, "", 0, "L", false, 0, "")
			}
			d.font("mono", "", 8, colText)
			for j, l := range value {
				d.f.SetXY(margin+cols[0]+cols[1], y+float64(j)*lh)
				d.f.CellFormat(cols[2], lh, l, "", 0, "L", false, 0, "")
			}
			d.font("sans", "", 8, colMuted)
			where := id.Part
			if id.Page > 0 {
				where = d.tr("i.page", id.Page)
			}
			d.f.SetXY(margin+cols[0]+cols[1]+cols[2], y)
			d.f.CellFormat(cols[3], lh, clean(where), "", 0, "L", false, 0, "")
			d.f.SetY(y - 0.8 + h)
			d.f.SetDrawColor(colShade[0]-20, colShade[1]-20, colShade[2]-20)
			d.f.Line(margin, d.f.GetY(), pageW-margin, d.f.GetY())
		}
	}
}

func (d *doc) events() {
	d.heading(d.tr("e.heading"), 50)
	d.para(d.tr("e.intro"), 8.5, colMuted)
	d.f.Ln(1)
	cols := []float64{10, 47, 52, contentW - 10 - 47 - 52}
	for i, te := range d.t.Events {
		if i == maxEvents {
			d.para(d.trn("e.more", int64(len(d.t.Events)-maxEvents), len(d.t.Events)-maxEvents), 8.5, colMuted)
			break
		}
		d.event(te, cols)
	}
	if len(d.t.Events) == 0 {
		d.para(d.tr("e.none"), 9, colMuted)
	}
}

func (d *doc) event(te custody.TrailEvent, cols []float64) {
	e := te.Event
	const lh = 4.2
	d.f.SetFont("sans", "", 8.5)
	actor := d.lines(clean(d.actorText(e.Actor)), cols[3])
	typ := clean(string(e.Type))
	// Detail lines below the row, with their fonts.
	type line struct {
		mono bool
		text string
	}
	var below []line
	addText := func(s string) {
		d.f.SetFont("sans", "", 8)
		for _, l := range d.lines(clean(s), contentW-cols[0]) {
			below = append(below, line{false, l})
		}
	}
	addText(ExplainIn(e.Type, d.opt.Lang))
	if e.Details.Counterpart != "" {
		addText(d.tr("e.receiving", e.Details.Counterpart))
	}
	if e.Details.Reference != "" {
		addText(d.tr("e.reference", e.Details.Reference))
	}
	if n := len(e.Details.Documents); n > 0 {
		addText(d.tr("e.docs", n, d.docNames(e.Details.Documents)))
	}
	note := receiptNote(&e)
	for _, r := range d.reasons(e.Details.Reasons, note) {
		addText(d.tr("e.reason", r))
	}
	if note != "" && slices.Contains(e.Details.Reasons, note) {
		addText(d.tr("p.note", note))
	}
	for _, l := range d.monoLines(d.tr("e.fingerprint", e.Hash), 7, contentW-cols[0]) {
		below = append(below, line{true, l})
	}
	rowH := float64(max(1, len(actor)))*lh + 1.5
	h := rowH + float64(len(below))*3.7 + 2.5
	d.room(h)
	y := d.f.GetY()
	d.f.SetFillColor(colShade[0], colShade[1], colShade[2])
	d.f.Rect(margin, y, contentW, rowH, "F")
	y0 := y + 0.75
	d.font("sans", "B", 8.5, colText)
	d.f.SetXY(margin, y0)
	d.f.CellFormat(cols[0], lh, strconv.FormatUint(e.Seq, 10), "", 0, "L", false, 0, "")
	d.font("sans", "", 8.5, colText)
	d.f.CellFormat(cols[1], lh, d.formatTime(e.Time), "", 0, "L", false, 0, "")
	d.font("sans", "B", 8.5, colText)
	d.f.CellFormat(cols[2], lh, typ, "", 0, "L", false, 0, "")
	d.font("sans", "", 8.5, colText)
	for j, l := range actor {
		d.f.SetXY(margin+cols[0]+cols[1]+cols[2], y0+float64(j)*lh)
		d.f.CellFormat(cols[3], lh, l, "", 0, "L", false, 0, "")
	}
	y += rowH + 0.5
	for _, l := range below {
		if l.mono {
			d.font("mono", "", 7, colMuted)
		} else {
			d.font("sans", "", 8, colText)
		}
		d.f.SetXY(margin+cols[0], y)
		d.f.CellFormat(contentW-cols[0], 3.7, l.text, "", 0, "L", false, 0, "")
		y += 3.7
	}
	d.f.SetXY(margin, y+2)
}

func (d *doc) docNames(docs []custody.Document) string {
	var names []string
	for i, doc := range docs {
		if i == 3 {
			names = append(names, d.tr("e.andmore", len(docs)-3))
			break
		}
		names = append(names, doc.Name)
	}
	return strings.Join(names, ", ")
}

// checkpointBody reads origin, size and root hash from a checkpoint note's body, without
// checking its signature (the verdict says whether it was checked).
func checkpointBody(note string) (origin, size, root string) {
	body, _, _ := strings.Cut(note, "\n\n")
	ls := strings.Split(body, "\n")
	if len(ls) >= 3 {
		origin, size = ls[0], ls[1]
		if b, err := base64.StdEncoding.DecodeString(ls[2]); err == nil {
			root = hex.EncodeToString(b)
		} else {
			root = ls[2]
		}
	}
	return origin, size, root
}

func (d *doc) checkpointChecked() bool {
	if d.v.Verified {
		return true
	}
	return d.v.Failure != nil && d.v.Failure.Kind != "CheckpointError" && d.v.Failure.Kind != "FormatError" && d.v.Failure.Kind != ""
}

func (d *doc) checkpoint() {
	d.heading(d.tr("k.heading"), 75)
	notRecorded := d.tr("notrecorded")
	d.para(d.tr("k.intro"), 8.5, colMuted)
	d.f.Ln(1.5)
	origin, size, root := checkpointBody(d.t.Checkpoint)
	d.kv(d.tr("k.origin"), or(origin, notRecorded), false)
	sizeN, _ := strconv.ParseInt(size, 10, 64)
	d.kv(d.tr("k.size"), d.trn("k.sizeval", sizeN, or(size, notRecorded)), false)
	d.kv(d.tr("k.root"), or(root, notRecorded), true)
	status := d.tr("k.sig.ok")
	if !d.checkpointChecked() {
		status = d.tr("k.sig.bad")
	}
	d.kv(d.tr("k.sig"), status, false)
	if d.t.Consistency != nil {
		d.kv(d.tr("k.consistency"), d.tr("k.from", d.t.Consistency.FromSize), false)
	}
	d.f.Ln(1)
	if len(d.t.Keys) == 0 {
		d.kv(d.tr("k.listed"), d.tr("k.nokeys"), false)
	}
	uses := map[string]custody.KeyUse{}
	if d.v.Summary != nil && d.v.Summary.Rotation != nil {
		for _, u := range d.v.Summary.Rotation.Keys {
			uses[u.KeyID] = u
		}
	}
	for i, k := range d.t.Keys {
		label := d.tr("k.key")
		if len(d.t.Keys) > 1 {
			label = d.tr("k.keyn", i+1)
		}
		v := k.KeyID
		d.kv(label, v, true)
		note := clean(k.Algorithm)
		u, inChain := uses[k.KeyID]
		switch {
		case k.KeyID == d.v.TrustedKeyID && d.v.TrustedKeyID != "":
			note += d.tr("k.trusted")
		case inChain:
			note += d.tr("k.chain")
		default:
			note += d.tr("k.other")
		}
		if inChain {
			note += d.keyUseNote(u)
		}
		d.kv("", note, false)
	}
}

func (d *doc) howToCheck() {
	d.heading(d.tr("h.heading"), 40)
	d.para(d.tr("h.intro", d.opt.trailName()), 8.5, colText)
	d.f.Ln(1)
	d.font("mono", "", 8, colText)
	d.f.MultiCell(contentW, 4, clean(fmt.Sprintf("evx verify --key evx-public.pem %s [--documents FOLDER]", d.opt.trailName())), "", "L", false)
	d.f.Ln(1)
	d.para(d.tr("h.howto"), 8.5, colMuted)
}

// --- text helpers -----------------------------------------------------------------------

// clean makes s printable: invalid UTF-8, control characters and characters outside the
// Basic Multilingual Plane (which the embedded fonts' width tables do not cover) become
// U+FFFD, and overlong text is cut with an ellipsis.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		if n == maxText {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\t', r == '\n', r == '\r':
			r = ' '
		case r == utf8.RuneError && size <= 1, r > 0xFFFD:
			r = '\uFFFD'
		case unicode.IsControl(r), unicode.In(r, unicode.Cs, unicode.Cf, unicode.Zl, unicode.Zp):
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func or(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}

func orUnknown(s string) string { return or(s, "(unknown)") }

func (d *doc) formatTime(t time.Time) string {
	if t.IsZero() {
		return d.tr("time.none")
	}
	return t.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
}

// groupedHash prints a hex hash in groups of eight, two lines for SHA-256; anything else
// (a malformed value) is split every 32 characters.
func groupedHash(h string) []string {
	h = clean(h)
	r := []rune(h)
	var out []string
	for len(r) > 0 {
		n := min(32, len(r))
		var g []string
		for i := 0; i < n; i += 8 {
			g = append(g, string(r[i:min(i+8, n)]))
		}
		out = append(out, strings.Join(g, " "))
		r = r[n:]
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}

// thousands groups digits as the report's language does: 1,234,567 or 1.234.567.
func (d *doc) thousands(n int64) string {
	sep := byte(',')
	if d.opt.Lang == Spanish {
		sep = '.'
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b bytes.Buffer
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// keyUseNote says, for a key of a trail spanning key rotations, which events it signed and
// when it was introduced and retired.
func (d *doc) keyUseNote(u custody.KeyUse) string {
	note := d.tr("k.noevents")
	if u.Events > 0 {
		note = d.tr("k.signed", u.FirstSeq, u.LastSeq)
		if u.FirstSeq == u.LastSeq {
			note = d.tr("k.signed.one", u.FirstSeq)
		}
	}
	if u.Introduced != "" {
		note += d.tr("k.introduced", u.Introduced)
	}
	if u.Retired != "" {
		note += d.tr("k.retired", u.Retired)
	}
	return note
}

// keyWindow says, in the report's language, when the key of a checked seal could seal.
func keyWindow(d *doc, s custody.SealCheck) string {
	if s.ValidFrom == "" && s.ValidUntil == "" {
		return d.tr("p.key.unbounded")
	}
	w := d.tr("p.key.valid")
	if s.ValidFrom != "" {
		w = d.tr("p.key.from", s.ValidFrom)
	}
	switch {
	case s.ValidUntil != "" && s.Revoked:
		w += ", " + d.tr("p.key.revoked", s.ValidUntil)
	case s.ValidUntil != "":
		w += " " + d.tr("p.key.until", s.ValidUntil)
	}
	return w
}
