// Package client is a Go client of evx's HTTP API (package api): typed requests for every
// endpoint and typed errors that carry both the HTTP status and the server's message. evx's
// own command line uses it, and so can a counterpart's or an uploader's program.
//
// A Client holds the server's base URL and one bearer token; it is safe for concurrent use.
// Every answer is bounded (JSON answers to MaxJSON bytes, trails to custody.MaxTrailBytes),
// so a hostile or broken server cannot make the client read without end. The client checks
// what it can of the server's answers (a delivery id, a document name) only where the caller
// asks: see CheckDeliveryID, CheckBundleID and CheckDocumentName, which a caller that turns
// server-given names into file names must use.
//
// Errors:
//   - *APIError: the server answered with a status of 300 or more; StatusCode and Message
//     (the server's "error" field) say why. Unauthorized and NotFound test for the common ones.
//   - *UnreachableError: no answer at all (connection refused, DNS, TLS); it names the URL.
//   - *ResponseError: an answer of the right status that is not what the API promises.
package client

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// MaxJSON bounds a JSON answer of the server (a manifest, a status, a list of deliveries).
const MaxJSON = 64 << 20

// maxErrorBody bounds the body of an error answer read for its message.
const maxErrorBody = 64 << 10

// Client calls one evx server.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// Option configures New.
type Option func(*Client)

// WithToken sends "Authorization: Bearer token" with every request.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient sends requests through hc instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// URLError: the server URL given to New is not an http or https URL with a host.
type URLError struct {
	URL    string
	Reason string
}

func (e *URLError) Error() string {
	return fmt.Sprintf("server URL %q: %s; want http://HOST:PORT or https://HOST", e.URL, e.Reason)
}

// New returns a client of the server at server, an http:// or https:// URL (a path prefix is
// kept: https://host/evx calls https://host/evx/v1/...).
func New(server string, opts ...Option) (*Client, error) {
	u, err := url.Parse(server)
	switch {
	case err != nil:
		return nil, &URLError{URL: server, Reason: "not a URL"}
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, &URLError{URL: server, Reason: "scheme must be http or https"}
	case u.Host == "":
		return nil, &URLError{URL: server, Reason: "no host"}
	case u.User != nil:
		return nil, &URLError{URL: server, Reason: "credentials in the URL are not sent; use a token"}
	case u.RawQuery != "" || u.Fragment != "":
		return nil, &URLError{URL: server, Reason: "no query or fragment allowed"}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// URL is the server's base URL as given to New (without a trailing slash).
func (c *Client) URL() string { return c.base.String() }

// Insecure reports whether the client sends its token in the clear: a token is set, the URL
// is plain http, and the host is not a loopback address (localhost, 127.0.0.0/8, ::1).
func (c *Client) Insecure() bool {
	return c.token != "" && c.base.Scheme == "http" && !IsLoopback(c.base.Hostname())
}

// IsLoopback reports whether host (a name or an IP address, without port) is this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// APIError is an answer of the server with a status of 300 or more.
type APIError struct {
	Method     string
	URL        string
	StatusCode int
	// Message is the server's own explanation (the "error" field of its JSON answer, else the
	// start of the body), with every character that is not printable replaced by '?'.
	Message string
	// Status is the bundle's status the server sent with a rejection (422 of an upload).
	Status *pipeline.Status
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s %s: server answered %d: %s", e.Method, e.URL, e.StatusCode, msg)
}

// Unauthorized reports whether err is the server's refusal of the token (401).
func Unauthorized(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized
}

// NotFound reports whether err is the server's 404.
func NotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// UnreachableError: the request got no answer from the server.
type UnreachableError struct {
	URL string // the server's base URL
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the evx server at %s: %v", e.URL, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// ResponseError: an answer with a success status whose body is not what the API promises
// (not JSON of the documented form, or larger than the client reads).
type ResponseError struct {
	Method, URL string
	Err         error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("%s %s: unexpected answer: %v", e.Method, e.URL, e.Err)
}
func (e *ResponseError) Unwrap() error { return e.Err }

// escapePath escapes each slash-separated segment of p.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// do sends a request to the API path (already escaped) and returns the response of a
// success status; any other status is an *APIError.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, size int64) (*http.Response, error) {
	return c.doWith(ctx, method, path, body, size, nil)
}

// doWith is do with extra request headers.
func (c *Client) doWith(ctx context.Context, method, path string, body io.Reader, size int64, hdr http.Header) (*http.Response, error) {
	u := c.base.String() + path
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.ContentLength = size
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &UnreachableError{URL: c.base.String(), Err: err}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		var eb struct {
			Error  string           `json:"error"`
			Status *pipeline.Status `json:"status"`
		}
		if json.Unmarshal(raw, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(raw))
			if len(eb.Error) > 200 {
				eb.Error = eb.Error[:200] + "..."
			}
		}
		// The message is shown to a person: no character a terminal would act on.
		return nil, &APIError{Method: method, URL: u, StatusCode: resp.StatusCode, Message: printable(eb.Error), Status: eb.Status}
	}
	return resp, nil
}

// printable replaces every character of s a terminal would act on with '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, s)
}

// getJSON decodes the JSON answer of GET path into v.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil, 0)
	if err != nil {
		return err
	}
	return decodeBody(resp, v)
}

// postJSON posts in as JSON to path and decodes the JSON answer into out.
func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, path, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	return decodeBody(resp, out)
}

func decodeBody(resp *http.Response, v any) error {
	defer resp.Body.Close()
	raw, err := readLimited(resp.Body, MaxJSON)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return &ResponseError{Method: resp.Request.Method, URL: resp.Request.URL.String(), Err: err}
	}
	return nil
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return raw, nil
}

// Upload sends a bag (zip, tar or tar.gz) of size bytes read from r (POST /v1/bundles). An
// accepted bag returns its status (201); a rejected one returns the status whose Ingest says
// why, and no error (422); a bag stored but not yet processed (202) returns a status in state
// received with no Ingest. Any other answer is an error.
func (c *Client) Upload(ctx context.Context, r io.Reader, size int64) (*pipeline.Status, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/bundles", r, size)
	return uploadStatus(resp, err)
}

// uploadStatus reads the answer of an upload (POST /v1/bundles, or the completion of a
// resumable upload) as Upload documents.
func uploadStatus(resp *http.Response, err error) (*pipeline.Status, error) {
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnprocessableEntity && ae.Status != nil && ae.Status.Ingest != nil {
		return ae.Status, nil
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusAccepted {
		var a struct {
			Bundle string `json:"bundle"`
		}
		if err := decodeBody(resp, &a); err != nil {
			return nil, err
		}
		return &pipeline.Status{Upload: pipeline.Upload{BundleID: a.Bundle, State: pipeline.UploadReceived}}, nil
	}
	var st pipeline.Status
	if err := decodeBody(resp, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Bundle returns a bundle's status (GET /v1/bundles/{id}).
func (c *Client) Bundle(ctx context.Context, id string) (*pipeline.Status, error) {
	var st pipeline.Status
	if err := c.getJSON(ctx, "/v1/bundles/"+url.PathEscape(id), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// SearchBundle is one bundle Search found, as the caller's role may see it.
type SearchBundle struct {
	pipeline.SearchHit
	// Delivery, for a counterpart, is its delivery of the bundle.
	Delivery string `json:"delivery,omitempty"`
}

// Search finds bundles (GET /v1/bundles), newest first: by the text of their documents and
// references (q.Text), case reference, counterpart, state and dates. The server scopes the
// answer to the caller's role (an uploader its own bundles, a counterpart those delivered to
// it, legal staff all); q.Uploader is not sent.
func (c *Client) Search(ctx context.Context, q pipeline.SearchQuery) ([]SearchBundle, error) {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Text, "case": q.Case, "counterpart": q.Counterpart, "state": q.State} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/v1/bundles"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var res struct {
		Bundles []SearchBundle `json:"bundles"`
	}
	if err := c.getJSON(ctx, path, &res); err != nil {
		return nil, err
	}
	return res.Bundles, nil
}

// TrailOptions choose what Trail exports besides the events.
type TrailOptions struct {
	// ConsistencyFrom, when not 0, asks for the consistency proof from the log of that size
	// (the size of a checkpoint the caller holds) to the trail's checkpoint.
	ConsistencyFrom uint64
	// Size, when not 0, asks for the trail at that log size (a report's X-Evx-Log-Size):
	// the trail the report rendered.
	Size uint64
}

// Trail returns a bundle's custody trail file (GET /v1/bundles/{id}/trail), byte for byte as
// the server sends it: evx-custody-trail/1 JSON, to check with custody.VerifyTrail.
func (c *Client) Trail(ctx context.Context, bundle string, opt TrailOptions) ([]byte, error) {
	path := "/v1/bundles/" + url.PathEscape(bundle) + "/trail"
	q := url.Values{}
	if opt.ConsistencyFrom != 0 {
		q.Set("consistency_from", strconv.FormatUint(opt.ConsistencyFrom, 10))
	}
	if opt.Size != 0 {
		q.Set("size", strconv.FormatUint(opt.Size, 10))
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.getBytes(ctx, path, custody.MaxTrailBytes)
}

// Identifiers fetches the identifiers found in each document of a bundle (legal staff; the
// server records the read).
func (c *Client) Identifiers(ctx context.Context, bundle string) ([]pipeline.DocumentIdentifiers, error) {
	var v struct {
		Documents []pipeline.DocumentIdentifiers `json:"documents"`
	}
	if err := c.getJSON(ctx, "/v1/bundles/"+url.PathEscape(bundle)+"/identifiers", &v); err != nil {
		return nil, err
	}
	return v.Documents, nil
}

// Verification is the server's own check of a bundle's trail with its key.
type Verification struct {
	Bundle   string          `json:"bundle"`
	Verified bool            `json:"verified"`
	Error    string          `json:"error,omitempty"`
	Report   *custody.Report `json:"report,omitempty"`
}

// Verification asks the server to verify a bundle's trail (GET /v1/bundles/{id}/verification).
// A trail that does not verify is no error: Verified is false and Error says why. Only an
// offline check (custody.VerifyTrail with a key you trust) proves anything to a third party.
func (c *Client) Verification(ctx context.Context, bundle string) (*Verification, error) {
	var v Verification
	if err := c.getJSON(ctx, "/v1/bundles/"+url.PathEscape(bundle)+"/verification", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ReportInfo describes a report PDF the server rendered.
type ReportInfo struct {
	TrailSHA256 string // SHA-256 of the trail the report renders (header X-Evx-Trail-Sha256)
	Verified    bool   // the trail verified with the server's key (header X-Evx-Verified)
}

// Report writes the report PDF of a bundle's trail as exported now to w
// (GET /v1/bundles/{id}/report).
func (c *Client) Report(ctx context.Context, bundle string, w io.Writer) (*ReportInfo, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/bundles/"+url.PathEscape(bundle)+"/report", nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	info := &ReportInfo{TrailSHA256: resp.Header.Get("X-Evx-Trail-Sha256"), Verified: resp.Header.Get("X-Evx-Verified") == "true"}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return nil, err
	}
	return info, nil
}

// Deliveries lists the caller's deliveries, oldest first (GET /v1/deliveries). The ids are
// the server's: check them with CheckDeliveryID before using one as a file name.
func (c *Client) Deliveries(ctx context.Context) ([]pipeline.Delivery, error) {
	var v struct {
		Deliveries []pipeline.Delivery `json:"deliveries"`
	}
	if err := c.getJSON(ctx, "/v1/deliveries", &v); err != nil {
		return nil, err
	}
	return v.Deliveries, nil
}

// Manifest returns one of the caller's deliveries: its documents with their recorded hashes
// and the signed consignment event (GET /v1/deliveries/{id}).
func (c *Client) Manifest(ctx context.Context, delivery string) (*pipeline.Manifest, error) {
	var m pipeline.Manifest
	if err := c.getJSON(ctx, "/v1/deliveries/"+url.PathEscape(delivery), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Document is a document's bytes as the server sends them.
type Document struct {
	Body io.ReadCloser
	// Size is the length the server announced (Content-Length), -1 when it announced none.
	// A body that ends early reads as io.ErrUnexpectedEOF.
	Size int64
	// SHA256 is the hash the server says the document has (header X-Evx-Sha256): a claim,
	// to compare with the manifest's record and with the hash of what arrived.
	SHA256 string
	// Offset is the byte of the document Body starts at: the offset DocumentFrom asked for
	// when the server answered with that range (206), 0 when it sent the whole document.
	Offset int64
}

// Document fetches a document of a delivery (GET /v1/deliveries/{id}/documents/{name}); the
// caller closes Body. The server records the access (ContentAccessTracking).
func (c *Client) Document(ctx context.Context, delivery, name string) (*Document, error) {
	return c.DocumentFrom(ctx, delivery, name, 0)
}

// RangeError is a 206 answer whose range is not the one asked for.
type RangeError struct {
	Asked int64
	Got   string // the Content-Range header
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("asked for the bytes from %d on, the server answered the range %q", e.Asked, e.Got)
}

// DocumentFrom is Document from byte offset on (Range: bytes=OFFSET-), to resume a download
// that stopped there. A server that ignores the range sends the whole document (Offset 0); a
// 206 answer for another range is a *RangeError. A document's presigned S3 URL honours the
// range as evx serve does.
func (c *Client) DocumentFrom(ctx context.Context, delivery, name string, offset int64) (*Document, error) {
	var hdr http.Header
	if offset > 0 {
		hdr = http.Header{"Range": {"bytes=" + strconv.FormatInt(offset, 10) + "-"}}
	}
	resp, err := c.doWith(ctx, http.MethodGet, "/v1/deliveries/"+url.PathEscape(delivery)+"/documents/"+escapePath(name), nil, 0, hdr)
	if err != nil {
		return nil, err
	}
	d := &Document{Body: resp.Body, Size: resp.ContentLength, SHA256: resp.Header.Get("X-Evx-Sha256")}
	if resp.StatusCode == http.StatusPartialContent {
		cr := resp.Header.Get("Content-Range")
		if !rangeFromOffset(cr, offset) {
			resp.Body.Close()
			return nil, &RangeError{Asked: offset, Got: cr}
		}
		d.Offset = offset
	}
	return d, nil
}

// rangeFromOffset reports whether Content-Range cr is "bytes OFFSET-LAST/SIZE" with LAST the
// document's last byte, written exactly so: the rest of the document from offset on.
func rangeFromOffset(cr string, offset int64) bool {
	var from, to, total int64
	n, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &from, &to, &total)
	return offset > 0 && err == nil && n == 3 && from == offset && to == total-1 && from <= to &&
		cr == fmt.Sprintf("bytes %d-%d/%d", from, to, total)
}

// PostReceipt posts the caller's receipt for a delivery (POST /v1/deliveries/{id}/receipt)
// and returns evx's signed receipt; check it with pipeline.VerifyReceipt. A delivery that
// already has its outcome is an *APIError with status 409: fetch the stored receipt with
// Receipt.
func (c *Client) PostReceipt(ctx context.Context, delivery string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/v1/deliveries/"+url.PathEscape(delivery)+"/receipt", bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, err
	}
	var rc pipeline.Receipt
	if err := decodeBody(resp, &rc); err != nil {
		return nil, err
	}
	return &rc, nil
}

// Receipt fetches the signed receipt stored for a delivery already answered
// (GET /v1/deliveries/{id}/receipt), e.g. when the answer to PostReceipt was lost. A server
// that does not serve stored receipts answers 404 or 405 (an *APIError).
func (c *Client) Receipt(ctx context.Context, delivery string) (*pipeline.Receipt, error) {
	var rc pipeline.Receipt
	if err := c.getJSON(ctx, "/v1/deliveries/"+url.PathEscape(delivery)+"/receipt", &rc); err != nil {
		return nil, err
	}
	return &rc, nil
}

// Checkpoint returns the latest signed checkpoint of the custody log (GET /v1/checkpoint),
// in the note format custody.OpenCheckpoint reads.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.getBytes(ctx, "/v1/checkpoint", 1<<20)
}

// PublicKeyPEM returns evx's public key as the server gives it (GET /v1/public-key).
func (c *Client) PublicKeyPEM(ctx context.Context) ([]byte, error) {
	return c.getBytes(ctx, "/v1/public-key", 64<<10)
}

// PublicKey returns evx's public key as the server gives it, parsed. A key that matters
// (to verify a trail for a court) should come from elsewhere too: a server can lie about it.
func (c *Client) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	pemBytes, err := c.PublicKeyPEM(ctx)
	if err != nil {
		return nil, err
	}
	pub, err := custody.ParsePublicKeyPEM(pemBytes)
	if err != nil {
		return nil, &ResponseError{Method: http.MethodGet, URL: c.base.String() + "/v1/public-key", Err: err}
	}
	return pub, nil
}

func (c *Client) getBytes(ctx context.Context, path string, limit int64) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, path, nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := readLimited(resp.Body, limit)
	if err != nil {
		return nil, &ResponseError{Method: http.MethodGet, URL: c.base.String() + path, Err: err}
	}
	return b, nil
}
