package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

// CreateUpload opens a resumable upload of a bag of size bytes whose SHA-256 is sha, in parts
// of partSize bytes (POST /v1/uploads).
func (c *Client) CreateUpload(ctx context.Context, size int64, sha string, partSize int64) (*multipart.Upload, error) {
	raw, err := json.Marshal(multipart.CreateRequest{Size: size, SHA256: sha, PartSize: partSize})
	if err != nil {
		return nil, err
	}
	resp, err := c.doWith(ctx, http.MethodPost, "/v1/uploads", bytes.NewReader(raw), int64(len(raw)), http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		return nil, err
	}
	var u multipart.Upload
	return &u, decodeBody(resp, &u)
}

// ResumableUpload returns a resumable upload with the parts the server holds
// (GET /v1/uploads/{id}).
func (c *Client) ResumableUpload(ctx context.Context, id string) (*multipart.Upload, error) {
	var u multipart.Upload
	if err := c.getJSON(ctx, "/v1/uploads/"+url.PathEscape(id), &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// PutPart sends part n, whose SHA-256 is sha (PUT /v1/uploads/{id}/parts/{n}).
func (c *Client) PutPart(ctx context.Context, id string, n int, sha string, r io.Reader, size int64) (*multipart.Part, error) {
	resp, err := c.doWith(ctx, http.MethodPut, fmt.Sprintf("/v1/uploads/%s/parts/%d", url.PathEscape(id), n), r, size,
		http.Header{multipart.HeaderPartSHA256: {sha}, "Content-Type": {"application/octet-stream"}})
	if err != nil {
		return nil, err
	}
	var p multipart.Part
	return &p, decodeBody(resp, &p)
}

// CompleteUpload puts the parts together and ingests the bag (POST /v1/uploads/{id}/complete);
// the answer reads as Upload's.
func (c *Client) CompleteUpload(ctx context.Context, id string) (*pipeline.Status, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/uploads/"+url.PathEscape(id)+"/complete", nil, 0)
	return uploadStatus(resp, err)
}

// AbortUpload forgets a resumable upload and its parts (DELETE /v1/uploads/{id}).
func (c *Client) AbortUpload(ctx context.Context, id string) error {
	resp, err := c.do(ctx, http.MethodDelete, "/v1/uploads/"+url.PathEscape(id), nil, 0)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// ResumeOptions steer UploadResumable.
type ResumeOptions struct {
	PartSize int64
	// UploadID continues that upload (one a killed run started); empty starts one.
	UploadID string
	// Started is called with the id of an upload as soon as it exists, to be kept for a
	// later run; an error stops the upload.
	Started func(id string) error
	// Sent is called after each part the server accepted, with its number and length.
	Sent func(n int, size int64)
	// Retries is how often a part that got no answer is sent again (default 3), waiting
	// Backoff (default 1 s) doubled each time.
	Retries int
	Backoff time.Duration
}

// UploadResumable sends the bag r of size bytes, whose SHA-256 is sha, by the resumable
// protocol: it creates an upload (or continues opt.UploadID), sends only the parts the server
// does not hold, each with its SHA-256, retrying a part after a dropped connection, and
// completes. If the upload to continue is gone because a previous run completed it and lost
// the answer, the bundle, named by sha, is looked up and its status returned.
func (c *Client) UploadResumable(ctx context.Context, r io.ReaderAt, size int64, sha string, opt ResumeOptions) (*pipeline.Status, error) {
	if opt.Retries <= 0 {
		opt.Retries = 3
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	var u *multipart.Upload
	var err error
	if opt.UploadID != "" {
		u, err = c.ResumableUpload(ctx, opt.UploadID)
		if NotFound(err) {
			if st, berr := c.Bundle(ctx, sha); berr == nil {
				return st, nil // completed by the earlier run
			}
			u, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		if u != nil && (u.SHA256 != sha || u.Size != size) {
			u = nil // another bag's upload: start afresh
		}
	}
	if u == nil {
		if u, err = c.CreateUpload(ctx, size, sha, opt.PartSize); err != nil {
			return nil, err
		}
		if opt.Started != nil {
			if err := opt.Started(u.ID); err != nil {
				return nil, err
			}
		}
	}
	buf := make([]byte, u.PartSize)
	for _, n := range u.Missing() {
		part := buf[:u.PartLen(n)]
		if _, err := r.ReadAt(part, int64(n-1)*u.PartSize); err != nil && !(errors.Is(err, io.EOF) && n == u.Parts) {
			return nil, fmt.Errorf("read part %d: %w", n, err)
		}
		sum := sha256.Sum256(part)
		if err := c.putRetrying(ctx, u.ID, n, hex.EncodeToString(sum[:]), part, opt); err != nil {
			return nil, err
		}
		if opt.Sent != nil {
			opt.Sent(n, int64(len(part)))
		}
	}
	st, err := c.CompleteUpload(ctx, u.ID)
	var ue *UnreachableError
	if errors.As(err, &ue) || NotFound(err) {
		// The answer was lost (or an earlier try completed it): the bundle is named by sha.
		if st, berr := c.Bundle(ctx, sha); berr == nil {
			return st, nil
		}
	}
	return st, err
}

func (c *Client) putRetrying(ctx context.Context, id string, n int, sha string, part []byte, opt ResumeOptions) error {
	wait := opt.Backoff
	for try := 0; ; try++ {
		_, err := c.PutPart(ctx, id, n, sha, bytes.NewReader(part), int64(len(part)))
		var ue *UnreachableError
		var ae *APIError
		retry := errors.As(err, &ue) || (errors.As(err, &ae) && (ae.StatusCode == http.StatusServiceUnavailable || ae.StatusCode == http.StatusRequestTimeout))
		if err == nil || !retry || try >= opt.Retries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}
