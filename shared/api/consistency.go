package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// MaxCheckpointBody bounds the body of POST /v1/bundles/{id}/verification.
const MaxCheckpointBody = 64 << 10

// postVerification answers POST /v1/bundles/{id}/verification, whose body is a signed
// checkpoint the caller kept (from a receipt, an earlier trail or GET /v1/checkpoint): the
// bundle's trail is exported now with the consistency proof from that checkpoint's log, and
// verified with evx's key and the checkpoint, as `evx verify --checkpoint OLDER.txt` does. A
// log rewritten since the checkpoint is verified false, with the reason. A body that is not a
// checkpoint signed by evx's key is 400.
func (h *Handler) postVerification(w http.ResponseWriter, r *http.Request) {
	bundle := r.PathValue("id")
	body, err := io.ReadAll(http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), MaxCheckpointBody))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pub := h.svc.Signer().Public()
	cp, err := custody.OpenCheckpoint(body, pub)
	if err != nil {
		writeError(w, http.StatusBadRequest, "the body is not a checkpoint signed by this evx's key: "+err.Error())
		return
	}
	res := map[string]any{"bundle": bundle, "checkpoint_size": cp.Size}
	t, err := h.svc.Export(r.Context(), bundle, custody.ExportOptions{ConsistencyFrom: cp.Size})
	if err == nil {
		var rep *custody.Report
		rep, err = custody.Verify(t, pub, custody.VerifyOptions{Older: body})
		res["report"] = rep
	}
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		h.fail(w, r, err)
		return
	case err != nil:
		res["verified"], res["error"] = false, fmt.Sprintf("not consistent with the checkpoint of log size %d: %v", cp.Size, err)
		delete(res, "report")
	default:
		res["verified"] = true
	}
	writeJSON(w, http.StatusOK, res)
}
