package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
)

const mainHelperEnv = "EVX_MAIN_HELPER_ARGS"

// TestMainHelperProcess is not a test: TestInterrupt runs evx's main through it in a child
// process it can interrupt.
func TestMainHelperProcess(t *testing.T) {
	args := os.Getenv(mainHelperEnv)
	if args == "" {
		t.Skip("helper process for TestInterrupt")
	}
	os.Exit(runMain(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
}

// stallingDocuments passes requests to h, but sends only the first half of a document and
// then waits for the client to go away; started is closed when it does so.
type stallingDocuments struct {
	h        http.Handler
	started  chan struct{}
	once     atomic.Bool
	receipts atomic.Int32
	// served, once set, serves every request whole, recording the ranges asked for.
	served atomic.Bool
	mu     sync.Mutex
	ranges []string
}

func (s *stallingDocuments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/receipt") {
		s.receipts.Add(1)
	}
	if s.served.Load() && strings.Contains(r.URL.Path, "/documents/") {
		s.mu.Lock()
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		s.mu.Unlock()
	}
	if !strings.Contains(r.URL.Path, "/documents/") || s.served.Load() {
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
	w.(http.Flusher).Flush()
	if s.once.CompareAndSwap(false, true) {
		close(s.started)
	}
	<-r.Context().Done()
}

// TestInterrupt: SIGINT during evx pull ends it with exit 130 and "interrupted": no receipt
// is posted and no half-fetched document is left under its name.
func TestInterrupt(t *testing.T) {
	clearEnv(t)
	n, toks := testNode(t)
	s := &stallingDocuments{h: api.New(n.Service, n.Uploads, toks, api.Limits{}, nil), started: make(chan struct{})}
	srv := httptest.NewServer(s)
	defer srv.Close()
	uploadTo(t, srv.URL)
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), mainHelperEnv+"="+strings.Join([]string{"pull", "--server", srv.URL, "--token", "nl-om-token-0000001", "--out", out, "--reject-on-mismatch"}, "\x1f"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.started:
	case <-t.Context().Done():
		cmd.Process.Kill()
		t.Fatal("pull never fetched a document")
	}
	// Signalled once the first half has arrived into the partial file.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ps, _ := filepath.Glob(filepath.Join(out, "d-*", "data", ".evx-partial-*"))
		if len(ps) == 1 {
			if fi, err := os.Stat(ps[0]); err == nil && fi.Size() > 0 {
				break
			}
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || !strings.Contains(stderr.String(), "evx: interrupted by SIGINT") {
		t.Errorf("pull after SIGINT: %v, stderr %q; want exit %d and \"interrupted by SIGINT\"", err, stderr.String(), exitInterrupted)
	}
	if got := s.receipts.Load(); got != 0 {
		t.Errorf("%d receipts posted after the interrupt", got)
	}
	// What arrived is kept aside, hidden, for the next pull: nothing under a document's name.
	matches, _ := filepath.Glob(filepath.Join(out, "d-*", "data", "[^.]*"))
	if len(matches) != 0 {
		t.Errorf("left behind under a document's name: %v", matches)
	}
	partials, _ := filepath.Glob(filepath.Join(out, "d-*", "data", ".evx-partial-*"))
	if len(partials) != 1 {
		t.Fatalf("partial downloads kept: %v, want the one interrupted", partials)
	}

	// The next pull continues the interrupted download from where it stopped (a ranged
	// request), fetches the rest whole, checks every hash and accepts.
	s.served.Store(true)
	code, stdout, errs := runCmd(t, "pull", "--server", srv.URL, "--token", "nl-om-token-0000001", "--out", out, "--reject-on-mismatch")
	if code != exitOK || !strings.Contains(stdout, "accepted") {
		t.Fatalf("pull after the interrupt = %d\n%s%s", code, stdout, errs)
	}
	s.mu.Lock()
	ranged := 0
	for _, r := range s.ranges {
		if strings.HasPrefix(r, "bytes=") && r != "bytes=0-" {
			ranged++
		}
	}
	s.mu.Unlock()
	if ranged != 1 {
		t.Errorf("ranges asked for %q, want one ranged request (the interrupted document)", s.ranges)
	}
	if partials, _ := filepath.Glob(filepath.Join(out, "d-*", "data", ".evx-partial-*")); len(partials) != 0 {
		t.Errorf("partial downloads left after the pull: %v", partials)
	}
}
