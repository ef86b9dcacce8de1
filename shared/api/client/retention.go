package client

import (
	"context"
	"net/url"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Retention is where bundle stands in its retention (GET /v1/bundles/{id}/retention; legal
// staff of its sending agency).
func (c *Client) Retention(ctx context.Context, bundle string) (*pipeline.Retention, error) {
	var out struct {
		Retention pipeline.Retention `json:"retention"`
	}
	if err := c.getJSON(ctx, "/v1/bundles/"+url.PathEscape(bundle)+"/retention", &out); err != nil {
		return nil, err
	}
	return &out.Retention, nil
}

// RetentionAct is the answer to a review or a disposal: the event recorded, or none when the
// act repeated one already recorded.
type RetentionAct struct {
	Recorded bool           `json:"recorded"`
	Event    *custody.Event `json:"event,omitempty"`
}

// RetentionReview is the body of a review (api.RetentionReview): decision "extend" with the
// next review date (RFC 3339), or "dispose".
type RetentionReview struct {
	Decision   string `json:"decision"`
	NextReview string `json:"next_review,omitempty"`
	Note       string `json:"note,omitempty"`
}

// ReviewRetention records legal staff's review of bundle (POST /v1/bundles/{id}/retention).
func (c *Client) ReviewRetention(ctx context.Context, bundle string, r RetentionReview) (*RetentionAct, error) {
	return c.postRetention(ctx, "/v1/bundles/"+url.PathEscape(bundle)+"/retention", r)
}

// Dispose disposes of bundle's documents (POST /v1/bundles/{id}/retention/dispose; evx serve).
func (c *Client) Dispose(ctx context.Context, bundle string) (*RetentionAct, error) {
	return c.postRetention(ctx, "/v1/bundles/"+url.PathEscape(bundle)+"/retention/dispose", struct{}{})
}

func (c *Client) postRetention(ctx context.Context, path string, v any) (*RetentionAct, error) {
	var out RetentionAct
	if err := c.postJSON(ctx, path, v, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
