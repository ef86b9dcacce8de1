package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrail(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	dir := t.TempDir()
	trailPath, keyPath := filepath.Join(dir, "trail.json"), filepath.Join(dir, "evx.pem")
	code, out, errs = runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", trailPath, "--key-out", keyPath, bundle)
	if code != exitOK || !strings.Contains(out, "verified") {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	// The exported files verify with evx verify.
	if code, out, errs := runCmd(t, "verify", "--key", keyPath, trailPath); code != exitOK {
		t.Errorf("evx verify of the exported trail = %d\n%s\n%s", code, out, errs)
	}
	// To standard output, the trail itself.
	code, out, _ = runCmd(t, "trail", "--data", data, "--directory", testDirectory, bundle)
	if code != exitOK || !strings.Contains(out, `"format": "evx-custody-trail/1"`) {
		t.Errorf("trail to stdout = %d, %.200s", code, out)
	}
	if code, _, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, strings.Repeat("0", 64)); code != exitInvalid || !strings.Contains(errs, "no custody trail") {
		t.Errorf("trail of an unknown bundle = %d %s, want 1", code, errs)
	}
	if code, _, _ := runCmd(t, "trail"); code != exitUsage {
		t.Errorf("trail without a bundle = %d, want %d", code, exitUsage)
	}
	if _, err := os.Stat(keyPath); err != nil {
		t.Error(err)
	}
}
