package multipart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The part step of the protocol (docs/uploads.md). A client does not assume where a part
// goes: it names the parts it is about to send, with their SHA-256, in
// POST /v1/uploads/{id}/parts, and the server answers one Target per part. evx serve answers
// its own PUT /v1/uploads/{id}/parts/{n} with HeaderPartSHA256; the api function on AWS a
// presigned S3 UploadPart URL whose signed headers hold the part's length and SHA-256, since
// a Lambda request carries at most 6 MB. One client speaks to both.

// MaxTargets bounds the parts named in one POST /v1/uploads/{id}/parts; a client asks for a
// window of parts at a time, so that presigned URLs do not expire under a long upload.
const MaxTargets = 100

// MaxTargetsBody bounds the JSON body of POST /v1/uploads/{id}/parts (MaxTargets parts of
// about 90 bytes each, with room for spaces).
const MaxTargetsBody = 32 << 10

// TargetsRequest is the body of POST /v1/uploads/{id}/parts.
type TargetsRequest struct {
	Parts []PartSum `json:"parts"`
}

// PartSum names a part to send and its SHA-256 (lowercase hex).
type PartSum struct {
	N      int    `json:"n"`
	SHA256 string `json:"sha256"`
}

// Target is where and how to send one part.
type Target struct {
	N      int    `json:"n"`
	Method string `json:"method"` // always PUT
	// URL is either a path of the API (it starts with "/", as "/v1/uploads/{id}/parts/3"):
	// send it to the API with the caller's credentials; or an absolute https (or, for a
	// loopback test, http) URL that carries its own authorization (a presigned URL): send it
	// there with no credentials of the caller's, only Headers.
	URL string `json:"url"`
	// Headers must be sent as given (with the part's bytes as the body, and its length);
	// they may be covered by the URL's signature.
	Headers map[string]string `json:"headers"`
	// Expires is when URL stops working; ask for the target again after it.
	Expires time.Time `json:"expires"`
}

// Targets is the answer of POST /v1/uploads/{id}/parts, in the order asked.
type Targets struct {
	Parts []Target `json:"parts"`
}

// ParseTargetsRequest reads the body of POST /v1/uploads/{id}/parts for u: at most
// MaxTargetsBody bytes of JSON with no unknown member, 1 to MaxTargets parts, each numbered
// within u's layout, none twice, each with a SHA-256 in lowercase hex. Errors are
// *InvalidError, or *LimitError for too many parts or too large a body.
func ParseTargetsRequest(raw []byte, u *Upload) (TargetsRequest, error) {
	var req TargetsRequest
	if len(raw) > MaxTargetsBody {
		return req, &LimitError{Field: "request body bytes", Got: int64(len(raw)), Limit: MaxTargetsBody}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return TargetsRequest{}, &InvalidError{Reason: `want {"parts": [{"n": N, "sha256": HEX}, ...]}: ` + err.Error()}
	}
	if dec.More() {
		return TargetsRequest{}, &InvalidError{Reason: "one JSON object, nothing after it"}
	}
	if len(req.Parts) == 0 {
		return TargetsRequest{}, &InvalidError{Reason: "parts: name at least one part"}
	}
	if len(req.Parts) > MaxTargets {
		return TargetsRequest{}, &LimitError{Field: "parts asked at once", Got: int64(len(req.Parts)), Limit: MaxTargets}
	}
	seen := make(map[int]bool, len(req.Parts))
	for _, p := range req.Parts {
		if p.N < 1 || p.N > u.Parts {
			return TargetsRequest{}, &InvalidError{Reason: fmt.Sprintf("part %d: this upload has parts 1 to %d", p.N, u.Parts)}
		}
		if seen[p.N] {
			return TargetsRequest{}, &InvalidError{Reason: fmt.Sprintf("part %d named twice", p.N)}
		}
		seen[p.N] = true
		if !ValidSum(p.SHA256) {
			return TargetsRequest{}, &InvalidError{Reason: fmt.Sprintf("part %d: sha256 wants 64 lowercase hex digits", p.N)}
		}
	}
	return req, nil
}
