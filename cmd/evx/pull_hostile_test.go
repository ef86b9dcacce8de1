package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// spoofServer is a hostile evx server: it lists the deliveries and serves the manifests and
// documents it is given, whatever their names.
type spoofServer struct {
	deliveries []pipeline.Delivery
	manifests  map[string]pipeline.Manifest
	documents  map[string][]byte // by delivery id + "/" + name
}

func (s *spoofServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/v1/public-key":
		pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public()
		der, _ := x509.MarshalPKIXPublicKey(pub)
		pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case p == "/v1/deliveries":
		json.NewEncoder(w).Encode(map[string]any{"deliveries": s.deliveries})
	case strings.HasSuffix(p, "/receipt") && r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"format": "evx-receipt/1", "outcome": "ConsignmentAcceptance"}`))
	case strings.Contains(p, "/documents/"):
		id, name, _ := strings.Cut(strings.TrimPrefix(p, "/v1/deliveries/"), "/documents/")
		b, ok := s.documents[id+"/"+name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	default:
		m, ok := s.manifests[strings.TrimPrefix(p, "/v1/deliveries/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(m)
	}
}

func hexID(c byte) string { return "d-" + strings.Repeat(string(c), 32) }

func doc(name string, b []byte) custody.Document {
	s := sha256.Sum256(b)
	return custody.Document{Name: name, Size: int64(len(b)), SHA256: hex.EncodeToString(s[:])}
}

// TestPullHostileServer: a spoofed server's delivery ids and document names never steer a
// write outside --out, links planted in --out are never followed out of it nor written
// through, and each refusal names what was refused.
func TestPullHostileServer(t *testing.T) {
	clearEnv(t)
	base := t.TempDir()
	out, outside := filepath.Join(base, "inbox"), filepath.Join(base, "outside")
	os.MkdirAll(out, 0o700)
	os.MkdirAll(outside, 0o700)
	victim := filepath.Join(outside, "victim.txt")
	os.WriteFile(victim, []byte("precious\n"), 0o600)

	good, escapeDoc, linkFolder, linkData := hexID('a'), hexID('b'), hexID('c'), hexID('d')
	body := []byte("document body\n")
	s := &spoofServer{
		deliveries: []pipeline.Delivery{
			{ID: "../outside/evil", State: pipeline.DeliveryConsigned},
			{ID: "/tmp/evx-abs-evil", State: pipeline.DeliveryConsigned},
			{ID: "d-\x1b]0;owned\x07", State: pipeline.DeliveryConsigned},
			{ID: good + "/../../outside", State: pipeline.DeliveryConsigned},
			{ID: good, BundleID: strings.Repeat("0", 64), State: pipeline.DeliveryConsigned},
			{ID: escapeDoc, State: pipeline.DeliveryConsigned},
			{ID: linkFolder, State: pipeline.DeliveryConsigned},
			{ID: linkData, State: pipeline.DeliveryConsigned},
		},
		manifests: map[string]pipeline.Manifest{
			good:       {Delivery: pipeline.Delivery{ID: good}, Documents: []custody.Document{doc("data/ok.txt", body)}},
			escapeDoc:  {Delivery: pipeline.Delivery{ID: escapeDoc}, Documents: []custody.Document{doc("data/../../../outside/victim.txt", body)}},
			linkFolder: {Delivery: pipeline.Delivery{ID: linkFolder}, Documents: []custody.Document{doc("data/x.txt", body)}},
			linkData:   {Delivery: pipeline.Delivery{ID: linkData}, Documents: []custody.Document{doc("data/victim.txt", body)}},
		},
		documents: map[string][]byte{good + "/data/ok.txt": body, linkFolder + "/data/x.txt": body, linkData + "/data/victim.txt": body},
	}
	// Links planted in the inbox: the good delivery's document is a link to the victim; one
	// delivery folder is a link out; another's data folder is a link out.
	os.MkdirAll(filepath.Join(out, good, "data"), 0o700)
	os.Symlink(victim, filepath.Join(out, good, "data", "ok.txt"))
	os.Symlink(outside, filepath.Join(out, linkFolder))
	os.MkdirAll(filepath.Join(out, linkData), 0o700)
	os.Symlink(outside, filepath.Join(out, linkData, "data"))

	srv := httptest.NewServer(s)
	defer srv.Close()
	code, stdout, errs := runCmd(t, "pull", "--server", srv.URL, "--token", "spoof-token-000001", "--out", out, "--json")
	if code != exitInvalid {
		t.Errorf("pull = %d, want 1\n%s\n%s", code, stdout, errs)
	}
	for _, want := range []string{`delivery id "../outside/evil"`, `delivery id "/tmp/evx-abs-evil"`, `delivery id "` + good + `/../../outside"`,
		`document name "data/../../../outside/victim.txt"`, filepath.Join(out, linkFolder) + " is not a folder", "delivery " + linkData} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not name %s:\n%s", want, errs)
		}
	}
	if strings.ContainsRune(errs, 0x1b) {
		t.Errorf("stderr carries a terminal escape the server sent: %q", errs)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("victim.txt = %q: written through a link", b)
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 1 {
		t.Errorf("outside holds %v, want victim.txt alone", ents)
	}
	if _, err := os.Stat("/tmp/evx-abs-evil"); err == nil {
		t.Error("/tmp/evx-abs-evil was written")
	}
	// The good delivery arrived, its link replaced by the document itself.
	fi, err := os.Lstat(filepath.Join(out, good, "data", "ok.txt"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("data/ok.txt: %v, %v; want a regular file in place of the link", fi, err)
	}
	// --json lists every delivery: the good one pulled, each other failed with its reason.
	var res struct{ Deliveries []pulled }
	json.Unmarshal([]byte(stdout), &res)
	failed := 0
	for _, p := range res.Deliveries {
		switch {
		case p.Delivery == good && p.Outcome != "failed":
		case p.Outcome == "failed" && p.Error != "":
			failed++
		default:
			t.Errorf("--json delivery %+v", p)
		}
	}
	if len(res.Deliveries) != 8 || failed != 7 {
		t.Errorf("--json lists %d deliveries, %d failed; want 8, 7 failed", len(res.Deliveries), failed)
	}
}

// shortDocuments passes requests to h but cuts every document's body to half its
// announced length, as a dropped connection or a changed stored file would.
type shortDocuments struct{ h http.Handler }

func (s shortDocuments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.URL.Path, "/documents/") {
		s.h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	b := rec.Body.Bytes()
	w.Write(b[:len(b)/2])
}

// TestPullShortDownload: a document that arrives short is a mismatch like any other: listed
// in --json, the delivery left unanswered, or rejected with --reject-on-mismatch.
func TestPullShortDownload(t *testing.T) {
	clearEnv(t)
	n, toks := testNode(t)
	srv := httptest.NewServer(shortDocuments{apiHandler(n, toks)})
	defer srv.Close()
	uploadTo(t, srv.URL)
	for _, reject := range []bool{false, true} {
		args := []string{"pull", "--server", srv.URL, "--token", "nl-om-token-0000001", "--out", t.TempDir(), "--json"}
		if reject {
			args = append(args, "--reject-on-mismatch")
		}
		code, out, errs := runCmd(t, args...)
		var res struct{ Deliveries []pulled }
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Deliveries) != 1 {
			t.Fatalf("pull = %d %s %s (%v)", code, out, errs, err)
		}
		p := res.Deliveries[0]
		want := map[bool]string{false: "unanswered", true: "rejected"}[reject]
		if code != exitInvalid || p.Outcome != want || len(p.Mismatches) != 2 {
			t.Fatalf("pull (reject %v) = %d, %+v; want 1, %s, 2 mismatches", reject, code, p, want)
		}
		for _, m := range p.Mismatches {
			if m.GotSize >= m.WantSize || m.Got == m.Want || !strings.Contains(m.Reason, "download ended") && !strings.Contains(m.Reason, "short download") {
				t.Errorf("mismatch %+v, want a short download", m)
			}
		}
		if reject && p.State != pipeline.DeliveryRejected {
			t.Errorf("state %s, want rejected", p.State)
		}
	}
}

// lostReceipt passes requests to h, but the first receipt posted is recorded and its answer
// lost (the connection closed); GET .../receipt then serves the stored receipt, as the
// hardened server does.
type lostReceipt struct {
	h      http.Handler
	mu     sync.Mutex
	stored map[string][]byte
}

func (l *lostReceipt) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/deliveries/"), "/receipt")
	if !ok || !strings.HasPrefix(r.URL.Path, "/v1/deliveries/") {
		l.h.ServeHTTP(w, r)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Method == http.MethodGet {
		b, ok := l.stored[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return
	}
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, r)
	if rec.Code != http.StatusCreated || l.stored[id] != nil {
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	l.stored[id] = rec.Body.Bytes()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// TestPullRecoversLostReceipt: when the answer to a posted receipt is lost, the next pull
// fetches the stored receipt (GET /v1/deliveries/ID/receipt), verifies and keeps it, and
// manifest.json records the delivery as accepted.
func TestPullRecoversLostReceipt(t *testing.T) {
	clearEnv(t)
	n, toks := testNode(t)
	srv := httptest.NewServer(&lostReceipt{h: apiHandler(n, toks), stored: map[string][]byte{}})
	defer srv.Close()
	uploadTo(t, srv.URL)
	key := filepath.Join(t.TempDir(), "evx.pem")
	writeKey(t, key, n.Signer.Public().(ed25519.PublicKey))
	dl := t.TempDir()
	args := []string{"pull", "--server", srv.URL, "--token", "nl-om-token-0000001", "--out", dl, "--key", key}
	code, out, errs := runCmd(t, args...)
	if code != exitInvalid || !strings.Contains(errs, "cannot reach") && !strings.Contains(errs, "EOF") {
		t.Fatalf("pull with the answer lost = %d\n%s\n%s", code, out, errs)
	}
	matches, _ := filepath.Glob(filepath.Join(dl, "d-*", receiptFile))
	if len(matches) != 0 {
		t.Fatalf("receipt written though its answer was lost: %v", matches)
	}
	code, out, errs = runCmd(t, append(args, "--json")...)
	var res struct{ Deliveries []pulled }
	if err := json.Unmarshal([]byte(out), &res); code != exitOK || err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("second pull = %d\n%s\n%s", code, out, errs)
	}
	p := res.Deliveries[0]
	if !p.ReceiptFetched || p.Outcome != "accepted" || p.Receipt != receiptFile || p.ReceiptError != "" {
		t.Errorf("second pull %+v, want the receipt fetched and verified", p)
	}
	raw, err := os.ReadFile(filepath.Join(p.Folder, receiptFile))
	var rc pipeline.Receipt
	if err != nil || json.Unmarshal(raw, &rc) != nil || pipeline.VerifyReceipt(&rc, n.Signer.Public()) != nil {
		t.Errorf("kept receipt %s: %v", raw, err)
	}
	var m pipeline.Manifest
	raw, _ = os.ReadFile(filepath.Join(p.Folder, manifestFile))
	if json.Unmarshal(raw, &m); m.Delivery.State != pipeline.DeliveryAccepted {
		t.Errorf("manifest.json state %q, want accepted", m.Delivery.State)
	}
	// A third pull has nothing to do.
	if code, out, _ := runCmd(t, args...); code != exitOK || !strings.Contains(out, "no deliveries awaiting") {
		t.Errorf("third pull = %d %s", code, out)
	}
}
