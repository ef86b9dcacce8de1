package api_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

func writeTokens(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func authAs(a api.Authenticator, token string) (api.Identity, bool) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return a.Authenticate(r)
}

// A tokens file over 1 MiB is refused, never cut: cut, its last line's subject would be
// truncated into someone else's.
func TestTokensFileTooBig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens")
	var b strings.Builder
	for b.Len() <= api.MaxTokensFile {
		b.WriteString("# padding padding padding padding padding padding padding padding\n")
	}
	b.WriteString("long-enough-token-1 uploader alice.long-name\n")
	writeTokens(t, p, b.String())
	if _, err := api.LoadTokens(p); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("LoadTokens(%d bytes) = %v, want an error naming the limit", b.Len(), err)
	}
	if _, err := api.OpenTokenFile(p, nil, nil); err == nil {
		t.Fatal("OpenTokenFile(too big) = nil error")
	}
}

// A counterpart token naming an id the directory lacks is a startup error naming the line.
func TestTokensUnknownCounterpart(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, p, "# tokens\nalice-token-0000001 uploader alice\nnl-om-token-0000001 counterpart nl-om\nxx-token-0000000001 counterpart xx-nowhere\n")
	known := func(id string) bool { return id == "nl-om" }
	_, err := api.OpenTokenFile(p, known, nil)
	if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "xx-nowhere") {
		t.Fatalf("OpenTokenFile(unknown counterpart) = %v, want an error naming line 4 and xx-nowhere", err)
	}
}

// Uploaders belong to an agency that sends, counterparts to one that receives: a tokens line
// naming an agency the directory lacks, or one in the wrong role, is a startup error naming
// the line.
func TestTokensAgencies(t *testing.T) {
	dir := map[string]pipeline.Agency{"nl-pol": {ID: "nl-pol", Role: pipeline.RoleSend}, "nl-om": {ID: "nl-om"}}
	lookup := func(id string) (pipeline.Agency, bool) { a, ok := dir[id]; return a, ok }
	for _, tc := range []struct{ file, want string }{
		{"a-token-00000000001 uploader nl-pol j.devries\nb-token-00000000001 counterpart nl-om p.bakker\nc-token-00000000001 legal nl-om clerk\n", ""},
		{"a-token-00000000001 uploader nl-pol j.devries\nb-token-00000000001 uploader nl-om p.bakker\n", "line 2: agency nl-om is an uploader's"},
		{"a-token-00000000001 counterpart nl-pol j.devries\n", "line 1: counterpart \"nl-pol\" is not in the counterpart directory"},
		{"a-token-00000000001 legal de-bka k.muller\n", "line 1: agency \"de-bka\" is not in the agency directory"},
	} {
		p := filepath.Join(t.TempDir(), "tokens")
		writeTokens(t, p, tc.file)
		_, err := api.OpenAgencyTokenFile(p, lookup, nil)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("OpenAgencyTokenFile(%q) = %v, want %q", tc.file, err, tc.want)
		}
	}
}

// Revoking a token needs no restart; a broken new file keeps the old tokens in force and
// says so in the log.
func TestTokenFileReload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, p, "alice-token-0000001 uploader alice\nbob-token-000000001 uploader bob\n")
	var logs bytes.Buffer
	f, err := api.OpenTokenFile(p, func(string) bool { return true }, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := authAs(f, "bob-token-000000001"); !ok {
		t.Fatal("bob's token refused before revocation")
	}
	writeTokens(t, p, "alice-token-0000001 uploader alice\n")
	if changed, err := f.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v; want changed", changed, err)
	}
	if _, ok := authAs(f, "bob-token-000000001"); ok {
		t.Error("bob's token still accepted after it was removed from the file")
	}
	writeTokens(t, p, "alice-token-0000001 uploader alice\nshort counterpart\n")
	if _, err := f.Reload(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Reload(broken file) = %v, want an error naming line 2", err)
	}
	if id, ok := authAs(f, "alice-token-0000001"); !ok || id.Subject != "alice" {
		t.Error("after a broken reload, the tokens in force were dropped")
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "NOT RELOADED") {
		t.Errorf("log %q does not say loudly that the file was not reloaded", logs.String())
	}
}

// Watch puts a changed file in force without a signal.
func TestTokenFileWatch(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, p, "alice-token-0000001 uploader alice\nbob-token-000000001 uploader bob\n")
	f, err := api.OpenTokenFile(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	go f.Watch(t.Context(), 10*time.Millisecond)
	writeTokens(t, p, "alice-token-0000001 uploader alice\n# bob revoked\n")
	for i := 0; i < 500; i++ {
		if _, ok := authAs(f, "bob-token-000000001"); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("bob's token still accepted after the file changed")
}
