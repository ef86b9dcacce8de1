package client

import (
	"context"
	"net/url"
	"time"

	"github.com/evx-project/evx/shared/request"
)

// RequestFilter selects requests for Requests (GET /v1/requests).
type RequestFilter struct {
	Overdue, Open bool
	DueWithin     time.Duration
}

// Requests lists the requests the caller's agency is a party to (all, for legal staff).
func (c *Client) Requests(ctx context.Context, f RequestFilter) ([]*request.State, error) {
	q := url.Values{}
	if f.Overdue {
		q.Set("overdue", "true")
	}
	if f.Open {
		q.Set("open", "true")
	}
	if f.DueWithin > 0 {
		q.Set("due_within", f.DueWithin.String())
	}
	path := "/v1/requests"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l []*request.State
	if err := c.getJSON(ctx, path, &l); err != nil {
		return nil, err
	}
	return l, nil
}

// Request returns a request's state (GET /v1/requests/{id}).
func (c *Client) Request(ctx context.Context, id string) (*request.State, error) {
	var s request.State
	if err := c.getJSON(ctx, "/v1/requests/"+url.PathEscape(id), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// IssueRequest issues a request in the caller's agency's name (POST /v1/requests); Issuer
// and IssuerPerson are left to the server, which sets them from the token.
func (c *Client) IssueRequest(ctx context.Context, r request.Request) (*request.State, error) {
	return c.postRequestJSON(ctx, "/v1/requests", r)
}

// RequestAction is the body of an action on a request.
type RequestAction struct {
	Grounds   []string `json:"grounds,omitempty"`
	Deadline  string   `json:"deadline,omitempty"`
	Extension string   `json:"extension,omitempty"`
}

// ActOnRequest records action (a name of request.Actions) on request id
// (POST /v1/requests/{id}/{action}).
func (c *Client) ActOnRequest(ctx context.Context, id, action string, a RequestAction) (*request.State, error) {
	return c.postRequestJSON(ctx, "/v1/requests/"+url.PathEscape(id)+"/"+url.PathEscape(action), a)
}

func (c *Client) postRequestJSON(ctx context.Context, path string, v any) (*request.State, error) {
	var s request.State
	if err := c.postJSON(ctx, path, v, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
