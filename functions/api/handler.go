package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/api"
)

// Claim names the JWT authorizer passes on: the caller's role (uploader, counterpart or
// legal) and, for a counterpart, its directory id. The subject is the token's "sub".
const (
	RoleClaim        = "evx_role"
	CounterpartClaim = "evx_counterpart"
)

// Handler turns HTTP API (payload format 2.0) events into requests to the shared/api handler
// and its responses back into events. Identity comes from the JWT authorizer's claims, which
// API Gateway has already checked (issuer, audience, signature, expiry).
type Handler struct {
	API http.Handler // api.New(svc, spooler, Claims{}, limits, log)
}

type claimsKey struct{}

// Claims is the api.Authenticator of the function: it maps the JWT claims the request
// carries to an identity. A token without a known role, or a counterpart token without a
// counterpart id, is no identity.
type Claims struct{}

// Authenticate implements api.Authenticator.
func (Claims) Authenticate(r *http.Request) (api.Identity, bool) {
	c, _ := r.Context().Value(claimsKey{}).(map[string]string)
	if c == nil {
		return api.Identity{}, false
	}
	id := api.Identity{Role: api.Role(c[RoleClaim]), Subject: c["sub"]}
	switch id.Role {
	case api.RoleCounterpart:
		id.Counterpart = c[CounterpartClaim]
		if id.Counterpart == "" {
			return api.Identity{}, false
		}
		id.Subject = id.Counterpart
	case api.RoleUploader, api.RoleLegal:
		if id.Subject == "" {
			id.Subject = string(id.Role)
		}
	default:
		return api.Identity{}, false
	}
	return id, true
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
	if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil {
		ctx = context.WithValue(ctx, claimsKey{}, a.JWT.Claims)
	}
	req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, url, strings.NewReader(string(body)))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: `{"error":"bad request line"}`}, nil
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(body))
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
