package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

const testPart = 256

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newResumableEnv(t *testing.T, clock *fakeClock) *env {
	return newResumableEnvLimits(t, clock, multipart.Limits{MinPartSize: 64, MaxPartSize: 4096, MaxParts: 64, MaxSize: 64 * 4096, MaxOpen: 2, TTL: time.Hour})
}

// newResumableEnvLimits serves the API with resumable uploads under lim.
func newResumableEnvLimits(t testing.TB, clock *fakeClock, lim multipart.Limits) *env {
	var clk pipeline.Clock
	if clock != nil {
		clk = clock.now
	}
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml", Clock: clk,
		Resumable: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, err := api.ParseTokens(strings.NewReader(tokensFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithResumable(n.Parts))
	t.Cleanup(srv.Close)
	tt, _ := t.(*testing.T)
	return &env{t: tt, srv: srv, node: n}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (e *env) create(who string, b []byte, partSize int64) multipart.Upload {
	e.t.Helper()
	req, _ := json.Marshal(multipart.CreateRequest{Size: int64(len(b)), SHA256: hexSum(b), PartSize: partSize})
	code, body, _ := e.do(who, "POST", "/v1/uploads", req)
	if code != http.StatusCreated {
		e.t.Fatalf("create = %d %s, want 201", code, body)
	}
	return decode[multipart.Upload](e.t, body)
}

func (e *env) put(who, id string, n int, sha string, part []byte) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/v1/uploads/%s/parts/%d", e.srv.URL, id, n), bytes.NewReader(part))
	if tok := tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if sha != "" {
		req.Header.Set(multipart.HeaderPartSHA256, sha)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func partOf(b []byte, n int, size int) []byte {
	return b[(n-1)*size : min(n*size, len(b))]
}

func partFiles(t *testing.T, e *env) int {
	m, _ := filepath.Glob(filepath.Join(e.node.Dir, local.PartsDir, "*", "*"))
	return len(m)
}

// TestResumableUpload sends a bag in parts out of order, with refusals on the way, and
// completes it: the bundle is ingested as a posted bag is, and the parts are gone.
func TestResumableUpload(t *testing.T) {
	e := newResumableEnv(t, nil)
	b := bag(t, "nl-om")
	u := e.create("alice", b, testPart)
	if want := (len(b) + testPart - 1) / testPart; u.Parts != want || u.Parts < 3 {
		t.Fatalf("parts = %d, want %d (and at least 3)", u.Parts, want)
	}
	last := u.Parts
	// The last part first, then the rest from the end.
	for n := last; n >= 2; n-- {
		p := partOf(b, n, testPart)
		if code, body := e.put("alice", u.ID, n, hexSum(p), p); code != 200 {
			t.Fatalf("put %d = %d %s, want 200", n, code, body)
		}
	}
	p1 := partOf(b, 1, testPart)
	flipped := bytes.Clone(p1)
	flipped[7] ^= 1
	refusals := []struct {
		name string
		n    string
		sha  string
		body []byte
		want int
	}{
		{"bit-flip-@7", "1", hexSum(p1), flipped, 422},
		{"truncated", "1", hexSum(p1[:100]), p1[:100], 400},
		{"trailing-garbage", "1", hexSum(append(bytes.Clone(p1), 'x')), append(bytes.Clone(p1), 'x'), 400},
		{"no-checksum", "1", "", p1, 400},
		{"uppercase-checksum", "1", strings.ToUpper(hexSum(p1)), p1, 400},
		{"part-0", "0", hexSum(p1), p1, 400},
		{"part-beyond", fmt.Sprint(last + 1), hexSum(p1), p1, 400},
		{"part-leading-zero", "01", hexSum(p1), p1, 400},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("PUT", e.srv.URL+"/v1/uploads/"+u.ID+"/parts/"+tc.n, bytes.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+tokens["alice"])
			if tc.sha != "" {
				req.Header.Set(multipart.HeaderPartSHA256, tc.sha)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("put = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	code, body, _ := e.do("alice", "POST", "/v1/uploads/"+u.ID+"/complete", nil)
	if code != http.StatusConflict {
		t.Fatalf("complete with part 1 missing = %d %s, want 409", code, body)
	}
	code, body, _ = e.do("alice", "GET", "/v1/uploads/"+u.ID, nil)
	got := decode[multipart.Upload](t, body)
	if code != 200 || len(got.Held) != last-1 || got.Missing()[0] != 1 {
		t.Fatalf("get = %d held %v, want parts 2..%d", code, got.Held, last)
	}
	if code, body := e.put("alice", u.ID, 1, hexSum(p1), p1); code != 200 {
		t.Fatalf("put 1 = %d %s", code, body)
	}
	code, body, _ = e.do("alice", "POST", "/v1/uploads/"+u.ID+"/complete", nil)
	if code != http.StatusCreated {
		t.Fatalf("complete = %d %s, want 201", code, body)
	}
	st := decode[pipeline.Status](t, body)
	if st.Upload.BundleID != hexSum(b) || !st.Ingest.Accepted || len(st.Deliveries) != 1 {
		t.Fatalf("status = %+v, want bundle %s accepted and delivered once", st, hexSum(b))
	}
	if code, _, _ := e.do("alice", "GET", "/v1/uploads/"+u.ID, nil); code != 404 {
		t.Errorf("get after complete = %d, want 404", code)
	}
	if n := partFiles(t, e); n != 0 {
		t.Errorf("%d part files left after complete, want 0", n)
	}
}

// TestResumableWholeChecksum: parts each right but the bag's declared SHA-256 wrong; complete
// refuses it and keeps no bag.
func TestResumableWholeChecksum(t *testing.T) {
	e := newResumableEnv(t, nil)
	b := bag(t, "nl-om")
	other := bytes.Clone(b)
	other[len(other)-1] ^= 1
	u := e.create("alice", other, testPart) // declares other's hash
	for n := 1; n <= u.Parts; n++ {
		p := partOf(b, n, testPart)
		if code, body := e.put("alice", u.ID, n, hexSum(p), p); code != 200 {
			t.Fatalf("put %d = %d %s", n, code, body)
		}
	}
	code, body, _ := e.do("alice", "POST", "/v1/uploads/"+u.ID+"/complete", nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "not the declared") {
		t.Fatalf("complete = %d %s, want 422 naming the hashes", code, body)
	}
	bags, _ := filepath.Glob(filepath.Join(e.node.Dir, local.UploadsDir, "*"))
	if len(bags) != 0 {
		t.Errorf("uploads folder holds %v, want nothing", bags)
	}
	if code, _, _ := e.do("alice", "GET", "/v1/bundles/"+hexSum(b), nil); code != 404 {
		t.Errorf("bundle of the parts = %d, want 404", code)
	}
}

// TestResumableIsolation: nobody but the uploader who created an upload sees or touches it;
// another uploader gets 404, as for one that does not exist.
func TestResumableIsolation(t *testing.T) {
	e := newResumableEnv(t, nil)
	b := bag(t, "nl-om")
	u := e.create("alice", b, testPart)
	p := partOf(b, 1, testPart)
	other := map[string]int{"bob": 404, "nl-om": 403, "legal": 403, "anon": 401, "forged": 401}
	for who, want := range other {
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/uploads/" + u.ID},
			{"POST", "/v1/uploads/" + u.ID + "/complete"},
			{"DELETE", "/v1/uploads/" + u.ID},
		} {
			if code, _, _ := e.do(who, c.method, c.path, nil); code != want {
				t.Errorf("%s %s as %s = %d, want %d", c.method, c.path, who, code, want)
			}
		}
		if code, _ := e.put(who, u.ID, 1, hexSum(p), p); code != want {
			t.Errorf("put as %s = %d, want %d", who, code, want)
		}
	}
	code, body, _ := e.do("alice", "GET", "/v1/uploads/"+u.ID, nil)
	if got := decode[multipart.Upload](t, body); code != 200 || len(got.Held) != 0 {
		t.Fatalf("alice's upload after the others = %d %s, want untouched", code, body)
	}
	if code, _, _ := e.do("alice", "DELETE", "/v1/uploads/"+u.ID, nil); code != 204 {
		t.Errorf("abort = %d, want 204", code)
	}
	if code, _, _ := e.do("alice", "GET", "/v1/uploads/"+u.ID, nil); code != 404 {
		t.Errorf("get after abort = %d, want 404", code)
	}
	if code, _ := e.put("alice", "../../uploads", 1, hexSum(p), p); code != 404 && code != 400 {
		t.Errorf("put to a path = %d, want 404", code)
	}
}

// TestResumableLimits: creation beyond each bound is refused with a status naming it.
func TestResumableLimits(t *testing.T) {
	e := newResumableEnv(t, nil)
	sum := strings.Repeat("ab", 32)
	cases := []struct {
		name string
		body string
		want int
	}{
		{"size-over", fmt.Sprintf(`{"size": %d, "sha256": %q, "part_size": 4096}`, 64*4096+1, sum), 413},
		{"part-too-small", fmt.Sprintf(`{"size": 1000, "sha256": %q, "part_size": 10}`, sum), 413},
		{"part-too-large", fmt.Sprintf(`{"size": 100000, "sha256": %q, "part_size": 8192}`, sum), 413},
		{"too-many-parts", fmt.Sprintf(`{"size": 65000, "sha256": %q, "part_size": 64}`, sum), 413},
		{"bad-sha", `{"size": 1000, "sha256": "xyz", "part_size": 100}`, 400},
		{"zero-size", fmt.Sprintf(`{"size": 0, "sha256": %q, "part_size": 100}`, sum), 400},
		{"zero-part", fmt.Sprintf(`{"size": 10, "sha256": %q, "part_size": 0}`, sum), 400},
		{"unknown-field", fmt.Sprintf(`{"size": 1000, "sha256": %q, "part_size": 100, "x": 1}`, sum), 400},
		{"small-bag-one-part", fmt.Sprintf(`{"size": 10, "sha256": %q, "part_size": 10}`, sum), 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, body, _ := e.do("alice", "POST", "/v1/uploads", []byte(tc.body)); code != tc.want {
				t.Errorf("create = %d %s, want %d", code, body, tc.want)
			}
		})
	}
	// The same bag again is the upload open already, not one more.
	if code, body, _ := e.do("alice", "POST", "/v1/uploads", []byte(fmt.Sprintf(`{"size": 10, "sha256": %q, "part_size": 10}`, sum))); code != 200 {
		t.Errorf("the same bag again = %d %s, want 200", code, body)
	}
	other := func(c byte) string { return strings.Repeat(string(c), 64) }
	e.do("alice", "POST", "/v1/uploads", []byte(fmt.Sprintf(`{"size": 10, "sha256": %q, "part_size": 10}`, other('c'))))
	code, body, _ := e.do("alice", "POST", "/v1/uploads", []byte(fmt.Sprintf(`{"size": 10, "sha256": %q, "part_size": 10}`, other('d'))))
	if code != http.StatusTooManyRequests {
		t.Errorf("third open upload = %d %s, want 429", code, body)
	}
	if code, body, _ := e.do("bob", "POST", "/v1/uploads", []byte(fmt.Sprintf(`{"size": 10, "sha256": %q, "part_size": 10}`, sum))); code != 201 {
		t.Errorf("bob's first upload = %d %s, want 201: the bound is per uploader", code, body)
	}
}

// TestResumableExpiry: an upload untouched for the TTL is swept with its parts; one touched
// by a part is kept.
func TestResumableExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	e := newResumableEnv(t, clock)
	b := bag(t, "nl-om")
	idle := e.create("alice", b, testPart)
	busy := e.create("bob", b, testPart)
	p := partOf(b, 1, testPart)
	e.put("alice", idle.ID, 1, hexSum(p), p)
	clock.add(50 * time.Minute)
	e.put("bob", busy.ID, 1, hexSum(p), p)
	clock.add(20 * time.Minute)
	n, err := e.node.Parts.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v, want 1", n, err)
	}
	if code, _, _ := e.do("alice", "GET", "/v1/uploads/"+idle.ID, nil); code != 404 {
		t.Errorf("idle upload = %d, want 404", code)
	}
	if code, _, _ := e.do("bob", "GET", "/v1/uploads/"+busy.ID, nil); code != 200 {
		t.Errorf("busy upload = %d, want 200", code)
	}
	if _, err := os.Stat(filepath.Join(e.node.Dir, local.PartsDir, idle.ID)); !os.IsNotExist(err) {
		t.Errorf("idle upload's folder: %v, want gone", err)
	}
}

// TestClientResume: a client stopped after two parts continues with the same upload id, sends
// only the missing parts, and the bundle is ingested once.
func TestClientResume(t *testing.T) {
	e := newResumableEnv(t, nil)
	b := bag(t, "nl-om")
	c, err := client.New(e.srv.URL, client.WithToken(tokens["alice"]))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var id string
	var first []int
	_, err = c.UploadResumable(ctx, bytes.NewReader(b), int64(len(b)), hexSum(b), client.ResumeOptions{PartSize: testPart,
		Started: func(s string) error { id = s; return nil },
		Sent: func(n int, _ int64) {
			first = append(first, n)
			if len(first) == 2 {
				cancel()
			}
		}})
	if err == nil || len(first) != 2 {
		t.Fatalf("first run: err %v, sent %v; want stopped after 2 parts", err, first)
	}
	var second []int
	st, err := c.UploadResumable(t.Context(), bytes.NewReader(b), int64(len(b)), hexSum(b), client.ResumeOptions{PartSize: testPart, UploadID: id,
		Sent: func(n int, _ int64) { second = append(second, n) }})
	if err != nil || !st.Ingest.Accepted {
		t.Fatalf("second run = %+v, %v", st, err)
	}
	parts := (len(b) + testPart - 1) / testPart
	if len(second) != parts-2 || second[0] != 3 {
		t.Errorf("second run sent %v, want parts 3..%d", second, parts)
	}
	// A third run with the stale id finds the bundle already there and sends nothing.
	var third []int
	st, err = c.UploadResumable(t.Context(), bytes.NewReader(b), int64(len(b)), hexSum(b), client.ResumeOptions{PartSize: testPart, UploadID: id,
		Sent: func(n int, _ int64) { third = append(third, n) }})
	if err != nil || st.Upload.BundleID != hexSum(b) || len(third) != 0 {
		t.Errorf("third run = %+v, %v, sent %v; want the bundle, nothing sent", st, err, third)
	}
	ds, err := e.node.Service.ListDeliveries(t.Context(), "nl-om")
	if err != nil || len(ds) != 1 {
		t.Errorf("deliveries to nl-om = %d, %v, want 1", len(ds), err)
	}
}

// dropOnce closes the connection, unanswered, on the first PUT of part 2.
type dropOnce struct {
	h       http.Handler
	mu      sync.Mutex
	dropped bool
	puts    map[string]int
}

func (d *dropOnce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		d.mu.Lock()
		d.puts[r.URL.Path]++
		drop := !d.dropped && strings.HasSuffix(r.URL.Path, "/parts/2")
		d.dropped = d.dropped || drop
		d.mu.Unlock()
		if drop {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
	}
	d.h.ServeHTTP(w, r)
}

// TestClientDroppedConnection: a part whose connection drops is sent again within the same
// run; every other part goes once and the bundle is ingested once.
func TestClientDroppedConnection(t *testing.T) {
	e := newResumableEnv(t, nil)
	d := &dropOnce{h: e.srv.Config.Handler, puts: map[string]int{}}
	e.srv.Config.Handler = d
	b := bag(t, "nl-om")
	c, err := client.New(e.srv.URL, client.WithToken(tokens["alice"]))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.UploadResumable(t.Context(), bytes.NewReader(b), int64(len(b)), hexSum(b), client.ResumeOptions{PartSize: testPart, Backoff: 10 * time.Millisecond})
	if err != nil || !st.Ingest.Accepted {
		t.Fatalf("UploadResumable = %+v, %v", st, err)
	}
	parts := (len(b) + testPart - 1) / testPart
	if !d.dropped || len(d.puts) != parts {
		t.Fatalf("dropped %v, parts put %v, want a drop and %d parts", d.dropped, d.puts, parts)
	}
	for path, k := range d.puts {
		want := 1
		if strings.HasSuffix(path, "/parts/2") {
			want = 2
		}
		if k != want {
			t.Errorf("%s put %d times, want %d", path, k, want)
		}
	}
	ds, _ := e.node.Service.ListDeliveries(t.Context(), "nl-om")
	if len(ds) != 1 {
		t.Errorf("deliveries to nl-om = %d, want 1", len(ds))
	}
}

// TestResumableCreateResumes: asking again for an upload of the same bag finds the one open
// (200, Resumed, the parts held), so that a client that lost its id goes on from there; the
// same bag in other parts, or another uploader's, is a new upload.
func TestResumableCreateResumes(t *testing.T) {
	e := newResumableEnv(t, nil)
	b := bag(t, "nl-om")
	u := e.create("alice", b, testPart)
	p2 := partOf(b, 2, testPart)
	if code, body := e.put("alice", u.ID, 2, hexSum(p2), p2); code != 200 {
		t.Fatalf("put 2 = %d %s", code, body)
	}
	again := func(who string, partSize int64) (int, multipart.Upload) {
		req, _ := json.Marshal(multipart.CreateRequest{Size: int64(len(b)), SHA256: hexSum(b), PartSize: partSize})
		code, body, _ := e.do(who, "POST", "/v1/uploads", req)
		return code, decode[multipart.Upload](t, body)
	}
	code, r := again("alice", testPart)
	if code != http.StatusOK || r.ID != u.ID || !r.Resumed || len(r.Held) != 1 || r.Held[0].N != 2 {
		t.Fatalf("create again = %d %+v, want 200, upload %s resumed holding part 2", code, r, u.ID)
	}
	if code, r := again("alice", 2*testPart); code != http.StatusCreated || r.ID == u.ID || r.Resumed {
		t.Errorf("create in other parts = %d %+v, want a new upload", code, r)
	}
	if code, r := again("bob", testPart); code != http.StatusCreated || r.ID == u.ID || len(r.Held) != 0 {
		t.Errorf("create by another uploader = %d %+v, want a new upload of its own", code, r)
	}
}
