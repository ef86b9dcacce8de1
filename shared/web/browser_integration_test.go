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
	} `json:"report"`
}

// verifyInPage runs the page's verifier on the given inputs; docs maps paths relative to the
// documents folder to their bytes.
func verifyInPage(t *testing.T, ctx context.Context, trail, key, older []byte, docs map[string][]byte) pageResult {
	t.Helper()
	enc := map[string]string{}
	for p, b := range docs {
		enc[p] = base64.StdEncoding.EncodeToString(b)
	}
	arg, err := json.Marshal(map[string]any{"trail": string(trail), "key": string(key), "older": string(older), "docs": enc, "hasDocs": docs != nil})
	if err != nil {
		t.Fatal(err)
	}
	js := `(async (a) => {
		let documents;
		if (a.hasDocs) {
			documents = new Map();
			for (const [p, b] of Object.entries(a.docs)) documents.set(p, async () => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)).buffer);
		}
		return await window.evxVerify({trail: a.trail, key: a.key, older: a.older || undefined, documents});
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
	// A sealed trail: the verdict names the seals checked and says what only evx verify checks.
	openVerifier(t, ctx)
	seals, _ := filepath.Abs(filepath.Join("..", "custody", "testdata", "seals"))
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#trail"), []string{filepath.Join(seals, "good.json")}),
		chromedp.SetUploadFiles(chromedp.CSS("#key"), []string{filepath.Join(seals, "evx.pem")}),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.WaitVisible(chromedp.CSS("#verdict h2")),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verdict")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "VERIFIED") || !strings.Contains(text, "Seals") || !strings.Contains(text, "sender j.devries of nl-pol") || !strings.Contains(text, "evx verify --agency-key") {
		t.Errorf("sealed trail: verdict %q, want VERIFIED naming the sender's seal and what evx verify checks beyond", text)
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
// shared/custody/testdata/seals (version 2 events: agency and person, seals, receipts). The
// page checks every seal against the key record its event carries and the event's agreement
// with the sealed statement, and fails each vector with the error evx verify reports for it
// (cases.tsv), except those whose failure needs what only evx verify is given: a pinned agency
// key (--agency-key) or the agencies' key histories in the trail (agency_key_changes), which
// the page accepts, saying in its report that it checked the key records only.
func TestIntegrationVerifierPageSealedTrails(t *testing.T) {
	ctx := browser(t)
	openVerifier(t, ctx)
	dir := filepath.Join("..", "custody", "testdata", "seals")
	cases, err := os.ReadFile(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	// Failures that rest on a pinned key or on a key history: evx verify's alone.
	needsMore := map[string]bool{"counterpart-seal-by-wrong-key": true, "receipt-seal-dropped": true,
		"sender-key-revoked-in-log": true, "receipt-key-expired-in-log": true, "sender-key-not-in-log": true}
	key := mustRead(t, filepath.Join(dir, "evx.pem"))
	checked := 0
	for _, line := range strings.Split(string(cases), "\n") { // not trimmed: the good ones end in a tab
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) != 3 {
			continue
		}
		name, want := f[0], f[2]
		if needsMore[name] {
			want = ""
		}
		t.Run(name, func(t *testing.T) {
			res := verifyInPage(t, ctx, mustRead(t, filepath.Join(dir, name+".json")), key, nil, nil)
			switch {
			case want == "" && !res.OK:
				t.Errorf("page: %s %s, want it accepted", res.Error.Type, res.Error.Message)
			case want != "" && (res.OK || res.Error.Type != want):
				t.Errorf("page: ok %v, %+v; want %s as evx verify", res.OK, res.Error, want)
			}
		})
		if want != "" {
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("%d seal vectors failed by the page, want every one that needs no pin or key history", checked)
	}
}
