package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"serve"}, &out, &errb); code != exitUsage {
		t.Errorf("serve without --tokens = %d, want %d", code, exitUsage)
	}
	p := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(p, []byte("legal-token-0000001 legal\n"), 0o644)
	errb.Reset()
	if code := run(t.Context(), []string{"serve", "--tokens", p}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "chmod 600") {
		t.Errorf("serve with a 0644 tokens file = %d %q, want %d and the fix", code, errb.String(), exitUsage)
	}
	// Outside the sources the default counterpart directory does not exist: say how to name one.
	os.Chmod(p, 0o600)
	errb.Reset()
	missing := filepath.Join(t.TempDir(), "counterparts.yaml")
	args := []string{"serve", "--tokens", p, "--data", t.TempDir(), "--directory", missing}
	if code := run(t.Context(), args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--directory FILE") {
		t.Errorf("serve with a missing directory = %d %q, want %d and how to name one", code, errb.String(), exitUsage)
	}
}

// TestServe starts evx serve on a fresh data folder, reads the public endpoints, calls a
// protected one with and without a token, and stops it with SIGINT; with --json it announces
// itself as a line of JSON.
func TestServe(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "text", true: "json"}[asJSON], func(t *testing.T) { testServe(t, asJSON) })
	}
}

func testServe(t *testing.T, asJSON bool) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "tokens")
	os.WriteFile(tok, []byte("legal-token-0000001 legal clerk\n"), 0o600)
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	args := []string{"serve", "--tokens", tok, "--data", filepath.Join(dir, "data"),
		"--directory", "../../infra/counterparts.yaml", "--addr", "127.0.0.1:0"}
	if asJSON {
		args = append(args, "--json")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		done <- run(ctx, args, pw, &errb)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no serving line: %v; stderr %s", err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	var base string
	if asJSON {
		var ann struct {
			URL   string `json:"url"`
			Data  string `json:"data"`
			KeyID string `json:"key_id"`
		}
		if err := json.Unmarshal([]byte(line), &ann); err != nil || ann.Data != filepath.Join(dir, "data") || !strings.HasPrefix(ann.KeyID, "sha256:") {
			t.Fatalf("serving line %q (%v), want JSON with url, data and key_id", line, err)
		}
		base = ann.URL
	} else {
		base = strings.Fields(line)[2]
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("serving line %q", line)
	}
	get := func(path, token string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/v1/checkpoint", ""); c != 200 {
		t.Errorf("checkpoint = %d, want 200", c)
	}
	if c := get("/v1/bundles/abc", ""); c != 401 {
		t.Errorf("bundle without token = %d, want 401", c)
	}
	if c := get("/v1/bundles/abc", "legal-token-0000001"); c != 404 {
		t.Errorf("unknown bundle as legal = %d, want 404", c)
	}
	if fi, err := os.Stat(filepath.Join(dir, "data", "signing.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key: %v, mode %v; want 0600", err, fi.Mode())
	}
	cancel() // as Ctrl-C cancels the context main gives every command
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d, want 0; stderr %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
}
