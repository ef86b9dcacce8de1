package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// SearchResult is the body of GET /v1/bundles.
type SearchResult struct {
	Query   pipeline.SearchQuery `json:"query"`
	Bundles []SearchBundle       `json:"bundles"`
}

// SearchBundle is one bundle found, as the caller's role may see it.
type SearchBundle struct {
	pipeline.SearchHit
	// Delivery, for a counterpart, is its delivery of the bundle (GET /v1/deliveries/{id}).
	Delivery string `json:"delivery,omitempty"`
}

// listBundles answers GET /v1/bundles?q=&case=&counterpart=&state=&from=&to=&limit=: the
// bundles matching, newest first, each role seeing only what it may. An uploader finds its
// own bundles; a counterpart the bundles delivered to it (and of each, only itself among the
// counterparts and not who uploaded it); legal staff every bundle.
func (h *Handler) listBundles(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	v := r.URL.Query()
	q := pipeline.SearchQuery{Text: v.Get("q"), Case: v.Get("case"), Counterpart: v.Get("counterpart"), State: v.Get("state")}
	var bad []string
	for name, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		s := v.Get(name)
		if s == "" {
			continue
		}
		t, err := parseSearchTime(s, name == "to")
		if err != nil {
			bad = append(bad, name+": want a date (2026-10-02) or a time (RFC 3339)")
			continue
		}
		*dst = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > pipeline.MaxSearchLimit {
			bad = append(bad, "limit: want 1.."+strconv.Itoa(pipeline.MaxSearchLimit))
		}
		q.Limit = n
	}
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, strings.Join(bad, "; "))
		return
	}
	switch id.Role {
	case RoleUploader:
		q.Uploader = id.Subject
	case RoleCounterpart:
		if q.Counterpart != "" && q.Counterpart != id.Counterpart {
			writeJSON(w, http.StatusOK, SearchResult{Query: q, Bundles: []SearchBundle{}})
			return
		}
		q.Counterpart = id.Counterpart
	case RoleLegal:
		q.Party = id.Agency // "" for the exchange's own legal staff: every bundle
		q.PartyHome = q.Party != "" && q.Party == h.home
	}
	hits, err := h.svc.Search(r.Context(), q)
	var qe *pipeline.SearchQueryError
	switch {
	case errors.As(err, &qe):
		writeError(w, http.StatusBadRequest, qe.Error())
		return
	case errors.Is(err, pipeline.ErrNoSearch):
		writeError(w, http.StatusServiceUnavailable, "this server keeps no search index")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	out := SearchResult{Query: q, Bundles: make([]SearchBundle, 0, len(hits))}
	for _, hit := range hits {
		b := SearchBundle{SearchHit: hit}
		if id.Role == RoleCounterpart {
			b.Uploader, b.Counterparts = "", []string{id.Counterpart}
			b.Delivery = pipeline.DeliveryID(hit.BundleID, id.Counterpart)
		}
		out.Bundles = append(out.Bundles, b)
	}
	writeJSON(w, http.StatusOK, out)
}

// parseSearchTime reads a date (the whole day: from its start, or, for an end, to its end)
// or an RFC 3339 time.
func parseSearchTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
