package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
)

// Limits of a presigned multipart upload (S3's own: parts of 5 MiB to 5 GiB but the last,
// at most 10,000 of them), and of what evx takes in one bag.
const (
	MinPart        = 5 << 20
	MaxPart        = 5 << 30
	MaxParts       = 10000
	MaxBag         = 1 << 40 // 1 TiB
	MaxUploadBody  = 1 << 20 // the JSON of a start or complete request
	UploadURLsTTL  = 12 * time.Hour
	uploadKeyInfix = "incoming/api/"
)

type multipartAPI interface {
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
}

type partPresigner interface {
	PresignUploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var (
	_ multipartAPI  = (*s3.Client)(nil)
	_ partPresigner = (*s3.PresignClient)(nil)
)

// Multipart is the AWS side of large uploads: the bag goes straight to the uploads bucket in
// parts, each through a presigned UploadPart URL that carries the part's SHA-256 as a signed
// header (S3 refuses a part whose bytes do not hash to it), and the whole is completed by the
// api function, which records the upload as the caller's before S3's event reaches ingest.
//
//	POST /v1/uploads                {"parts":[{"size":N,"sha256":"hex"},...]}
//	  201 {"upload":"ID","upload_id":"S3 id","parts":[{"number":1,"url":"...","headers":{...}}],"expires":"..."}
//	POST /v1/uploads/{ID}/complete  {"upload_id":"S3 id","parts":[{"number":1,"etag":"...","sha256":"hex"},...]}
//	  201 {"bundle":"..."}
//
// The object key is derived from the caller's subject and ID, so one uploader cannot complete
// another's upload. Parts not completed are removed by the bucket's lifecycle after 7 days.
type Multipart struct {
	S3      multipartAPI
	Presign partPresigner
	Bucket  string // the uploads bucket
	// Submit records the completed bag as an upload of uploader (awsenv.Env.Submit).
	Submit func(ctx context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error)
	Clock  pipeline.Clock
}

// UploadRequestError is a start or complete request evx refuses; it names what is wrong.
type UploadRequestError struct{ Reason string }

func (e *UploadRequestError) Error() string { return "upload request: " + e.Reason }

type startRequest struct {
	Parts []struct {
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"parts"`
}

type completeRequest struct {
	UploadID string `json:"upload_id"`
	Parts    []struct {
		Number int32  `json:"number"`
		ETag   string `json:"etag"`
		SHA256 string `json:"sha256"`
	} `json:"parts"`
}

// PresignedPart is one part's URL and the headers its PUT must carry.
type PresignedPart struct {
	Number  int32             `json:"number"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

var (
	hexSHA256  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uploadPath = regexp.MustCompile(`^/v1/uploads/([0-9a-f]{32})/complete$`)
)

// checksum turns a hex SHA-256 into the base64 S3 wants.
func checksum(h string) (string, error) {
	if !hexSHA256.MatchString(h) {
		return "", &UploadRequestError{Reason: fmt.Sprintf("sha256 %q: want 64 lowercase hex digits", h)}
	}
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b), nil
}

// key is the object key of upload id for subject.
func key(subject, id string) string {
	s := sha256.Sum256([]byte(subject))
	return uploadKeyInfix + hex.EncodeToString(s[:8]) + "/" + id + ".bag"
}

func decode(body []byte, v any) error {
	if len(body) > MaxUploadBody {
		return &UploadRequestError{Reason: fmt.Sprintf("body larger than %d bytes", MaxUploadBody)}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &UploadRequestError{Reason: "body: " + err.Error()}
	}
	return nil
}

// Start creates the multipart upload and presigns its parts.
func (m *Multipart) Start(ctx context.Context, subject string, body []byte) (map[string]any, error) {
	var req startRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.Parts) == 0 || len(req.Parts) > MaxParts {
		return nil, &UploadRequestError{Reason: fmt.Sprintf("%d parts: want 1 to %d", len(req.Parts), MaxParts)}
	}
	var total int64
	sums := make([]string, len(req.Parts))
	for i, p := range req.Parts {
		if p.Size < 1 || p.Size > MaxPart || (p.Size < MinPart && i < len(req.Parts)-1) {
			return nil, &UploadRequestError{Reason: fmt.Sprintf("part %d of %d bytes: want %d to %d (the last may be smaller)", i+1, p.Size, MinPart, MaxPart)}
		}
		total += p.Size
		sum, err := checksum(p.SHA256)
		if err != nil {
			return nil, err
		}
		sums[i] = sum
	}
	if total > MaxBag {
		return nil, &UploadRequestError{Reason: fmt.Sprintf("%d bytes in all, more than %d", total, int64(MaxBag))}
	}
	var rb [16]byte
	rand.Read(rb[:])
	id := hex.EncodeToString(rb[:])
	k := key(subject, id)
	out, err := m.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &m.Bucket, Key: &k,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ContentType: aws.String("application/octet-stream")})
	if err != nil {
		return nil, fmt.Errorf("create multipart upload: %w", err)
	}
	parts := make([]PresignedPart, len(req.Parts))
	for i, p := range req.Parts {
		n := int32(i + 1)
		ps, err := m.Presign.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: &m.Bucket, Key: &k, UploadId: out.UploadId, PartNumber: &n,
			ContentLength: aws.Int64(p.Size), ChecksumSHA256: &sums[i]}, s3.WithPresignExpires(UploadURLsTTL))
		if err != nil {
			return nil, fmt.Errorf("presign part %d: %w", n, err)
		}
		hdr := map[string]string{}
		for name, v := range ps.SignedHeader {
			if !strings.EqualFold(name, "host") {
				hdr[strings.ToLower(name)] = strings.Join(v, ",")
			}
		}
		parts[i] = PresignedPart{Number: n, URL: ps.URL, Headers: hdr}
	}
	return map[string]any{"upload": id, "upload_id": aws.ToString(out.UploadId), "parts": parts,
		"expires": m.Clock().Add(UploadURLsTTL).UTC().Format(time.RFC3339)}, nil
}

// Complete assembles the parts and records the upload as subject's.
func (m *Multipart) Complete(ctx context.Context, subject, id string, body []byte) (map[string]any, error) {
	var req completeRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.UploadID == "" || len(req.UploadID) > 1024 {
		return nil, &UploadRequestError{Reason: "upload_id: want the id Start returned"}
	}
	if len(req.Parts) == 0 || len(req.Parts) > MaxParts {
		return nil, &UploadRequestError{Reason: fmt.Sprintf("%d parts: want 1 to %d", len(req.Parts), MaxParts)}
	}
	done := make([]types.CompletedPart, len(req.Parts))
	for i, p := range req.Parts {
		if p.Number != int32(i+1) {
			return nil, &UploadRequestError{Reason: fmt.Sprintf("part %d numbered %d: list the parts in order from 1", i+1, p.Number)}
		}
		if p.ETag == "" || len(p.ETag) > 128 {
			return nil, &UploadRequestError{Reason: fmt.Sprintf("part %d: want the ETag S3 returned", i+1)}
		}
		sum, err := checksum(p.SHA256)
		if err != nil {
			return nil, err
		}
		done[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag), ChecksumSHA256: aws.String(sum)}
	}
	k := key(subject, id)
	out, err := m.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &m.Bucket, Key: &k, UploadId: &req.UploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		return nil, fmt.Errorf("complete multipart upload: %w", err)
	}
	if got := aws.ToString(out.Key); got != "" && got != k {
		// S3 completes an upload only under the key it was started for; a store that does not
		// check (moto) must not let one uploader's completion become another's bag.
		return nil, fmt.Errorf("completed upload lies at %s, not %s: %w", got, k, &types.NoSuchUpload{})
	}
	u, err := m.Submit(ctx, m.Bucket, k, aws.ToString(out.VersionId), subject, 0)
	if err != nil {
		return nil, err
	}
	return map[string]any{"bundle": u.BundleID}, nil
}

// noSuchUpload reports whether err is S3's NoSuchUpload: an upload id unknown under that key
// (another uploader's, completed or aborted). CompleteMultipartUpload does not model the
// error, so the SDK returns it as a generic API error with its code.
func noSuchUpload(err error) bool {
	var nu *types.NoSuchUpload
	var ae smithy.APIError
	return errors.As(err, &nu) || errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload"
}

// upload serves POST /v1/uploads and POST /v1/uploads/{id}/complete for an uploader.
func (h *Handler) upload(req *http.Request, body []byte) (events.APIGatewayV2HTTPResponse, bool) {
	p := req.URL.Path
	if !strings.HasPrefix(p, "/v1/uploads") || p != "/v1/uploads" && !strings.HasPrefix(p, "/v1/uploads/") {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	if h.Uploads == nil {
		return jsonError(http.StatusNotFound, "large uploads are not served here"), true
	}
	if req.Method != http.MethodPost {
		return jsonError(http.StatusMethodNotAllowed, "use POST"), true
	}
	id, ok := h.Claims.Authenticate(req)
	if !ok {
		return jsonError(http.StatusUnauthorized, "no valid credentials"), true
	}
	if id.Role != api.RoleUploader {
		return jsonError(http.StatusForbidden, "only an uploader may upload"), true
	}
	var out map[string]any
	var err error
	if p == "/v1/uploads" {
		out, err = h.Uploads.Start(req.Context(), id.Subject, body)
	} else if m := uploadPath.FindStringSubmatch(p); m != nil {
		out, err = h.Uploads.Complete(req.Context(), id.Subject, m[1], body)
	} else {
		return jsonError(http.StatusNotFound, "no such upload route"), true
	}
	var ue *UploadRequestError
	switch {
	case errors.As(err, &ue):
		return jsonError(http.StatusBadRequest, ue.Error()), true
	case noSuchUpload(err):
		return jsonError(http.StatusNotFound, "no such upload of yours"), true
	case err != nil:
		return jsonError(http.StatusBadGateway, "the upload could not be started or completed now; try again"), true
	}
	b, _ := json.Marshal(out)
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusCreated, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}, true
}
