//go:build integration

package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

const appTokens = `
uploader-token-00000001 uploader inspector-vries
nl-om-token-00000000001 counterpart nl-om
es-fge-token-0000000001 counterpart es-fge
legal-token-00000000001 legal clerk-rotterdam
`

// pageOptions say how pageServer builds the server.
type pageOptions struct {
	Tokens    string // the tokens file
	Directory string // the agency directory; infra/counterparts.yaml when empty
	Agency    string // the node's and the API's home agency, when set
	Requests  bool   // serve the request endpoints
	Resumable bool   // serve the resumable upload endpoints
	// Wrap, when set, stands between the mux and the API (a fault injector).
	Wrap func(http.Handler) http.Handler
	// WrapApp, when set, stands between the mux and the pages (as a CDN's header policy).
	WrapApp func(http.Handler) http.Handler
}

// pageServer runs a real embedded node with the API (sessions on) and the pages on one TLS
// origin, as evx serve does.
func pageServer(t *testing.T, o pageOptions) (*httptest.Server, *local.Node) {
	t.Helper()
	if o.Directory == "" {
		o.Directory = filepath.Join("..", "..", "infra", "counterparts.yaml")
	}
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: o.Directory, Agency: o.Agency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, err := api.ParseTokens(strings.NewReader(o.Tokens))
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithDirectory(n.Directory).WithSessions(api.NewSessions(nil))
	if o.Agency != "" {
		a.WithHomeAgency(o.Agency)
	}
	if o.Requests {
		a.WithRequests(n.Requests)
	}
	if o.Resumable {
		a.WithResumable(n.Parts)
	}
	var h http.Handler = a
	if o.Wrap != nil {
		h = o.Wrap(a)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", h)
	var app http.Handler = App()
	if o.WrapApp != nil {
		app = o.WrapApp(app)
	}
	mux.Handle("/", app)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv, n
}

// appServer is pageServer with the app tokens, and one bundle uploaded for nl-om and es-fge.
func appServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv, _ := pageServer(t, pageOptions{Tokens: appTokens})
	uploadSample(t, srv, "uploader-token-00000001")
	return srv
}

// uploadSample uploads one bundle for nl-om and es-fge, case CASE-2026-114, with token.
func uploadSample(t *testing.T, srv *httptest.Server, token string) {
	t.Helper()
	dir := t.TempDir()
	doc := filepath.Join(dir, "seizure-report.txt")
	os.WriteFile(doc, []byte("Acta de incautación: 312 kg de cocaína en el contenedor MSCU1234566, puerto de Algeciras.\n"), 0o644)
	out := filepath.Join(dir, "bundle.zip")
	info := bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"}, {Label: "External-Identifier", Value: "CASE-2026-114"}}
	if _, err := bagit.Create(out, []string{doc}, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(out)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/bundles", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d", res.StatusCode)
	}
}

func appBrowser(t *testing.T) context.Context {
	bin := "/usr/bin/chromium"
	if _, err := os.Stat(bin); err != nil {
		t.Fatal("chromium not found: make test installs it (apt-get install chromium)")
	}
	actx, cancelA := chromedp.NewExecAllocator(t.Context(), chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 1000), chromedp.IgnoreCertErrors,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	return ctx
}

func shot(t *testing.T, ctx context.Context, name string) {
	if out := os.Getenv("EVX_SCREENSHOTS"); out != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(out, name+".png"), png, 0o644)
	}
}

func signIn(t *testing.T, ctx context.Context, url, token string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#signout"))); err != nil {
		t.Fatal(err)
	}
}

func waitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+"`"+sel+"`"+`) || {}).textContent || ""`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s shows %q, want it to contain %q", sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIntegrationAppRoles walks the pages as legal staff (search by a word of a document,
// open the bundle, see its verified timeline) and as a counterpart (inbox, check every hash
// in the browser, accept), against a real node.
func TestIntegrationAppRoles(t *testing.T) {
	srv := appServer(t)
	ctx := appBrowser(t)

	signIn(t, ctx, srv.URL, "legal-token-00000000001")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#q"), "cocaina"), chromedp.Click(chromedp.CSS("#search"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#results", "CASE-2026-114")
	waitText(t, ctx, "#results mark", "cocaína")
	shot(t, ctx, "app-legal-search")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#results a"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#verdict h2", "VERIFIED")
	waitText(t, ctx, "#timeline", "made available to nl-om")
	waitText(t, ctx, "#title", "CASE-2026-114")
	// Against a checkpoint kept from before: consistent.
	res, err := srv.Client().Get(srv.URL + "/v1/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	var cp bytes.Buffer
	cp.ReadFrom(res.Body)
	res.Body.Close()
	keptFile := filepath.Join(t.TempDir(), "checkpoint.txt")
	os.WriteFile(keptFile, cp.Bytes(), 0o644)
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#kept"), []string{keptFile}), chromedp.Click(chromedp.CSS("#checkkept"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#consistency", "CONSISTENT: the log of size")
	shot(t, ctx, "app-legal-bundle")
	setLang(t, ctx, "es")
	waitText(t, ctx, "#timeline", "puesto a disposición de nl-om")
	shot(t, ctx, "app-legal-bundle-es")
	setLang(t, ctx, "en")
	waitText(t, ctx, "#timeline", "made available to nl-om")
	// Token never reaches storage or the URL.
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + location.href + document.cookie`)); strings.Contains(got, "legal-token") {
		t.Errorf("the token is kept by the page: %s", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, srv.URL, "nl-om-token-00000000001")
	waitText(t, ctx, "#inbox", "consigned")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inbox a"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#documents", "data/seizure-report.txt")
	// The extracted text, before anything is downloaded.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#documents button.preview"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#preview pre", "312 kg de cocaína")
	waitText(t, ctx, "#preview", "whole")
	// Accepting before checking is refused by the page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#accept"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#answer", "Check the documents")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#check"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#documents .hash-result", "matches")
	shot(t, ctx, "app-counterpart-delivery")
	setLang(t, ctx, "es")
	waitText(t, ctx, "#documents", "Texto extraído")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#documents button.preview"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#preview", "completo")
	shot(t, ctx, "app-counterpart-delivery-es")
	setLang(t, ctx, "en")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#check"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#documents .hash-result", "matches")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#accept"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#answered", "accepted")
	// In Spanish.
	setLang(t, ctx, "es")
	waitText(t, ctx, "#signout", "Cerrar sesión")
}

func setLang(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#lang"), lang), chromedp.Evaluate[chromedp.Void](`document.getElementById("lang").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationAppStrings: every string of the pages has its Spanish translation, and
// every key app.js asks for exists in English.
func TestIntegrationAppStrings(t *testing.T) {
	srv := appServer(t)
	ctx := appBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	missing, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Object.keys(EVX_STRINGS.en).filter((k) => !(k in EVX_STRINGS.es))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("strings without a Spanish translation: %v", missing)
	}
	js, err := appFiles.ReadFile("app/app.js")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Object.keys(EVX_STRINGS.en)`))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	for _, m := range regexp.MustCompile(`\bt\("([A-Za-z_]+)"[,)]`).FindAllStringSubmatch(string(js), -1) {
		if !have[m[1]] {
			t.Errorf("app.js asks for %q, which strings.js lacks", m[1])
		}
	}
}

// TestIntegrationAppUploader makes a bag in the browser (every SHA-256 computed in the page,
// in a worker) and sends it: evx validates it under its intake policy as any bag, and the
// hashes it records are those of the files on disk.
func TestIntegrationAppUploader(t *testing.T) {
	srv := appServer(t)
	ctx := appBrowser(t)
	dir := t.TempDir()
	want := map[string]string{}
	for name, body := range map[string]string{"statement.txt": "Declaración del testigo: el contenedor MSCU1234566 llegó el 2 de octubre.\n",
		"ledger.csv": "date,amount\n2026-10-01,25000\n", "empty.txt": ""} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		sum := sha256.Sum256([]byte(body))
		want["data/"+name] = hex.EncodeToString(sum[:])
	}
	// A larger file, hashed across several worker slices.
	big := make([]byte, 9<<20+123)
	for i := range big {
		big[i] = byte(i * 7)
	}
	os.WriteFile(filepath.Join(dir, "image.bin"), big, 0o644)
	sum := sha256.Sum256(big)
	want["data/image.bin"] = hex.EncodeToString(sum[:])
	var paths []string
	for n := range want {
		paths = append(paths, filepath.Join(dir, strings.TrimPrefix(n, "data/")))
	}
	signIn(t, ctx, srv.URL, "uploader-token-00000001")
	// The counterparts come from the directory: the active ones, never pt-pj (inactive).
	waitText(t, ctx, "#counterparts", "Openbaar Ministerie")
	if got := waitText(t, ctx, "#counterparts", "es-fge"); strings.Contains(got, "pt-pj") {
		t.Errorf("the inactive counterpart is offered: %s", got)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), paths), chromedp.Click(chromedp.CSS("#cp-nl-om")), chromedp.Click(chromedp.CSS("#cp-co-fgn"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#filelist", "image.bin")
	// Only what both nl-om and co-fgn accept is offered; the requested state is theirs only
	// when they share one.
	opts := func(sel string) string {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("`+sel+` option")].map((o) => o.value).join(" ")`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := opts("#basis"); strings.Contains(got, "EU-EIO") || !strings.Contains(got, "UN-1988-Art7") {
		t.Errorf("legal bases for nl-om and co-fgn: %q, want UN-1988-Art7 and not EU-EIO (co-fgn does not take it)", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cp-co-fgn"))); err != nil {
		t.Fatal(err)
	}
	if got := opts("#basis"); !strings.Contains(got, "EU-EIO") {
		t.Errorf("legal bases for nl-om: %q, want EU-EIO", got)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("requested").value`)); got != "NL" {
		t.Errorf("requested state for nl-om = %q, want NL", got)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#basis"), "EU-EIO"),
		chromedp.SetValue(chromedp.CSS("#hcode"), "H1"), chromedp.SendKeys(chromedp.CSS("#caseref"), "CASE-2026-301"),
		chromedp.Click(chromedp.CSS("#bagsend"))); err != nil {
		t.Fatal(err)
	}
	got := waitText(t, ctx, "#sent", "accepted")
	waitText(t, ctx, "#results", "CASE-2026-301")
	// Each file's SHA-256 as the page computed it, shown before anything was sent.
	list := waitText(t, ctx, "#filelist", want["data/image.bin"])
	for name, sum := range want {
		if !strings.Contains(list, sum) {
			t.Errorf("the file list does not show %s's SHA-256 %s: %s", name, sum, list)
		}
	}
	shot(t, ctx, "app-uploader")
	// The bundle's own page: the outcome, the documents as evx recorded them, nl-om's delivery.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sentlink"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#title", "CASE-2026-301")
	if got := waitText(t, ctx, "#verdict h2", "Accepted by evx"); strings.Contains(waitText(t, ctx, "#verdict", "EU-EIO"), "null") {
		t.Errorf("the bundle page shows %q", got)
	}
	page := waitText(t, ctx, "#documents", want["data/statement.txt"])
	if !strings.Contains(page, "data/image.bin") {
		t.Errorf("documents: %s", page)
	}
	waitText(t, ctx, "#deliveries", "nl-om")
	waitText(t, ctx, "#deliveries", "awaiting its answer")
	shot(t, ctx, "app-uploader-bundle")
	setLang(t, ctx, "es")
	waitText(t, ctx, "#deliveries", "pendiente de respuesta")
	waitText(t, ctx, "#verdict h2", "Aceptado por evx")
	shot(t, ctx, "app-uploader-bundle-es")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("main p a"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#counterparts", "Destinatarios")
	shot(t, ctx, "app-uploader-es")
	setLang(t, ctx, "en")
	// The bundle as evx recorded it: found by its case reference, its documents' hashes
	// those computed from the files here.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/bundles?case=CASE-2026-301", nil)
	req.Header.Set("Authorization", "Bearer legal-token-00000000001")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var found api.SearchResult
	json.NewDecoder(res.Body).Decode(&found)
	res.Body.Close()
	if len(found.Bundles) != 1 {
		t.Fatalf("bundles with case CASE-2026-301: %+v (page said %q)", found.Bundles, got)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/v1/bundles/"+found.Bundles[0].BundleID, nil)
	req.Header.Set("Authorization", "Bearer legal-token-00000000001")
	res, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st pipeline.Status
	json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if st.Ingest == nil || !st.Ingest.Accepted || len(st.Ingest.Documents) != len(want) {
		t.Fatalf("status = %+v", st)
	}
	for _, d := range st.Ingest.Documents {
		if want[d.Name] != d.SHA256 {
			t.Errorf("%s: recorded %s, want %s", d.Name, d.SHA256, want[d.Name])
		}
	}
	if st.Upload.Uploader != "inspector-vries" {
		t.Errorf("uploader = %q", st.Upload.Uploader)
	}
}

// TestIntegrationAppRefuse refuses a delivery with a reason code and a note: both are in the
// trail, the code in English whatever the page's language.
func TestIntegrationAppRefuse(t *testing.T) {
	srv := appServer(t)
	ctx := appBrowser(t)
	signIn(t, ctx, srv.URL, "es-fge-token-0000000001")
	setLang(t, ctx, "es")
	waitText(t, ctx, "#inbox", "consigned")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inbox a"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#reasons", "Faltan documentos")
	// Refusing with nothing ticked or written is refused by the page; accepting with a code
	// ticked too.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#refuse"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#answer", "al menos un motivo")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#check"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#documents .hash-result", "coincide")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#reason-not-competent")), chromedp.Click(chromedp.CSS("#accept"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#answer", "desmárquelos")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#note"), "Remitir a la Fiscalía Provincial de Cádiz."), chromedp.Click(chromedp.CSS("#refuse"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#answered", "rejected")
	shot(t, ctx, "app-counterpart-refused-es")
	req, _ := http.NewRequest("GET", srv.URL+"/v1/bundles?case=CASE-2026-114", nil)
	req.Header.Set("Authorization", "Bearer legal-token-00000000001")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var found api.SearchResult
	json.NewDecoder(res.Body).Decode(&found)
	res.Body.Close()
	if len(found.Bundles) != 1 {
		t.Fatalf("found %+v", found.Bundles)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/v1/bundles/"+found.Bundles[0].BundleID+"/trail", nil)
	req.Header.Set("Authorization", "Bearer legal-token-00000000001")
	res, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var trail bytes.Buffer
	trail.ReadFrom(res.Body)
	res.Body.Close()
	for _, want := range []string{`"ConsignmentRejection"`, `"not-competent: This authority is not competent for the request"`, `"Remitir a la Fiscalía Provincial de Cádiz."`} {
		if !strings.Contains(trail.String(), want) {
			t.Errorf("the trail lacks %s", want)
		}
	}
}
