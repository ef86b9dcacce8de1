//go:build integration

package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evx-project/evx/shared/bagit"
)

// partDropper counts the parts put (PUT /v1/uploads/{id}/parts/{n}) and, while drop is set,
// drops the connection of every put of part drop without answering, as a network that goes
// away does.
type partDropper struct {
	h    http.Handler
	mu   sync.Mutex
	puts map[string]int // part number: puts that reached the handler
	drop string
	lost int // puts dropped
}

var partPath = regexp.MustCompile(`^/v1/uploads/[0-9a-f]+/parts/([0-9]+)$`)

func (d *partDropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m := partPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPut {
		d.mu.Lock()
		if m[1] == d.drop {
			d.lost++
			d.mu.Unlock()
			c, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		d.puts[m[1]]++
		d.mu.Unlock()
	}
	d.h.ServeHTTP(w, r)
}

// TestIntegrationAppResumableUpload: the page sends a bag larger than one part in parts; the
// connection drops under part 2 every time, so the page retries, then says to send again.
// The page is reloaded (as after a closed laptop), the same bag chosen again: the server finds
// the upload open and the page sends only the parts missing. The bag is accepted once.
func TestIntegrationAppResumableUpload(t *testing.T) {
	drop := &partDropper{puts: map[string]int{}, drop: "2"}
	srv, n := pageServer(t, pageOptions{Tokens: appTokens, Resumable: true, Wrap: func(h http.Handler) http.Handler { drop.h = h; return drop }})

	dir := t.TempDir()
	doc := filepath.Join(dir, "phone-extraction.bin")
	body := make([]byte, 3<<20+512<<10) // 3.5 MiB: four parts of 1 MiB
	rand.Read(body)
	os.WriteFile(doc, body, 0o644)
	bagFile := filepath.Join(dir, "bundle.zip")
	info := bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: "External-Identifier", Value: "RTM-2026-207"}}
	if _, err := bagit.Create(bagFile, []string{doc}, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(bagFile)
	sum := sha256.Sum256(raw)
	bundle := hex.EncodeToString(sum[:])

	ctx := appBrowser(t)
	smallParts := chromedp.Evaluate[chromedp.Void](`evxBag.options.partSize = 1 << 20; evxBag.options.retryMs = 20`)
	signIn(t, ctx, srv.URL, "uploader-token-00000001")
	if err := chromedp.Do(ctx, smallParts, chromedp.WaitVisible(chromedp.CSS("#bag")),
		chromedp.SetUploadFiles(chromedp.CSS("#bag"), []string{bagFile}), chromedp.Click(chromedp.CSS("#send"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "Send the same bag again")
	shot(t, ctx, "app-upload-interrupted")
	drop.mu.Lock()
	// Chromium itself sends a request again when a reused connection closes without an
	// answer, so the page's four tries (one and three retries) reach the server at least four
	// times.
	if drop.lost < 4 || drop.puts["1"] != 1 || drop.puts["3"] != 0 {
		t.Errorf("before the reload: %d puts of part 2 dropped (want 4 or more: one and three retries), puts %v (want part 1 once, nothing after part 2)", drop.lost, drop.puts)
	}
	drop.drop = ""
	drop.mu.Unlock()

	// A reload forgets everything but the session cookie; the same bag file is chosen again.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#bag")), smallParts,
		chromedp.SetUploadFiles(chromedp.CSS("#bag"), []string{bagFile}), chromedp.Click(chromedp.CSS("#send"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "accepted")
	shot(t, ctx, "app-upload-resumed")
	drop.mu.Lock()
	for p, want := range map[string]int{"1": 1, "2": 1, "3": 1, "4": 1} {
		if drop.puts[p] != want {
			t.Errorf("part %s put %d times, want %d (all: %v)", p, drop.puts[p], want, drop.puts)
		}
	}
	// A bag the page makes: sent again from the same bytes, kept by the page, after the
	// connection fails (a bag made again would differ in its dates).
	drop.puts, drop.drop, drop.lost = map[string]int{}, "3", 0
	drop.mu.Unlock()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{doc}), chromedp.Click(chromedp.CSS("#cp-es-fge")),
		chromedp.SetValue(chromedp.CSS("#basis"), "EU-EIO"), chromedp.SetValue(chromedp.CSS("#hcode"), "H0"),
		chromedp.SendKeys(chromedp.CSS("#caseref"), "RTM-2026-208"), chromedp.Click(chromedp.CSS("#bagsend"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "part 3 of 4")
	drop.mu.Lock()
	drop.drop = ""
	drop.mu.Unlock()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#resume"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#sent", "accepted")
	drop.mu.Lock()
	defer drop.mu.Unlock()
	for p, want := range map[string]int{"1": 1, "2": 1, "3": 1, "4": 1} {
		if drop.puts[p] != want {
			t.Errorf("made bag: part %s put %d times, want %d (all: %v)", p, drop.puts[p], want, drop.puts)
		}
	}
	st, err := n.Service.BundleStatus(context.Background(), bundle)
	if err != nil || !st.Ingest.Accepted {
		t.Fatalf("bundle %s: %+v %v, want accepted", bundle, st, err)
	}
	var ingests int
	events, err := n.Service.Events(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range events {
		if en.Event.Type == "SubmissionAcceptance" {
			ingests++
		}
	}
	if ingests != 1 {
		t.Errorf("%d acceptances, want 1", ingests)
	}
}
