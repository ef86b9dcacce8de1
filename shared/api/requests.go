package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// Request endpoints (WithRequests), each scoped to the caller's agency: an uploader acts for
// the deployment's own agency (request.Desk.Home) as the person its token names, a
// counterpart for its agency; legal staff read every request and act on none. A request the
// caller's agency is no party to is 404, exactly as one that does not exist.
//
//	GET  /v1/requests?overdue=true&due_within=24h&open=true  every role   the requests, states with deadlines
//	POST /v1/requests                        uploader, counterpart   request.Request → 201 its state (200 for an identical retry)
//	GET  /v1/requests/{id}                   every role              its state
//	GET  /v1/requests/{id}/trail             every role              its custody trail (evx-custody-trail/1)
//	POST /v1/requests/{id}/{action}          uploader, counterpart   {"grounds": [...], "deadline": "", "extension": "720h", "bundle": ""} → its state
//
// Actions are request.Actions' names: ack, notify, accept, refuse, suspend, resume, extend,
// confirm, fulfil, partly-fulfil, withdraw (a bundle answers a request by naming it in
// EVX-Request-Reference; ingest records RequestAnswered).

// WithRequests serves the request endpoints over d. It returns h.
func (h *Handler) WithRequests(d *request.Desk) *Handler {
	h.requests = d
	all := []Role{RoleUploader, RoleCounterpart, RoleLegal}
	h.mux.HandleFunc("GET /v1/requests", h.as(h.listRequests, all...))
	h.mux.HandleFunc("POST /v1/requests", h.as(h.postRequest, RoleUploader, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/requests/{id}", h.as(h.getRequest, all...))
	h.mux.HandleFunc("GET /v1/requests/{id}/trail", h.as(h.getRequestTrail, all...))
	h.mux.HandleFunc("POST /v1/requests/{id}/{action}", h.as(h.postRequestAction, RoleUploader, RoleCounterpart))
	return h
}

// MaxRequestBody bounds the body of a request or an action.
const MaxRequestBody = 256 << 10

// actor is the agency and person the caller acts as; agency "" for legal staff (every request).
func (h *Handler) actor(r *http.Request) request.Actor {
	id := identity(r)
	// The person the identity names (a counterpart's officer, an uploader of an agency); an
	// identity of the older form names only a subject.
	person := id.Person
	if person == "" {
		person = id.Subject
	}
	switch id.Role {
	case RoleUploader:
		return request.Actor{Agency: h.requests.Home, Person: person}
	case RoleCounterpart:
		return request.Actor{Agency: id.Counterpart, Person: person}
	}
	return request.Actor{}
}

// requestFail maps the request package's typed errors; others go to fail.
func (h *Handler) requestFail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		nf *request.NotFoundError
		iv *request.InvalidError
		tr *request.TransitionError
		ex *request.ExistsError
	)
	switch {
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, nf.Error())
	case errors.As(err, &iv):
		writeError(w, http.StatusBadRequest, iv.Error())
	case errors.As(err, &tr):
		writeError(w, http.StatusConflict, tr.Error())
	case errors.As(err, &ex):
		writeError(w, http.StatusConflict, ex.Error())
	default:
		h.fail(w, r, err)
	}
}

// scoped returns the request's state if the caller may see it, else a *NotFoundError.
func (h *Handler) scoped(r *http.Request, id string) (*request.State, error) {
	s, err := h.requests.State(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if a := h.actor(r); identity(r).Role != RoleLegal && s.PartyOf(a.Agency) == "" {
		return nil, &request.NotFoundError{ID: id}
	}
	return s, nil
}

func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := request.Filter{Agency: h.actor(r).Agency}
	for name, p := range map[string]*bool{"overdue": &f.Overdue, "open": &f.Open} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, name+": want true or false")
				return
			}
			*p = b
		}
	}
	if v := q.Get("due_within"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, "due_within: want a positive duration, e.g. 24h")
			return
		}
		f.DueWithin = d
	}
	l, err := h.requests.List(r.Context(), f)
	if err != nil {
		h.requestFail(w, r, err)
		return
	}
	if l == nil {
		l = []*request.State{}
	}
	writeJSON(w, http.StatusOK, l)
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), MaxRequestBody))
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if len(raw) == 0 {
		return true
	}
	if err := decodeStrict(raw, v); err != nil {
		writeError(w, http.StatusBadRequest, "body is not valid JSON of the documented form: "+err.Error())
		return false
	}
	return true
}

func (h *Handler) postRequest(w http.ResponseWriter, r *http.Request) {
	var q request.Request
	if !h.readBody(w, r, &q) {
		return
	}
	a := h.actor(r)
	if q.Issuer != "" && q.Issuer != a.Agency || q.IssuerPerson != "" && q.IssuerPerson != a.Person {
		writeError(w, http.StatusForbidden, "a request is issued by the caller's own agency and person ("+a.Agency+", "+a.Person+"): leave issuer and issuer_person empty")
		return
	}
	q.Issuer, q.IssuerPerson = a.Agency, a.Person
	existed := false
	if _, err := h.requests.State(r.Context(), q.ID); err == nil {
		existed = true
	}
	s, err := h.requests.Issue(r.Context(), q)
	if err != nil {
		h.requestFail(w, r, err)
		return
	}
	code := http.StatusCreated
	if existed {
		code = http.StatusOK
	}
	writeJSON(w, code, s)
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request) {
	s, err := h.scoped(r, r.PathValue("id"))
	if err != nil {
		h.requestFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (h *Handler) getRequestTrail(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.scoped(r, id); err != nil {
		h.requestFail(w, r, err)
		return
	}
	t, err := h.svc.Export(r.Context(), custody.RequestSubject(id), custody.ExportOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// ActionBody is the body of POST /v1/requests/{id}/{action}.
type ActionBody struct {
	Grounds   []string `json:"grounds,omitempty"`
	Deadline  string   `json:"deadline,omitempty"`
	Extension string   `json:"extension,omitempty"` // a duration, e.g. "720h"
	Bundle    string   `json:"bundle,omitempty"`
}

func (h *Handler) postRequestAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	typ, ok := request.Actions[r.PathValue("action")]
	if !ok {
		writeError(w, http.StatusNotFound, "no such request action "+strconv.Quote(r.PathValue("action"))+"; see the API documentation")
		return
	}
	var b ActionBody
	if !h.readBody(w, r, &b) {
		return
	}
	a := request.Action{Type: typ, Grounds: b.Grounds, Deadline: b.Deadline, Bundle: b.Bundle}
	if b.Extension != "" {
		d, err := time.ParseDuration(b.Extension)
		if err != nil {
			writeError(w, http.StatusBadRequest, "extension: want a duration, e.g. 720h")
			return
		}
		a.Extension = d
	}
	if _, err := h.scoped(r, id); err != nil {
		h.requestFail(w, r, err)
		return
	}
	s, err := h.requests.Act(r.Context(), id, h.actor(r), a)
	if err != nil {
		h.requestFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// answeredRequest is the state of the request the bundle's acceptance names, for its report;
// nil without request endpoints, for a free-text reference, or when it cannot be read.
func (h *Handler) answeredRequest(r *http.Request, tr *custody.Trail) *request.State {
	if h.requests == nil || tr == nil {
		return nil
	}
	for _, te := range tr.Events {
		if e := te.Event; e.Type == custody.SubmissionAcceptance && e.Details.Request != nil {
			if s, err := h.requests.State(r.Context(), e.Details.Request.RequestReference); err == nil {
				return s
			}
		}
	}
	return nil
}
