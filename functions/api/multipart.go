package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

// Limits of a resumable upload on AWS: S3's own floor for a part but the last (5 MiB); the
// rest as evx serve's defaults, but a bag of up to 1 TiB. multipart.Plan checks them.
const (
	MinPart        = 5 << 20
	MaxPart        = 256 << 20
	MaxParts       = 10000
	MaxBag         = 1 << 40 // 1 TiB
	MaxOpenUploads = 8
	MaxUploadBody  = 4 << 10 // the JSON of a create request
	// PartURLTTL is how long a presigned part URL stays valid: clients ask for a window of
	// parts at a time, shortly before they send them.
	PartURLTTL = time.Hour
	// UploadTTL is how long S3 keeps an incomplete upload: the uploads bucket's lifecycle
	// (AbortIncompleteMultipartUpload) counts it from the upload's creation.
	UploadTTL      = 7 * 24 * time.Hour
	uploadKeyInfix = "incoming/api/"
)

// Limits are the multipart.Limits the api function applies.
var Limits = multipart.Limits{MinPartSize: MinPart, MaxPartSize: MaxPart, MaxParts: MaxParts, MaxSize: MaxBag, MaxOpen: MaxOpenUploads, TTL: UploadTTL}

type multipartAPI interface {
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(ctx context.Context, in *s3.ListMultipartUploadsInput, optFns ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
	ListParts(ctx context.Context, in *s3.ListPartsInput, optFns ...func(*s3.Options)) (*s3.ListPartsOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

type partPresigner interface {
	PresignUploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var (
	_ multipartAPI  = (*s3.Client)(nil)
	_ partPresigner = (*s3.PresignClient)(nil)
)

// Multipart is the AWS side of the resumable upload protocol (docs/uploads.md), the one
// evx serve speaks: the same requests and answers, with S3 multipart upload holding the parts.
//
//	POST   /v1/uploads                {"size", "sha256", "part_size"}  201 (200 resumed) the upload
//	GET    /v1/uploads/{id}           the upload, with the parts held (ListParts)
//	POST   /v1/uploads/{id}/parts     {"parts": [{"n", "sha256"}]}    where to PUT each part: a
//	                                  presigned UploadPart URL signing its length and SHA-256
//	POST   /v1/uploads/{id}/complete  CompleteMultipartUpload; 202 {"bundle"} as POST /v1/bundles
//	DELETE /v1/uploads/{id}           AbortMultipartUpload; 204
//
// Nothing is kept beside S3. The upload's id names the bag: its SHA-256, size and part size
// ("SHA256.SIZE.PART_SIZE"), and its object key is derived from the caller's subject and the
// id, so one uploader's id names nothing of another's (404), and asking again for an upload of
// the same bag finds the one open at that key (ListMultipartUploads): the resume-by-same-bag
// rule of evx serve. Parts pass through S3 only, never through the function (a Lambda
// request carries at most 6 MB). S3 keeps no SHA-256 of a multipart object as a whole, so
// completion cannot check the declared one: every part is checked by S3 against the SHA-256
// its URL signs, and the bag's manifest member by member by ingest.
type Multipart struct {
	S3      multipartAPI
	Presign partPresigner
	Bucket  string // the uploads bucket
	// Submit records the completed bag as an upload of uploader (awsenv.Env.Submit).
	Submit func(ctx context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error)
	Clock  pipeline.Clock
}

var (
	uploadID    = regexp.MustCompile(`^([0-9a-f]{64})\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,15})$`)
	uploadRoute = regexp.MustCompile(`^/v1/uploads/([^/]{1,128})(/parts|/complete)?$`)
)

// checksum turns a hex SHA-256 into the base64 S3 wants.
func checksum(h string) string {
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b)
}

// hexChecksum turns S3's base64 SHA-256 back into hex ("" when S3 lists none).
func hexChecksum(b64 string) string {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != sha256.Size {
		return ""
	}
	return hex.EncodeToString(b)
}

// key is the object key of upload id for subject.
func key(subject, id string) string {
	s := sha256.Sum256([]byte(subject))
	return uploadKeyInfix + hex.EncodeToString(s[:8]) + "/" + id + ".bag"
}

// subjectPrefix is where subject's uploads lie.
func subjectPrefix(subject string) string {
	s := sha256.Sum256([]byte(subject))
	return uploadKeyInfix + hex.EncodeToString(s[:8]) + "/"
}

// parseID returns the layout an upload id names; ok false for an id no upload can have.
func parseID(id string) (*multipart.Upload, bool) {
	m := uploadID.FindStringSubmatch(id)
	if m == nil {
		return nil, false
	}
	size, err1 := strconv.ParseInt(m[2], 10, 64)
	ps, err2 := strconv.ParseInt(m[3], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	n, err := multipart.Plan(size, m[1], ps, Limits)
	if err != nil {
		return nil, false
	}
	return &multipart.Upload{ID: id, Size: size, SHA256: m[1], PartSize: ps, Parts: n}, true
}

// open finds the S3 upload open at key: the oldest, when two requests created one each.
func (m *Multipart) open(ctx context.Context, k string) (*types.MultipartUpload, error) {
	out, err := m.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &m.Bucket, Prefix: &k})
	if err != nil {
		return nil, fmt.Errorf("list multipart uploads: %w", err)
	}
	var found *types.MultipartUpload
	for i, u := range out.Uploads {
		if aws.ToString(u.Key) != k {
			continue
		}
		if found == nil || aws.ToTime(u.Initiated).Before(aws.ToTime(found.Initiated)) {
			found = &out.Uploads[i]
		}
	}
	if found == nil {
		return nil, multipart.ErrNotFound
	}
	return found, nil
}

// held lists the parts S3 holds of an upload (ListParts, every page).
func (m *Multipart) held(ctx context.Context, k, s3id string) ([]types.Part, error) {
	var parts []types.Part
	var marker *string
	for page := 0; page <= MaxParts/1000+1; page++ {
		out, err := m.S3.ListParts(ctx, &s3.ListPartsInput{Bucket: &m.Bucket, Key: &k, UploadId: &s3id, PartNumberMarker: marker})
		if err != nil {
			return nil, fmt.Errorf("list parts: %w", err)
		}
		parts = append(parts, out.Parts...)
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextPartNumberMarker) == "" {
			break
		}
		marker = out.NextPartNumberMarker
	}
	sort.Slice(parts, func(i, j int) bool { return aws.ToInt32(parts[i].PartNumber) < aws.ToInt32(parts[j].PartNumber) })
	return parts, nil
}

// describe is the upload u as the protocol answers it, with the parts S3 holds.
func (m *Multipart) describe(ctx context.Context, u *multipart.Upload, k string, open *types.MultipartUpload) (*multipart.Upload, error) {
	parts, err := m.held(ctx, k, aws.ToString(open.UploadId))
	if err != nil {
		return nil, err
	}
	u.Created = aws.ToTime(open.Initiated).UTC()
	u.Expires = u.Created.Add(UploadTTL)
	u.Held = []multipart.Part{}
	for _, p := range parts {
		n := int(aws.ToInt32(p.PartNumber))
		if n >= 1 && n <= u.Parts {
			u.Held = append(u.Held, multipart.Part{N: n, Size: aws.ToInt64(p.Size), SHA256: hexChecksum(aws.ToString(p.ChecksumSHA256))})
		}
	}
	return u, nil
}

// Create opens an upload of the bag req names, or finds the one open for the same bag.
func (m *Multipart) Create(ctx context.Context, subject string, req multipart.CreateRequest) (*multipart.Upload, error) {
	n, err := multipart.Plan(req.Size, req.SHA256, req.PartSize, Limits)
	if err != nil {
		return nil, err
	}
	u := &multipart.Upload{ID: fmt.Sprintf("%s.%d.%d", req.SHA256, req.Size, req.PartSize), Size: req.Size, SHA256: req.SHA256, PartSize: req.PartSize, Parts: n}
	k := key(subject, u.ID)
	if open, err := m.open(ctx, k); err == nil {
		u.Resumed = true
		return m.describe(ctx, u, k, open)
	} else if !errors.Is(err, multipart.ErrNotFound) {
		return nil, err
	}
	prefix := subjectPrefix(subject)
	out, err := m.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &m.Bucket, Prefix: &prefix, MaxUploads: aws.Int32(100)})
	if err != nil {
		return nil, fmt.Errorf("list multipart uploads: %w", err)
	}
	keys := map[string]bool{}
	for _, o := range out.Uploads {
		keys[aws.ToString(o.Key)] = true
	}
	if len(keys) >= MaxOpenUploads {
		return nil, &multipart.LimitError{Field: "open uploads", Got: int64(len(keys)), Limit: MaxOpenUploads}
	}
	if _, err := m.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &m.Bucket, Key: &k,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ContentType: aws.String("application/octet-stream")}); err != nil {
		return nil, fmt.Errorf("create multipart upload: %w", err)
	}
	open, err := m.open(ctx, k) // the oldest: the same for two requests that raced
	if err != nil {
		return nil, err
	}
	return m.describe(ctx, u, k, open)
}

// Get returns subject's upload id with the parts S3 holds.
func (m *Multipart) Get(ctx context.Context, subject, id string) (*multipart.Upload, *types.MultipartUpload, error) {
	u, ok := parseID(id)
	if !ok {
		return nil, nil, multipart.ErrNotFound
	}
	k := key(subject, id)
	open, err := m.open(ctx, k)
	if err != nil {
		return nil, nil, err
	}
	u, err = m.describe(ctx, u, k, open)
	return u, open, err
}

// Targets presigns an UploadPart URL for each part asked, signing its number, its length and
// its SHA-256 (x-amz-checksum-sha256): S3 refuses other bytes (BadDigest) and other lengths.
func (m *Multipart) Targets(ctx context.Context, subject, id string, body []byte) (*multipart.Targets, error) {
	u, ok := parseID(id)
	if !ok {
		return nil, multipart.ErrNotFound
	}
	k := key(subject, id)
	open, err := m.open(ctx, k)
	if err != nil {
		return nil, err
	}
	req, err := multipart.ParseTargetsRequest(body, u)
	if err != nil {
		return nil, err
	}
	expires := m.Clock().Add(PartURLTTL).UTC().Truncate(time.Second)
	out := &multipart.Targets{Parts: make([]multipart.Target, len(req.Parts))}
	for i, p := range req.Parts {
		n := int32(p.N)
		ps, err := m.Presign.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: &m.Bucket, Key: &k, UploadId: open.UploadId, PartNumber: &n,
			ContentLength: aws.Int64(u.PartLen(p.N)), ChecksumSHA256: aws.String(checksum(p.SHA256))}, s3.WithPresignExpires(PartURLTTL))
		if err != nil {
			return nil, fmt.Errorf("presign part %d: %w", n, err)
		}
		hdr := map[string]string{}
		for name, v := range ps.SignedHeader {
			// Host and the length go with the request itself (a browser may not set them).
			if !strings.EqualFold(name, "host") && !strings.EqualFold(name, "content-length") {
				hdr[strings.ToLower(name)] = strings.Join(v, ",")
			}
		}
		out.Parts[i] = multipart.Target{N: p.N, Method: http.MethodPut, URL: ps.URL, Headers: hdr, Expires: expires}
	}
	return out, nil
}

// Complete assembles the parts and records the bag as subject's upload. An upload completed
// already (a client that lost the answer asks again) answers the same bundle.
func (m *Multipart) Complete(ctx context.Context, subject, id string) (string, error) {
	u, ok := parseID(id)
	if !ok {
		return "", multipart.ErrNotFound
	}
	k := key(subject, id)
	open, err := m.open(ctx, k)
	if errors.Is(err, multipart.ErrNotFound) {
		head, herr := m.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &m.Bucket, Key: &k})
		if herr != nil || aws.ToInt64(head.ContentLength) != u.Size {
			return "", multipart.ErrNotFound
		}
		up, err := m.Submit(ctx, m.Bucket, k, aws.ToString(head.VersionId), subject, u.Size)
		return up.BundleID, err
	}
	if err != nil {
		return "", err
	}
	parts, err := m.held(ctx, k, aws.ToString(open.UploadId))
	if err != nil {
		return "", err
	}
	byN := make(map[int]types.Part, len(parts))
	for _, p := range parts {
		byN[int(aws.ToInt32(p.PartNumber))] = p
	}
	var missing []int
	done := make([]types.CompletedPart, 0, u.Parts)
	for n := 1; n <= u.Parts; n++ {
		p, ok := byN[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		if got := aws.ToInt64(p.Size); got != u.PartLen(n) {
			return "", &multipart.PartSizeError{N: n, Want: u.PartLen(n), Got: got}
		}
		done = append(done, types.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256})
	}
	if len(missing) > 0 {
		return "", &multipart.IncompleteError{Missing: missing}
	}
	out, err := m.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &m.Bucket, Key: &k, UploadId: open.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		return "", fmt.Errorf("complete multipart upload: %w", err)
	}
	if got := aws.ToString(out.Key); got != "" && got != k {
		return "", fmt.Errorf("completed upload lies at %s, not %s: %w", got, k, multipart.ErrNotFound)
	}
	up, err := m.Submit(ctx, m.Bucket, k, aws.ToString(out.VersionId), subject, u.Size)
	if err != nil {
		return "", err
	}
	return up.BundleID, nil
}

// Abort removes subject's upload id and its parts (every S3 upload open at its key).
func (m *Multipart) Abort(ctx context.Context, subject, id string) error {
	if _, ok := parseID(id); !ok {
		return multipart.ErrNotFound
	}
	k := key(subject, id)
	out, err := m.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &m.Bucket, Prefix: &k})
	if err != nil {
		return fmt.Errorf("list multipart uploads: %w", err)
	}
	found := false
	for _, o := range out.Uploads {
		if aws.ToString(o.Key) != k {
			continue
		}
		found = true
		if _, err := m.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &m.Bucket, Key: &k, UploadId: o.UploadId}); err != nil && !noSuchUpload(err) {
			return fmt.Errorf("abort multipart upload: %w", err)
		}
	}
	if !found {
		return multipart.ErrNotFound
	}
	return nil
}

// noSuchUpload reports whether err is S3's NoSuchUpload: an upload id unknown under that key
// (completed or aborted meanwhile). Some operations do not model the error, so the SDK
// returns it as a generic API error with its code.
func noSuchUpload(err error) bool {
	var nu *types.NoSuchUpload
	var ae smithy.APIError
	return errors.As(err, &nu) || errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload"
}

// decodeCreate reads the body of POST /v1/uploads: at most MaxUploadBody bytes of one JSON
// object with no unknown member.
func decodeCreate(body []byte) (multipart.CreateRequest, error) {
	var req multipart.CreateRequest
	if len(body) > MaxUploadBody {
		return req, &multipart.LimitError{Field: "request body bytes", Got: int64(len(body)), Limit: MaxUploadBody}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, &multipart.InvalidError{Reason: `want {"size": BYTES, "sha256": HEX, "part_size": BYTES}: ` + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, &multipart.InvalidError{Reason: "one JSON object, nothing after it"}
	}
	return req, nil
}

func jsonAnswer(code int, v any, hdr ...string) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	h := map[string]string{"Content-Type": "application/json"}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: code, Headers: h, Body: string(b)}
}

// upload serves the resumable upload protocol under /v1/uploads for an uploader.
func (h *Handler) upload(req *http.Request, body []byte) (events.APIGatewayV2HTTPResponse, bool) {
	p := req.URL.Path
	if p != "/v1/uploads" && !strings.HasPrefix(p, "/v1/uploads/") {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	if h.Uploads == nil {
		return jsonError(http.StatusNotFound, "resumable uploads are not served here"), true
	}
	var id, sub string
	if p != "/v1/uploads" {
		m := uploadRoute.FindStringSubmatch(p)
		if m == nil {
			return jsonError(http.StatusNotFound, "no such upload route"), true
		}
		id, sub = m[1], m[2]
	}
	allowed := []string{http.MethodPost}
	if id != "" && sub == "" {
		allowed = []string{http.MethodGet, http.MethodDelete}
	}
	if !slices.Contains(allowed, req.Method) {
		r := jsonError(http.StatusMethodNotAllowed, "use "+strings.Join(allowed, " or "))
		r.Headers["Allow"] = strings.Join(allowed, ", ")
		return r, true
	}
	who, ok := h.Claims.Authenticate(req)
	if !ok {
		return jsonError(http.StatusUnauthorized, "no valid credentials"), true
	}
	if who.Role != api.RoleUploader {
		return jsonError(http.StatusForbidden, "only an uploader may upload"), true
	}
	ctx, m := req.Context(), h.Uploads
	var err error
	switch {
	case id == "":
		var cr multipart.CreateRequest
		if cr, err = decodeCreate(body); err == nil {
			var u *multipart.Upload
			if u, err = m.Create(ctx, who.Subject, cr); err == nil {
				code := http.StatusCreated
				if u.Resumed {
					code = http.StatusOK
				}
				return jsonAnswer(code, u, "Location", "/v1/uploads/"+u.ID), true
			}
		}
	case sub == "" && req.Method == http.MethodGet:
		var u *multipart.Upload
		if u, _, err = m.Get(ctx, who.Subject, id); err == nil {
			return jsonAnswer(http.StatusOK, u), true
		}
	case sub == "":
		if err = m.Abort(ctx, who.Subject, id); err == nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent}, true
		}
	case sub == "/parts":
		var t *multipart.Targets
		if t, err = m.Targets(ctx, who.Subject, id, body); err == nil {
			return jsonAnswer(http.StatusOK, t), true
		}
	default:
		var bundle string
		if bundle, err = m.Complete(ctx, who.Subject, id); err == nil {
			// As POST /v1/bundles answers here: stored, and processed by ingest from S3's event.
			return jsonAnswer(http.StatusAccepted, map[string]string{"bundle": bundle}, "Location", "/v1/bundles/"+bundle), true
		}
	}
	return uploadError(id, err), true
}

// uploadError answers the protocol's typed errors as evx serve does (multipart.Status).
func uploadError(id string, err error) events.APIGatewayV2HTTPResponse {
	if noSuchUpload(err) {
		err = multipart.ErrNotFound
	}
	if status, msg, ok := multipart.Status(id, err); ok {
		return jsonError(status, msg)
	}
	return jsonError(http.StatusBadGateway, "the upload cannot be handled now; try again")
}
