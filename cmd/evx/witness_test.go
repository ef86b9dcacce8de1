package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

const witnessTokens = "alice-token-0000001 uploader alice\nnl-om-token-0000001 counterpart nl-om\nes-fge-token-000001 counterpart es-fge\nlegal-token-0000001 legal clerk\n"

// forkingHandler serves the API, except that once fork is set it answers GET /v1/log/witness
// with a checkpoint of another history signed by the same key: what an operator holding evx's
// key would show one witness.
type forkingHandler struct {
	h    http.Handler
	n    *local.Node
	fork atomic.Bool
}

func (f *forkingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.fork.Load() || r.URL.Path != "/v1/log/witness" {
		f.h.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	size, _ := f.n.Ledger.LogSize(ctx)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: f.n.Signer, Origin: f.n.Service.Origin()}
	for i := uint64(0); i < size+2; i++ {
		if _, err := k.Record(ctx, "REWRITTEN", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, custody.Details{}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
	}
	cp, _ := k.Checkpoint(ctx)
	from, _ := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	o := pipeline.WitnessOffer{Checkpoint: string(cp), Size: size + 2, FromSize: from, Proof: [][]byte{}}
	if from > 0 {
		p, _ := custody.ConsistencyProof(ctx, k.Ledger, from, size+2)
		o.Proof = p
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(o)
}

// witnessServer runs a node with its API and one bundle uploaded for nl-om and es-fge.
func witnessServer(t *testing.T) (fh *forkingHandler, url, keyFile, bundle string) {
	t.Helper()
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, _ := api.ParseTokens(strings.NewReader(witnessTokens))
	fh = &forkingHandler{h: api.New(n.Service, n.Uploads, toks, api.Limits{}, nil), n: n}
	srv := httptest.NewServer(fh)
	t.Cleanup(srv.Close)
	args := []string{"upload", "--server", srv.URL, "--token", "alice-token-0000001", "--counterpart", "nl-om", "--counterpart", "es-fge", "--field", "EVX-Legal-Basis=EU-EIO"}
	code, out, errs := runCmd(t, append(args, sampleFiles(t)...)...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle = strings.Fields(out)[1] // "bundle <id>" is the first line

	keyFile = filepath.Join(t.TempDir(), "evx.pem")
	if code, out, errs := runCmd(t, "trail", "--server", srv.URL, "--token", "legal-token-0000001", "--key-out", keyFile, "--out", filepath.Join(t.TempDir(), "t.json"), bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	return fh, srv.URL, keyFile, bundle
}

// TestWitnessCommand: two counterparts witness (one through evx pull), the trail exported
// afterwards verifies complete under a quorum of both, fails under a quorum no cosignatures
// meet, and a witness later shown a forked log refuses, keeps the evidence and alerts.
func TestWitnessCommand(t *testing.T) {
	fh, url, keyFile, bundle := witnessServer(t)
	dir := t.TempDir()
	nlKey, esKey := filepath.Join(dir, "nl.key"), filepath.Join(dir, "es.key")
	nlState, esState := filepath.Join(dir, "nl-state"), filepath.Join(dir, "es-state")

	code, out, errs := runCmd(t, "witness", "--server", url, "--token", "es-fge-token-000001", "--key", esKey, "--new-key", "es-fge.example/witness", "--audit", "--state", esState, "--log-key", keyFile)
	if code != exitOK || !strings.Contains(out, "bundle heads are true") || !strings.Contains(errs, esKey+".vkey") {
		t.Fatalf("witness (first) = %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "witness", "--server", url, "--token", "nl-om-token-0000001", "--key", nlKey, "--new-key", "nl-om.example/witness", "--state", t.TempDir(), "--log-key", keyFile, "--json"); code != exitOK || !strings.Contains(out, `"cosigned": true`) {
		t.Fatalf("witness (nl-om, creating its key) = %d\n%s\n%s", code, out, errs)
	}
	// nl-om pulls its delivery and witnesses in the same run.
	code, out, errs = runCmd(t, "pull", "--server", url, "--token", "nl-om-token-0000001", "--key", keyFile, "--out", filepath.Join(dir, "in"), "--witness-key", nlKey, "--witness-state", nlState, "--witness-audit")
	if code != exitOK || !strings.Contains(out, "accepted") || !strings.Contains(out, "witness nl-om.example/witness: cosigned") {
		t.Fatalf("pull --witness-key = %d\n%s\n%s", code, out, errs)
	}
	// The pull's receipt grew the log: es-fge witnesses the new checkpoint, consistent with its own.
	code, out, errs = runCmd(t, "witness", "--server", url, "--token", "es-fge-token-000001", "--key", esKey, "--audit", "--state", esState, "--log-key", keyFile)
	if code != exitOK || !strings.Contains(out, "consistent with size") {
		t.Fatalf("witness (second round) = %d\n%s\n%s", code, out, errs)
	}

	trail := filepath.Join(dir, "trail.json")
	if code, out, errs := runCmd(t, "trail", "--server", url, "--token", "legal-token-0000001", "--out", trail, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "verify", "--key", keyFile, "--witness", nlKey+".vkey", "--witness", esKey+".vkey", "--quorum", "2", trail)
	if code != exitOK || !strings.Contains(out, "complete as of checkpoint") || !strings.Contains(out, "witnessed: cosigned by") {
		t.Fatalf("verify --quorum 2 = %d\n%s\n%s", code, out, errs)
	}
	// A third witness who never cosigned: a quorum of 3 is not met.
	_, thirdV, _ := runCmdKey(t, filepath.Join(dir, "third.key"), "court.example/witness")
	code, out, _ = runCmd(t, "verify", "--json", "--key", keyFile, "--witness", nlKey+".vkey", "--witness", esKey+".vkey", "--witness", thirdV, "--quorum", "3", trail)
	if code != exitInvalid || !strings.Contains(out, `"type": "QuorumError"`) {
		t.Fatalf("verify --quorum 3 = %d\n%s", code, out)
	}
	if code, _, errs := runCmd(t, "verify", "--key", keyFile, "--witness", nlKey+".vkey", "--witness", nlKey+".vkey", "--quorum", "2", trail); code != exitUsage || !strings.Contains(errs, "distinct") {
		t.Fatalf("verify with one witness key twice = %d %s, want usage", code, errs)
	}

	// A fork shown to es-fge: refused, evidence kept, an alert, exit 1; the held checkpoint stays.
	fh.fork.Store(true)
	code, out, errs = runCmd(t, "witness", "--server", url, "--token", "es-fge-token-000001", "--key", esKey, "--state", esState, "--log-key", keyFile)
	if code != exitInvalid || !strings.Contains(errs, "ALERT") || !strings.Contains(errs, "two inconsistent histories") {
		t.Fatalf("witness shown a fork = %d\n%s\n%s", code, out, errs)
	}
	forks, _ := filepath.Glob(filepath.Join(esState, "*", "fork-*", "shown.checkpoint"))
	if len(forks) != 1 {
		t.Fatalf("fork evidence %v, want one folder with shown.checkpoint", forks)
	}
}

// runCmdKey creates a witness key through evx witness --new-key without a round (no server):
// the round fails, the key is made. It returns the key file and its vkey file.
func runCmdKey(t *testing.T, path, name string) (int, string, string) {
	t.Helper()
	code, _, _ := runCmd(t, "witness", "--data", t.TempDir(), "--key", path, "--new-key", name)
	if _, err := os.Stat(path + ".vkey"); err != nil {
		t.Fatalf("witness --new-key: %v", err)
	}
	return code, path + ".vkey", ""
}

// TestVerifyWitnessVectors runs evx verify on the witness vectors of custody: each fails with
// the typed error it names, the good ones pass.
func TestVerifyWitnessVectors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tamperDir, "witness-cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		n++
		t.Run(f[0], func(t *testing.T) {
			args := []string{"verify", "--json", "--key", filepath.Join(tamperDir, "key.pem"), filepath.Join(tamperDir, f[0]+".json"),
				"--documents", filepath.Join(tamperDir, "documents"), "--checkpoint", filepath.Join(tamperDir, "older.txt"), "--quorum", f[2]}
			for _, k := range strings.Split(f[3], ",") {
				args = append(args, "--witness", filepath.Join(tamperDir, k))
			}
			code, out, errs := runCmd(t, args...)
			var res struct {
				Verified bool
				Failure  struct{ Type string }
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("verify output %q (%s): %v", out, errs, err)
			}
			got := res.Failure.Type
			if res.Verified {
				got = "ok"
			}
			if got != f[1] || (got == "ok") != (code == exitOK) {
				t.Errorf("evx verify %s = %d %s, want %s", f[0], code, got, f[1])
			}
		})
	}
	if n < 6 {
		t.Fatalf("%d witness vectors, want at least 6", n)
	}
}

// TestWitnessAcrossKeyRotation: on a data folder, a witness cosigns, evx's key is rotated,
// and the next round follows the new key through the rotation statement, then verifies a
// trail spanning the rotation under a quorum of that witness.
func TestWitnessAcrossKeyRotation(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	oldKey, key, state := filepath.Join(tmp, "old.pem"), filepath.Join(tmp, "w.key"), filepath.Join(tmp, "state")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", filepath.Join(tmp, "t0.json"), "--key-out", oldKey, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	witness := []string{"witness", "--data", data, "--directory", testDirectory, "--key", key, "--state", state, "--log-key", oldKey, "--audit"}
	if code, out, errs := runCmd(t, append(witness, "--new-key", "court.example/witness")...); code != exitOK {
		t.Fatalf("witness before the rotation = %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "key", "rotate", "--data", data, "--directory", testDirectory, "--reason", "yearly"); code != exitOK {
		t.Fatalf("key rotate = %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "audit", "--data", data, "--directory", testDirectory); code != exitOK {
		t.Fatalf("audit = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, witness...)
	if code != exitOK || !strings.Contains(errs, "now follows the new key") || !strings.Contains(out, "bundle heads are true") {
		t.Fatalf("witness after the rotation = %d\n%s\n%s", code, out, errs)
	}
	trail := filepath.Join(tmp, "t1.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", trail, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "verify", "--key", oldKey, "--witness", key+".vkey", "--quorum", "1", trail)
	if code != exitOK || !strings.Contains(out, "witnessed: cosigned by court.example/witness") {
		t.Fatalf("verify across the rotation = %d\n%s\n%s", code, out, errs)
	}
}
