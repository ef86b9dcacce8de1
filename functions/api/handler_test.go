package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/report"
)

func TestAPI(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.Bag(t, "nl-om")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	claims := Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(t)}
	h := &Handler{API: api.New(n.Service, n.Uploads, claims, api.Limits{}, nil).WithReportFonts(shippedFonts(t)), Claims: claims}
	invoke := func(name string, ev []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		out, err := fntest.Invoke(t, h.Handle, ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var r events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	r := invoke("list", fntest.Event(t, "list-deliveries.json"))
	if r.StatusCode != 200 {
		t.Fatalf("list: %d %s", r.StatusCode, r.Body)
	}
	fntest.Golden(t, "list-deliveries", []byte(r.Body))

	delivery0 := pipeline.DeliveryID(id, "nl-om")
	r = invoke("list es-fge", fntest.Event(t, "list-deliveries-es-fge.json"))
	if r.StatusCode != 200 || bytes.Contains([]byte(r.Body), []byte(delivery0)) {
		t.Errorf("es-fge sees %d %q, want none of nl-om's deliveries", r.StatusCode, r.Body)
	}

	delivery := pipeline.DeliveryID(id, "nl-om")
	r = invoke("fetch", bytes.ReplaceAll(fntest.Event(t, "fetch-document.json"), []byte("DELIVERY"), []byte(delivery)))
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			t.Fatal(err)
		}
	}
	if r.StatusCode != 200 || string(body) != "date,amount,currency\n2026-10-01,25000,EUR\n" {
		t.Errorf("fetch = %d %q", r.StatusCode, body)
	}

	// With presigning: a redirect to a URL that serves the stored blob, the access recorded.
	blobs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, err := n.Blobs.Open(r.Context(), strings.TrimPrefix(r.URL.Path, "/blobs/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer rc.Close()
		io.Copy(w, rc)
	}))
	defer blobs.Close()
	before, _ := n.Service.Events(ctx, id)
	hp := &Handler{API: h.API, Claims: claims, Service: n.Service, Presign: func(ctx context.Context, sum string, ttl time.Duration) (string, error) {
		return blobs.URL + "/blobs/" + sum, nil
	}}
	out, err := fntest.Invoke(t, hp.Handle, bytes.ReplaceAll(fntest.Event(t, "fetch-document.json"), []byte("DELIVERY"), []byte(delivery)))
	if err != nil {
		t.Fatal(err)
	}
	var red events.APIGatewayV2HTTPResponse
	json.Unmarshal(out, &red)
	if red.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("presigned fetch = %d %s, want 307", red.StatusCode, red.Body)
	}
	got, err := http.Get(red.Headers["Location"])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(b) != "date,amount,currency\n2026-10-01,25000,EUR\n" {
		t.Errorf("presigned URL served %q", b)
	}
	after, _ := n.Service.Events(ctx, id)
	if len(after) != len(before)+1 || after[len(after)-1].Event.Type != custody.ContentAccessTracking {
		t.Errorf("presigned fetch recorded %d events, want one ContentAccessTracking", len(after)-len(before))
	}
	// Another counterpart, or a missing document: the api handler's own 404.
	for _, ev := range [][]byte{
		bytes.ReplaceAll(fntest.Event(t, "fetch-document.json"), []byte("DELIVERY"), []byte("d-00000000000000000000000000000000")),
		bytes.ReplaceAll(bytes.ReplaceAll(fntest.Event(t, "fetch-document.json"), []byte("DELIVERY"), []byte(delivery)), []byte("ledger.csv"), []byte("nope.csv")),
	} {
		out, _ := fntest.Invoke(t, hp.Handle, ev)
		json.Unmarshal(out, &red)
		if red.StatusCode != http.StatusNotFound {
			t.Errorf("fetch of nothing = %d %s, want 404", red.StatusCode, red.Body)
		}
	}

	for _, name := range []string{"no-claims.json", "unknown-role.json"} {
		if r := invoke(name, fntest.Event(t, name)); r.StatusCode != 401 {
			t.Errorf("%s: status %d, want 401", name, r.StatusCode)
		}
	}
	if r := invoke("public key", fntest.Event(t, "public-key.json")); r.StatusCode != 200 || !bytes.HasPrefix([]byte(r.Body), []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Errorf("public key = %d %q", r.StatusCode, r.Body)
	}
}

// shippedFonts are the report fonts read from the files the function's zip carries (fonts/
// beside bootstrap, copied from shared/report/fonts), as main reads them.
func shippedFonts(t testing.TB) *report.Fonts {
	t.Helper()
	f, err := report.LoadFonts(os.DirFS("../../shared/report/fonts"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
