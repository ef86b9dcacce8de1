// Package multiparttest is the conformance suite of the resumable upload protocol
// (docs/uploads.md): the same requests, answers and refusals against every backend that
// serves it, evx serve (shared/api) and the api function on AWS (functions/api, on S3's
// emulator), through the client evx upload uses (shared/api/client).
package multiparttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

// Backend is one server of the protocol under test.
type Backend struct {
	URL    string    // the API's base URL
	Tokens [2]string // bearer tokens of two uploaders
	// PartSize is a part size the backend takes; MinPartSize the smallest (a bag of more
	// than one part in parts of MinPartSize-1 is refused), MaxOpen the open uploads an
	// uploader may have.
	PartSize, MinPartSize int64
	MaxOpen               int
	// Bag returns a bag of at least three parts of PartSize.
	Bag func(t *testing.T) []byte
	// Enforced: the store refuses a part whose bytes do not hash to the SHA-256 its target
	// names (evx serve, S3; moto 5.2.1 does not check).
	Enforced bool
	// PartsTo is the host (host:port) parts must be PUT to: the store's, when the API hands
	// out presigned URLs; empty for the API's own.
	PartsTo string
	// Completed checks the answer of completing the upload of bag.
	Completed func(t *testing.T, st *pipeline.Status, bag []byte)
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type caller struct {
	t   *testing.T
	b   Backend
	tok string
}

func (c caller) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			raw, _ = json.Marshal(body)
		}
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.b.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+c.tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (c caller) client(hc *http.Client) *client.Client {
	c.t.Helper()
	opts := []client.Option{client.WithToken(c.tok)}
	if hc != nil {
		opts = append(opts, client.WithHTTPClient(hc))
	}
	cl, err := client.New(c.b.URL, opts...)
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

func (c caller) create(bag []byte, partSize int64, want int) multipart.Upload {
	c.t.Helper()
	code, out := c.do("POST", "/v1/uploads", multipart.CreateRequest{Size: int64(len(bag)), SHA256: sum(bag), PartSize: partSize})
	var u multipart.Upload
	if err := json.Unmarshal(out, &u); code != want || err != nil {
		c.t.Fatalf("POST /v1/uploads = %d %s, want %d and an upload", code, out, want)
	}
	return u
}

// partNumber is the part a PUT sends: evx serve's path .../parts/N, or S3's partNumber=N.
func partNumber(r *http.Request) int {
	if r.Method != http.MethodPut {
		return 0
	}
	if n := r.URL.Query().Get("partNumber"); n != "" {
		k, _ := strconv.Atoi(n)
		return k
	}
	if i := strings.LastIndex(r.URL.Path, "/parts/"); i >= 0 {
		k, _ := strconv.Atoi(r.URL.Path[i+len("/parts/"):])
		return k
	}
	return 0
}

// flaky counts the PUT of each part and drops the first of part 2 after some of its bytes
// went, as a lost connection does.
type flaky struct {
	mu      sync.Mutex
	puts    map[int]int
	dropped bool
	hosts   map[string]bool
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	n := partNumber(r)
	if n > 0 && r.Context().Err() == nil {
		f.mu.Lock()
		f.puts[n]++
		f.hosts[r.URL.Host] = true
		drop := n == 2 && !f.dropped
		f.dropped = f.dropped || drop
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "" && r.URL.Query().Get("X-Amz-Signature") != "" {
			return nil, errors.New("the caller's token sent with a presigned URL")
		}
		if drop {
			io.CopyN(io.Discard, r.Body, 100)
			r.Body.Close()
			return nil, errors.New("connection reset by peer (test)")
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Run runs the suite against b.
func Run(t *testing.T, b Backend) {
	alice, bob := caller{t, b, b.Tokens[0]}, caller{t, b, b.Tokens[1]}
	bag := b.Bag(t)
	parts := int((int64(len(bag)) + b.PartSize - 1) / b.PartSize)
	if parts < 3 {
		t.Fatalf("bag of %d bytes is %d parts of %d, want at least 3", len(bag), parts, b.PartSize)
	}
	partOf := func(n int) []byte { return bag[int64(n-1)*b.PartSize : min(int64(n)*b.PartSize, int64(len(bag)))] }

	t.Run("create", func(t *testing.T) {
		alice.t, bob.t = t, t
		u := alice.create(bag, b.PartSize, http.StatusCreated)
		if u.ID == "" || u.Size != int64(len(bag)) || u.SHA256 != sum(bag) || u.PartSize != b.PartSize || u.Parts != parts || len(u.Held) != 0 || u.Resumed ||
			u.Created.IsZero() || !u.Expires.After(u.Created) {
			t.Errorf("upload %+v: want id, size %d, sha256, part size %d, %d parts, none held, created before expires", u, len(bag), b.PartSize, parts)
		}
		// The same bag asked for again is the same upload, resumed; bob's is his own.
		if again := alice.create(bag, b.PartSize, http.StatusOK); again.ID != u.ID || !again.Resumed {
			t.Errorf("create again = %+v, want %s resumed", again, u.ID)
		}
		if other := bob.create(bag, b.PartSize, http.StatusCreated); other.Resumed || len(other.Held) != 0 {
			t.Errorf("bob's create = %+v, want a new upload of his own", other)
		} else if code, out := bob.do("DELETE", "/v1/uploads/"+url.PathEscape(other.ID), nil); code != http.StatusNoContent {
			t.Errorf("bob's DELETE = %d %s, want 204", code, out)
		}
		// Another uploader sees nothing of alice's upload.
		for _, r := range []struct{ method, path string }{{"GET", ""}, {"POST", "/parts"}, {"POST", "/complete"}, {"DELETE", ""}} {
			var body any
			if r.path == "/parts" {
				body = multipart.TargetsRequest{Parts: []multipart.PartSum{{N: 1, SHA256: sum(partOf(1))}}}
			}
			if code, out := bob.do(r.method, "/v1/uploads/"+url.PathEscape(u.ID)+r.path, body); code != http.StatusNotFound {
				t.Errorf("bob's %s %s = %d %s, want 404", r.method, r.path, code, out)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		alice.t = t
		u := alice.create(bag, b.PartSize, http.StatusOK)
		p := "/v1/uploads/" + url.PathEscape(u.ID)
		ok := sum(partOf(1))
		for _, tc := range []struct {
			name, method, path string
			body               any
			want               int
		}{
			{"part-under-min", "POST", "/v1/uploads", multipart.CreateRequest{Size: 4 * b.MinPartSize, SHA256: sum(bag), PartSize: b.MinPartSize - 1}, 413},
			{"empty-bag", "POST", "/v1/uploads", multipart.CreateRequest{Size: 0, SHA256: sum(bag), PartSize: b.PartSize}, 400},
			{"bad-sha", "POST", "/v1/uploads", multipart.CreateRequest{Size: 10, SHA256: "XYZ", PartSize: b.PartSize}, 400},
			{"unknown-member", "POST", "/v1/uploads", []byte(`{"size":10,"sha256":"` + ok + `","part_size":10,"acl":"public-read"}`), 400},
			{"no-such-upload", "GET", "/v1/uploads/" + strings.Repeat("0", 32), nil, 404},
			{"targets-part-0", "POST", p + "/parts", multipart.TargetsRequest{Parts: []multipart.PartSum{{N: 0, SHA256: ok}}}, 400},
			{"targets-past-last", "POST", p + "/parts", multipart.TargetsRequest{Parts: []multipart.PartSum{{N: parts + 1, SHA256: ok}}}, 400},
			{"targets-bad-sha", "POST", p + "/parts", multipart.TargetsRequest{Parts: []multipart.PartSum{{N: 1, SHA256: "XYZ"}}}, 400},
			{"targets-none", "POST", p + "/parts", multipart.TargetsRequest{}, 400},
			{"targets-too-many", "POST", p + "/parts", []byte(`{"parts":[` + strings.Repeat(`{"n":1,"sha256":"`+ok+`"},`, multipart.MaxTargets) + `{"n":1,"sha256":"` + ok + `"}]}`), 400},
			{"complete-incomplete", "POST", p + "/complete", nil, 409},
		} {
			if code, out := alice.do(tc.method, tc.path, tc.body); code != tc.want {
				t.Errorf("%s: %s %s = %d %.300s, want %d", tc.name, tc.method, tc.path, code, out, tc.want)
			}
		}
	})

	t.Run("checksum", func(t *testing.T) {
		alice.t = t
		u := alice.create(bag, b.PartSize, http.StatusOK)
		c := alice.client(nil)
		ts, err := c.PartTargets(t.Context(), u.ID, []multipart.PartSum{{N: 1, SHA256: sum(partOf(1))}})
		if err != nil {
			t.Fatal(err)
		}
		if tg := ts[0]; tg.N != 1 || tg.Method != http.MethodPut || tg.URL == "" || !tg.Expires.After(time.Now()) {
			t.Errorf("target %+v: want a PUT of part 1 that has not expired", tg)
		}
		other := bytes.Clone(partOf(1))
		other[0] ^= 1
		err = c.PutTarget(t.Context(), ts[0], other)
		var ae *client.APIError
		switch {
		case b.Enforced && (!errors.As(err, &ae) || ae.StatusCode < 400 || ae.StatusCode >= 500):
			t.Errorf("PUT of other bytes = %v, want a 4xx refusal", err)
		case !b.Enforced && err == nil:
			t.Log("the store took bytes that do not hash to the part's signed SHA-256 (it does not check); the real store refuses them")
		}
		if b.Enforced {
			if got, err := c.ResumableUpload(t.Context(), u.ID); err != nil || len(got.Held) != 0 {
				t.Errorf("held after a refused part = %+v, %v; want none", got, err)
			}
		}
		if err := c.PutTarget(t.Context(), ts[0], partOf(1)[:len(partOf(1))-1]); err == nil && b.Enforced {
			t.Error("PUT of a part one byte short was taken")
		}
		if err := c.PutTarget(t.Context(), ts[0], partOf(1)); err != nil {
			t.Fatalf("PUT of part 1 = %v", err)
		}
		got, err := c.ResumableUpload(t.Context(), u.ID)
		if err != nil || len(got.Held) != 1 || got.Held[0].N != 1 || got.Held[0].Size != int64(len(partOf(1))) ||
			got.Held[0].SHA256 != "" && got.Held[0].SHA256 != sum(partOf(1)) {
			t.Errorf("held = %+v, %v; want part 1 of %d bytes", got, err, len(partOf(1)))
		}
		if again := alice.create(bag, b.PartSize, http.StatusOK); len(again.Held) != 1 || again.Held[0].N != 1 {
			t.Errorf("create again = %+v, want part 1 held", again)
		}
	})

	t.Run("dropped-killed-resumed", func(t *testing.T) {
		alice.t = t
		f := &flaky{puts: map[int]int{}, hosts: map[string]bool{}}
		c := alice.client(&http.Client{Transport: f})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var id string
		var first []int
		opt := client.ResumeOptions{PartSize: b.PartSize, Backoff: 10 * time.Millisecond, Window: 2}
		_, err := c.UploadResumable(ctx, bytes.NewReader(bag), int64(len(bag)), sum(bag), client.ResumeOptions{PartSize: opt.PartSize, Backoff: opt.Backoff, Window: opt.Window,
			Started: func(s string) error { id = s; return nil },
			Sent: func(n int, _ int64) {
				first = append(first, n)
				if n == 2 {
					cancel() // killed after part 2
				}
			}})
		if err == nil || !f.dropped {
			t.Fatalf("first run: err %v, sent %v, dropped %v; want stopped after part 2 went again", err, first, f.dropped)
		}
		// The checksum subtest left part 1 held: this run resumed that upload.
		u := alice.create(bag, b.PartSize, http.StatusOK)
		if len(first) != 1 || first[0] != 2 || id != u.ID {
			t.Errorf("first run sent %v of upload %q, want part 2 alone of %s, the upload open", first, id, u.ID)
		}
		if len(u.Held) != 2 {
			t.Fatalf("held after the killed run = %+v, want parts 1 and 2", u.Held)
		}
		var second []int
		opt.UploadID = u.ID
		opt.Sent = func(n int, _ int64) { second = append(second, n) }
		st, err := c.UploadResumable(t.Context(), bytes.NewReader(bag), int64(len(bag)), sum(bag), opt)
		if err != nil {
			t.Fatalf("second run: %v", err)
		}
		if len(second) != parts-2 || second[0] != 3 {
			t.Errorf("second run sent %v, want parts 3 to %d", second, parts)
		}
		for n := 2; n <= parts; n++ {
			want := 1
			if n == 2 {
				want = 2 // dropped once, then sent again
			}
			if f.puts[n] != want {
				t.Errorf("part %d PUT %d times, want %d (all: %v)", n, f.puts[n], want, f.puts)
			}
		}
		want := b.PartsTo
		if want == "" {
			u, _ := url.Parse(b.URL)
			want = u.Host
		}
		if len(f.hosts) != 1 || !f.hosts[want] {
			t.Errorf("parts went to %v, want %s alone", f.hosts, want)
		}
		b.Completed(t, st, bag)
		// A client that lost the answer runs again with its state: nothing is sent, and the
		// answer names the same bundle.
		var third []int
		opt.Sent = func(n int, _ int64) { third = append(third, n) }
		if again, err := c.UploadResumable(t.Context(), bytes.NewReader(bag), int64(len(bag)), sum(bag), opt); err != nil || again.Upload.BundleID != st.Upload.BundleID || len(third) != 0 {
			t.Errorf("a run after completion = %+v, %v, sent %v; want bundle %s, nothing sent", again, err, third, st.Upload.BundleID)
		}
		// Completing again gets the same bundle, or a 404 and the bundle is found by the
		// bag's SHA-256 (evx serve).
		again, err := c.CompleteUpload(t.Context(), u.ID)
		switch {
		case client.NotFound(err):
		case err == nil && again.Upload.BundleID == st.Upload.BundleID:
		default:
			t.Errorf("complete again = %+v, %v; want 404 or bundle %s", again, err, st.Upload.BundleID)
		}
	})

	t.Run("abort-and-open-limit", func(t *testing.T) {
		alice.t = t
		var ids []string
		for i := 0; i < b.MaxOpen; i++ {
			other := make([]byte, 16)
			rand.Read(other)
			code, out := alice.do("POST", "/v1/uploads", multipart.CreateRequest{Size: 3 * b.PartSize, SHA256: sum(other), PartSize: b.PartSize})
			var u multipart.Upload
			if json.Unmarshal(out, &u); code != http.StatusCreated {
				t.Fatalf("create %d = %d %s", i+1, code, out)
			}
			ids = append(ids, u.ID)
		}
		if code, out := alice.do("POST", "/v1/uploads", multipart.CreateRequest{Size: 3 * b.PartSize, SHA256: sum([]byte("one more")), PartSize: b.PartSize}); code != http.StatusTooManyRequests {
			t.Errorf("create past %d open = %d %s, want 429", b.MaxOpen, code, out)
		}
		for _, id := range ids {
			if code, out := alice.do("DELETE", "/v1/uploads/"+url.PathEscape(id), nil); code != http.StatusNoContent {
				t.Errorf("DELETE = %d %s, want 204", code, out)
			}
		}
		for _, id := range ids[:1] {
			for _, m := range []string{"GET", "DELETE"} {
				if code, out := alice.do(m, "/v1/uploads/"+url.PathEscape(id), nil); code != http.StatusNotFound {
					t.Errorf("%s of an aborted upload = %d %s, want 404", m, code, out)
				}
			}
		}
	})
}
