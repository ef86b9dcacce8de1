package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// TestRequestIsolation: every request endpoint as every caller. An agency sees and acts on
// the requests it is a party to only; any other is 404, as one that does not exist; legal
// staff read all and act on none.
func TestRequestIsolation(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	toks, err := api.ParseTokens(strings.NewReader(tokensFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithRequests(n.Requests))
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, node: n}

	// nl-om issues an EIO to es-fge; the home agency (alice) issues an MLA to nl-om.
	eio := `{"id":"EIO-NL-1","type":"EIO","addressee":"es-fge","legal_basis":"EU-EIO","case_reference":"NL-114"}`
	if code, body, _ := e.do("nl-om", "POST", "/v1/requests", []byte(eio)); code != http.StatusCreated {
		t.Fatalf("POST EIO as nl-om = %d %s, want 201", code, body)
	}
	if code, body, _ := e.do("nl-om", "POST", "/v1/requests", []byte(eio)); code != http.StatusOK {
		t.Errorf("POST the same EIO again = %d %s, want 200", code, body)
	}
	mla := `{"id":"MLA-HOME-1","type":"MLA","addressee":"nl-om","legal_basis":"CoE-MLA-1959"}`
	if code, body, _ := e.do("alice", "POST", "/v1/requests", []byte(mla)); code != http.StatusCreated {
		t.Fatalf("POST MLA as alice = %d %s, want 201", code, body)
	}
	forged := `{"id":"EIO-FORGED","type":"EIO","issuer":"nl-om","addressee":"es-fge","legal_basis":"EU-EIO"}`
	if code, _, _ := e.do("alice", "POST", "/v1/requests", []byte(forged)); code != http.StatusForbidden {
		t.Errorf("POST a request in another agency's name = %d, want 403", code)
	}
	for _, tc := range []struct {
		who, method, path, body string
		want                    int
	}{
		{"es-fge", "GET", "/v1/requests/EIO-NL-1", "", 200},
		{"nl-om", "GET", "/v1/requests/EIO-NL-1", "", 200},
		{"legal", "GET", "/v1/requests/EIO-NL-1", "", 200},
		{"alice", "GET", "/v1/requests/EIO-NL-1", "", 404}, // home is no party
		{"es-fge", "GET", "/v1/requests/MLA-HOME-1", "", 404},
		{"es-fge", "GET", "/v1/requests/NONE", "", 404},
		{"anon", "GET", "/v1/requests/EIO-NL-1", "", 401},
		{"es-fge", "GET", "/v1/requests/EIO-NL-1/trail", "", 200},
		{"alice", "GET", "/v1/requests/EIO-NL-1/trail", "", 404},
		{"alice", "POST", "/v1/requests/EIO-NL-1/ack", "", 404},
		{"legal", "POST", "/v1/requests/EIO-NL-1/ack", "", 403},
		{"nl-om", "POST", "/v1/requests/EIO-NL-1/ack", "", 409}, // the issuer does not acknowledge
		{"es-fge", "POST", "/v1/requests/EIO-NL-1/ack", "", 200},
		{"es-fge", "POST", "/v1/requests/EIO-NL-1/refuse", "{}", 409}, // no grounds
		{"es-fge", "POST", "/v1/requests/EIO-NL-1/shred", "", 404},
		{"es-fge", "POST", "/v1/requests/EIO-NL-1/suspend", `{"grounds":["art. 15(1)(a)"],"x":1}`, 400},
		{"es-fge", "POST", "/v1/requests/EIO-NL-1/extend", `{"deadline":"recognition","extension":"720h"}`, 200},
		{"es-fge", "GET", "/v1/requests?due_within=xyz", "", 400},
	} {
		code, body, _ := e.do(tc.who, tc.method, tc.path, []byte(tc.body))
		if code != tc.want {
			t.Errorf("%s %s %s = %d %s, want %d", tc.who, tc.method, tc.path, code, body, tc.want)
		}
		if code == 404 && strings.Contains(string(body), "es-fge") {
			t.Errorf("%s %s %s: 404 names a party: %s", tc.who, tc.method, tc.path, body)
		}
	}
	list := func(who, query string) []string {
		t.Helper()
		code, body, _ := e.do(who, "GET", "/v1/requests"+query, nil)
		if code != 200 {
			t.Fatalf("%s GET /v1/requests%s = %d %s", who, query, code, body)
		}
		var ss []request.State
		if err := json.Unmarshal(body, &ss); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range ss {
			ids = append(ids, s.ID)
		}
		return ids
	}
	for _, tc := range []struct{ who, query, want string }{
		{"es-fge", "", "EIO-NL-1"},
		{"alice", "", "MLA-HOME-1"},
		{"nl-om", "", "EIO-NL-1 MLA-HOME-1"},
		{"legal", "", "EIO-NL-1 MLA-HOME-1"},
		{"es-fge", "?overdue=true", ""},
	} {
		if got := strings.Join(list(tc.who, tc.query), " "); got != tc.want {
			t.Errorf("%s lists %q, want %q", tc.who, got, tc.want)
		}
	}
	// 60 days on (30 + 30 extended), recognition is overdue; within 24 h of it, due.
	mu.Lock()
	now = now.Add(59 * 24 * time.Hour)
	mu.Unlock()
	if got := strings.Join(list("es-fge", "?due_within=24h"), " "); got != "EIO-NL-1" {
		t.Errorf("due within 24h = %q, want EIO-NL-1", got)
	}
	mu.Lock()
	now = now.Add(24*time.Hour + time.Second)
	mu.Unlock()
	if got := strings.Join(list("es-fge", "?overdue=true"), " "); got != "EIO-NL-1" {
		t.Errorf("overdue = %q, want EIO-NL-1", got)
	}
	if got := strings.Join(list("alice", "?overdue=true"), " "); got != "" {
		t.Errorf("alice's overdue = %q, want none", got)
	}
	_, body, _ := e.do("es-fge", "GET", "/v1/requests/EIO-NL-1/trail", nil)
	tr, err := custody.ParseTrail(body)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := request.FoldTrail(tr); err != nil || s.Status != request.Received {
		t.Errorf("state from the API's trail = %v, %v; want received", s, err)
	}
}
