//go:build integration

package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/custody"
)

// browser starts headless Chromium (Debian's chromium; make test installs it) with a fresh
// profile and no background networking, and returns a context driving one tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: make test installs it (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1400),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("allow-file-access-from-files", false),
	}
	actx, cancelA := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	return ctx
}

// openVerifier loads verify.html from a file:// URL, as a person opening it from a USB stick would.
func openVerifier(t *testing.T, ctx context.Context) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "verify.html")
	if err := os.WriteFile(p, VerifierPage(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+p), chromedp.WaitReady(chromedp.CSS("#run"))); err != nil {
		t.Fatal(err)
	}
}

type pageResult struct {
	OK    bool `json:"ok"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	Report *struct {
		Events           int    `json:"events"`
		Root             string `json:"root"`
		DocumentsChecked int    `json:"documents_checked"`
		Seals            []struct {
			KeySource  string `json:"key_source"`
			ValidUntil string `json:"valid_until"`
		} `json:"seals"`
	} `json:"report"`
}

// verifyInPage runs the page's verifier on the given inputs; docs maps paths relative to the
// documents folder to their bytes.
func verifyInPage(t *testing.T, ctx context.Context, trail, key, older []byte, docs map[string][]byte) pageResult {
	t.Helper()
	return verifyInPagePinned(t, ctx, trail, key, older, docs, nil)
}

// verifyInPagePinned is verifyInPage with agencies' seal keys held (agency id: PEMs), as a
// person gives them to the page.
func verifyInPagePinned(t *testing.T, ctx context.Context, trail, key, older []byte, docs map[string][]byte, agencyKeys map[string][]string) pageResult {
	t.Helper()
	enc := map[string]string{}
	for p, b := range docs {
		enc[p] = base64.StdEncoding.EncodeToString(b)
	}
	arg, err := json.Marshal(map[string]any{"trail": string(trail), "key": string(key), "older": string(older), "docs": enc, "hasDocs": docs != nil, "agencyKeys": agencyKeys})
	if err != nil {
		t.Fatal(err)
	}
	js := `(async (a) => {
		let documents;
		if (a.hasDocs) {
			documents = new Map();
			for (const [p, b] of Object.entries(a.docs)) documents.set(p, async () => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)).buffer);
		}
		return await window.evxVerify({trail: a.trail, key: a.key, older: a.older || undefined, documents, agencyKeys: a.agencyKeys || undefined});
	})(` + string(arg) + `)`
	res, err := chromedp.Run(ctx, chromedp.Evaluate[pageResult](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIntegrationVerifierPageAgreesWithVerify runs the page's verifier in Chromium and
// custody.VerifyTrail over every tamper vector of shared/custody/testdata/tamper: both must
// reach the verdict the vector names (the same error type for a tampered trail).
func TestIntegrationVerifierPageAgreesWithVerify(t *testing.T) {
	ctx := browser(t)
	openVerifier(t, ctx)
	dir := filepath.Join("..", "custody", "testdata", "tamper")
	n := 0
	// cases.tsv holds the Ed25519 vectors (key.pem), ecdsa-cases.tsv the ECDSA P-256 ones.
	for _, list := range []struct{ file, key string }{{"cases.tsv", "key.pem"}, {"ecdsa-cases.tsv", "ecdsa-key.pem"}} {
		cases, err := os.ReadFile(filepath.Join(dir, list.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(cases)), "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Split(line, "\t")
			if len(f) < 4 {
				t.Fatalf("cases.tsv line %q: want at least 4 fields", line)
			}
			name, want, docsDir, olderFile := f[0], f[1], f[2], f[3]
			keyFile := list.key
			if len(f) > 4 && f[4] != "" {
				keyFile = f[4]
			}
			t.Run(name, func(t *testing.T) {
				trail := mustRead(t, filepath.Join(dir, name+".json"))
				key := mustRead(t, filepath.Join(dir, keyFile))
				older := mustRead(t, filepath.Join(dir, olderFile))
				pub, err := custody.ParsePublicKeyPEM(key)
				if err != nil {
					t.Fatal(err)
				}
				_, goErr := custody.VerifyTrail(trail, pub, custody.VerifyOptions{Documents: filepath.Join(dir, docsDir), Older: older})
				goType := "ok"
				if goErr != nil {
					fail, _ := custody.FailureOf(goErr)
					goType = fail.Kind
				}
				res := verifyInPage(t, ctx, trail, key, older, readTree(t, filepath.Join(dir, docsDir)))
				pageType := "ok"
				if !res.OK {
					pageType = res.Error.Type
				}
				if pageType != want || goType != want {
					msg := ""
					if res.Error != nil {
						msg = res.Error.Message
					}
					t.Errorf("%s: page %s (%s), evx verify %s (%v); want %s", name, pageType, msg, goType, goErr, want)
				}
			})
			n++
		}
	}
	if n < 30 {
		t.Fatalf("%d tamper cases, want at least 30", n)
	}
	// The witness vectors, without witness keys (the page counts no cosignatures): page and
	// custody.VerifyTrail agree on each, and the forked and the cut ones fail.
	cases, err := os.ReadFile(filepath.Join(dir, "witness-cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	key := mustRead(t, filepath.Join(dir, "key.pem"))
	older := mustRead(t, filepath.Join(dir, "older.txt"))
	pub, err := custody.ParsePublicKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(cases)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := strings.Split(line, "\t")[0]
		t.Run("witness/"+name, func(t *testing.T) {
			trail := mustRead(t, filepath.Join(dir, name+".json"))
			_, goErr := custody.VerifyTrail(trail, pub, custody.VerifyOptions{Documents: filepath.Join(dir, "documents"), Older: older})
			goType := "ok"
			if f, ok := custody.FailureOf(goErr); ok {
				goType = f.Kind
			}
			res := verifyInPage(t, ctx, trail, key, older, readTree(t, filepath.Join(dir, "documents")))
			pageType := "ok"
			if !res.OK {
				pageType = res.Error.Type
			}
			if pageType != goType {
				t.Errorf("%s: page %s, evx verify %s (%v)", name, pageType, goType, goErr)
			}
			if strings.Contains(name, "forked") && goType != "ConsistencyError" || strings.Contains(name, "cut") && goType != "TruncatedError" {
				t.Errorf("%s: %s, want the fork or the cut found without witness keys", name, goType)
			}
		})
	}
}

// TestIntegrationVerifierPageSHA256 holds the page's own SHA-256 to Go's on lengths around
// the block and padding boundaries.
func TestIntegrationVerifierPageSHA256(t *testing.T) {
	ctx := browser(t)
	openVerifier(t, ctx)
	for _, n := range []int{0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65537} {
		b := make([]byte, n)
		rand.Read(b)
		want := sha256.Sum256(b)
		js := fmt.Sprintf(`window.evxSHA256(Uint8Array.from(atob(%q), (c) => c.charCodeAt(0)))`, base64.StdEncoding.EncodeToString(b))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		if got != hex.EncodeToString(want[:]) {
			t.Errorf("page SHA-256 of %d bytes = %s, want %x", n, got, want)
		}
	}
}

// TestIntegrationVerifierPageByHand uses the page as a person does: choose the files, press
// Verify, read the verdict. Screenshots land in $EVX_SCREENSHOTS when it is set.
func TestIntegrationVerifierPageByHand(t *testing.T) {
	ctx := browser(t)
	openVerifier(t, ctx)
	dir, _ := filepath.Abs(filepath.Join("..", "custody", "testdata", "tamper"))
	for _, tc := range []struct{ trail, want string }{
		{"good.json", "VERIFIED"},
		{"bit-flip-@3-details.json", "FAILED"},
	} {
		err := chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.CSS("#trail"), []string{filepath.Join(dir, tc.trail)}),
			chromedp.SetUploadFiles(chromedp.CSS("#key"), []string{filepath.Join(dir, "key.pem")}),
			chromedp.SetUploadFiles(chromedp.CSS("#older"), []string{filepath.Join(dir, "older.txt")}),
			chromedp.Click(chromedp.CSS("#run")),
			chromedp.WaitVisible(chromedp.CSS("#verdict h2")),
		)
		if err != nil {
			t.Fatal(err)
		}
		verdict, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verdict h2")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(verdict, tc.want) {
			t.Errorf("%s: verdict %q, want %s", tc.trail, verdict, tc.want)
		}
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline tbody tr").length`))
		if err != nil {
			t.Fatal(err)
		}
		if rows == 0 {
			t.Errorf("%s: the timeline shows no event", tc.trail)
		}
		if out := os.Getenv("EVX_SCREENSHOTS"); out != "" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(out, "verify-"+strings.TrimSuffix(tc.trail, ".json")+".png"), png, 0o644)
		}
	}
	// A sealed trail with nl-pol's key held: the verdict names each seal and the key it was checked with.
	openVerifier(t, ctx)
	seals, _ := filepath.Abs(filepath.Join("..", "custody", "testdata", "seals"))
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#trail"), []string{filepath.Join(seals, "good.json")}),
		chromedp.SetUploadFiles(chromedp.CSS("#key"), []string{filepath.Join(seals, "evx.pem")}),
		chromedp.SetUploadFiles(chromedp.CSS("#agencykeys"), []string{filepath.Join(seals, "nl-pol.pem")}),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.WaitVisible(chromedp.CSS("#verdict h2")),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verdict")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "VERIFIED") || !strings.Contains(text, "sender j.devries of nl-pol, with the agency's key you hold") ||
		!strings.Contains(text, "m.garcia of es-fge, with the agency's key as evx's log records it") {
		t.Errorf("sealed trail: verdict %q, want VERIFIED naming the sender's seal checked with the key held (nl-pol.pem) and the receipt's with the log's history", text)
	}
	if out := os.Getenv("EVX_SCREENSHOTS"); out != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(out, "verify-sealed.png"), png, 0o644)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIntegrationVerifierPageSealedTrails runs the page over the sealed trails of
// shared/custody/testdata/seals (version 2 events: agency and person, seals, receipts, the
// agencies' key histories): the page checks every seal against the agency's key history the
// trail carries and, for the vectors evx verify checks with the agencies' keys pinned
// (cases.tsv), against those keys given to the page, and fails each vector with the error evx
// verify reports for it, or accepts it as evx verify does.
func TestIntegrationVerifierPageSealedTrails(t *testing.T) {
	ctx := browser(t)
	openVerifier(t, ctx)
	dir := filepath.Join("..", "custody", "testdata", "seals")
	cases, err := os.ReadFile(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	key := mustRead(t, filepath.Join(dir, "evx.pem"))
	pins := map[string][]string{"nl-pol": {string(mustRead(t, filepath.Join(dir, "nl-pol.pem")))}, "es-fge": {string(mustRead(t, filepath.Join(dir, "es-fge.pem")))}}
	checked, sources := 0, map[string]bool{}
	defer func() {
		// Seals were checked against the log's history and against the keys held.
		if !sources["log"] || !sources["pinned"] {
			t.Errorf("key sources of the seals accepted: %v, want log and pinned among them", sources)
		}
	}()
	for _, line := range strings.Split(string(cases), "\n") { // not trimmed: the good ones end in a tab
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) != 3 {
			continue
		}
		name, pinned, want := f[0], f[1] == "true", f[2]
		t.Run(name, func(t *testing.T) {
			var held map[string][]string
			if pinned {
				held = pins
			}
			res := verifyInPagePinned(t, ctx, mustRead(t, filepath.Join(dir, name+".json")), key, nil, nil, held)
			switch {
			case want == "" && !res.OK:
				t.Errorf("page: %s %s, want it accepted", res.Error.Type, res.Error.Message)
			case want != "" && (res.OK || res.Error.Type != want):
				t.Errorf("page: ok %v, %+v; want %s as evx verify", res.OK, res.Error, want)
			}
			if res.OK {
				for _, sc := range res.Report.Seals {
					sources[sc.KeySource] = true
				}
			}
		})
		checked++
	}
	if checked < 19 {
		t.Errorf("%d seal vectors run, want every one of cases.tsv", checked)
	}
	// The good trail with the keys held: each seal checked with them.
	res := verifyInPagePinned(t, ctx, mustRead(t, filepath.Join(dir, "good.json")), key, nil, nil, pins)
	if !res.OK || len(res.Report.Seals) != 2 || res.Report.Seals[0].KeySource != "pinned" || res.Report.Seals[1].KeySource != "pinned" {
		t.Errorf("good trail with the agencies' keys held: %+v, want both seals checked with them", res)
	}
	if res.OK {
		sources[res.Report.Seals[0].KeySource] = true
	}
	// A key held for nl-pol that is not the one it sealed with: refused.
	res = verifyInPagePinned(t, ctx, mustRead(t, filepath.Join(dir, "good.json")), key, nil, nil, map[string][]string{"nl-pol": pins["es-fge"]})
	if res.OK || res.Error.Type != "SealError" {
		t.Errorf("good trail, another key held for nl-pol: %+v, want SealError", res)
	}
}
