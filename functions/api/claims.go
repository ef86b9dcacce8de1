package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

// Scopes of the HTTP API routes (template.yaml names them per route; API Gateway refuses a
// token without one of the route's scopes). The role of a caller comes from its token's
// scope, never from a custom claim an identity provider may let users edit.
var scopeRoles = map[string]api.Role{
	"evx/upload":      api.RoleUploader,
	"evx/counterpart": api.RoleCounterpart,
	"evx/legal":       api.RoleLegal,
}

// Clients finds the counterpart whose registered API identity is (issuer, client id):
// directory.Directory.ByClient.
type Clients interface {
	ByClient(issuer, clientID string) (pipeline.Counterpart, bool)
}

// Claims is the api.Authenticator of the function: it maps the claims and scopes the JWT
// authorizer checked (signature, expiry, issuer, audience) to an identity.
//
//   - The role is that of the one evx scope the token carries (a token with none, or with more
//     than one, is no identity).
//   - A counterpart is the directory's counterpart registered with the token's issuer and
//     client id ("client_id", else "azp", else a single "aud"); a token of an unregistered
//     client is no counterpart, whatever it claims.
//   - Uploaders and legal staff come from Issuer, evx's own identity provider, with a "sub",
//     and never from a client registered to a counterpart: a shared identity provider cannot
//     make a counterpart's user legal staff.
//
// Custom claims (evx_role, evx_counterpart) are ignored.
//
// The person is the token's "sub" at the issuer the agency registered: a counterpart's officer
// is (counterpart id, sub); an uploader or legal staff is (Agency, sub) when Agency is set, and
// then the uploader's id is "AGENCY/sub" (pipeline.UploaderName).
type Claims struct {
	Issuer    string // EVX_JWT_ISSUER
	Directory Clients
	// Agency is the deployment's own agency, whose people evx's identity provider (Issuer)
	// vouches for (EVX_AGENCY); empty names none.
	Agency string
}

type jwtKey struct{}

// jwt is what the authorizer passed on.
type jwt struct {
	claims map[string]string
	scopes []string
}

func withJWT(ctx context.Context, a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) context.Context {
	if a == nil || a.JWT == nil {
		return ctx
	}
	return context.WithValue(ctx, jwtKey{}, jwt{claims: a.JWT.Claims, scopes: a.JWT.Scopes})
}

// clientID is the token's client: "client_id" (access tokens), else "azp", else "aud" when it
// names one audience (API Gateway passes a list as "[a b]").
func clientID(c map[string]string) string {
	for _, k := range []string{"client_id", "azp"} {
		if v := c[k]; v != "" {
			return v
		}
	}
	if aud := c["aud"]; aud != "" && !strings.ContainsAny(aud, "[] ,") {
		return aud
	}
	return ""
}

// scopes are the token's scopes: those the authorizer lists, else its "scope" claim.
func scopes(j jwt) []string {
	if len(j.scopes) > 0 {
		return j.scopes
	}
	return strings.Fields(strings.Trim(j.claims["scope"], "[]"))
}

// Authenticate implements api.Authenticator.
func (c Claims) Authenticate(r *http.Request) (api.Identity, bool) {
	j, ok := r.Context().Value(jwtKey{}).(jwt)
	if !ok || j.claims == nil || c.Directory == nil {
		return api.Identity{}, false
	}
	var role api.Role
	for _, s := range scopes(j) {
		if ro, ok := scopeRoles[s]; ok {
			if role != "" && role != ro {
				return api.Identity{}, false // one role per token
			}
			role = ro
		}
	}
	iss, client, sub := j.claims["iss"], clientID(j.claims), j.claims["sub"]
	if iss == "" || client == "" {
		return api.Identity{}, false
	}
	cp, isCounterpart := c.Directory.ByClient(iss, client)
	switch role {
	case api.RoleCounterpart:
		if !isCounterpart {
			return api.Identity{}, false
		}
		return api.Identity{Role: role, Subject: cp.ID, Counterpart: cp.ID, Agency: cp.ID, Person: sub}, true
	case api.RoleUploader, api.RoleLegal:
		if isCounterpart || iss != c.Issuer || c.Issuer == "" || sub == "" {
			return api.Identity{}, false
		}
		id := api.Identity{Role: role, Subject: sub, Person: sub}
		if c.Agency != "" {
			id.Agency = c.Agency
			id.Subject = pipeline.UploaderName(id.Party())
		}
		return id, true
	}
	return api.Identity{}, false
}
