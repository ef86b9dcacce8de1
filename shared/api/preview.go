package api

import "net/http"

// getDocumentText answers GET /v1/deliveries/{id}/text/{name...}: the start of the text evx
// extracted from the document (pipeline.DocumentPreview), for the counterpart's page to show
// before it downloads anything. It is recorded as an access, as the document's bytes are.
func (h *Handler) getDocumentText(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.DocumentText(r.Context(), identity(r).Counterpart, r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, p)
}
