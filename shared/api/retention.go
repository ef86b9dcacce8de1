package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Retention endpoints (docs/requests.md, "Retention and disposal"), for legal staff of the
// bundle's sending agency; another agency's bundle is 404, as one that does not exist:
//
//	GET  /v1/bundles/{id}/retention           legal   where the bundle stands: review date, decision, preservation holds (the read is recorded)
//	POST /v1/bundles/{id}/retention           legal   {"decision": "extend"|"dispose", "next_review": RFC 3339, "note": ""} → the RetentionReviewed event (201; 200 when it repeats the last decision)
//	POST /v1/bundles/{id}/retention/dispose   legal   dispose of the documents now (evx serve; on AWS not routed: the audit function disposes, on its daily run)
//
// 409 when the act is refused (no authorisation yet, a preservation order holds the bundle),
// 410 for a document read after disposal.

// RetentionReview is the body of POST /v1/bundles/{id}/retention.
type RetentionReview struct {
	Decision   string `json:"decision"`
	NextReview string `json:"next_review,omitempty"`
	Note       string `json:"note,omitempty"`
}

// MaxRetentionBody bounds the body of a review.
const MaxRetentionBody = 16 << 10

func (h *Handler) routeRetention() {
	h.mux.HandleFunc("GET /v1/bundles/{id}/retention", h.as(h.getRetention, RoleLegal))
	h.mux.HandleFunc("POST /v1/bundles/{id}/retention", h.as(h.postRetention, RoleLegal))
	h.mux.HandleFunc("POST /v1/bundles/{id}/retention/dispose", h.as(h.postDispose, RoleLegal))
}

// agencyLegal refuses legal staff whose identity names no agency: retention is the sending
// agency's to decide, and such an identity could not be held to one.
func agencyLegal(w http.ResponseWriter, r *http.Request) bool {
	if id := identity(r); id.Agency == "" || id.Person == "" {
		writeError(w, http.StatusForbidden, "retention is the sending agency's: your identity names no agency and person (a tokens line \"TOKEN legal AGENCY PERSON\")")
		return false
	}
	return true
}

func (h *Handler) getRetention(w http.ResponseWriter, r *http.Request) {
	if !agencyLegal(w, r) {
		return
	}
	bundle := r.PathValue("id")
	// Read for the caller's agency (another's bundle is 404, and no read is recorded), then
	// recorded, then served: nothing leaves before its record.
	ret, err := h.svc.Retention(r.Context(), bundle)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.RecordRead(r.Context(), bundle, pipeline.ReadRetention); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bundle": bundle, "retention": ret})
}

func (h *Handler) postRetention(w http.ResponseWriter, r *http.Request) {
	if !agencyLegal(w, r) {
		return
	}
	var b RetentionReview
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRetentionBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, err)
			return
		}
		writeError(w, http.StatusBadRequest, `body: want {"decision": "extend"|"dispose", "next_review": "2030-01-31T00:00:00Z", "note": "..."}: `+err.Error())
		return
	}
	var next time.Time
	if b.NextReview != "" {
		t, err := time.Parse(time.RFC3339, b.NextReview)
		if err != nil {
			writeError(w, http.StatusBadRequest, "next_review: want RFC 3339, e.g. 2030-01-31T00:00:00Z")
			return
		}
		next = t
	}
	en, err := h.svc.ReviewRetention(r.Context(), r.PathValue("id"), b.Decision, next, b.Note)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeRetentionEvent(w, en)
}

func (h *Handler) postDispose(w http.ResponseWriter, r *http.Request) {
	if !agencyLegal(w, r) {
		return
	}
	en, err := h.svc.Dispose(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeRetentionEvent(w, en)
}

// writeRetentionEvent answers 201 with the event recorded, or 200 with no event when the act
// repeated one already recorded.
func writeRetentionEvent(w http.ResponseWriter, en custody.Entry) {
	if en.Event.Seq == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"recorded": false})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"recorded": true, "event": en.Event})
}
