package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/pipeline"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url, reason string
	}{
		{"http://127.0.0.1:8080", ""},
		{"https://evx.example.org/prefix/", ""},
		{"ftp://x", "scheme"},
		{"http://", "no host"},
		{"127.0.0.1:8080", "not a URL"},
		{"evx.example.org:8080", "scheme"},
		{"https://u:p@evx.example.org", "credentials"},
		{"https://evx.example.org/?a=b", "query"},
	} {
		_, err := client.New(tc.url)
		var ue *client.URLError
		if tc.reason == "" && err != nil || tc.reason != "" && (!errors.As(err, &ue) || !strings.Contains(ue.Reason, tc.reason)) {
			t.Errorf("New(%q) = %v, want reason %q", tc.url, err, tc.reason)
		}
	}
}

func TestInsecure(t *testing.T) {
	for _, tc := range []struct {
		url   string
		token string
		want  bool
	}{
		{"http://127.0.0.1:8080", "t", false},
		{"http://[::1]:8080", "t", false},
		{"http://localhost:8080", "t", false},
		{"http://evx.example.org", "t", true},
		{"http://10.0.0.5:8080", "t", true},
		{"https://evx.example.org", "t", false},
		{"http://evx.example.org", "", false},
	} {
		c, err := client.New(tc.url, client.WithToken(tc.token))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Insecure(); got != tc.want {
			t.Errorf("New(%q, token %q).Insecure() = %v, want %v", tc.url, tc.token, got, tc.want)
		}
	}
}

// TestErrors: every failure is typed, with the status and the server's message, or the URL
// that could not be reached.
func TestErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/deliveries":
			if r.Header.Get("Authorization") != "Bearer good-token-000001" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error": "missing or unknown bearer token"}`))
				return
			}
			w.Write([]byte(`{"deliveries": [{"id": "d-00000000000000000000000000000000", "state": "consigned"}]}`))
		case "/v1/deliveries/d-1":
			w.Write([]byte(`not json`))
		case "/v1/bundles/escape":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte("{\"error\": \"no\\u001b[2J way\"}"))
		case "/v1/checkpoint":
			w.Write([]byte(strings.Repeat("x", 1<<20+1)))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("plain text 404"))
		}
	}))
	defer srv.Close()
	ctx := t.Context()

	good, _ := client.New(srv.URL, client.WithToken("good-token-000001"))
	ds, err := good.Deliveries(ctx)
	if err != nil || len(ds) != 1 || ds[0].State != pipeline.DeliveryConsigned {
		t.Errorf("Deliveries = %v, %v", ds, err)
	}
	bad, _ := client.New(srv.URL, client.WithToken("wrong-token-000001"))
	_, err = bad.Deliveries(ctx)
	var ae *client.APIError
	if !client.Unauthorized(err) || !errors.As(err, &ae) || ae.Message != "missing or unknown bearer token" || !strings.Contains(ae.URL, "/v1/deliveries") {
		t.Errorf("Deliveries with a wrong token = %v, want a 401 *APIError with the server's message", err)
	}
	if _, err := good.Bundle(ctx, "nope"); !client.NotFound(err) || !strings.Contains(err.Error(), "plain text 404") {
		t.Errorf("Bundle(nope) = %v, want a 404 with the body as message", err)
	}
	if _, err := good.Bundle(ctx, "escape"); !errors.As(err, &ae) || ae.Message != "no?[2J way" {
		t.Errorf("Bundle(escape) = %v, want the escape replaced", err)
	}
	var re *client.ResponseError
	if _, err := good.Manifest(ctx, "d-1"); !errors.As(err, &re) {
		t.Errorf("Manifest of a non-JSON answer = %v, want *ResponseError", err)
	}
	if _, err := good.Checkpoint(ctx); !errors.As(err, &re) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Checkpoint of 1 MiB + 1 = %v, want *ResponseError naming the limit", err)
	}

	// A port nothing listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	down, _ := client.New("http://" + addr)
	var ue *client.UnreachableError
	if _, err := down.Deliveries(ctx); !errors.As(err, &ue) || ue.URL != "http://"+addr {
		t.Errorf("Deliveries on a closed port = %v, want *UnreachableError naming %s", err, addr)
	}
	// A canceled context is the context's error, not an unreachable server.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := good.Deliveries(cctx); !errors.Is(err, context.Canceled) || errors.As(err, &ue) {
		t.Errorf("Deliveries with a canceled context = %v, want context.Canceled", err)
	}
}

func TestCheckNames(t *testing.T) {
	for _, tc := range []struct {
		check func(string) error
		name  string
		ok    bool
	}{
		{client.CheckDeliveryID, "d-0123456789abcdef0123456789abcdef", true},
		{client.CheckDeliveryID, "d-0123456789ABCDEF0123456789abcdef", false},
		{client.CheckDeliveryID, "../../etc", false},
		{client.CheckDeliveryID, "d-0123456789abcdef0123456789abcdef/..", false},
		{client.CheckDeliveryID, "d-0123456789abcdef0123456789abcdef\n", false},
		{client.CheckDeliveryID, "", false},
		{client.CheckBundleID, strings.Repeat("ab", 32), true},
		{client.CheckBundleID, strings.Repeat("ab", 31), false},
		{client.CheckDocumentName, "data/report.pdf", true},
		{client.CheckDocumentName, "data/photos/scène 1.jpg", true},
		{client.CheckDocumentName, "report.pdf", false},
		{client.CheckDocumentName, "data/../../x", false},
		{client.CheckDocumentName, "data//x", false},
		{client.CheckDocumentName, "data/./x", false},
		{client.CheckDocumentName, "data/", false},
		{client.CheckDocumentName, "/data/x", false},
		{client.CheckDocumentName, "data/a\\..\\..\\x", false},
		{client.CheckDocumentName, "data/C:x", false},
		{client.CheckDocumentName, "data/~root", false},
		{client.CheckDocumentName, "data/a\nb", false},
		{client.CheckDocumentName, "data/\xff", false},
		{client.CheckDocumentName, "data/" + strings.Repeat("a", 256), false},
	} {
		err := tc.check(tc.name)
		var ne *client.NameError
		if tc.ok != (err == nil) || err != nil && !errors.As(err, &ne) {
			t.Errorf("check(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// FuzzCheckDocumentName: a name the check accepts is a local path under data/ on this
// system, so that joining it to a folder never leaves the folder.
func FuzzCheckDocumentName(f *testing.F) {
	for _, s := range []string{"data/report.pdf", "data/../x", "data/a/b/c.txt", "data/.hidden", "data/..x", "data/C:\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if client.CheckDocumentName(name) != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(name)) || !strings.HasPrefix(name, "data/") || strings.Contains(name, "/../") {
			t.Errorf("CheckDocumentName accepted %q", name)
		}
	})
}

// TestSearch: the query's fields travel as the server's query parameters.
func TestSearch(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.RawQuery
		w.Write([]byte(`{"bundles": [{"bundle": "abc", "delivery": "d-1"}]}`))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, client.WithToken("t"))
	bs, err := c.Search(t.Context(), pipeline.SearchQuery{Text: "cocaine port", Case: "OM-1", State: "routed",
		From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Limit: 5, Uploader: "ignored"})
	if err != nil || len(bs) != 1 || bs[0].BundleID != "abc" || bs[0].Delivery != "d-1" {
		t.Fatalf("Search = %+v, %v", bs, err)
	}
	if want := "case=OM-1&from=2026-03-01T00%3A00%3A00Z&limit=5&q=cocaine+port&state=routed"; got != want {
		t.Errorf("query %q, want %q", got, want)
	}
}
