package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

const serveHelperEnv = "EVX_SERVE_HELPER_ARGS"

// TestServeHelperProcess is not a test: TestServeSIGKILL runs evx serve through it in a child
// process it can kill.
func TestServeHelperProcess(t *testing.T) {
	args := os.Getenv(serveHelperEnv)
	if args == "" {
		t.Skip("helper process for TestServeSIGKILL")
	}
	os.Exit(run(append([]string{"serve"}, strings.Split(args, "\x1f")...), os.Stdout, os.Stderr))
}

type serveChild struct {
	cmd  *exec.Cmd
	base string
}

func startServe(t *testing.T, args ...string) *serveChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), serveHelperEnv+"="+strings.Join(args, "\x1f"))
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("evx serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	return &serveChild{cmd: cmd, base: strings.Fields(line)[2]}
}

// TestServeSIGKILL kills evx serve with SIGKILL while it receives and ingests uploads, at
// varying moments, and starts it again: every upload it recorded ends delivered exactly once
// per counterpart with a verifying trail, and re-sending a bag gives the same bundle.
func TestServeSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	tok := filepath.Join(dir, "tokens")
	os.WriteFile(tok, []byte("alice-token-0000001 uploader alice\nlegal-token-0000001 legal clerk\nnl-om-token-0000001 counterpart nl-om\nes-fge-token-000001 counterpart es-fge\n"), 0o600)
	dirPath, _ := filepath.Abs(testDirectory)
	args := []string{"--tokens", tok, "--data", filepath.Join(dir, "data"), "--directory", dirPath, "--addr", "127.0.0.1:0"}

	var bags [][]byte
	for i := range 4 {
		src := filepath.Join(t.TempDir(), "intercepts.bin")
		f, _ := os.Create(src)
		io.CopyN(f, rand.NewChaCha8([32]byte{byte(i)}), 12<<20)
		f.Close()
		out := filepath.Join(t.TempDir(), "b.zip")
		if _, err := bagit.Create(out, []string{src}, bagit.CreateOptions{Info: bagit.Info{
			{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
			{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
		}}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		bags = append(bags, b)
	}
	post := func(base string, bag []byte) (int, error) {
		req, _ := http.NewRequest("POST", base+"/v1/bundles", bytes.NewReader(bag))
		req.Header.Set("Authorization", "Bearer alice-token-0000001")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for i, bag := range bags {
		s := startServe(t, args...)
		go post(s.base, bag)
		time.Sleep(time.Duration(30+i*60) * time.Millisecond)
		s.cmd.Process.Signal(syscall.SIGKILL)
		s.cmd.Wait()
	}

	// What the kills left unfinished (uploads recorded, not yet routed), before the restart.
	if n, err := local.OpenNode(context.Background(), filepath.Join(dir, "data"), local.NodeOptions{Directory: dirPath}); err == nil {
		p, _ := n.Uploads.Pending(context.Background())
		t.Logf("%d uploads left unfinished by the kills", len(p))
		n.Close()
	}
	s := startServe(t, args...) // resumes what was recorded
	defer func() { s.cmd.Process.Signal(syscall.SIGINT); s.cmd.Wait() }()
	get := func(token, path string, v any) int {
		req, _ := http.NewRequest("GET", s.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if v != nil {
			json.NewDecoder(resp.Body).Decode(v)
		}
		return resp.StatusCode
	}
	recorded := 0
	for i, bag := range bags {
		h := sha256.Sum256(bag)
		id := hex.EncodeToString(h[:])
		var st pipeline.Status
		switch code := get("legal-token-0000001", "/v1/bundles/"+id, &st); code {
		case 404: // killed before the upload was recorded: never acknowledged, nothing to finish
		case 200:
			recorded++
			if st.Upload.State != pipeline.UploadRouted || len(st.Deliveries) != 2 {
				t.Errorf("bag %d after restart: state %s, %d deliveries; want routed, 2", i, st.Upload.State, len(st.Deliveries))
			}
			var v map[string]any
			get("legal-token-0000001", "/v1/bundles/"+id+"/verification", &v)
			if v["verified"] != true {
				t.Errorf("bag %d trail: %v", i, v)
			}
		default:
			t.Fatalf("status of bag %d = %d", i, code)
		}
		// Sending the bag again (as the uploader would, never having had an answer) works
		// and changes nothing that was recorded.
		if code, err := post(s.base, bag); err != nil || code != 201 {
			t.Fatalf("re-sending bag %d = %d, %v", i, code, err)
		}
	}
	t.Logf("%d of %d killed uploads had been recorded", recorded, len(bags))
	for _, cp := range []string{"nl-om", "es-fge"} {
		tok := map[string]string{"nl-om": "nl-om-token-0000001", "es-fge": "es-fge-token-000001"}[cp]
		var ds struct{ Deliveries []pipeline.Delivery }
		get(tok, "/v1/deliveries", &ds)
		per := map[string]int{}
		for _, d := range ds.Deliveries {
			per[d.BundleID]++
		}
		if len(per) != len(bags) {
			t.Errorf("%s has deliveries of %d bundles, want %d", cp, len(per), len(bags))
		}
		for b, n := range per {
			if n != 1 {
				t.Errorf("%s has %d deliveries of %s, want 1", cp, n, b)
			}
		}
	}
}
