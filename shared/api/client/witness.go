package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// WitnessOffer asks for the checkpoint a witness holding size from should cosign
// (GET /v1/log/witness?from=N), with the consistency proof from that size.
func (c *Client) WitnessOffer(ctx context.Context, from uint64) (*pipeline.WitnessOffer, error) {
	var o pipeline.WitnessOffer
	if err := c.getJSON(ctx, "/v1/log/witness?from="+strconv.FormatUint(from, 10), &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// PostCosignature gives evx a witness's cosignature line of the checkpoint of size
// (POST /v1/log/cosignatures); vkey is the witness's verifier key.
func (c *Client) PostCosignature(ctx context.Context, size uint64, vkey, line string) error {
	body, err := json.Marshal(map[string]any{"size": size, "vkey": vkey, "cosignature": line})
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, "/v1/log/cosignatures", bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	var out struct {
		Kept bool `json:"kept"`
	}
	if err := decodeBody(resp, &out); err != nil {
		return err
	}
	if !out.Kept {
		return fmt.Errorf("cosignature of size %d: the server did not keep it", size)
	}
	return nil
}

// CosignedCheckpoint returns the checkpoint of size shown to witnesses, with every
// cosignature the server keeps for it (GET /v1/log/checkpoints/{size}); 0 for the latest.
func (c *Client) CosignedCheckpoint(ctx context.Context, size uint64) ([]byte, error) {
	p := "latest"
	if size > 0 {
		p = strconv.FormatUint(size, 10)
	}
	return c.getBytes(ctx, "/v1/log/checkpoints/"+p, 1<<20)
}

// Leaves returns the log's leaves from (inclusive) to to (exclusive), as many as the server
// gives in one page (GET /v1/log/leaves): each leaf's bundle key, seq and event hash.
func (c *Client) Leaves(ctx context.Context, from, to uint64) ([]custody.Head, error) {
	var out struct {
		Leaves []struct {
			Key  string `json:"key"`
			Seq  uint64 `json:"seq"`
			Hash string `json:"hash"`
			Leaf uint64 `json:"leaf_index"`
		} `json:"leaves"`
	}
	if err := c.getJSON(ctx, fmt.Sprintf("/v1/log/leaves?from=%d&to=%d", from, to), &out); err != nil {
		return nil, err
	}
	hs := make([]custody.Head, len(out.Leaves))
	for i, l := range out.Leaves {
		hs[i] = custody.Head{Key: l.Key, Seq: l.Seq, Hash: l.Hash, Leaf: l.Leaf}
	}
	return hs, nil
}
