package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

// Resumable keeps resumable uploads (sqlitestate.Parts), each scoped to its uploader.
type Resumable interface {
	Create(ctx context.Context, uploader string, size int64, sha string, partSize int64) (*multipart.Upload, error)
	Get(ctx context.Context, uploader, id string) (*multipart.Upload, error)
	Put(ctx context.Context, uploader, id string, n int, sha string, r io.Reader) (multipart.Part, error)
	Open(ctx context.Context, uploader, id string) (*multipart.Upload, io.ReadCloser, error)
	Remove(ctx context.Context, uploader, id string) error
}

// WithResumable routes the resumable upload endpoints (docs/uploads.md) over r. It returns h.
func (h *Handler) WithResumable(r Resumable) *Handler {
	h.resumable = r
	h.mux.HandleFunc("POST /v1/uploads", h.as(h.createUpload, RoleUploader))
	h.mux.HandleFunc("GET /v1/uploads/{id}", h.as(h.getUpload, RoleUploader))
	h.mux.HandleFunc("DELETE /v1/uploads/{id}", h.as(h.abortUpload, RoleUploader))
	h.mux.HandleFunc("POST /v1/uploads/{id}/parts", h.as(h.partTargets, RoleUploader))
	h.mux.HandleFunc("PUT /v1/uploads/{id}/parts/{n}", h.as(h.putPart, RoleUploader))
	h.mux.HandleFunc("POST /v1/uploads/{id}/complete", h.as(h.completeUpload, RoleUploader))
	return h
}

func (h *Handler) createUpload(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), 4<<10))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req multipart.CreateRequest
	if err := decodeStrict(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, `want {"size": BYTES, "sha256": HEX, "part_size": BYTES}: `+err.Error())
		return
	}
	if req.Size > h.lim.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("bag of %d bytes is larger than the %d bytes this server accepts", req.Size, h.lim.MaxUpload))
		return
	}
	u, err := h.resumable.Create(r.Context(), identity(r).Subject, req.Size, req.SHA256, req.PartSize)
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/uploads/"+u.ID)
	if u.Resumed {
		writeJSON(w, http.StatusOK, u)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (h *Handler) getUpload(w http.ResponseWriter, r *http.Request) {
	u, err := h.resumable.Get(r.Context(), identity(r).Subject, r.PathValue("id"))
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (h *Handler) abortUpload(w http.ResponseWriter, r *http.Request) {
	if err := h.resumable.Remove(r.Context(), identity(r).Subject, r.PathValue("id")); err != nil {
		h.failUpload(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// partTargets answers where to send the parts named (multipart.Targets): here, each to
// PUT /v1/uploads/{id}/parts/{n} with its SHA-256 in multipart.HeaderPartSHA256. The api
// function on AWS answers presigned S3 URLs instead; clients follow the answer.
func (h *Handler) partTargets(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), multipart.MaxTargetsBody+1))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.resumable.Get(r.Context(), identity(r).Subject, r.PathValue("id"))
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	req, err := multipart.ParseTargetsRequest(raw, u)
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	out := multipart.Targets{Parts: make([]multipart.Target, len(req.Parts))}
	for i, p := range req.Parts {
		out.Parts[i] = multipart.Target{N: p.N, Method: http.MethodPut, URL: fmt.Sprintf("/v1/uploads/%s/parts/%d", u.ID, p.N),
			Headers: map[string]string{multipart.HeaderPartSHA256: p.SHA256}, Expires: u.Expires}
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) putPart(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || strconv.Itoa(n) != r.PathValue("n") {
		writeError(w, http.StatusBadRequest, "part number: want a whole number from 1")
		return
	}
	sha := strings.TrimSpace(r.Header.Get(multipart.HeaderPartSHA256))
	if !multipart.ValidSum(sha) {
		writeError(w, http.StatusBadRequest, "send the part's SHA-256 (64 lowercase hex digits) in the "+multipart.HeaderPartSHA256+" header")
		return
	}
	select {
	case h.uploads <- struct{}{}:
		defer func() { <-h.uploads }()
	default:
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("this server is receiving %d uploads already, its most at once; retry later", cap(h.uploads)))
		return
	}
	// The store reads at most the part's length plus one byte; the body's bound is the
	// largest part any upload may have.
	body := http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), h.lim.MaxUpload)
	pt, err := h.resumable.Put(r.Context(), identity(r).Subject, r.PathValue("id"), n, sha, body)
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pt)
}

// completeUpload puts the parts together into the uploads folder (Spool), checking the
// whole bag's SHA-256 as the bytes go by, then ingests the bag as POST /v1/bundles does.
func (h *Handler) completeUpload(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	select {
	case h.uploads <- struct{}{}:
		defer func() { <-h.uploads }()
	default:
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("this server is receiving %d uploads already, its most at once; retry later", cap(h.uploads)))
		return
	}
	u, rc, err := h.resumable.Open(r.Context(), id.Subject, r.PathValue("id"))
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	bundle, size, err := h.up.Spool(r.Context(), rc)
	rc.Close()
	if err != nil {
		h.failUpload(w, r, err)
		return
	}
	if bundle != u.SHA256 || size != u.Size { // the joined reader checks both; never ingest other bytes
		h.fail(w, r, fmt.Errorf("upload %s: spooled %s (%d bytes), declared %s (%d bytes)", u.ID, bundle, size, u.SHA256, u.Size))
		return
	}
	if _, err := h.svc.Submit(r.Context(), pipeline.Upload{BundleID: bundle, Uploader: id.Subject, Size: size}); err != nil {
		h.fail(w, r, err)
		return
	}
	// The bag is stored and submitted: the parts are no longer needed. A client that lost
	// this answer finds the bundle at /v1/bundles/{sha256}.
	if err := h.resumable.Remove(r.Context(), id.Subject, u.ID); err != nil {
		h.log.Warn("remove completed upload", "upload", u.ID, "err", err)
	}
	h.process(w, r, bundle, id.Subject)
}

// failUpload answers the resumable upload errors (multipart.Status), then the rest as fail does.
func (h *Handler) failUpload(w http.ResponseWriter, r *http.Request, err error) {
	if status, msg, ok := multipart.Status(r.PathValue("id"), err); ok {
		writeError(w, status, msg)
		return
	}
	h.fail(w, r, err)
}
