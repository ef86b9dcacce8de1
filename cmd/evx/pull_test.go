package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
)

// receiptTamperer passes requests to h and changes one field of every receipt evx returns,
// as a party between the counterpart and evx could.
type receiptTamperer struct{ h http.Handler }

func (rt receiptTamperer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/receipt") {
		rt.h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	rt.h.ServeHTTP(rec, r)
	var m map[string]any
	body := rec.Body.Bytes()
	if err := json.Unmarshal(body, &m); err == nil && m["outcome"] != nil {
		m["time"] = "2020-01-01T00:00:00Z" // back-dated
		body, _ = json.Marshal(m)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// pullServer runs a node and its API (tampered with when tamper is set) with one delivery
// uploaded for nl-om, and writes evx's public key to a file.
func pullServer(t *testing.T, tamper bool) (url, keyFile string) {
	t.Helper()
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, _ := api.ParseTokens(strings.NewReader("alice-token-0000001 uploader alice\nnl-om-token-0000001 counterpart nl-om\n"))
	var h http.Handler = api.New(n.Service, n.Uploads, toks, api.Limits{}, nil)
	if tamper {
		h = receiptTamperer{h}
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	args := []string{"upload", "--server", srv.URL, "--token", "alice-token-0000001", "--counterpart", "nl-om", "--field", "EVX-Legal-Basis=EU-EIO"}
	if code, out, errs := runCmd(t, append(args, sampleFiles(t)...)...); code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	keyFile = filepath.Join(t.TempDir(), "evx-public.pem")
	writeKey(t, keyFile, n.Signer.Public().(ed25519.PublicKey))
	return srv.URL, keyFile
}

func writeKey(t *testing.T, path string, pub ed25519.PublicKey) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPullVerifiesReceipt: pull checks evx's signature on every receipt, with the key given
// by --key or, with a note, the server's; a receipt that does not verify (altered on the way,
// or signed by another key) is kept as receipt.unverified.json and pull exits 1.
func TestPullVerifiesReceipt(t *testing.T) {
	otherKey := filepath.Join(t.TempDir(), "other.pem")
	writeKey(t, otherKey, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey))
	for _, c := range []struct {
		name      string
		tamper    bool
		key       string // "trusted", "other", "" (the server's)
		wantCode  int
		wantNote  bool
		wantSaved string
	}{
		{"server key", false, "", exitOK, true, "receipt.json"},
		{"trusted key", false, "trusted", exitOK, false, "receipt.json"},
		{"tampered receipt, trusted key", true, "trusted", exitInvalid, false, unverifiedReceipt},
		{"tampered receipt, server key", true, "", exitInvalid, true, unverifiedReceipt},
		{"other key", false, "other", exitInvalid, false, unverifiedReceipt},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, trusted := pullServer(t, c.tamper)
			dl := t.TempDir()
			args := []string{"pull", "--server", url, "--token", "nl-om-token-0000001", "--out", dl, "--json"}
			switch c.key {
			case "trusted":
				args = append(args, "--key", trusted)
			case "other":
				args = append(args, "--key", otherKey)
			}
			code, out, errs := runCmd(t, args...)
			if code != c.wantCode {
				t.Fatalf("pull = %d, want %d\n%s\n%s", code, c.wantCode, out, errs)
			}
			if got := strings.Contains(errs, "note: receipts are checked with the public key evx itself gave"); got != c.wantNote {
				t.Errorf("note printed: %v, want %v\n%s", got, c.wantNote, errs)
			}
			var res struct{ Deliveries []pulled }
			if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Deliveries) != 1 {
				t.Fatalf("output %s (%v): want one delivery", out, err)
			}
			p := res.Deliveries[0]
			if got := filepath.Base(p.Receipt); got != c.wantSaved {
				t.Errorf("receipt saved as %s, want %s", got, c.wantSaved)
			}
			if (p.ReceiptError != "") != (c.wantCode != exitOK) {
				t.Errorf("receipt_error %q with exit %d", p.ReceiptError, code)
			}
			raw, err := os.ReadFile(p.Receipt)
			if err != nil {
				t.Fatal(err)
			}
			var rc pipeline.Receipt
			if err := json.Unmarshal(raw, &rc); err != nil || rc.Outcome == "" {
				t.Errorf("kept receipt %s: %v", raw, err)
			}
			other := filepath.Join(p.Folder, "receipt.json")
			if c.wantSaved == "receipt.json" {
				other = filepath.Join(p.Folder, unverifiedReceipt)
			}
			if _, err := os.Stat(other); err == nil {
				t.Errorf("%s written too", other)
			}
		})
	}
	t.Run("unreadable key", func(t *testing.T) {
		url, _ := pullServer(t, false)
		code, _, errs := runCmd(t, "pull", "--server", url, "--token", "nl-om-token-0000001", "--out", t.TempDir(), "--key", filepath.Join(t.TempDir(), "missing.pem"))
		if code != exitUsage {
			t.Errorf("pull with a missing key file = %d, want %d\n%s", code, exitUsage, errs)
		}
	})
}

// A receipt also fails in text output, named as not verified.
func TestPullUnverifiedReceiptText(t *testing.T) {
	url, trusted := pullServer(t, true)
	code, out, _ := runCmd(t, "pull", "--server", url, "--token", "nl-om-token-0000001", "--out", t.TempDir(), "--key", trusted)
	if code != exitInvalid || !strings.Contains(out, "RECEIPT NOT VERIFIED") || !strings.Contains(out, unverifiedReceipt) {
		t.Errorf("pull = %d\n%s; want 1 and the receipt named as not verified", code, out)
	}
}
