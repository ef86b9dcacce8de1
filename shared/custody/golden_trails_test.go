package custody_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// goldenTrailsDir holds, for each trail format evx has written (a folder named for the
// format, "/" as "-"), trails exported by releases that wrote it: NAME.json, its key NAME.pem
// and, when it carries a consistency proof, the older checkpoint NAME.older.txt. They are
// never regenerated: every trail evx ever exported must keep verifying.
const goldenTrailsDir = "../../testdata/trails"

// goldenTrail is one trail of goldenTrailsDir.
type goldenTrail struct {
	format, path, key, older string
}

func goldenTrails(t *testing.T) []goldenTrail {
	t.Helper()
	formats, err := os.ReadDir(goldenTrailsDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenTrail
	seen := map[string]bool{}
	for _, f := range formats {
		if !f.IsDir() {
			continue
		}
		// evx-custody-trail-1 holds format evx-custody-trail/1: the last "-" is the "/".
		format := f.Name()[:strings.LastIndex(f.Name(), "-")] + "/" + f.Name()[strings.LastIndex(f.Name(), "-")+1:]
		files, _ := filepath.Glob(filepath.Join(goldenTrailsDir, f.Name(), "*.json"))
		if len(files) == 0 {
			t.Errorf("%s: no trail", f.Name())
		}
		for _, p := range files {
			base := strings.TrimSuffix(p, ".json")
			g := goldenTrail{format: format, path: p, key: base + ".pem"}
			if _, err := os.Stat(base + ".older.txt"); err == nil {
				g.older = base + ".older.txt"
			}
			out = append(out, g)
		}
		seen[format] = true
	}
	if !seen[custody.TrailFormat] {
		t.Errorf("%s has no folder for the current format %s: add trails exported in it", goldenTrailsDir, custody.TrailFormat)
	}
	return out
}

// TestGoldenTrailsVerify: every trail of every format evx has written verifies with the
// current code, with its key, and against its older checkpoint when it has one.
func TestGoldenTrailsVerify(t *testing.T) {
	for _, g := range goldenTrails(t) {
		t.Run(filepath.Base(filepath.Dir(g.path))+"/"+filepath.Base(g.path), func(t *testing.T) {
			data, err := os.ReadFile(g.path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), `"format": "`+g.format+`"`) {
				t.Errorf("%s does not say format %q", g.path, g.format)
			}
			keyPEM, err := os.ReadFile(g.key)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := custody.ParsePublicKeyPEM(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			var opt custody.VerifyOptions
			if g.older != "" {
				if opt.Older, err = os.ReadFile(g.older); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := custody.VerifyTrail(data, pub, opt); err != nil {
				t.Errorf("VerifyTrail(%s) = %v, want nil", g.path, err)
			}
			// And it is still checked: one changed byte of a signature fails.
			bad := strings.Replace(string(data), `"signature": "`, `"signature": "A`, 1)
			if _, err := custody.VerifyTrail([]byte(bad), pub, opt); err == nil {
				t.Errorf("VerifyTrail(%s with a changed signature) = nil, want an error", g.path)
			}
		})
	}
}
