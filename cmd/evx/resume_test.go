package main

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
)

const uploadHelperEnv = "EVX_UPLOAD_HELPER_ARGS"

// TestUploadHelperProcess is not a test: TestUploadResumeAfterKill runs evx upload through it
// in a child process it can kill.
func TestUploadHelperProcess(t *testing.T) {
	args := os.Getenv(uploadHelperEnv)
	if args == "" {
		t.Skip("helper process for TestUploadResumeAfterKill")
	}
	ctx, stop := mainContext()
	defer stop()
	os.Exit(run(ctx, append([]string{"upload"}, strings.Split(args, "\x1f")...), os.Stdout, os.Stderr))
}

// partCounter counts the parts PUT to the server by number, and in its first phase holds the
// PUT of part stopAt open until the client goes away.
type partCounter struct {
	h       http.Handler
	mu      sync.Mutex
	puts    map[int]int
	stopAt  int
	reached chan struct{}
}

func (p *partCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/parts/") {
		var n int
		for i, s := range strings.Split(r.URL.Path, "/") {
			if i == 5 {
				for _, c := range s {
					n = n*10 + int(c-'0')
				}
			}
		}
		p.mu.Lock()
		stop := n == p.stopAt
		if stop {
			p.stopAt = 0
		} else {
			p.puts[n]++
		}
		p.mu.Unlock()
		if stop {
			close(p.reached)
			// The client is killed while it waits for the answer to this part: the context
			// ends once the body is read and the connection closes.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
	}
	p.h.ServeHTTP(w, r)
}

// TestUploadResumeAfterKill kills evx upload with SIGKILL in the middle of a resumable upload
// and runs it again: the second run sends only the parts the server did not hold, and the
// bundle is ingested once.
func TestUploadResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	toks, _ := api.ParseTokens(strings.NewReader("alice-token-0000001 uploader alice\n"))
	pc := &partCounter{h: api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithResumable(n.Parts), puts: map[int]int{}, stopAt: 4, reached: make(chan struct{})}
	srv := httptest.NewServer(pc)
	defer srv.Close()

	src := filepath.Join(t.TempDir(), "image.bin")
	f, _ := os.Create(src)
	io.CopyN(f, rand.NewChaCha8([32]byte{7}), 6<<20)
	f.Close()
	bagPath := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := bagit.Create(bagPath, []string{src}, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
	}}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(bagPath)
	parts := int((fi.Size() + 1<<20 - 1) >> 20)
	args := []string{"--server", srv.URL, "--token", "alice-token-0000001", "--part-size", "1048576", "--json", bagPath}

	cmd := exec.Command(os.Args[0], "-test.run=^TestUploadHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), uploadHelperEnv+"="+strings.Join(args, "\x1f"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.reached:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the client never reached part 4")
	}
	cmd.Process.Kill()
	cmd.Wait()
	pc.mu.Lock()
	first := len(pc.puts)
	clear(pc.puts)
	pc.mu.Unlock()
	if first != 3 {
		t.Fatalf("first run put %d parts, want 3", first)
	}
	states, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "evx", "uploads", "*.json"))
	if len(states) != 1 {
		t.Fatalf("state files after the kill: %v, want one", states)
	}

	var out, errb strings.Builder
	if code := run(t.Context(), append([]string{"upload"}, args...), &out, &errb); code != exitOK {
		t.Fatalf("second run = %d: %s %s", code, out.String(), errb.String())
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for k := 1; k <= parts; k++ {
		want := 1
		if k <= 3 {
			want = 0
		}
		if pc.puts[k] != want {
			t.Errorf("second run put part %d %d times, want %d (all puts %v)", k, pc.puts[k], want, pc.puts)
		}
	}
	if !strings.Contains(out.String(), `"accepted": true`) {
		t.Errorf("second run printed %s, want the accepted status", out.String())
	}
	ds, err := n.Service.ListDeliveries(t.Context(), "nl-om")
	if err != nil || len(ds) != 1 {
		t.Errorf("deliveries to nl-om = %d, %v, want 1", len(ds), err)
	}
	if states, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "evx", "uploads", "*.json")); len(states) != 0 {
		t.Errorf("state files after the upload: %v, want none", states)
	}
}
