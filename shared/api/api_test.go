package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/bagit/bagittest"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/report/fonts"
)

const tokensFile = `# test tokens
alice-token-0000001 uploader alice
bob-token-000000001 uploader bob
nl-om-token-0000001 counterpart nl-om
es-fge-token-000001 counterpart es-fge
legal-token-0000001 legal clerk
carol-token-0000001 uploader nl-pol c.jansen
nl-om-officer-tok01 counterpart nl-om p.bakker
judge-token-0000001 legal nl-om r.visser
es-fge-officer-tok1 counterpart es-fge m.garcia
co-fgn-officer-tok1 counterpart co-fgn l.perez
pt-pj-uploader-tok1 uploader pt-pj r.silva
nl-pol-legal-tok001 legal nl-pol m.jansen
`

var tokens = map[string]string{
	"alice": "alice-token-0000001", "bob": "bob-token-000000001", "nl-om": "nl-om-token-0000001",
	"es-fge": "es-fge-token-000001", "legal": "legal-token-0000001", "anon": "", "forged": "forged-token-00000001",
	"carol": "carol-token-0000001", "nl-om-officer": "nl-om-officer-tok01",
	"judge": "judge-token-0000001", "es-fge-officer": "es-fge-officer-tok1", "co-fgn-officer": "co-fgn-officer-tok1",
	"pt-pj-uploader": "pt-pj-uploader-tok1", "nl-pol-legal": "nl-pol-legal-tok001",
}

const secret = "Seizure report 2026/114: 412 kg cocaine hydrochloride, container MSCU 123456-7\n"

type env struct {
	t    *testing.T
	srv  *httptest.Server
	node *local.Node
}

func newEnv(t *testing.T, lim api.Limits) *env { return newEnvAt(t, lim, nil) }

// newEnvAt is newEnv on a clock (nil: the real one).
func newEnvAt(t *testing.T, lim api.Limits, clock pipeline.Clock) *env {
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, err := api.ParseTokens(strings.NewReader(tokensFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, lim, nil).WithReportFonts(testFonts(t)))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, node: n}
}

func (e *env) do(who, method, path string, body []byte) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok := tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func bag(t testing.TB, counterparts ...string) []byte { return bagCode(t, "H0", counterparts...) }

// bagCode is bag with handling code code.
func bagCode(t testing.TB, code string, counterparts ...string) []byte {
	dir := t.TempDir()
	p := filepath.Join(dir, "seizure-report.txt")
	os.WriteFile(p, []byte(secret), 0o644)
	q := filepath.Join(dir, "ledger.csv")
	os.WriteFile(q, []byte("date,amount\n2026-10-01,25000\n"), 0o644)
	in := bagit.Info{{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: code}}
	for _, c := range counterparts {
		in = append(in, bagit.Field{Label: bagit.LabelCounterpart, Value: c})
	}
	out := filepath.Join(dir, "bundle.zip")
	if _, err := bagit.Create(out, []string{p, q}, bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	return b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("response %s: %v", b, err)
	}
	return v
}

// TestRoles calls every endpoint as every kind of caller. Refusals are JSON errors and never
// carry the data.
func TestRoles(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om", "es-fge"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s, want 201", code, body)
	}
	st := decode[pipeline.Status](t, body)
	id := st.Upload.BundleID
	delivery := map[string]string{}
	for _, d := range st.Deliveries {
		delivery[d.Counterpart] = d.ID
	}
	doc := "data/seizure-report.txt"
	nlDoc := "/v1/deliveries/" + delivery["nl-om"] + "/documents/" + doc

	everyone := []string{"alice", "bob", "nl-om", "es-fge", "legal", "anon", "forged"}
	cases := []struct {
		method, path string
		want         map[string]int // by caller; callers not listed: see other
		other        int
	}{
		{"GET", "/v1/bundles/" + id, map[string]int{"alice": 200, "bob": 404, "legal": 200, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/bundles/" + strings.Repeat("0", 64), map[string]int{"alice": 404, "bob": 404, "legal": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/bundles/" + id + "/trail", map[string]int{"legal": 200, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/bundles/" + id + "/verification", map[string]int{"legal": 200, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/bundles/" + id + "/report", map[string]int{"legal": 200, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/bundles/" + strings.Repeat("0", 64) + "/report", map[string]int{"legal": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/deliveries", map[string]int{"nl-om": 200, "es-fge": 200, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/deliveries/" + delivery["nl-om"], map[string]int{"nl-om": 200, "es-fge": 404, "anon": 401, "forged": 401}, 403},
		{"GET", nlDoc, map[string]int{"nl-om": 200, "es-fge": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/deliveries/" + delivery["nl-om"] + "/documents/data/none.txt", map[string]int{"nl-om": 404, "es-fge": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/deliveries/" + delivery["nl-om"] + "/text/" + doc, map[string]int{"nl-om": 200, "es-fge": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/deliveries/" + delivery["nl-om"] + "/identifiers", map[string]int{"nl-om": 200, "es-fge": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/deliveries/" + delivery["nl-om"] + "/text/data/none.txt", map[string]int{"nl-om": 404, "es-fge": 404, "anon": 401, "forged": 401}, 403},
		{"GET", "/v1/checkpoint", nil, 200},
		{"GET", "/v1/public-key", nil, 200},
		{"GET", "/v1/nowhere", nil, 404},
		{"DELETE", "/v1/bundles/" + id, nil, 405},
	}
	for _, tc := range cases {
		for _, who := range everyone {
			want, ok := tc.want[who]
			if !ok {
				want = tc.other
			}
			code, body, hdr := e.do(who, tc.method, tc.path, nil)
			if code != want {
				t.Errorf("%s %s as %s = %d %s, want %d", tc.method, tc.path, who, code, body, want)
			}
			if code >= 400 {
				if strings.Contains(string(body), "412 kg") || strings.Contains(string(body), "sha256") {
					t.Errorf("%s %s as %s: refusal carries data: %s", tc.method, tc.path, who, body)
				}
				if ct := hdr.Get("Content-Type"); ct != "application/json" || decode[map[string]any](t, body)["error"] == "" {
					t.Errorf("%s %s as %s: refusal %q is not a JSON error", tc.method, tc.path, who, body)
				}
			}
		}
	}

	// Each counterpart lists only its own delivery.
	for _, cp := range []string{"nl-om", "es-fge"} {
		_, body, _ := e.do(cp, "GET", "/v1/deliveries", nil)
		ds := decode[struct{ Deliveries []pipeline.Delivery }](t, body).Deliveries
		if len(ds) != 1 || ds[0].ID != delivery[cp] || ds[0].Counterpart != cp {
			t.Errorf("deliveries of %s = %+v, want only %s", cp, ds, delivery[cp])
		}
	}

	// The document comes with its hash; the bytes match it.
	code, body, hdr := e.do("nl-om", "GET", nlDoc, nil)
	sum := sha256.Sum256(body)
	if code != 200 || string(body) != secret || hdr.Get("X-Evx-Sha256") != hex.EncodeToString(sum[:]) {
		t.Errorf("document = %d %q sha %s, want the report and its hash", code, body, hdr.Get("X-Evx-Sha256"))
	}

	// Receipts: another counterpart cannot acknowledge; the owner can, once.
	rq, _ := json.Marshal(pipeline.ReceiptRequest{Accepted: true, Documents: manifestHashes(t, e, "nl-om", delivery["nl-om"])})
	for who, want := range map[string]int{"es-fge": 404, "alice": 403, "legal": 403, "anon": 401} {
		if code, body, _ := e.do(who, "POST", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", rq); code != want {
			t.Errorf("receipt as %s = %d %s, want %d", who, code, body, want)
		}
	}
	if code, body, _ := e.do("nl-om", "GET", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", nil); code != 404 || !strings.Contains(string(body), "no receipt yet") {
		t.Errorf("GET receipt before any = %d %s, want 404 no receipt yet", code, body)
	}
	code, body, _ = e.do("nl-om", "POST", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", rq)
	if code != 201 {
		t.Fatalf("receipt = %d %s, want 201", code, body)
	}
	firstReceipt := body
	rc := decode[pipeline.Receipt](t, body)
	if err := pipeline.VerifyReceipt(&rc, e.node.Signer.Public()); err != nil {
		t.Errorf("receipt does not verify: %v", err)
	}
	// Before the receipt, nothing to serve; after it, an identical retry (its answer lost)
	// and GET both return the stored signed receipt, byte for byte; a different one is 409.
	if code, body, _ := e.do("nl-om", "POST", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", rq); code != 200 || !bytes.Equal(body, firstReceipt) {
		t.Errorf("identical retry = %d %s, want 200 and the stored receipt %s", code, body, firstReceipt)
	}
	if code, body, _ := e.do("nl-om", "GET", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", nil); code != 200 || !bytes.Equal(body, firstReceipt) {
		t.Errorf("GET receipt = %d %s, want 200 and the stored receipt", code, body)
	}
	for who, want := range map[string]int{"es-fge": 404, "alice": 403, "anon": 401} {
		if code, body, _ := e.do(who, "GET", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", nil); code != want {
			t.Errorf("GET receipt as %s = %d %s, want %d", who, code, body, want)
		}
	}
	other, _ := json.Marshal(pipeline.ReceiptRequest{Accepted: true, Reasons: []string{"thanks"}, Documents: manifestHashes(t, e, "nl-om", delivery["nl-om"])})
	if code, body, _ := e.do("nl-om", "POST", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", other); code != 409 {
		t.Errorf("a different second receipt = %d %s, want 409", code, body)
	}
	// The first answer lost before it was stored (a crash between recording and storing): a
	// retry with the same outcome gets a receipt of the recorded event signed afresh, which
	// is then the stored one.
	if _, err := e.node.DB.Exec(`DELETE FROM receipts`); err != nil {
		t.Fatal(err)
	}
	code, body, _ = e.do("nl-om", "POST", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", rq)
	again := decode[pipeline.Receipt](t, body)
	if code != 200 || again.EventHash != rc.EventHash || pipeline.VerifyReceipt(&again, e.node.Signer.Public()) != nil {
		t.Errorf("retry after the stored receipt was lost = %d %s, want 200 and a receipt of event %s", code, body, rc.EventHash)
	}
	if code, got, _ := e.do("nl-om", "GET", "/v1/deliveries/"+delivery["nl-om"]+"/receipt", nil); code != 200 || !bytes.Equal(got, body) {
		t.Errorf("GET receipt = %d %s, want the reissued receipt %s", code, got, body)
	}

	// es-fge: a tampered copy cannot be accepted (422) but can be rejected (201).
	bad := manifestHashes(t, e, "es-fge", delivery["es-fge"])
	bad[0].SHA256 = strings.Repeat("0", 64)
	acc, _ := json.Marshal(pipeline.ReceiptRequest{Accepted: true, Documents: bad})
	if code, body, _ := e.do("es-fge", "POST", "/v1/deliveries/"+delivery["es-fge"]+"/receipt", acc); code != 422 || !strings.Contains(string(body), `\"accepted\": false`) {
		t.Errorf("accepting a mismatch = %d %s, want 422 telling to reject", code, body)
	}
	for _, junk := range []string{"", "{", `{"accepted": true, "extra": 1}`, `[]`} {
		if code, body, _ := e.do("es-fge", "POST", "/v1/deliveries/"+delivery["es-fge"]+"/receipt", []byte(junk)); code != 400 {
			t.Errorf("receipt %q = %d %s, want 400", junk, code, body)
		}
	}
	// Strict bodies: what a loose decoder would read one way and a person another is 400
	// with the reason, and records nothing (the rejection below is still the first outcome).
	for _, tc := range []struct{ body, reason string }{
		{`{"accepted": false, "reasons": ["x"]}{"accepted": true}`, "data after the JSON value"},
		{`{"accepted": true, "accepted": false, "reasons": ["x"]}`, `member \"accepted\" appears twice`},
		{"{\"accepted\": false, \"reasons\": [\"bad \xff copy\"]}", "not valid UTF-8"},
		{`{"accepted": false, "reasons": ["\udc00"]}`, "surrogate"},
	} {
		code, body, _ := e.do("es-fge", "POST", "/v1/deliveries/"+delivery["es-fge"]+"/receipt", []byte(tc.body))
		if code != 400 || !strings.Contains(string(body), tc.reason) {
			t.Errorf("receipt %q = %d %s, want 400 saying %q", tc.body, code, body, tc.reason)
		}
	}
	rej, _ := json.Marshal(pipeline.ReceiptRequest{Accepted: false, Reasons: []string{"hash mismatch"}, Documents: bad})
	if code, body, _ := e.do("es-fge", "POST", "/v1/deliveries/"+delivery["es-fge"]+"/receipt", rej); code != 201 {
		t.Errorf("rejection = %d %s, want 201", code, body)
	}

	// Legal staff: the trail verifies offline with the public key the public endpoint serves.
	_, pemKey, _ := e.do("anon", "GET", "/v1/public-key", nil)
	pub, err := custody.ParsePublicKeyPEM(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	_, trail, _ := e.do("legal", "GET", "/v1/bundles/"+id+"/trail", nil)
	rep, err := custody.VerifyTrail(trail, pub, custody.VerifyOptions{})
	if err != nil || rep.Events < 7 {
		t.Errorf("VerifyTrail = %+v, %v; want a verified trail of 7 or more events", rep, err)
	}
	_, cp, _ := e.do("anon", "GET", "/v1/checkpoint", nil)
	if _, err := custody.OpenCheckpoint(cp, pub); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	_, ver, _ := e.do("legal", "GET", "/v1/bundles/"+id+"/verification", nil)
	if v := decode[map[string]any](t, ver); v["verified"] != true {
		t.Errorf("verification = %s, want verified", ver)
	}
}

func manifestHashes(t *testing.T, e *env, cp, delivery string) []pipeline.ReceiptDocument {
	_, body, _ := e.do(cp, "GET", "/v1/deliveries/"+delivery, nil)
	m := decode[pipeline.Manifest](t, body)
	var out []pipeline.ReceiptDocument
	for _, d := range m.Documents {
		_, b, _ := e.do(cp, "GET", "/v1/deliveries/"+delivery+"/documents/"+d.Name, nil)
		s := sha256.Sum256(b)
		out = append(out, pipeline.ReceiptDocument{Name: d.Name, SHA256: hex.EncodeToString(s[:])})
	}
	return out
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, api.Limits{MaxUpload: 64 << 10})
	// A hostile bag is rejected with its reason, and the server keeps serving.
	code, body, _ := e.do("alice", "POST", "/v1/bundles", []byte("not a bag at all"))
	if code != 422 || !strings.Contains(string(body), "neither a folder nor a zip") {
		t.Errorf("hostile upload = %d %s, want 422 with the reason", code, body)
	}
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "xx-unknown")); code != 422 || !strings.Contains(string(body), "not in the counterpart directory") {
		t.Errorf("upload for an unknown counterpart = %d %s, want 422", code, body)
	}
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", nil); code != 400 {
		t.Errorf("empty upload = %d %s, want 400", code, body)
	}
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", make([]byte, 65<<10)); code != 413 {
		t.Errorf("oversized upload = %d %s, want 413", code, body)
	}
	for _, who := range []string{"nl-om", "legal"} {
		if code, _, _ := e.do(who, "POST", "/v1/bundles", bag(t, "nl-om")); code != 403 {
			t.Errorf("upload as %s = %d, want 403", who, code)
		}
	}
	// Same bag twice: one bundle, the same answer.
	b := bag(t, "nl-om")
	c1, b1, _ := e.do("alice", "POST", "/v1/bundles", b)
	c2, b2, _ := e.do("alice", "POST", "/v1/bundles", b)
	s1, s2 := decode[pipeline.Status](t, b1), decode[pipeline.Status](t, b2)
	if c1 != 201 || c2 != 201 || s1.Upload.BundleID != s2.Upload.BundleID || len(s2.Deliveries) != 1 {
		t.Errorf("uploads twice = %d, %d, ids %s %s, %d deliveries; want one bundle, one delivery", c1, c2, s1.Upload.BundleID, s2.Upload.BundleID, len(s2.Deliveries))
	}
	if ds, _ := e.node.Service.ListDeliveries(context.Background(), "nl-om"); len(ds) != 1 {
		t.Errorf("nl-om has %d deliveries, want 1", len(ds))
	}
}

func TestParseTokens(t *testing.T) {
	for _, bad := range []string{
		"short uploader",
		"long-enough-token-1 admin",
		"long-enough-token-1 counterpart",
		"long-enough-token-1 uploader a b c",
		"long-enough-token-1 uploader NL-POL j.devries",
		"long-enough-token-1 uploader nl-pol j/devries",
		"long-enough-token-1 uploader nl-pol " + strings.Repeat("p", 129),
		"long-enough-token-1 legal\nlong-enough-token-1 legal x",
	} {
		if _, err := api.ParseTokens(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseTokens(%q) = nil, want an error", bad)
		}
	}
	// TOKEN ROLE AGENCY PERSON: every identity is a person within an agency; the older
	// "TOKEN ROLE [SUBJECT]" form names no agency (and, for a counterpart, no person).
	toks, err := api.ParseTokens(strings.NewReader("" +
		"long-enough-token-1 uploader nl-pol j.devries\n" +
		"long-enough-token-2 counterpart es-fge m.garcia@fge.es\n" +
		"long-enough-token-3 legal nl-om clerk-7\n" +
		"long-enough-token-4 uploader alice\n" +
		"long-enough-token-5 counterpart nl-om\n"))
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]api.Identity{
		"long-enough-token-1": {Role: api.RoleUploader, Subject: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"},
		"long-enough-token-2": {Role: api.RoleCounterpart, Subject: "es-fge", Counterpart: "es-fge", Agency: "es-fge", Person: "m.garcia@fge.es"},
		"long-enough-token-3": {Role: api.RoleLegal, Subject: "nl-om/clerk-7", Agency: "nl-om", Person: "clerk-7"},
		"long-enough-token-4": {Role: api.RoleUploader, Subject: "alice", Person: "alice"},
		"long-enough-token-5": {Role: api.RoleCounterpart, Subject: "nl-om", Counterpart: "nl-om"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if got, ok := toks.Authenticate(r); !ok || got != want {
			t.Errorf("Authenticate(%s) = %+v, %v; want %+v", tok, got, ok, want)
		}
	}
	p := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(p, []byte(tokensFile), 0o644)
	if _, err := api.LoadTokens(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadTokens(0644) = %v, want a permissions error", err)
	}
	os.Chmod(p, 0o600)
	if _, err := api.LoadTokens(p); err != nil {
		t.Errorf("LoadTokens(0600) = %v", err)
	}
}

// TestReport: legal staff get the report PDF of the trail exported at that moment; its
// SHA-256 header is that of the trail .../trail serves, and the PDF prints it and the verdict.
// Refusals (uploader of the bundle or another, counterparts, anonymous) never carry a PDF.
// TestReportRefusedForH1: the court report of an H1 bundle (not for judicial proceedings
// without the provider's permission) is refused, 403, while its sender has granted no consent.
func TestReportRefusedForH1(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bagCode(t, "H1", "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s, want 201", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	code, body, _ = e.do("legal", "GET", "/v1/bundles/"+id+"/report", nil)
	if code != http.StatusForbidden || !strings.Contains(string(body), "H1") {
		t.Fatalf("report of an H1 bundle without consent = %d %s, want 403 naming H1", code, body)
	}
}

func TestReport(t *testing.T) {
	// A trail states when it was exported (its checkpoint's time line): on a stopped clock the
	// trail served after the report is the one the report rendered.
	now := time.Now().UTC()
	e := newEnvAt(t, api.Limits{}, func() time.Time { return now })
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s, want 201", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	path := "/v1/bundles/" + id + "/report"

	code, pdf, hdr := e.do("legal", "GET", path, nil)
	if code != 200 || hdr.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("report = %d %s %.40q, want 200 and a PDF", code, hdr.Get("Content-Type"), pdf)
	}
	// Reads are recorded in the log (on reads:BUNDLE), so the log grows with every read: the
	// report's trail is served again at the log size the report names.
	_, trail, thdr := e.do("legal", "GET", "/v1/bundles/"+id+"/trail?size="+hdr.Get(api.HeaderLogSize), nil)
	sum := sha256.Sum256(trail)
	if got, want := hdr.Get(api.HeaderTrailSHA256), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("%s = %q, want the SHA-256 of the trail served at log size %s, %s", api.HeaderTrailSHA256, got, hdr.Get(api.HeaderLogSize), want)
	}
	if thdr.Get(api.HeaderLogSize) != hdr.Get(api.HeaderLogSize) {
		t.Errorf("trail?size=%s served at log size %s", hdr.Get(api.HeaderLogSize), thdr.Get(api.HeaderLogSize))
	}
	if got := hdr.Get(api.HeaderVerified); got != "true" {
		t.Errorf("%s = %q, want true", api.HeaderVerified, got)
	}
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "report-"+id+".pdf") {
		t.Errorf("Content-Disposition = %q, want the bundle's report file name", cd)
	}
	res, err := extract.Extract(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), "report.pdf", extract.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(res.Text), "")
	for _, want := range []string{"VERIFIED", hdr.Get(api.HeaderTrailSHA256), "seizure-report.txt", id} {
		if !strings.Contains(text, strings.Join(strings.Fields(want), "")) {
			t.Errorf("the PDF does not show %q", want)
		}
	}

	// A later event changes the trail: the next report renders the new one.
	_, body, _ = e.do("nl-om", "GET", "/v1/deliveries", nil)
	d := decode[struct{ Deliveries []pipeline.Delivery }](t, body).Deliveries[0]
	rq, _ := json.Marshal(pipeline.ReceiptRequest{Accepted: true, Documents: manifestHashes(t, e, "nl-om", d.ID)})
	if code, body, _ := e.do("nl-om", "POST", "/v1/deliveries/"+d.ID+"/receipt", rq); code != 201 {
		t.Fatalf("receipt = %d %s", code, body)
	}
	_, _, hdr2 := e.do("legal", "GET", path, nil)
	_, trail2, _ := e.do("legal", "GET", "/v1/bundles/"+id+"/trail?size="+hdr2.Get(api.HeaderLogSize), nil)
	sum2 := sha256.Sum256(trail2)
	if got := hdr2.Get(api.HeaderTrailSHA256); got != hex.EncodeToString(sum2[:]) || got == hdr.Get(api.HeaderTrailSHA256) {
		t.Errorf("after a receipt, %s = %q, want the new trail's %x (not the old %s)", api.HeaderTrailSHA256, got, sum2, hdr.Get(api.HeaderTrailSHA256))
	}

	// Bob uploads another bundle: neither uploader, nor a counterpart, nor anyone anonymous
	// gets a report, of their own bundle or another's.
	code, body, _ = e.do("bob", "POST", "/v1/bundles", bag(t, "es-fge", "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	other := decode[pipeline.Status](t, body).Upload.BundleID
	for _, p := range []string{path, "/v1/bundles/" + other + "/report"} {
		for who, want := range map[string]int{"alice": 403, "bob": 403, "nl-om": 403, "es-fge": 403, "anon": 401, "forged": 401} {
			code, body, hdr := e.do(who, "GET", p, nil)
			if code != want || bytes.Contains(body, []byte("%PDF")) || hdr.Get(api.HeaderTrailSHA256) != "" || hdr.Get("Content-Type") != "application/json" {
				t.Errorf("GET %s as %s = %d %s %.60q, want %d and a JSON error", p, who, code, hdr.Get("Content-Type"), body, want)
			}
		}
	}
	if code, body, _ := e.do("legal", "POST", path, nil); code != 405 {
		t.Errorf("POST %s = %d %s, want 405", path, code, body)
	}
}

// TestReportOfAlteredLedger: an event altered in the ledger after it was recorded still gets a
// report, marked FAILED, and the header says the trail did not verify.
func TestReportOfAlteredLedger(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s, want 201", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	res, err := e.node.DB.Exec(`UPDATE custody_events SET body = CAST(replace(CAST(body AS TEXT), 'ledger.csv', 'ledgex.csv') AS BLOB) WHERE bundle = ? AND seq = 1`, id)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("alter event 1: %v, %d rows", err, n)
	}
	code, pdf, hdr := e.do("legal", "GET", "/v1/bundles/"+id+"/report", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/pdf" || hdr.Get(api.HeaderVerified) != "false" {
		t.Fatalf("report of an altered trail = %d %s verified=%q %.80q, want 200, a PDF, verified=false", code, hdr.Get("Content-Type"), hdr.Get(api.HeaderVerified), pdf)
	}
	r, err := extract.Extract(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), "report.pdf", extract.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "FAILED") || strings.Contains(r.Text, "VERIFIED") {
		t.Errorf("the report of an altered trail does not say FAILED:\n%.600s", r.Text)
	}
}

// TestHostileUploads posts every hostile archive of the bundle tests that the default limits
// refuse: each is rejected (422) with a reason naming the offending path, nothing is
// delivered, and the server goes on accepting a good bundle.
func TestHostileUploads(t *testing.T) {
	e := newEnv(t, api.Limits{})
	n := 0
	for _, c := range bagittest.Cases() {
		if c.Limits != nil || c.Streamed {
			continue // needs other limits, or is refused only when read as a stream
		}
		n++
		code, body, _ := e.do("alice", "POST", "/v1/bundles", c.Data)
		if code != 422 && code != 400 {
			t.Errorf("%s: upload = %d %s, want 422 (or 400) with the reason", c.Name, code, body)
			continue
		}
		if c.Path != "" && !strings.Contains(string(body), c.Path) {
			t.Errorf("%s: upload = %d %s, want a reason naming %q", c.Name, code, body, c.Path)
		}
	}
	t.Logf("%d hostile cases posted", n)
	if n < 20 {
		t.Fatalf("only %d hostile cases apply with the default limits; the corpus shrank?", n)
	}
	if ds, _ := e.node.Service.ListDeliveries(context.Background(), "nl-om"); len(ds) != 0 {
		t.Errorf("hostile uploads made %d deliveries, want none", len(ds))
	}
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om")); code != 201 {
		t.Errorf("good upload after the hostile ones = %d %s, want 201", code, body)
	}
}

// testFonts are the embedded report fonts, as evx serve passes them.
func testFonts(t testing.TB) *report.Fonts {
	t.Helper()
	f, err := report.LoadFonts(fonts.FS)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A server given no report fonts says so for the report and serves everything else.
func TestReportWithoutFontsIs503(t *testing.T) {
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, err := api.ParseTokens(strings.NewReader(tokensFile))
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(n.Service, n.Uploads, toks, api.Limits{}, nil)
	for path, want := range map[string]int{"/v1/bundles/b1/report": http.StatusServiceUnavailable, "/v1/bundles/b1/trail": http.StatusNotFound} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens["legal"])
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET %s without fonts = %d %s, want %d", path, rec.Code, rec.Body, want)
		}
	}
}

// TestEventsNamePersons: a person of an agency who submits is event 1's actor (agency and
// person, a version 2 event), and a counterpart's officer who fetches a document is named in
// the access event; the trail verifies with evx's key.
func TestEventsNamePersons(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("carol", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s, want 201", code, body)
	}
	st := decode[pipeline.Status](t, body)
	if len(st.Deliveries) != 1 {
		t.Fatalf("deliveries = %+v, want one", st.Deliveries)
	}
	if code, b, _ := e.do("nl-om-officer", "GET", "/v1/deliveries/"+st.Deliveries[0].ID+"/documents/data/ledger.csv", nil); code != 200 {
		t.Fatalf("fetch = %d %s", code, b)
	}
	_, raw, _ := e.do("legal", "GET", "/v1/bundles/"+st.Upload.BundleID+"/trail", nil)
	_, pemKey, _ := e.do("anon", "GET", "/v1/public-key", nil)
	pub, err := custody.ParsePublicKeyPEM(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.VerifyTrail(raw, pub, custody.VerifyOptions{}); err != nil {
		t.Fatalf("VerifyTrail = %v", err)
	}
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	first := tr.Events[0].Event
	if want := (custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/c.jansen", Agency: "nl-pol", Person: "c.jansen"}); first.Actor != want || first.Version != custody.Version2 {
		t.Errorf("event 1 actor %+v version %d, want %+v version 2", first.Actor, first.Version, want)
	}
	var access *custody.Event
	for i := range tr.Events {
		if tr.Events[i].Event.Type == custody.ContentAccessTracking {
			access = &tr.Events[i].Event
		}
	}
	if want := (custody.Actor{Kind: custody.ActorCounterpart, ID: "nl-om", Agency: "nl-om", Person: "p.bakker"}); access == nil || access.Actor != want {
		t.Errorf("access event = %+v, want actor %+v", access, want)
	}
}

// TestSealedReceiptOverHTTP: the API takes a counterpart's sealed receipt statement; the
// officer it names must be the caller; the event carries it unchanged; a statement by
// another person than the caller is refused (422) and nothing is recorded.
func TestSealedReceiptOverHTTP(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("carol", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	st := decode[pipeline.Status](t, body)
	d := st.Deliveries[0]
	docs := manifestHashes(t, e, "nl-om-officer", d.ID)
	seed := sha256.Sum256([]byte("evx sample counterpart nl-om")) // infra/counterparts.yaml's sample key
	signer, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	post := func(person string) (int, []byte) {
		s := custody.ReceiptStatement{Agency: "nl-om", Person: person, Delivery: d.ID, Bundle: d.BundleID, Outcome: custody.OutcomeAccepted}
		for _, doc := range docs {
			s.Documents = append(s.Documents, custody.StatementDocument{Name: doc.Name, SHA256: doc.SHA256, Outcome: custody.OutcomeAccepted})
		}
		stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return signer.Sign(t.Context(), m) }, signer.KeyID(), &s, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rq, _ := json.Marshal(pipeline.ReceiptRequest{Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), KeyID: signer.KeyID()})
		code, body, _ := e.do("nl-om-officer", "POST", "/v1/deliveries/"+d.ID+"/receipt", rq)
		return code, body
	}
	if code, body := post("someone.else"); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
		t.Errorf("statement by another person = %d %s, want refused", code, body)
	}
	code, body = post("p.bakker")
	if code != http.StatusCreated {
		t.Fatalf("sealed receipt = %d %s, want 201", code, body)
	}
	_, raw, _ := e.do("legal", "GET", "/v1/bundles/"+d.BundleID+"/trail", nil)
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	last := tr.Events[len(tr.Events)-1].Event
	if last.Type != custody.ConsignmentAcceptance || last.Details.Receipt == nil || last.Actor.Person != "p.bakker" {
		t.Errorf("last event %+v, want p.bakker's sealed acceptance", last)
	}
}
