package api

import (
	"net/http"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// Consent endpoints (handling codes H1 and H2, docs/trail.md): an agency a bundle was
// consigned to asks the bundle's sending agency for consent to a use, and the sending agency
// grants it; both parties, and legal staff, list a bundle's consent events. Each is scoped to
// the caller's agency: a bundle the caller's agency neither sent nor received is 404, exactly
// as one that does not exist, and an identity that names no agency is refused.
//
//	GET  /v1/bundles/{id}/consents        every role    the consent events, oldest first
//	POST /v1/bundles/{id}/consents        counterpart   {"use": "judicial"} or {"use": "dissemination", "to": AGENCY} → 201 the consents (200 when already asked or granted)
//	POST /v1/bundles/{id}/consents/grant  uploader      {"asker": AGENCY, "use": ..., "to": ...} → 201 the consents (200 when already granted)
func (h *Handler) withConsents() {
	h.mux.HandleFunc("GET /v1/bundles/{id}/consents", h.as(h.getConsents, RoleUploader, RoleCounterpart, RoleLegal))
	h.mux.HandleFunc("POST /v1/bundles/{id}/consents", h.as(h.postConsentRequest, RoleCounterpart))
	h.mux.HandleFunc("POST /v1/bundles/{id}/consents/grant", h.as(h.postConsentGrant, RoleUploader))
}

// ConsentBody is the body of the consent POSTs. Asker is for a grant only.
type ConsentBody struct {
	Use   string `json:"use"` // custody.UseJudicial or custody.UseDissemination
	To    string `json:"to,omitempty"`
	Asker string `json:"asker,omitempty"`
}

// agencyCaller refuses a party role's identity that names no agency: its consent calls could
// not be scoped.
func agencyCaller(w http.ResponseWriter, r *http.Request) bool {
	if id := identity(r); id.Role != RoleLegal && (id.Agency == "" || id.Person == "") {
		writeError(w, http.StatusForbidden, "consent is between agencies: your identity names no agency and person (a tokens line \"TOKEN ROLE AGENCY PERSON\")")
		return false
	}
	return true
}

func (h *Handler) getConsents(w http.ResponseWriter, r *http.Request) {
	if !agencyCaller(w, r) {
		return
	}
	ctx := r.Context()
	if identity(r).Role == RoleLegal {
		ctx = pipeline.ActingAs(ctx, pipeline.Party{}) // legal staff read every bundle
	}
	cs, err := h.svc.Consents(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"consents": cs})
}

func (h *Handler) postConsentRequest(w http.ResponseWriter, r *http.Request) {
	h.postConsent(w, r, func(b ConsentBody) (custody.Entry, error) {
		return h.svc.RequestConsent(r.Context(), r.PathValue("id"), b.Use, b.To)
	})
}

func (h *Handler) postConsentGrant(w http.ResponseWriter, r *http.Request) {
	h.postConsent(w, r, func(b ConsentBody) (custody.Entry, error) {
		return h.svc.GrantConsent(r.Context(), r.PathValue("id"), b.Asker, b.Use, b.To)
	})
}

// postConsent records the act and answers with the bundle's consents: 201 when an event was
// recorded, 200 when the same was asked or granted before.
func (h *Handler) postConsent(w http.ResponseWriter, r *http.Request, act func(ConsentBody) (custody.Entry, error)) {
	if !agencyCaller(w, r) {
		return
	}
	var b ConsentBody
	if !h.readBody(w, r, &b) {
		return
	}
	en, err := act(b)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs, err := h.svc.Consents(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	code := http.StatusOK
	if en.Event.Seq != 0 {
		code = http.StatusCreated
	}
	writeJSON(w, code, map[string]any{"consents": cs})
}
