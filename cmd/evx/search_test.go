package main

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
)

// TestSearch: evx search finds a bundle by the words of its documents, its case reference
// and dates, on a data folder and through a server, where each role finds only what it may.
func TestSearch(t *testing.T) {
	clearEnv(t)
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t), "--field", "External-Identifier=RTM-2026-114")...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	onData := []string{"search", "--data", data, "--directory", testDirectory}
	for _, c := range []struct {
		name  string
		args  []string
		want  int
		found bool
	}{
		{"word of a document", []string{"cocaine"}, exitOK, true},
		{"two words", []string{"cocaine", "hydrochloride"}, exitOK, true},
		{"prefix", []string{"hydro*"}, exitOK, true},
		{"absent word", []string{"heroin"}, exitInvalid, false},
		{"case", []string{"--case", "RTM-2026-114"}, exitOK, true},
		{"other case", []string{"--case", "RTM-2026-999"}, exitInvalid, false},
		{"counterpart", []string{"--counterpart", "es-fge", "cocaine"}, exitOK, true},
		{"today", []string{"--from", today, "--to", today}, exitOK, true},
		{"from tomorrow", []string{"--from", tomorrow}, exitInvalid, false},
		{"state", []string{"--state", "delivered"}, exitOK, true},
		{"bad state", []string{"--state", "lost"}, exitUsage, false},
		{"bad date", []string{"--from", "yesterday"}, exitUsage, false},
		{"bad limit", []string{"--limit", "501"}, exitUsage, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCmd(t, append(onData, c.args...)...)
			if code != c.want {
				t.Fatalf("search %v = %d, want %d\n%s\n%s", c.args, code, c.want, out, errs)
			}
			if got := strings.Contains(out, bundle); got != c.found {
				t.Errorf("search %v lists the bundle: %v, want %v\n%s", c.args, got, c.found, out)
			}
		})
	}
	code, out, _ = runCmd(t, append(onData, "cocaine")...)
	if code != exitOK || !strings.Contains(out, "found in data/seizure-report.txt") || !strings.Contains(out, "[cocaine]") {
		t.Errorf("text listing = %d\n%s\nwant where the word was found, marked", code, out)
	}

	// Through a server: the uploader finds its bundle, nl-om its delivery, be-fpp nothing.
	n, err := local.OpenNode(t.Context(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader("inspector-token-001 uploader inspector\nother-uploader-0001 uploader other\n" +
		"nl-om-token-0000001 counterpart nl-om\nbe-fpp-token-000001 counterpart be-fpp\nclerk-token-0000001 legal clerk\n"))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil))
	defer srv.Close()
	for _, c := range []struct {
		token string
		want  int
	}{{"inspector-token-001", exitOK}, {"other-uploader-0001", exitInvalid}, {"nl-om-token-0000001", exitOK}, {"be-fpp-token-000001", exitInvalid}, {"clerk-token-0000001", exitOK}} {
		code, out, errs := runCmd(t, "search", "--server", srv.URL, "--token", c.token, "--json", "cocaine")
		if code != c.want {
			t.Errorf("search as %s = %d, want %d\n%s\n%s", c.token, code, c.want, out, errs)
			continue
		}
		var res struct {
			Bundles []struct {
				Bundle, Delivery, Uploader string
				Counterparts               []string
			}
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("search --json: %v\n%s", err, out)
		}
		if (len(res.Bundles) == 1) != (c.want == exitOK) || (len(res.Bundles) == 1 && res.Bundles[0].Bundle != bundle) {
			t.Errorf("search as %s found %+v", c.token, res.Bundles)
		}
		if c.token == "nl-om-token-0000001" && len(res.Bundles) == 1 {
			if b := res.Bundles[0]; b.Uploader != "" || len(b.Counterparts) != 1 || b.Delivery == "" {
				t.Errorf("a counterpart sees %+v: want no uploader, only itself, its delivery", b)
			}
		}
	}
	if code, _, errs := runCmd(t, "search", "--server", srv.URL, "--token", "not-a-known-token-1", "cocaine"); code != exitInvalid || !strings.Contains(errs, "rejected the token") {
		t.Errorf("search with an unknown token = %d %s", code, errs)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a [b] c":                 "a [b] c",
		"line\nFAKE  ok\r\x1b[2J": "line FAKE ok [2J",
		"":                        "",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
