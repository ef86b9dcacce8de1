package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDataDir(t *testing.T) {
	t.Setenv("EVX_DATA", "")
	if got := DataDir(""); got != ".evx" {
		t.Errorf("DataDir(\"\") = %q, want .evx", got)
	}
	t.Setenv("EVX_DATA", "/srv/evx")
	if got := DataDir(""); got != "/srv/evx" {
		t.Errorf("DataDir(\"\") with EVX_DATA = %q, want /srv/evx", got)
	}
	if got := DataDir("here"); got != "here" {
		t.Errorf("DataDir(here) = %q, want here", got)
	}
}

func TestOpenData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "evx-data")
	ctx := context.Background()
	d, err := OpenData(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	doc := "informe pericial"
	if err := d.Queue.Send(ctx, "cp-nl-om", "d1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	keyID := d.Signer.KeyID()
	// A crash left a temporary blob file behind.
	tmpDir := filepath.Join(dir, "blobs", "ab", "cd")
	os.MkdirAll(tmpDir, 0o700)
	os.WriteFile(filepath.Join(tmpDir, ".tmp-abcd0000-1"), []byte(doc), 0o600)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d, err = OpenData(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Signer.KeyID() != keyID {
		t.Errorf("reopened signer %s, want %s", d.Signer.KeyID(), keyID)
	}
	ms, err := d.Queue.Receive(ctx, "cp-nl-om", 10, time.Minute)
	if err != nil || len(ms) != 1 {
		t.Errorf("Receive after reopening = %d messages, %v; want 1", len(ms), err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmpDir, ".tmp-*")); len(left) != 0 {
		t.Errorf("OpenData left %v", left)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("data folder mode = %04o, want 0700", got)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); !strings.HasPrefix(got, "blobs evx.db") || !strings.HasSuffix(got, "signing.key") {
		t.Errorf("data folder holds %s, want blobs, evx.db (and its WAL files), signing.key", got)
	}
}
