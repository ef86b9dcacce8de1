package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

func TestVerifierCSP(t *testing.T) {
	p := VerifierCSP()
	for _, want := range []string{"default-src 'none'", "connect-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(p, want) {
			t.Errorf("VerifierCSP() = %q, want it to contain %q", p, want)
		}
	}
	// One hash source for the script and one for the style, nothing unsafe.
	if n := len(regexp.MustCompile(`'sha256-[A-Za-z0-9+/]{43}='`).FindAllString(p, -1)); n != 2 {
		t.Errorf("VerifierCSP() has %d hash sources, want 2: %s", n, p)
	}
	if strings.Contains(p, "unsafe") {
		t.Errorf("VerifierCSP() = %q allows unsafe sources", p)
	}
}

func TestVerifierPageSelfContained(t *testing.T) {
	page := string(VerifierPage())
	// No external resource of any kind: the page must work from file:// with no network.
	for _, bad := range []string{"src=", "href=", "@import", "url(", "fetch(", "XMLHttpRequest", "WebSocket"} {
		if strings.Contains(page, bad) {
			t.Errorf("verify.html contains %q: it must load nothing", bad)
		}
	}
	if strings.Count(page, "<script") != 1 || strings.Count(page, "<style") != 1 {
		t.Errorf("verify.html: want one inline script and one inline style")
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/verify.html")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Security-Policy") != VerifierCSP() || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET verify.html = %d %v", res.StatusCode, res.Header)
	}
	res, err = http.Post(srv.URL+"/verify.html", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST verify.html = %d, want 405", res.StatusCode)
	}
}

func TestApp(t *testing.T) {
	srv := httptest.NewServer(App())
	defer srv.Close()
	for path, want := range map[string]int{"/": 200, "/index.html": 200, "/app/app.js": 200, "/app/app.css": 200, "/app/strings.js": 200,
		"/verify.html": 200, "/app/../web.go": 404, "/app/nothing.js": 404, "/other": 404} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
		}
		if want == 200 && path != "/verify.html" && res.Header.Get("Content-Security-Policy") != AppCSP {
			t.Errorf("GET %s: CSP %q", path, res.Header.Get("Content-Security-Policy"))
		}
	}
	// No inline script or style in the pages: the policy would block it.
	b, _ := appFiles.ReadFile("app/index.html")
	if strings.Contains(string(b), "<script>") || strings.Contains(string(b), "<style") || strings.Contains(string(b), " on") && strings.Contains(string(b), "onclick") {
		t.Error("app/index.html has inline script or style")
	}
}

// The page reads details.legal_request and details.request member by member (a member it
// does not know is a FormatError, as in evx verify), and writes them in RFC 8785 order: its
// lists must be custody's members, sorted. A member added to the trail format under the
// addition rule fails this test until the page knows it.
func TestVerifierKnowsTheRequestMembers(t *testing.T) {
	page := string(VerifierPage())
	for _, tc := range []struct {
		list string
		typ  reflect.Type
	}{
		{"LEGAL_MEMBERS", reflect.TypeFor[custody.LegalRequest]()},
		{"REQUEST_MEMBERS", reflect.TypeFor[custody.Request]()},
	} {
		m := regexp.MustCompile(`const ` + tc.list + ` = \[([^\]]*)\]`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("verify.html has no %s", tc.list)
		}
		var got []string
		for _, q := range regexp.MustCompile(`"([a-z_]+)"`).FindAllStringSubmatch(m[1], -1) {
			got = append(got, q[1])
		}
		var want []string
		for f := range tc.typ.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("verify.html's %s = %v, custody's members (sorted) = %v", tc.list, got, want)
		}
	}
}
