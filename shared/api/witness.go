package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/evx-project/evx/shared/pipeline"
)

// Witnessing (package witness): a witness asks for the checkpoint to cosign, with the
// consistency proof from the size it holds, and posts its cosignature back; anyone
// authenticated reads a checkpoint with every cosignature evx keeps for it.
//
//	GET  /v1/log/witness?from=N           every role  pipeline.WitnessOffer (JSON)
//	POST /v1/log/cosignatures             every role  {"size": N, "vkey": "...", "cosignature": "— name base64"}; 201
//	GET  /v1/log/checkpoints/{size}       every role  the checkpoint note with its cosignatures ("latest" for the newest)
//	GET  /v1/log/leaves?from=A&to=B       every role  {"leaves": [{"key","seq","hash","leaf_index"}]}, at most 1000: the replay feed

// maxCosignatureBody bounds a posted cosignature.
const maxCosignatureBody = 8 << 10

// CosignatureRequest is the body of POST /v1/log/cosignatures.
type CosignatureRequest struct {
	Size        uint64 `json:"size"`
	VKey        string `json:"vkey"`
	Cosignature string `json:"cosignature"`
}

func (h *Handler) getWitnessOffer(w http.ResponseWriter, r *http.Request) {
	var from uint64
	if f := r.URL.Query().Get("from"); f != "" {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("from=%q: want the size of the checkpoint you hold, a whole number", f))
			return
		}
		from = n
	}
	o, err := h.svc.WitnessOffer(r.Context(), from)
	if err != nil {
		h.failWitness(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (h *Handler) postCosignature(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), maxCosignatureBody))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req CosignatureRequest
	if err := decodeStrict(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "cosignature is not valid JSON of the form {\"size\": N, \"vkey\": \"name+hash+key\", \"cosignature\": \"— name base64\"}: "+err.Error())
		return
	}
	if err := h.svc.AddCosignature(r.Context(), req.Size, req.VKey, req.Cosignature); err != nil {
		h.failWitness(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"size": req.Size, "kept": true})
}

func (h *Handler) getCosignedCheckpoint(w http.ResponseWriter, r *http.Request) {
	var size uint64
	if p := r.PathValue("size"); p != "latest" {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || n == 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("checkpoint %q: want a log size or \"latest\"", p))
			return
		}
		size = n
	}
	cp, err := h.svc.CosignedCheckpoint(r.Context(), size)
	if err != nil {
		h.failWitness(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp)
}

// LeafEntry is one leaf of GET /v1/log/leaves.
type LeafEntry struct {
	Key  string `json:"key"` // custody.BundleKey of the event's bundle
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
	Leaf uint64 `json:"leaf_index"`
}

func (h *Handler) getLeaves(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := strconv.ParseUint(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseUint(q.Get("to"), 10, 64)
	if err1 != nil || err2 != nil || to < from {
		writeError(w, http.StatusBadRequest, "want ?from=A&to=B, leaf indexes with A <= B")
		return
	}
	ls, err := h.svc.Leaves(r.Context(), from, to)
	if err != nil {
		h.failWitness(w, r, err)
		return
	}
	out := make([]LeafEntry, len(ls))
	for i, l := range ls {
		out[i] = LeafEntry{Key: l.Key, Seq: l.Seq, Hash: l.Hash, Leaf: l.Leaf}
	}
	writeJSON(w, http.StatusOK, map[string]any{"leaves": out})
}

func (h *Handler) failWitness(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ahead *pipeline.WitnessAheadError
		bad   *pipeline.CosignatureError
	)
	switch {
	case errors.Is(err, pipeline.ErrNoWitnessing), errors.Is(err, pipeline.ErrNoLeafFeed):
		writeError(w, http.StatusNotImplemented, err.Error())
	case errors.As(err, &ahead):
		writeError(w, http.StatusConflict, err.Error())
	case errors.As(err, &bad):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such checkpoint shown to witnesses, or leaves beyond the log")
	default:
		h.fail(w, r, err)
	}
}
