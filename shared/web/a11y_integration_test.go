//go:build integration

package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// a11yCheck runs in the page: every form control has a label, every text meets WCAG 2.1 AA
// contrast (4.5:1; 3:1 for large text) against its effective background. It returns the
// problems found.
const a11yCheck = `(() => {
  const problems = [];
  for (const c of document.querySelectorAll("input, select, textarea")) {
    if (c.type === "hidden" || c.hidden) continue;
    const labelled = (c.id && document.querySelector('label[for="' + c.id + '"]')) || c.getAttribute("aria-label") || c.closest("label");
    if (!labelled) problems.push("no label: " + c.outerHTML.slice(0, 80));
  }
  const rgb = (s) => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const e = n.parentElement;
    if (!n.textContent.trim() || !e || e.closest("[hidden]") || !e.getClientRects().length) continue;
    const st = getComputedStyle(e);
    const fg = rgb(st.color), b = bg(e);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push("contrast " + ratio.toFixed(2) + " < " + need + ": " + JSON.stringify(n.textContent.trim().slice(0, 40)));
  }
  return problems;
})()`

func checkA11y(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yCheck))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}

// TestIntegrationAppAccessible signs in with the keyboard alone and checks labels and
// contrast on each role's pages, and on verify.html.
func TestIntegrationAppAccessible(t *testing.T) {
	srv := appServer(t)
	ctx := appBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	checkA11y(t, ctx, "sign-in")
	// Keyboard only: the token field has the focus; type, then Enter submits.
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil || focused != "token" {
		t.Fatalf("focus on %q (%v), want the token field", focused, err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("legal-token-00000000001"), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#results table"))); err != nil {
		t.Fatal(err)
	}
	checkA11y(t, ctx, "legal search")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#results a")), chromedp.WaitVisible(chromedp.CSS("#timeline table"))); err != nil {
		t.Fatal(err)
	}
	checkA11y(t, ctx, "legal bundle")
	for _, role := range []struct{ token, ready, name string }{
		{"nl-om-token-00000000001", "#inbox table", "counterpart inbox"},
		{"uploader-token-00000001", "#results table", "uploader"},
	} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SendKeys(chromedp.CSS("#token"), role.token+kb.Enter), chromedp.WaitVisible(chromedp.CSS(role.ready))); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, ctx, role.name)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/verify.html"), chromedp.WaitVisible(chromedp.CSS("#run"))); err != nil {
		t.Fatal(err)
	}
	checkA11y(t, ctx, "verify.html")
	// The policy reaches the browser: markup injected into the page cannot run script.
	for _, page := range []string{"/", "/verify.html"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+page), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatal(err)
		}
		ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((done) => {
			document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__evxInjected = true"><img src="data:x" onload="window.__evxInjected = true">');
			setTimeout(() => done(window.__evxInjected === true), 300);
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if ran {
			t.Errorf("%s: an injected inline event handler ran: the Content-Security-Policy is not in force", page)
		}
	}
}
