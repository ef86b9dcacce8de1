package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// SearchIndex is the port of bundle search: what is known of each accepted bundle (its case
// and request references, uploader, counterparts, when it arrived) and the extracted text of
// its documents, queried by full text and fields. The embedded backend keeps it in SQLite
// FTS5 (package sqlitesearch). The index is a projection: everything in it can be rebuilt
// from the custody trail and the stored extraction results, which Reindex does.
//
// IndexBundle stores rec, replacing an earlier record of the same bundle. Indexed reports
// whether a bundle is in the index. Search returns the bundles matching q, newest first, at
// most q.Limit.
type SearchIndex interface {
	IndexBundle(ctx context.Context, rec SearchRecord) error
	Indexed(ctx context.Context, bundleID string) (bool, error)
	Search(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}

// SearchRecord is one bundle as the index holds it.
type SearchRecord struct {
	BundleID         string
	CaseReference    string
	RequestReference string
	Uploader         string
	Counterparts     []string
	Received         time.Time
	Documents        []SearchDocument
}

// SearchDocument is one document of a bundle with its extracted text.
type SearchDocument struct {
	Name      string
	SHA256    string
	MediaType string
	Text      string
}

// SearchQuery selects bundles. Empty fields select everything. Text is matched against the
// documents' text and names, the case and request references (words, all of them; a word
// ending in * matches as a prefix). Uploader and Counterpart are scopes the caller's role
// imposes (an uploader sees its own bundles, a counterpart the bundles delivered to it) as
// much as filters. State filters on BundleState after the index answers.
type SearchQuery struct {
	Text        string `json:"q,omitempty"`
	Case        string `json:"case,omitempty"`
	Counterpart string `json:"counterpart,omitempty"`
	Uploader    string `json:"uploader,omitempty"`
	// Party: bundles agency Party sent (an uploader of it) or was delivered (a counterpart):
	// what legal staff of that agency may see.
	Party string `json:"party,omitempty"`
	// PartyHome: Party is the deployment's own agency, the sender of bundles whose uploader
	// names no agency.
	PartyHome bool      `json:"party_home,omitempty"`
	State     string    `json:"state,omitempty"`
	From      time.Time `json:"from,omitzero"`
	To        time.Time `json:"to,omitzero"`
	Limit     int       `json:"limit,omitempty"`
}

// SearchHit is one bundle found.
type SearchHit struct {
	BundleID         string    `json:"bundle"`
	CaseReference    string    `json:"case_reference,omitempty"`
	RequestReference string    `json:"request_reference,omitempty"`
	Uploader         string    `json:"uploader,omitempty"`
	Counterparts     []string  `json:"counterparts,omitempty"`
	Received         time.Time `json:"received"`
	// Documents are the names of the documents whose text or name matched q.Text.
	Documents []string `json:"documents,omitempty"`
	// Snippet is a few words around the first match in the text, matches in [brackets].
	Snippet string `json:"snippet,omitempty"`
	// State is where the bundle stands (BundleState), filled in by Service.Search.
	State string `json:"state,omitempty"`
}

// Limits of a search.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 500
	MaxSearchText      = 1000 // bytes of q
	// MaxIndexedText bounds the text indexed per document; the rest is not searchable.
	MaxIndexedText = 4 << 20
)

// Bundle states as search reports and filters them.
const (
	BundleAccepted  = "accepted"  // accepted, not yet consigned to every counterpart
	BundleDelivered = "delivered" // consigned; some counterpart has not answered yet
	BundleAnswered  = "answered"  // every counterpart accepted, refused or let the deadline pass
)

// SearchStates lists the states a query may filter on.
var SearchStates = []string{BundleAccepted, BundleDelivered, BundleAnswered}

// ErrNoSearch is returned (wrapped) by Search and IndexBundle on a Service without a search index.
var ErrNoSearch = errors.New("this service has no search index")

// SearchQueryError is a query a person must correct.
type SearchQueryError struct{ Reason string }

func (e *SearchQueryError) Error() string { return "search: " + e.Reason }

// WithSearch gives s the search index: accepted bundles are indexed as they are ingested,
// and Search answers from it. It returns s; call it before the service is used.
func (s *Service) WithSearch(ix SearchIndex) *Service {
	s.search = ix
	return s
}

// IndexBundle indexes an accepted bundle from its custody trail and stored extraction
// results. A bundle not (yet) accepted is left out, without error.
func (s *Service) IndexBundle(ctx context.Context, bundleID string) error {
	_, err := s.indexBundle(ctx, bundleID)
	return err
}

// indexBundle is IndexBundle, reporting whether the bundle was indexed (it is left out
// until accepted).
func (s *Service) indexBundle(ctx context.Context, bundleID string) (bool, error) {
	if s.search == nil {
		return false, ErrNoSearch
	}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return false, fmt.Errorf("index %s: %w", bundleID, err)
	}
	en, ok := find(trail, isSubmission)
	if !ok || en.Event.Type != custody.SubmissionAcceptance {
		return false, nil
	}
	e := en.Event
	rec := SearchRecord{BundleID: bundleID, Counterparts: e.Details.Counterparts, Received: e.Time, Uploader: e.Actor.ID}
	if u, err := s.c.Uploads.Upload(ctx, bundleID); err == nil && u.Uploader != "" {
		rec.Uploader = u.Uploader
	}
	if r := e.Details.Request; r != nil {
		rec.CaseReference, rec.RequestReference = r.CaseReference, r.RequestReference
	}
	// A bundle whose documents were disposed of stays findable by its references and
	// documents' names; their text is gone.
	disposed := checkDisposed(bundleID, trail) != nil
	docs, err := s.EventDocuments(ctx, e)
	if err != nil {
		return false, fmt.Errorf("index %s: %w", bundleID, err)
	}
	for _, d := range docs {
		doc := SearchDocument{Name: d.Name, SHA256: d.SHA256, MediaType: d.MediaType}
		if d.Extraction != "" && !disposed {
			if doc.Text, err = s.extractedText(ctx, d.Extraction); err != nil {
				return false, fmt.Errorf("index %s: %s: %w", bundleID, d.Name, err)
			}
		}
		rec.Documents = append(rec.Documents, doc)
	}
	if err := s.search.IndexBundle(ctx, rec); err != nil {
		return false, fmt.Errorf("index %s: %w", bundleID, err)
	}
	return true, nil
}

// extractedText reads the text member of a stored extraction result.
func (s *Service) extractedText(ctx context.Context, sum string) (string, error) {
	rc, err := s.c.Blobs.Open(ctx, sum)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var res struct {
		Text string `json:"text"`
	}
	// Extraction results are bounded by the extraction limits; read a little more than the
	// indexed text so that a large one is cut, not refused.
	if err := json.NewDecoder(io.LimitReader(rc, 4*MaxIndexedText)).Decode(&res); err != nil {
		return "", fmt.Errorf("extraction result %s: %w", sum, err)
	}
	if len(res.Text) > MaxIndexedText {
		res.Text = strings.ToValidUTF8(res.Text[:MaxIndexedText], "")
	}
	return res.Text, nil
}

// Reindex indexes every accepted bundle the index lacks, among the uploads the service
// knows, and returns how many it indexed. evx serve runs it at start, so an index lost or
// added later catches up with the trail.
func (s *Service) Reindex(ctx context.Context, uploads []Upload) (int, error) {
	if s.search == nil {
		return 0, ErrNoSearch
	}
	n := 0
	var errs []error
	for _, u := range uploads {
		ok, err := s.search.Indexed(ctx, u.BundleID)
		if err != nil {
			return n, err
		}
		if ok {
			continue
		}
		indexed, err := s.indexBundle(ctx, u.BundleID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if indexed {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// Search answers q from the index, with each hit's state; a State filter is applied here.
func (s *Service) Search(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	if s.search == nil {
		return nil, ErrNoSearch
	}
	switch {
	case len(q.Text) > MaxSearchText:
		return nil, &SearchQueryError{Reason: fmt.Sprintf("q is %d bytes; at most %d", len(q.Text), MaxSearchText)}
	case q.State != "" && !slices.Contains(SearchStates, q.State):
		return nil, &SearchQueryError{Reason: fmt.Sprintf("state %q: want one of %s", q.State, strings.Join(SearchStates, ", "))}
	case !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From):
		return nil, &SearchQueryError{Reason: "to is before from"}
	case q.Limit < 0 || q.Limit > MaxSearchLimit:
		return nil, &SearchQueryError{Reason: fmt.Sprintf("limit %d: want 1..%d", q.Limit, MaxSearchLimit)}
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	iq := q
	if q.State != "" {
		iq.Limit = MaxSearchLimit // the state filter comes after the index
	} else {
		iq.Limit = limit
	}
	hits, err := s.search.Search(ctx, iq)
	if err != nil {
		return nil, err
	}
	out := hits[:0]
	for _, h := range hits {
		st, err := s.BundleStatus(ctx, h.BundleID)
		if err != nil {
			return nil, err
		}
		h.State = bundleState(st)
		if q.State != "" && h.State != q.State {
			continue
		}
		out = append(out, h)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// bundleState summarises an accepted bundle's deliveries.
func bundleState(st *Status) string {
	if st.Ingest == nil || len(st.Deliveries) < len(st.Ingest.Counterparts) {
		return BundleAccepted
	}
	for _, d := range st.Deliveries {
		if d.State == DeliveryConsigned {
			return BundleDelivered
		}
	}
	return BundleAnswered
}
