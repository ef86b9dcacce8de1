//go:build integration

package web

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
)

const sealTokens = `
nl-pol-uploader-tok1 uploader nl-pol j.devries
nl-om-officer-token1 counterpart nl-om p.bakker
es-fge-officer-tok01 counterpart es-fge m.garcia
legal-token-00000000001 legal clerk-rotterdam
`

// sampleSealKey writes the sample agency id's seal key (derived as infra/counterparts.yaml
// says) to a PEM file as an agency would keep it: Ed25519 as PKCS#8 (openssl genpkey), P-256
// as SEC 1 (openssl ecparam -genkey).
func sampleSealKey(t *testing.T, id string) string {
	t.Helper()
	seed := sha256.Sum256([]byte("evx sample counterpart " + id))
	var block *pem.Block
	if id == "es-fge" {
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	p := filepath.Join(t.TempDir(), id+"-seal.key")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sealServer is appServer with the sample directory changed so that nl-pol must seal its
// bags and nl-om its receipts.
func sealServer(t *testing.T) (*httptest.Server, *local.Node) {
	t.Helper()
	yml, err := os.ReadFile(filepath.Join("..", "..", "infra", "counterparts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(yml), "    role: send\n", "    role: send\n    require_seal: true\n", 1)
	s = strings.Replace(s, "  - id: nl-om\n", "  - id: nl-om\n    require_signed_receipts: true\n", 1)
	if s == string(yml) || strings.Count(s, "require_") != strings.Count(string(yml), "require_")+2 {
		t.Fatal("the sample directory changed: update sealServer")
	}
	dirFile := filepath.Join(t.TempDir(), "counterparts.yaml")
	os.WriteFile(dirFile, []byte(s), 0o644)
	return pageServer(t, pageOptions{Tokens: sealTokens, Directory: dirFile})
}

func getJSON(t *testing.T, srv *httptest.Server, token, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationAppSeals: an investigator of nl-pol, whose agency must seal what it sends,
// seals the bag the page makes with the agency's key loaded into the browser; nl-om's officer
// refuses and es-fge's accepts, each sealing the answer with its own agency's key (P-256 in
// SEC 1 form for es-fge). The trail carries the three seals, each checked by evx verify's own
// code with the agencies' keys pinned; the keys stay non-extractable in the page.
func TestIntegrationAppSeals(t *testing.T) {
	srv, node := sealServer(t)
	ctx := appBrowser(t)
	doc := filepath.Join(t.TempDir(), "seizure-report.txt")
	os.WriteFile(doc, []byte("Proces-verbaal: 312 kg cocaïne in container MSCU1234566, haven van Rotterdam.\n"), 0o644)

	signIn(t, ctx, srv.URL, "nl-pol-uploader-tok1")
	waitText(t, ctx, "#seal", "requires it")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{doc}),
		chromedp.Click(chromedp.CSS("#cp-nl-om")), chromedp.Click(chromedp.CSS("#cp-es-fge")),
		chromedp.SetValue(chromedp.CSS("#basis"), "EU-EIO"), chromedp.SetValue(chromedp.CSS("#hcode"), "H0"),
		chromedp.SendKeys(chromedp.CSS("#caseref"), "RTM-2026-114"), chromedp.Click(chromedp.CSS("#bagsend"))); err != nil {
		t.Fatal(err)
	}
	// Without the key the page refuses to send what the agency must seal.
	waitText(t, ctx, "#sent", "seal key first")
	// Another agency's key is refused before anything is signed.
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#sealkey"), []string{sampleSealKey(t, "nl-om")})); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sealstatus", "is not one of nl-pol's seal keys")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#sealkey"), []string{sampleSealKey(t, "nl-pol")})); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sealstatus", "loaded")
	shot(t, ctx, "app-uploader-sealed")
	checkA11y(t, ctx, "uploader, sealing")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#bagsend"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "accepted")
	// The page kept the key as WebCrypto made it: non-extractable.
	pemBytes, _ := os.ReadFile(sampleSealKey(t, "es-fge"))
	if ext, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`evxSeal.load(`+strconv.Quote(string(pemBytes))+`).then((k) => k.extractable)`, chromedp.EvalAwaitPromise)); err != nil || ext {
		t.Errorf("the imported key is extractable (%v, %v)", ext, err)
	}

	var found api.SearchResult
	getJSON(t, srv, "legal-token-00000000001", "/v1/bundles?case=RTM-2026-114", &found)
	if len(found.Bundles) != 1 {
		t.Fatalf("found %+v", found.Bundles)
	}
	bundle := found.Bundles[0].BundleID

	answer := func(token, key string, refuse bool) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signout"))); err != nil {
			t.Fatal(err)
		}
		signIn(t, ctx, srv.URL, token)
		waitText(t, ctx, "#inbox", "consigned")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inbox a"))); err != nil {
			t.Fatal(err)
		}
		waitText(t, ctx, "#seal", "seal key")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#check"))); err != nil {
			t.Fatal(err)
		}
		waitText(t, ctx, "#documents .hash-result", "matches")
		// The identifiers evx found, fetched when asked (the read is recorded).
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#showids"))); err != nil {
			t.Fatal(err)
		}
		waitText(t, ctx, "#identifiers", "MSCU1234566")
		if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#sealkey"), []string{key})); err != nil {
			t.Fatal(err)
		}
		waitText(t, ctx, "#sealstatus", "loaded")
		checkA11y(t, ctx, "counterpart, sealing")
		if refuse {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#reason-wrong-recipient")),
				chromedp.SendKeys(chromedp.CSS("#note"), "Send it to the Landelijk Parket in Rotterdam."), chromedp.Click(chromedp.CSS("#refuse"))); err != nil {
				t.Fatal(err)
			}
			waitText(t, ctx, "#answered", "rejected · sealed by p.bakker")
		} else {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#accept"))); err != nil {
				t.Fatal(err)
			}
			waitText(t, ctx, "#answered", "accepted · sealed by m.garcia")
		}
	}
	answer("nl-om-officer-token1", sampleSealKey(t, "nl-om"), true)
	shot(t, ctx, "app-counterpart-sealed-refusal")
	answer("es-fge-officer-tok01", sampleSealKey(t, "es-fge"), false)

	req, _ := http.NewRequest("GET", srv.URL+"/v1/bundles/"+bundle+"/trail", nil)
	req.Header.Set("Authorization", "Bearer legal-token-00000000001")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	raw.ReadFrom(res.Body)
	res.Body.Close()
	// evx verify's own checks, with each agency's key pinned as the agency gave it.
	pinned := map[string][]crypto.PublicKey{}
	for _, id := range []string{"nl-pol", "nl-om", "es-fge"} {
		signer, err := custody.ParseSealKeyPEM(mustRead(t, sampleSealKey(t, id)))
		if err != nil {
			t.Fatal(err)
		}
		pinned[id] = []crypto.PublicKey{signer.Public()}
	}
	rep, err := custody.VerifyTrail(raw.Bytes(), node.Service.Signer().Public(), custody.VerifyOptions{AgencyKeys: pinned})
	if err != nil {
		t.Fatalf("the trail does not verify: %v", err)
	}
	var got []string
	for _, sc := range rep.Seals {
		got = append(got, sc.Kind+" "+sc.Agency+"/"+sc.Person+" "+sc.Outcome+" "+sc.KeySource)
	}
	want := "sender nl-pol/j.devries  pinned; receipt nl-om/p.bakker refused pinned; receipt es-fge/m.garcia accepted pinned"
	if strings.Join(got, "; ") != want {
		t.Errorf("seals checked:\n%s\nwant\n%s", strings.Join(got, "; "), want)
	}
	for _, w := range []string{`wrong-recipient`, `Send it to the Landelijk Parket in Rotterdam.`, `"read=identifiers"`} {
		if !strings.Contains(raw.String(), w) {
			t.Errorf("the trail lacks %s", w)
		}
	}
}
