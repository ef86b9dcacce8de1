package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var tamperDir = filepath.Join("..", "..", "shared", "custody", "testdata", "tamper")

func TestVerifyTamperVectors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tamperDir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		name, want := f[0], f[1]
		t.Run(name, func(t *testing.T) {
			args := []string{"verify", "--json", "--key", filepath.Join(tamperDir, "key.pem"),
				filepath.Join(tamperDir, name+".json"),
				"--documents", filepath.Join(tamperDir, f[2]), "--checkpoint", filepath.Join(tamperDir, f[3])}
			var out, errb bytes.Buffer
			code := run(t.Context(), args, &out, &errb)
			wantCode := exitInvalid
			switch want {
			case "ok":
				wantCode = exitOK
			case "ConsistencyError":
				if name == "missing-consistency-proof" {
					// Not history rewritten: a proof the trail was exported without.
					want, wantCode = "MissingConsistencyProof", exitUsage
				}
			}
			if code != wantCode {
				t.Fatalf("evx %s = exit %d, want %d; stdout %s stderr %s", strings.Join(args, " "), code, wantCode, out.String(), errb.String())
			}
			var res struct {
				Valid    bool
				Verified bool
				Failure  map[string]any
			}
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("--json output %q: %v", out.String(), err)
			}
			if want == "ok" {
				if !res.Valid || !res.Verified {
					t.Errorf("valid = %v, verified = %v, want both true", res.Valid, res.Verified)
				}
				return
			}
			if res.Valid || res.Verified || res.Failure["type"] != want {
				t.Errorf("failure = %v, want type %s", res.Failure, want)
			}
		})
	}
}

func TestVerifyText(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"verify", "--key", filepath.Join(tamperDir, "key.pem"), filepath.Join(tamperDir, "dropped-event.json")}, &out, &errb)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d (stderr %s)", code, exitInvalid, errb.String())
	}
	// The first failure names the event and both hashes.
	if got := out.String(); !strings.Contains(got, "chain broken at seq 4") || strings.Count(got, " want ") != 1 {
		t.Errorf("output %q, want the break at seq 4 with expected and found hashes", got)
	}
	out.Reset()
	code = run(t.Context(), []string{"verify", "--key", filepath.Join(tamperDir, "key.pem"), filepath.Join(tamperDir, "good.json"),
		"--documents", filepath.Join(tamperDir, "documents"), "--checkpoint", filepath.Join(tamperDir, "older.txt")}, &out, &errb)
	if code != exitOK || !strings.Contains(out.String(), "verified: bundle EVX-2026-0001, 8 events") || !strings.Contains(out.String(), "3 documents") {
		t.Errorf("exit %d, output %q, want 0 and a valid summary", code, out.String())
	}
}

func TestVerifyUsage(t *testing.T) {
	key := filepath.Join(tamperDir, "key.pem")
	good := filepath.Join(tamperDir, "good.json")
	for _, args := range [][]string{
		{"verify"},
		{"verify", good},                          // no key
		{"verify", "--key", key},                  // no trail
		{"verify", "--key", key, good, good},      // two trails
		{"verify", "--key", "/nonexistent", good}, // unreadable key
		{"verify", "--key", good, good},           // not a key
		{"verify", "--key", key, "/nonexistent"},
		{"verify", "--key", key, good, "--documents", "/nonexistent"},
		{"verify", "--key", key, good, "--checkpoint", "/nonexistent"},
		{"verify", "--bogus"},
	} {
		var out, errb bytes.Buffer
		if code := run(t.Context(), args, &out, &errb); code != exitUsage {
			t.Errorf("evx %s = exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
	var out, errb bytes.Buffer
	if run(t.Context(), []string{"verify", good}, &out, &errb); !strings.Contains(errb.String(), "--key is required") {
		t.Errorf("evx verify without --key said %q, want it to name the missing --key", errb.String())
	}
}

// TestVerifyJSONFailureFields: --json names the failed check's event and both sides, with the
// same fields for each kind as before custody described its errors itself.
func TestVerifyJSONFailureFields(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
	}{
		{"dropped-event", []string{"type", "message", "seq", "want", "got"}},
		{"event-from-other-bundle", []string{"type", "message", "position", "want", "got"}},
		{"bit-flip-@3-proof", []string{"type", "message", "seq", "want", "got", "leaf_index", "log_size"}},
		{"backdated-before-predecessor", []string{"type", "message", "seq", "want", "got"}},
		{"forged-checkpoint", []string{"type", "message", "want", "got", "reason"}},
	} {
		args := []string{"verify", "--json", "--key", filepath.Join(tamperDir, "key.pem"), filepath.Join(tamperDir, tc.name+".json")}
		var out, errb bytes.Buffer
		if code := run(t.Context(), args, &out, &errb); code != exitInvalid {
			t.Fatalf("evx %s = exit %d, want %d (stderr %s)", strings.Join(args, " "), code, exitInvalid, errb.String())
		}
		var res struct{ Failure map[string]any }
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Failure) != len(tc.fields) {
			t.Errorf("%s: failure fields %v, want exactly %v", tc.name, res.Failure, tc.fields)
		}
		for _, k := range tc.fields {
			if _, ok := res.Failure[k]; !ok {
				t.Errorf("%s: failure %v lacks %q", tc.name, res.Failure, k)
			}
		}
		if tc.name == "dropped-event" && (res.Failure["seq"] != 4.0 || res.Failure["want"] == "" || res.Failure["got"] == "") {
			t.Errorf("dropped-event: failure %v, want seq 4 with both hashes", res.Failure)
		}
		if tc.name == "backdated-before-predecessor" && !strings.HasPrefix(res.Failure["want"].(string), "not before ") {
			t.Errorf("backdated: want %q, want \"not before <time>\"", res.Failure["want"])
		}
	}
}
