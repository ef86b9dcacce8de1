package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

// Handler turns HTTP API (payload format 2.0) events into requests to the shared/api handler
// and its responses back into events. Identity comes from the JWT authorizer's claims, which
// API Gateway has already checked (issuer, audience, signature, expiry), through Claims.
type Handler struct {
	API    http.Handler // api.New(svc, spooler, h.Claims, limits, log)
	Claims Claims
	// Service and Presign, when both set, answer a counterpart's document fetch with a
	// redirect to a presigned S3 URL (s3blob.Store.PresignGet) once the access is recorded:
	// a Lambda response carries at most 6 MB, evidence often more.
	Service *pipeline.Service
	Presign func(ctx context.Context, sum string, ttl time.Duration) (string, error)
	// Checkpoint, when set, answers GET /v1/checkpoint with the latest checkpoint the audit
	// function signed and published (published.Latest), so that an anonymous request never
	// spends a KMS Sign; published.ErrNone is a 503 until the first is published.
	Checkpoint func(ctx context.Context) ([]byte, error)
	// Uploads, when set, serves the presigned multipart uploads under /v1/uploads.
	Uploads *Multipart
}

// PresignTTL is how long a document URL handed out by the api function stays valid.
const PresignTTL = 15 * time.Minute

var documentPath = regexp.MustCompile(`^/v1/deliveries/([^/]+)/documents/(.+)$`)

// redirect answers GET /v1/deliveries/{id}/documents/{name...} of a counterpart with 307 and a
// presigned URL, after FetchDocument has recorded ContentAccessTracking. ok false leaves the
// request to the api handler (any other request, or an error it reports in its own words).
func (h *Handler) redirect(req *http.Request) (events.APIGatewayV2HTTPResponse, bool) {
	if h.Service == nil || h.Presign == nil || req.Method != http.MethodGet {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	m := documentPath.FindStringSubmatch(req.URL.Path)
	if m == nil {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	id, ok := h.Claims.Authenticate(req)
	if !ok || id.Role != api.RoleCounterpart {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	rc, doc, err := h.Service.FetchDocument(pipeline.ActingAs(req.Context(), id.Party()), id.Counterpart, m[1], m[2])
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	rc.Close()
	url, err := h.Presign(req.Context(), doc.SHA256, PresignTTL)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadGateway, Headers: map[string]string{"Content-Type": "application/json"},
			Body: `{"error":"the document cannot be handed out now; try again"}`}, true
	}
	body, _ := json.Marshal(map[string]string{"url": url, "sha256": doc.SHA256})
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusTemporaryRedirect,
		Headers: map[string]string{"Location": url, "Content-Type": "application/json", "X-Evx-Sha256": doc.SHA256}, Body: string(body)}, true
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("request body: %w", err)
		}
		body = b
	}
	url := ev.RawPath
	if ev.RawQueryString != "" {
		url += "?" + ev.RawQueryString
	}
	ctx = withJWT(ctx, ev.RequestContext.Authorizer)
	req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, url, strings.NewReader(string(body)))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: `{"error":"bad request line"}`}, nil
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(body))
	if resp, ok := h.redirect(req); ok {
		return resp, nil
	}
	if resp, ok := h.checkpoint(req); ok {
		return resp, nil
	}
	if resp, ok := h.upload(req, body); ok {
		return resp, nil
	}
	rec := httptest.NewRecorder()
	h.API.ServeHTTP(rec, req)
	resp := events.APIGatewayV2HTTPResponse{StatusCode: rec.Code, Headers: map[string]string{}}
	for k, v := range rec.Header() {
		resp.Headers[k] = strings.Join(v, ",")
	}
	out := rec.Body.Bytes()
	ct := rec.Header().Get("Content-Type")
	if utf8.Valid(out) && (strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "pem")) {
		resp.Body = string(out)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(out), true
	}
	return resp, nil
}

// checkpoint answers GET /v1/checkpoint from the published checkpoint.
func (h *Handler) checkpoint(req *http.Request) (events.APIGatewayV2HTTPResponse, bool) {
	if h.Checkpoint == nil || req.Method != http.MethodGet || req.URL.Path != "/v1/checkpoint" {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	cp, err := h.Checkpoint(req.Context())
	if err != nil {
		return jsonError(http.StatusServiceUnavailable, "no checkpoint to serve now; try again in a few minutes"), true
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: string(cp),
		Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=60"}}, true
}

func jsonError(code int, msg string) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return events.APIGatewayV2HTTPResponse{StatusCode: code, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}
