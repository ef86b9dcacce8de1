package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// PutPart sends part n, whose SHA-256 is sha, to evx serve's own part endpoint
// (PUT /v1/uploads/{id}/parts/{n}). UploadResumable sends parts where PartTargets says.
func (c *Client) PutPart(ctx context.Context, id string, n int, sha string, r io.Reader, size int64) (*multipart.Part, error) {
	resp, err := c.doWith(ctx, http.MethodPut, fmt.Sprintf("/v1/uploads/%s/parts/%d", url.PathEscape(id), n), r, size,
		http.Header{multipart.HeaderPartSHA256: {sha}, "Content-Type": {"application/octet-stream"}})
	if err != nil {
		return nil, err
	}
	var p multipart.Part
	return &p, decodeBody(resp, &p)
}

// PartTargets asks where to send the parts named, each with its SHA-256
// (POST /v1/uploads/{id}/parts): at most multipart.MaxTargets at once.
func (c *Client) PartTargets(ctx context.Context, id string, parts []multipart.PartSum) ([]multipart.Target, error) {
	var out multipart.Targets
	if err := c.postJSON(ctx, "/v1/uploads/"+url.PathEscape(id)+"/parts", multipart.TargetsRequest{Parts: parts}, &out); err != nil {
		return nil, err
	}
	if len(out.Parts) != len(parts) {
		return nil, &ResponseError{Method: http.MethodPost, URL: c.URL() + "/v1/uploads/" + id + "/parts", Err: fmt.Errorf("%d targets for %d parts", len(out.Parts), len(parts))}
	}
	for i, t := range out.Parts {
		if t.N != parts[i].N || t.Method != http.MethodPut {
			return nil, &ResponseError{Method: http.MethodPost, URL: c.URL() + "/v1/uploads/" + id + "/parts", Err: fmt.Errorf("target %d is %s of part %d, want PUT of part %d", i+1, t.Method, t.N, parts[i].N)}
		}
	}
	return out.Parts, nil
}

// PutTarget sends a part's bytes to its target: a path of the API with the client's token, or
// an absolute URL (presigned: it carries its own authorization) with the target's headers
// only, never the token. An answer of 300 or more is an *APIError; no answer an
// *UnreachableError.
func (c *Client) PutTarget(ctx context.Context, t multipart.Target, part []byte) error {
	hdr := http.Header{}
	for k, v := range t.Headers {
		if !strings.EqualFold(k, "content-length") && !strings.EqualFold(k, "host") && !strings.EqualFold(k, "authorization") {
			hdr.Set(k, v)
		}
	}
	if strings.HasPrefix(t.URL, "/") && !strings.HasPrefix(t.URL, "//") {
		hdr.Set("Content-Type", "application/octet-stream")
		resp, err := c.doWith(ctx, http.MethodPut, t.URL, bytes.NewReader(part), int64(len(part)), hdr)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && (c.base.Scheme == "http" || IsLoopback(u.Hostname()))) {
		return &ResponseError{Method: http.MethodPut, URL: t.URL, Err: errors.New("a part's target must be an API path or an https URL")}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, t.URL, bytes.NewReader(part))
	if err != nil {
		return err
	}
	req.Header = hdr // the target's headers alone: the URL carries the authorization
	req.ContentLength = int64(len(part))
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{URL: u.Scheme + "://" + u.Host, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return &APIError{Method: http.MethodPut, URL: u.Scheme + "://" + u.Host + u.Path, StatusCode: resp.StatusCode, Message: printable(s3Message(raw))}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return nil
}

// s3Message is the Code and Message of an S3 error document, else the start of the body.
func s3Message(raw []byte) string {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(raw, &e) == nil && e.Code != "" {
		return e.Code + ": " + e.Message
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
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
	// Window is how many parts are hashed and asked a target for at once (default 8, at
	// most multipart.MaxTargets): presigned URLs are fetched shortly before their use.
	Window int
}

// UploadResumable sends the bag r of size bytes, whose SHA-256 is sha, by the resumable
// protocol: it creates an upload (or continues opt.UploadID), sends only the parts the server
// does not hold, each with its SHA-256, retrying a part after a dropped connection, and
// completes. If the upload to continue is gone because a previous run completed it and lost
// the answer, the bundle is looked up (evx serve names it by sha) or the completion asked
// again (the api function on AWS answers the bundle it completed), and its status returned.
func (c *Client) UploadResumable(ctx context.Context, r io.ReaderAt, size int64, sha string, opt ResumeOptions) (*pipeline.Status, error) {
	if opt.Retries <= 0 {
		opt.Retries = 3
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	if opt.Window <= 0 || opt.Window > multipart.MaxTargets {
		opt.Window = 8
	}
	var u *multipart.Upload
	var err error
	if opt.UploadID != "" {
		u, err = c.ResumableUpload(ctx, opt.UploadID)
		if NotFound(err) {
			if st, berr := c.Bundle(ctx, sha); berr == nil {
				return st, nil // completed by the earlier run (evx serve: the bundle id is sha)
			}
			if st, cerr := c.CompleteUpload(ctx, opt.UploadID); cerr == nil {
				return st, nil // completed by the earlier run (AWS: complete answers it again)
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
	if err := c.sendParts(ctx, r, u, opt); err != nil {
		return nil, err
	}
	st, err := c.CompleteUpload(ctx, u.ID)
	var ue *UnreachableError
	if errors.As(err, &ue) || NotFound(err) {
		// The answer was lost (or an earlier try completed it): on evx serve the bundle is
		// named by sha; on AWS completing again answers the bundle completed.
		if st, berr := c.Bundle(ctx, sha); berr == nil {
			return st, nil
		}
		if errors.As(err, &ue) {
			if st, cerr := c.CompleteUpload(ctx, u.ID); cerr == nil {
				return st, nil
			}
		}
	}
	return st, err
}

// sendParts sends the parts u does not hold, a window of opt.Window at a time: it hashes the
// window's parts, asks where to send them, and sends each.
func (c *Client) sendParts(ctx context.Context, r io.ReaderAt, u *multipart.Upload, opt ResumeOptions) error {
	buf := make([]byte, u.PartSize)
	read := func(n int) ([]byte, error) {
		part := buf[:u.PartLen(n)]
		if _, err := r.ReadAt(part, int64(n-1)*u.PartSize); err != nil && !(errors.Is(err, io.EOF) && n == u.Parts) {
			return nil, fmt.Errorf("read part %d: %w", n, err)
		}
		return part, nil
	}
	missing := u.Missing()
	for len(missing) > 0 {
		win := missing[:min(len(missing), opt.Window)]
		missing = missing[len(win):]
		sums := make([]multipart.PartSum, len(win))
		for i, n := range win {
			part, err := read(n)
			if err != nil {
				return err
			}
			s := sha256.Sum256(part)
			sums[i] = multipart.PartSum{N: n, SHA256: hex.EncodeToString(s[:])}
		}
		targets, err := c.PartTargets(ctx, u.ID, sums)
		if err != nil {
			return err
		}
		for i, n := range win {
			part, err := read(n)
			if err != nil {
				return err
			}
			// Not hashed again: a part that changed since is refused by the store, whose
			// target names the SHA-256 hashed above.
			if err := c.putRetrying(ctx, u.ID, sums[i], targets[i], part, opt); err != nil {
				return err
			}
			if opt.Sent != nil {
				opt.Sent(n, int64(len(part)))
			}
		}
	}
	return nil
}

// putRetrying sends a part to its target, again after a dropped connection, a 503 or a 408,
// and a 500 of the store (S3's InternalError), up to opt.Retries times; a presigned URL that
// is refused with 403 (expired under a slow window) is asked for again, once per try.
func (c *Client) putRetrying(ctx context.Context, id string, sum multipart.PartSum, t multipart.Target, part []byte, opt ResumeOptions) error {
	wait := opt.Backoff
	for try := 0; ; try++ {
		err := c.PutTarget(ctx, t, part)
		var ue *UnreachableError
		var ae *APIError
		presigned := !strings.HasPrefix(t.URL, "/")
		retry := errors.As(err, &ue) || (errors.As(err, &ae) && (ae.StatusCode == http.StatusServiceUnavailable || ae.StatusCode == http.StatusRequestTimeout ||
			presigned && (ae.StatusCode == http.StatusInternalServerError || ae.StatusCode == http.StatusForbidden && time.Now().After(t.Expires))))
		if err == nil || !retry || try >= opt.Retries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
		if presigned {
			ts, terr := c.PartTargets(ctx, id, []multipart.PartSum{sum})
			if terr != nil {
				return terr
			}
			t = ts[0]
		}
	}
}
