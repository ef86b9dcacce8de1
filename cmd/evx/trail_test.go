package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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

// TestTrailConsistency: evx trail --checkpoint (or --consistency-from) exports the proof
// that evx verify --checkpoint needs; without it verify says the proof is missing and how to
// export it, not that history was rewritten.
func TestTrailConsistency(t *testing.T) {
	clearEnv(t)
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	dl := t.TempDir()
	if code, out, errs := runCmd(t, "pull", "--data", data, "--directory", testDirectory, "--counterpart", "nl-om", "--out", dl, "--json"); code != exitOK {
		t.Fatalf("pull = %d\n%s\n%s", code, out, errs)
	}
	// The checkpoint nl-om keeps from its receipt.
	matches, _ := filepath.Glob(filepath.Join(dl, "d-*", receiptFile))
	raw, _ := os.ReadFile(matches[0])
	var rc struct{ Checkpoint string }
	json.Unmarshal(raw, &rc)
	older := filepath.Join(t.TempDir(), "older.txt")
	os.WriteFile(older, []byte(rc.Checkpoint), 0o644)
	// The log grows with another bundle.
	other := filepath.Join(t.TempDir(), "other.txt")
	os.WriteFile(other, []byte("another document\n"), 0o644)
	if code, out, errs := runCmd(t, uploadArgs(data, []string{other})...); code != exitOK {
		t.Fatalf("second upload = %d\n%s\n%s", code, out, errs)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "evx.pem")
	size, _ := checkpointSize([]byte(rc.Checkpoint))
	for _, flags := range [][]string{{"--checkpoint", older}, {"--consistency-from", strconv.FormatUint(size, 10)}} {
		trail := filepath.Join(dir, "with-proof.json")
		args := append([]string{"trail", "--data", data, "--directory", testDirectory, "--out", trail, "--key-out", key}, flags...)
		code, out, errs := runCmd(t, append(args, bundle)...)
		if code != exitOK || !strings.Contains(out, "consistency proof from log size") {
			t.Fatalf("trail %v = %d\n%s\n%s", flags, code, out, errs)
		}
		code, out, errs = runCmd(t, "verify", "--key", key, "--checkpoint", older, trail)
		if code != exitOK || !strings.Contains(out, "no history was rewritten") {
			t.Errorf("verify --checkpoint of a trail with the proof = %d\n%s\n%s", code, out, errs)
		}
	}
	plain := filepath.Join(dir, "plain.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", plain, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCmd(t, "verify", "--key", key, "--checkpoint", older, plain)
	if code != exitUsage || strings.Contains(out, "INVALID") || !strings.Contains(out, "no consistency proof from log size") || !strings.Contains(out, "evx trail --checkpoint "+older) {
		t.Errorf("verify --checkpoint of a trail without the proof = %d\n%s; want 2, the proof named missing and how to export it", code, out)
	}
	if code, _, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--checkpoint", key, bundle); code != exitUsage || !strings.Contains(errs, "not a signed checkpoint") {
		t.Errorf("trail --checkpoint KEY.pem = %d %q, want 2", code, errs)
	}
}

// TestVerifyNotATrail: a file that is not a trail at all is named so (exit 2); a damaged
// trail is a verification failure (exit 1).
func TestVerifyNotATrail(t *testing.T) {
	key := filepath.Join(tamperDir, "key.pem")
	notJSON := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notJSON, []byte(`{"deliveries": []}`), 0o644)
	for _, f := range []string{key, notJSON, filepath.Join(tamperDir, "older.txt")} {
		code, out, errs := runCmd(t, "verify", "--key", key, f)
		if code != exitUsage || !strings.Contains(errs, "is not a trail file") || strings.Contains(out, "INVALID") {
			t.Errorf("verify %s = %d %q %q; want 2, not a trail file", f, code, out, errs)
		}
	}
	for _, name := range []string{"truncated", "trailing-garbage", "unknown-field"} {
		if code, out, _ := runCmd(t, "verify", "--key", key, filepath.Join(tamperDir, name+".json")); code != exitInvalid || !strings.Contains(out, "INVALID") {
			t.Errorf("verify %s = %d %q, want 1 INVALID", name, code, out)
		}
	}
}
