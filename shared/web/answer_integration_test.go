//go:build integration

package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/request"
)

// TestIntegrationAppAnswersRequest: es-fge issues a European Investigation Order to nl-pol;
// nl-pol's investigator picks it in the page from the open requests addressed to the agency,
// which fills in the counterpart, legal basis and case reference, and sends a bundle that
// answers it: the request records the bundle.
func TestIntegrationAppAnswersRequest(t *testing.T) {
	srv, _ := pageServer(t, pageOptions{Tokens: sealTokens, Agency: "nl-pol", Requests: true})
	call := func(token, method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.Bytes()
	}
	eio := `{"id":"EIO-ES-7","type":"EIO","addressee":"nl-pol","legal_basis":"EU-EIO","case_reference":"AN-2026-77","issuing_state":"ES","subject":"the phones seized in Rotterdam"}`
	if code, body := call("es-fge-officer-tok01", "POST", "/v1/requests", eio); code != http.StatusCreated {
		t.Fatalf("es-fge issues the EIO: %d %s", code, body)
	}
	// Acknowledged by nl-pol: from then on it takes answers.
	if code, body := call("nl-pol-uploader-tok1", "POST", "/v1/requests/EIO-ES-7/ack", "{}"); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("nl-pol acknowledges the EIO: %d %s", code, body)
	}
	doc := filepath.Join(t.TempDir(), "phone-report.txt")
	os.WriteFile(doc, []byte("Extraction report: two phones, contacts of MSCU1234566's consignee.\n"), 0o644)

	ctx := appBrowser(t)
	signIn(t, ctx, srv.URL, "nl-pol-uploader-tok1")
	waitText(t, ctx, "#request", "EIO-ES-7 · EIO · from es-fge")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#request"), "EIO-ES-7"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("request").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById("reqref").value, document.getElementById("caseref").value, document.getElementById("basis").value,
		document.getElementById("requesting").value, document.getElementById("requested").value, [...document.querySelectorAll("#counterparts input:checked")].map((b) => b.value).join(",")]`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"EIO-ES-7", "AN-2026-77", "EU-EIO", "ES", "NL", "es-fge"}; !slices.Equal(got, want) {
		t.Errorf("the page filled in %q from the request, want %q", got, want)
	}
	shot(t, ctx, "app-uploader-answers-request")
	checkA11y(t, ctx, "uploader, answering a request")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{doc}), chromedp.SetValue(chromedp.CSS("#hcode"), "H0")); err != nil {
		t.Fatal(err)
	}
	// Sealing is optional for nl-pol in the sample directory: send unsealed.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#bagsend"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "accepted")
	code, body := call("es-fge-officer-tok01", "GET", "/v1/requests/EIO-ES-7", "")
	var st request.State
	if code != http.StatusOK || json.Unmarshal(body, &st) != nil || len(st.Bundles) != 1 {
		t.Fatalf("the request after the answer: %d %s, want one bundle answering it", code, body)
	}
}
