package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// MaxMatchBody bounds a POST /v1/match body.
const MaxMatchBody = 64 << 10

// MatchRequest is the body of POST /v1/match.
type MatchRequest struct {
	Identifiers []pipeline.Query `json:"identifiers"`
}

// MatchResponse is its answer: one result per identifier, in order.
type MatchResponse struct {
	Results []pipeline.Outcome `json:"results"`
}

// WithMatcher serves the identifier index on h and returns h:
//
//	POST /v1/match                counterpart, legal, uploader   MatchRequest → MatchResponse
//	GET  /v1/match/notices?day=   legal                          hits on the deployment's identifiers that day
//
// A counterpart asks as its agency (the directory must allow it to match); legal staff and
// uploaders ask as the deployment's own agency and also see its own bundles holding an
// identifier. 403 when the agency may not match, 429 with Retry-After over its rate limit.
func (h *Handler) WithMatcher(m *pipeline.Matcher) *Handler {
	h.mux.HandleFunc("POST /v1/match", h.as(func(w http.ResponseWriter, r *http.Request) { h.postMatch(w, r, m) }, RoleCounterpart, RoleLegal, RoleUploader))
	h.mux.HandleFunc("GET /v1/match/notices", h.as(func(w http.ResponseWriter, r *http.Request) { h.getNotices(w, r, m) }, RoleLegal))
	return h
}

func (h *Handler) postMatch(w http.ResponseWriter, r *http.Request, m *pipeline.Matcher) {
	id := identity(r)
	var req MatchRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxMatchBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, err)
			return
		}
		writeError(w, http.StatusBadRequest, `body: want {"identifiers": [{"type": "container", "value": "MSCU1234566"}, ...]}: `+err.Error())
		return
	}
	if len(req.Identifiers) == 0 {
		writeError(w, http.StatusBadRequest, `body: "identifiers" is empty`)
		return
	}
	asker := pipeline.Asker{Agency: m.Agency(), Person: id.Subject}
	if id.Role == RoleCounterpart {
		asker.Agency = id.Counterpart
	}
	out, err := m.Match(r.Context(), asker, req.Identifiers)
	var (
		refused *pipeline.MatchRefusedError
		rate    *pipeline.RateLimitError
		batch   *pipeline.BatchError
	)
	switch {
	case errors.As(err, &refused):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.As(err, &rate):
		secs := int(time.Until(rate.RetryAfter).Seconds()) + 1
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, err.Error())
	case errors.As(err, &batch):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		h.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, MatchResponse{Results: out})
	}
}

func (h *Handler) getNotices(w http.ResponseWriter, r *http.Request, m *pipeline.Matcher) {
	day := time.Now().UTC()
	if s := r.URL.Query().Get("day"); s != "" {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("day %q: want YYYY-MM-DD", s))
			return
		}
		day = d
	}
	es, err := m.Notices(r.Context(), m.Agency(), day)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agency": m.Agency(), "day": day.Format("2006-01-02"), "notices": es})
}
