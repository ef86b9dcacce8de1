package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
)

// slowUpload opens a connection, sends an upload's headers announcing size bytes and the
// first sent bytes of the body, and returns the connection without sending the rest.
func slowUpload(t *testing.T, e *env, path, who string, size int, sent string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute)) // a hung test fails rather than hangs
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: evx\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", path, tokens[who], size, sent)
	return c
}

func status(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

// A body that stops arriving, or arrives slower than the minimum rate, ends with 408; the
// server answers other requests meanwhile.
func TestSlowBodies(t *testing.T) {
	e := newEnv(t, api.Limits{BodyIdle: 300 * time.Millisecond, BodyMinRate: 1 << 20, BodyGrace: 5 * time.Second})
	stalled := slowUpload(t, e, "/v1/bundles", "alice", 100_000, "PK")
	stalledReceipt := slowUpload(t, e, "/v1/deliveries/x/receipt", "nl-om", 1000, `{"accepted"`)
	if code, _, _ := e.do("anon", "GET", "/v1/checkpoint", nil); code != 200 {
		t.Errorf("checkpoint while uploads stall = %d, want 200", code)
	}
	for name, c := range map[string]net.Conn{"upload": stalled, "receipt": stalledReceipt} {
		if code, body := status(t, c); code != http.StatusRequestTimeout || !strings.Contains(body, "stalled") {
			t.Errorf("stalled %s = %d %s, want 408 saying it stalled", name, code, body)
		}
	}

	// A trickle: a byte at a time, each within the idle deadline, but under the rate once
	// the grace period (here none to speak of) is over.
	e = newEnv(t, api.Limits{BodyIdle: 10 * time.Second, BodyMinRate: 1 << 20, BodyGrace: time.Millisecond})
	c := slowUpload(t, e, "/v1/bundles", "alice", 100_000, "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			if _, err := c.Write([]byte{0}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if code, body := status(t, c); code != http.StatusRequestTimeout || !strings.Contains(body, "too slow") {
		t.Errorf("trickled upload = %d %s, want 408 saying too slow", code, body)
	}
	c.Close()
	<-done
}

// Uploads beyond MaxUploads at once are refused with 503 and Retry-After, not queued.
func TestUploadCap(t *testing.T) {
	e := newEnv(t, api.Limits{MaxUploads: 2, BodyIdle: time.Minute, BodyGrace: time.Minute})
	slowUpload(t, e, "/v1/bundles", "alice", 100_000, "PK")
	slowUpload(t, e, "/v1/bundles", "bob", 100_000, "PK")
	b := bag(t, "nl-om")
	code := 0
	// Until both stalled uploads hold their slots: on a loaded machine the server may take a
	// while to read their headers, so wait by the clock (the stalled bodies hold for a
	// minute), not by a count of tries.
	var codes []int
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(10 * time.Millisecond) {
		if code, _, _ = e.do("alice", "POST", "/v1/bundles", b); code == http.StatusServiceUnavailable {
			break
		}
		if len(codes) == 0 || codes[len(codes)-1] != code {
			codes = append(codes, code)
		}
	}
	if code != http.StatusServiceUnavailable {
		t.Fatalf("third upload at once = %d (answers before: %v), want 503", code, codes)
	}
	if code, _, _ := e.do("anon", "GET", "/v1/checkpoint", nil); code != 200 {
		t.Errorf("checkpoint with every upload slot held = %d, want 200", code)
	}
}
