package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evx key rotate replaces the signing key through a statement the old key signs; a trail
// exported afterwards verifies with the old key and with the new one, and says which key
// signed which events.
func TestKeyRotate(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	oldKey, newKey := filepath.Join(tmp, "old.pem"), filepath.Join(tmp, "new.pem")
	before, after := filepath.Join(tmp, "before.json"), filepath.Join(tmp, "after.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", before, "--key-out", oldKey, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}

	code, out, errs = runCmd(t, "key", "rotate", "--data", data, "--directory", testDirectory, "--reason", "yearly rotation", "--key-out", newKey)
	if code != exitOK || !strings.Contains(out, "retired") || !strings.Contains(out, "signs from now on") {
		t.Fatalf("key rotate = %d\n%s\n%s; want 0 naming both keys", code, out, errs)
	}
	// New events are signed by the new key: the data folder opens with it.
	if code, out, errs := runCmd(t, "audit", "--data", data, "--directory", testDirectory); code != exitOK {
		t.Fatalf("audit after the rotation = %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", after, bundle); code != exitOK {
		t.Fatalf("trail after the rotation = %d\n%s\n%s", code, out, errs)
	}
	for _, key := range []string{oldKey, newKey} {
		code, out, errs := runCmd(t, "verify", "--key", key, after)
		if code != exitOK || !strings.Contains(out, "signed by 2 keys in turn") || !strings.Contains(out, "current: signs the checkpoint") {
			t.Errorf("verify --key %s (trail across the rotation) = %d\n%s\n%s; want verified, both keys listed", filepath.Base(key), code, out, errs)
		}
	}
	code, out, _ = runCmd(t, "verify", "--json", "--key", oldKey, after)
	var res struct {
		Verified bool
		Report   struct {
			Rotation struct {
				Keys []struct {
					KeyID    string `json:"key_id"`
					Events   int
					Retired  string
					Introduc string `json:"introduced"`
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || !res.Verified {
		t.Fatalf("verify --json = %d, %v\n%s", code, err, out)
	}
	keys := res.Report.Rotation.Keys
	if len(keys) != 2 || keys[0].Retired == "" || keys[1].Introduc == "" || keys[1].Events != 1 || keys[0].Events < 1 {
		t.Errorf("report keys = %+v; want the old key retired with the ingest events, the new one with the FixityCheck", keys)
	}
	// The trail exported before the rotation still verifies with the old key.
	if code, out, errs := runCmd(t, "verify", "--key", oldKey, before); code != exitOK {
		t.Errorf("verify (trail before the rotation) = %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(data, "signing.key.next")); !os.IsNotExist(err) {
		t.Errorf("signing.key.next left behind: %v", err)
	}
}
