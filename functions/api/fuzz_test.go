package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

// FuzzHandle feeds arbitrary HTTP API events to the handler over a node holding one delivery
// to nl-om: it never fails the invocation for a well-formed event, never answers 5xx, and never
// shows nl-om's delivery to a caller that is not nl-om (every token claims to be nl-om in a
// custom claim; only nl-om's client id makes it so).
func FuzzHandle(f *testing.F) {
	f.Add("GET", "/v1/deliveries", "", false, "counterpart", "nl-om")
	f.Add("GET", "/v1/deliveries/DELIVERY", "", false, "counterpart", "es-fge")
	f.Add("GET", "/v1/deliveries/DELIVERY/documents/data/ledger.csv", "", false, "counterpart", "nl-om")
	f.Add("POST", "/v1/deliveries/DELIVERY/receipt", `{"accepted":true,"documents":[]}`, false, "counterpart", "nl-om")
	f.Add("POST", "/v1/deliveries/DELIVERY/receipt", `eyJhY2NlcHRlZCI6dHJ1ZX0=`, true, "counterpart", "nl-om")
	f.Add("POST", "/v1/bundles", "PK\x03\x04", false, "uploader", "")
	f.Add("GET", "/v1/bundles/../../etc/passwd", "", false, "legal", "")
	f.Add("DELETE", "/v1/checkpoint?x=%zz", "", false, "", "")
	f.Add("GET\n", "//v1//deliveries", "", true, "admin", "#upload")
	n := fntest.Node(f, &fntest.Clock{T: fntest.T0})
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.Bag(f, "nl-om")))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size}); err != nil {
		f.Fatal(err)
	}
	if _, err := n.Service.Process(ctx, id); err != nil {
		f.Fatal(err)
	}
	delivery := pipeline.DeliveryID(id, "nl-om")
	claims := Claims{Issuer: fntest.Issuer, Directory: fntest.Directory(f)}
	h := &Handler{API: api.New(n.Service, n.Uploads, claims, api.Limits{MaxUpload: 1 << 16, MaxReceipt: 1 << 12}, nil).WithReportFonts(shippedFonts(f)), Claims: claims}
	f.Fuzz(func(t *testing.T, method, path, body string, b64 bool, role, cp string) {
		path = strings.ReplaceAll(path, "DELIVERY", delivery)
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: path, Body: body, IsBase64Encoded: b64, Headers: map[string]string{}}
		ev.RequestContext.HTTP.Method = method
		if role != "" {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
					Claims: map[string]string{"sub": "u", "iss": fntest.Issuer, "client_id": "client-" + cp, "evx_counterpart": "nl-om"},
					Scopes: []string{"evx/" + role}}}
		}
		raw, _ := json.Marshal(ev)
		out, err := fntest.Invoke(t, h.Handle, raw)
		if err != nil {
			if b64 {
				return // a body that is not base64 fails the invocation, as API Gateway never sends one
			}
			t.Fatalf("Handle(%s %q): %v", method, path, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s %q as %s/%s: %d %s", method, path, role, cp, resp.StatusCode, resp.Body)
		}
		if (role != "counterpart" || cp != "nl-om") && role != "legal" && strings.Contains(resp.Body, delivery) && resp.StatusCode < 300 {
			t.Errorf("%s %q as %s/%s sees nl-om's delivery: %s", method, path, role, cp, resp.Body)
		}
	})
}
