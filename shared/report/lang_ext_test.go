package report_test

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

func renderIn(t testing.TB, tr *custody.Trail, v report.Verdict, l report.Lang) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime, Lang: l}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPDFSpanishGolden: the fixture's report for a Spanish court, verified and failed.
func TestPDFSpanishGolden(t *testing.T) {
	tr, _, s := fixture(t)
	v := verdictOf(t, tr, s)
	res := pdfText(t, renderIn(t, tr, v, report.Spanish))
	golden(t, "verified.es.golden.txt", res.Text)
	text := strings.Join(strings.Fields(res.Text), " ")
	for _, want := range []string{
		"VERIFICADO", "Asunto OM-2026-114", "Informe de cadena de custodia", "Las partes", "Referencia del asunto OM-2026-114",
		"Base jurídica", "Estado requirente NL", "Eventos de custodia, por orden", "acuse de recibo", "Página 1 de",
		"1.234.567", "la prueba que hace fe",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Spanish report lacks %q", want)
		}
	}
	for _, english := range []string{"VERIFIED", "The parties", "Custody events", "Page 1 of", "not recorded in the trail", "ETSI EN 319 522 SubmissionAcceptance: evx accepted"} {
		if strings.Contains(text, english) {
			t.Errorf("Spanish report says %q in English", english)
		}
	}

	tr.Events[2].Event.Details.Counterpart = "XX-TAMPERED"
	v = verdictOf(t, tr, s)
	res = pdfText(t, renderIn(t, tr, v, report.Spanish))
	golden(t, "failed.es.golden.txt", res.Text)
	text = strings.Join(strings.Fields(res.Text), " ")
	for _, want := range []string{"NO VERIFICADO", "El evento 3 fue alterado", "Esperado (según lo registrado o de confianza):", tr.Events[2].Event.Hash} {
		if !strings.Contains(text, want) {
			t.Errorf("failed Spanish report lacks %q", want)
		}
	}
}

// TestVectorsDescribedInSpanish: every failure of custody's tamper, seal and witness vectors
// is described in Spanish words of its own, not the generic fallback nor the English.
func TestVectorsDescribedInSpanish(t *testing.T) {
	key := func(dir, name string) crypto.PublicKey {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := custody.ParsePublicKeyPEM(b)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	var witnesses []string
	for _, k := range []string{"witness-nl.vkey", "witness-es.vkey"} {
		b, err := os.ReadFile(filepath.Join(tamperDir, k))
		if err != nil {
			t.Fatal(err)
		}
		witnesses = append(witnesses, string(b))
	}
	sealDir := filepath.Join("..", "custody", "testdata", "seals")
	kinds := map[string]bool{}
	for _, set := range []struct {
		dir, key string
		opt      custody.VerifyOptions
	}{
		{tamperDir, "key.pem", custody.VerifyOptions{Documents: filepath.Join(tamperDir, "documents")}},
		{tamperDir, "key.pem", custody.VerifyOptions{Witnesses: witnesses, Quorum: 2}},
		{sealDir, "evx.pem", custody.VerifyOptions{AgencyKeys: map[string][]crypto.PublicKey{"nl-pol": {key(sealDir, "nl-pol.pem")}}}},
	} {
		files, _ := filepath.Glob(filepath.Join(set.dir, "*.json"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, v, err := report.CheckFile(raw, key(set.dir, set.key), set.opt)
			if err != nil {
				t.Fatal(err)
			}
			if v.Verified {
				continue
			}
			en, es := v.Failure, v.In(report.Spanish).Failure
			kinds[es.Kind] = true
			if es.Kind != en.Kind || es.Summary == en.Summary || strings.HasPrefix(es.Summary, "La verificación ha fallado") {
				t.Errorf("%s: Spanish %s %q, English %q: want Spanish words of its own", filepath.Base(f), es.Kind, es.Summary, en.Summary)
			}
		}
	}
	if len(kinds) < 10 {
		t.Errorf("%d kinds of failure described, want at least 10: %v", len(kinds), kinds)
	}
}

// TestWitnessesOnFirstPage: a trail carrying a cosigned checkpoint says on its first page,
// in either language, which witnesses' cosignatures were verified, or that none was checked.
func TestWitnessesOnFirstPage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(tamperDir, "witnessed-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(tamperDir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := custody.ParsePublicKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range []string{"witness-nl.vkey", "witness-es.vkey"} {
		b, err := os.ReadFile(filepath.Join(tamperDir, k))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, strings.TrimSpace(string(b)))
	}
	firstPage := func(l report.Lang, opt custody.VerifyOptions) string {
		t.Helper()
		tr, v, err := report.CheckFile(raw, pub, opt)
		if err != nil || !v.Verified {
			t.Fatalf("CheckFile(witnessed-good) = %+v, %v", v.Failure, err)
		}
		text := pdfText(t, renderIn(t, tr, v, l)).Text
		page, _, _ := strings.Cut(text, "\f")
		if i := strings.Index(text, "1 / "); page == text && i > 0 {
			page = text[:i]
		}
		return strings.Join(strings.Fields(page), " ")
	}
	for _, tc := range []struct {
		name string
		lang report.Lang
		opt  custody.VerifyOptions
		want []string
	}{
		{"en, quorum 2", report.English, custody.VerifyOptions{Witnesses: keys, Quorum: 2}, []string{
			"The trail is complete as of log checkpoint", "Witnesses whose cosignatures on that checkpoint were verified (2):",
			strings.SplitN(keys[0], "+", 2)[0], strings.SplitN(keys[1], "+", 2)[0]}},
		{"es, quorum 2", report.Spanish, custody.VerifyOptions{Witnesses: keys, Quorum: 2}, []string{
			"El registro está completo", "Testigos cuyas cofirmas de ese punto de control se han verificado (2):"}},
		{"en, no witness keys", report.English, custody.VerifyOptions{}, []string{
			"no witness key was given to the verifier, so the cosignatures were not checked"}},
		{"es, no witness keys", report.Spanish, custody.VerifyOptions{}, []string{
			"no se facilitó al verificador ninguna clave de testigo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := firstPage(tc.lang, tc.opt)
			if i := strings.Index(page, "Page 2 of"); i > 0 {
				page = page[:i]
			}
			if i := strings.Index(page, "Página 2 de"); i > 0 {
				page = page[:i]
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("first page lacks %q:\n%s", w, page)
				}
			}
		})
	}
}

// TestReceiptDocumentsListed: a counterpart's receipt statement that accepts one document and
// refuses another, with a reason code, is listed document by document, in either language;
// as the trail did not verify, the report says the seal was not checked.
func TestReceiptDocumentsListed(t *testing.T) {
	st := `{"agency":"es-fge","bundle":"B-9","delivery":"d-9","documents":[` +
		`{"name":"data/acta.pdf","outcome":"accepted","sha256":"aa2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c"},` +
		`{"name":"data/video.mp4","outcome":"refused","reason":"unreadable","sha256":""}],` +
		`"format":"evx-receipt-statement/1","key_id":"sha256:ab","note":"el vídeo no se abre","outcome":"refused",` +
		`"person":"m.garcia","reason_codes":["unreadable"],"time":"2026-11-27T10:00:00.000000000Z"}`
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tr := &custody.Trail{BundleID: "B-9", Events: []custody.TrailEvent{
		{Event: custody.Event{Seq: 1, Type: custody.SubmissionAcceptance, Time: at, Actor: custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"}}},
		{Event: custody.Event{Seq: 2, Type: custody.ContentConsignment, Time: at, Details: custody.Details{Counterpart: "es-fge"}}},
		{Event: custody.Event{Seq: 3, Type: custody.ConsignmentRejection, Time: at, Actor: custody.Actor{Kind: custody.ActorCounterpart, ID: "es-fge", Agency: "es-fge", Person: "m.garcia"},
			Details: custody.Details{Counterpart: "es-fge", Reasons: []string{"unreadable"},
				Receipt: &custody.ReceiptRecord{KeyID: "sha256:ab", Statement: base64.StdEncoding.EncodeToString([]byte(st)), Signature: "AA=="}}}},
	}}
	v := report.Verdict{Failure: &report.Failure{Kind: "SealError", Summary: "x"}}
	for _, tc := range []struct {
		lang report.Lang
		want []string
	}{
		{report.English, []string{"refused by m.garcia", "sealed by the agency; seal not checked",
			"Documents as judged in the counterpart's acknowledgement of receipt (its seal was not checked):",
			"• data/acta.pdf: accepted", "• data/video.mp4: refused (unreadable: the document cannot be opened or read [unreadable])",
			"no SHA-256 given by the counterpart", "Note of the counterpart: el vídeo no se abre"}},
		{report.Spanish, []string{"rechazado por m.garcia", "sellado por la autoridad; sello no comprobado",
			"Documentos según el acuse de recibo de la contraparte (su sello no se ha comprobado):",
			"• data/acta.pdf: aceptado", "• data/video.mp4: rechazado (ilegible: el documento no puede abrirse ni leerse [unreadable])",
			"la contraparte no indicó SHA-256", "Observación de la contraparte, en sus propios términos: «el vídeo no se abre»"}},
	} {
		text := strings.Join(strings.Fields(pdfText(t, renderIn(t, tr, v, tc.lang)).Text), " ")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s report lacks %q:\n%s", tc.lang, w, text)
			}
		}
	}
	// A statement that is not base64 JSON is said to be unreadable, not rendered.
	tr.Events[2].Event.Details.Receipt.Statement = "%%%"
	text := strings.Join(strings.Fields(pdfText(t, renderIn(t, tr, v, report.English)).Text), " ")
	if !strings.Contains(text, "the sealed statement cannot be read: not base64") {
		t.Errorf("report of an unreadable statement lacks the reason:\n%s", text)
	}
}
